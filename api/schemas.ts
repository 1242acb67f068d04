// Request and response schemas of the API (TypeBox), shown in the OpenAPI document at /docs.

import { Type, type TSchema } from '@sinclair/typebox';
import { IsoDateSchema, InvoiceSchema } from '../rules/schema.js';
import { INVOICE_STATUSES } from '../workflows/contract.js';
import { MOTIF_CODES } from '../rules/motifs.js';
import { MAIL_KINDS } from '../db/outbox.js';

/** The deepest page of a list: beyond it, a filter finds the claim, not paging. */
export const MAX_OFFSET = 1_000_000;

/** `limit` of a list: 1 to `max`, 50 when absent. */
export const limitSchema = (max: number) =>
  Type.Optional({ ...Type.Integer({ minimum: 1, maximum: max, default: 50 }), errorMessage: `doit être un entier de 1 à ${max}` });
/** `offset` of a list: 0 to MAX_OFFSET. */
export const OffsetSchema = Type.Optional({
  ...Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0, description: `At most ${MAX_OFFSET}` }),
  errorMessage: `doit être un entier de 0 à ${MAX_OFFSET}`,
});
/** A batch id given as a filter (any text a batch id could be). */
export const BatchFilterSchema = Type.Optional(Type.String({ maxLength: 64 }));

export const BatchIdSchema = { ...Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }), errorMessage: 'doit comporter 1 à 64 lettres, chiffres, points, tirets ou soulignés' };

export const SubmitInvoiceBody = Type.Object({
  invoice: InvoiceSchema,
  receivedOn: Type.Optional({ ...IsoDateSchema, description: "Date the claim was received (default: today in France)" }),
  batchId: Type.Optional({ ...BatchIdSchema, description: 'Appends the claim to an open batch (409 when the batch is not open)' }),
});

/** Invoices per request; a larger document is sent in pages appended to an open batch. */
export const BATCH_PAGE_MAX = 5000;
const BatchInvoices = {
  ...Type.Array(InvoiceSchema, { minItems: 1, maxItems: BATCH_PAGE_MAX }),
  errorMessage: `doit être une liste de 1 à ${BATCH_PAGE_MAX} factures (au-delà, par pages : POST /api/batches/{id}/invoices)`,
};

export const SubmitBatchBody = Type.Object({
  batchId: { ...BatchIdSchema, description: 'The GTO task the document is: the batch\'s idempotency key (the same request again answers the batch as it is)' },
  receivedOn: Type.Optional(IsoDateSchema),
  invoices: BatchInvoices,
  open: Type.Optional(Type.Boolean({
    description: 'true: more invoices follow (POST /api/batches/{id}/invoices), then POST /api/batches/{id}/close starts the batch; default false: the batch starts now',
  })),
});

export const BatchPageBody = Type.Object({ invoices: BatchInvoices });

export const Receipt = Type.Object({
  id: Type.String({ description: "The critère d'archivage" }),
  workflowId: Type.String(),
  status: Type.Union(INVOICE_STATUSES.map((s) => Type.Literal(s))),
  duplicate: Type.Boolean({ description: 'The claim had been submitted before: this is the existing workflow' }),
  adopted: Type.Optional(Type.Boolean({ description: 'In a batch: known on its own before, now counted for the batch' })),
  alreadyEmailed: Type.Optional(Type.Boolean({ description: 'Adopted after its reply was e-mailed on its own: not e-mailed again with the batch' })),
});

export const BatchConflictSchema = Type.Object({
  archiveKey: Type.String(),
  reason: Type.String(),
  fields: Type.Optional(Type.Array(Type.String(), { description: 'What differs from the claim already known' })),
});

export const BatchReceipt = Type.Object({
  batchId: Type.String(),
  workflowId: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('running'), Type.Literal('closed')], {
    description: 'open: accepting pages; running: complete, being processed; closed: « FIN OK »',
  }),
  invoiceCount: Type.Integer({ description: 'Invoices in the batch (all pages)' }),
  invoices: Type.Array(Receipt, { description: 'The invoices of this request that are in the batch' }),
  conflicts: Type.Array(BatchConflictSchema, { description: 'The invoices of this request left out, and why' }),
});

/** A download, sent as it is (a Buffer or a stream: never serialised): `T` is what the handler sends. */
export const Download = <T>(description: string) => Type.Unsafe<T>({ type: 'string', format: 'binary', description });

/** Every 4xx and 5xx: RFC 9457 problem details (api/errors.ts ProblemDetails). */
export const ErrorBody = Type.Object({
  type: Type.String({ description: '/problems/<code>: the kind of problem' }),
  title: Type.String({ description: 'The kind\'s title, in French' }),
  status: Type.Integer(),
  detail: Type.String({ description: 'This occurrence, in French' }),
  code: Type.String({ description: 'Stable, machine-readable' }),
  message: Type.String({ description: 'The same as detail (the error format of earlier versions)' }),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.String({ description: 'ISO 8601 instant' });

export const TraceLineSchema = Type.Object({
  step: Type.String({ description: 'G0…G8, Paid or Routing' }),
  check: Type.String(),
  facts: Type.Array(Type.String(), { description: 'What the step looked at, in French' }),
  result: Type.String({ description: '`continue`, or the motif code it fired' }),
});

/** The analysis result (spec §8): rules/types.ts AnalysisResult. */
export const AnalysisResultSchema = Type.Object({
  outcome: Type.Union([Type.Literal('paid'), Type.Literal('rejected')]),
  motif: Nullable(Type.String({ description: 'A motif code (GET /api/motifs)' })),
  detail: Type.Array(Type.String(), { description: 'Missing details (« Détail manquant » codes)' }),
  error: Nullable(Type.String({ description: 'A content error (« Incohérence » code)' })),
  date: Nullable(Type.String()),
  comment: Nullable(Type.String()),
  route: Nullable(Type.Union([Type.Literal('practitioner'), Type.Literal('manager')])),
  email: Nullable(Type.String()),
  humanTask: Type.Boolean(),
  waitsForDecision: Type.Boolean(),
  dematerialise: Type.Boolean(),
  reply: Nullable(Type.String({ description: 'The reply text to the PS' })),
  trace: Type.Array(TraceLineSchema),
  rulesVersion: Type.Optional(Type.String({ description: 'The version of the rules that took it (`<package version>+<hash of rules/>`); absent on decisions taken before versions were recorded' })),
}, { additionalProperties: true, description: 'The analysis result (spec §8)' });

/** A version of the rules as given in a filter: `<package version>+<12 hex digits>` (activities/rules-version.ts). */
export const RulesVersionFilterSchema = Type.Optional({
  ...Type.String({ pattern: '^[0-9A-Za-z.+-]{1,64}$', description: 'A version of the rules (GET /api/rules/versions)' }),
  errorMessage: 'doit être une version des règles, par exemple 0.1.0+d4f84fdab457 (voir /api/rules/versions)',
});

export const InvoiceView = Type.Object({
  id: Type.String(),
  workflowId: Type.String(),
  status: Type.String(),
  batchId: Type.Union([Type.String(), Type.Null()]),
  practitionerNumber: Type.Union([Type.String(), Type.Null()]),
  receivedOn: Type.String(),
  motif: Type.Union([Type.String(), Type.Null()]),
  route: Type.Union([Type.String(), Type.Null()]),
  decision: Type.Union([AnalysisResultSchema, Type.Null()], { description: 'The analysis result (spec §8), null while analysing' }),
  rulesVersion: Type.Union([Type.String(), Type.Null()], {
    description: 'The version of the rules that took the last decision of the rules (a manager\'s resolution keeps it); null before versions were recorded',
  }),
  trace: Type.Array(TraceLineSchema),
  email: Type.Union([Type.Object({ id: Type.String(), sentAt: Type.Union([Type.String(), Type.Null()]), to: Type.Union([Type.String(), Type.Null()]) }), Type.Null()],
    { description: 'The e-mail that carried the reply to the PS (outbox id, time, recipient)' }),
  trame: Type.Union([Type.Object({ id: Type.String(), batchId: Type.Union([Type.String(), Type.Null()]) }), Type.Null()],
    { description: 'The Trame SSTT file holding the invoice\'s row (GET /api/batches/:batchId/trame.xlsx)' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const InvoiceList = Type.Object({
  items: Type.Array(Type.Omit(InvoiceView, ['trace', 'decision', 'email', 'trame'])),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const InvoiceListQuery = Type.Object({
  status: Type.Optional({ ...Type.Union(INVOICE_STATUSES.map((s) => Type.Literal(s))), errorMessage: `doit être l'une des valeurs ${INVOICE_STATUSES.join(', ')}` }),
  motif: Type.Optional({ ...Type.Union(MOTIF_CODES.map((s) => Type.Literal(s))), errorMessage: 'doit être un code motif (voir /api/motifs)' }),
  ps: Type.Optional({ ...Type.String({ pattern: '^[0-9]{9}$' }), errorMessage: 'doit comporter 9 chiffres (N° PS)' }),
  batchId: BatchFilterSchema,
  rulesVersion: RulesVersionFilterSchema,
  q: Type.Optional(Type.String({ maxLength: 20, description: "Critère d'archivage, NIR or N° PS (or its start)" })),
  limit: limitSchema(500),
  offset: OffsetSchema,
});

export const IdParams = Type.Object({
  id: { ...Type.String({ pattern: '^[0-9]{10}$' }), errorMessage: "doit être un critère d'archivage (10 chiffres)" },
});

// ---- Responses: what the routes really return (fastify serialises with these schemas: a field left out here is
// dropped from the answer). Each is checked against the repository's type it serialises (`SameShape` below).

/** `true` when T (what a route returns) fits the schema's type S and has no field S lacks (nor S one T lacks). */
export type SameShape<S, T> = [T] extends [S] ? ([keyof T] extends [keyof S] ? ([keyof S] extends [keyof T] ? true : false) : false) : false;


/** A claim's invoice as it was submitted (unknown properties kept). */
export const StoredInvoiceSchema = { ...InvoiceSchema, additionalProperties: true } as typeof InvoiceSchema;

export const TaskSummarySchema = Type.Object({
  id: Type.String({ description: '<critère d\'archivage>-<n>' }),
  archiveKey: Type.String(),
  workflowId: Type.String(),
  batchId: Nullable(Type.String()),
  practitionerNumber: Nullable(Type.String()),
  motif: Type.String({ description: 'A motif code (GET /api/motifs)' }),
  motifLabel: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  createdAt: Timestamp,
  dueAt: Timestamp,
  overdue: Type.Boolean(),
  escalatedAt: Nullable(Timestamp),
  assignee: Nullable(Type.String()),
  claimedAt: Nullable(Timestamp),
  resolution: Nullable(Type.Object({
    action: Type.String(),
    motif: Type.Optional(Nullable(Type.String())),
    comment: Type.Optional(Nullable(Type.String())),
  })),
  resolvedBy: Nullable(Type.String()),
  resolvedAt: Nullable(Timestamp),
  waitsForDecision: Type.Boolean(),
}, { description: 'A manager task' });

export const TaskEventSchema = Type.Object({
  kind: Type.Union((['created', 'claimed', 'released', 'escalated', 'notice_failed', 'resolved'] as const).map((k) => Type.Literal(k))),
  actor: Nullable(Type.String()),
  at: Timestamp,
  details: Nullable(Type.Object({}, { additionalProperties: true })),
});

export const TaskDetailSchema = Type.Composite([TaskSummarySchema, Type.Object({
  decision: AnalysisResultSchema,
  invoice: StoredInvoiceSchema,
  practitioner: Nullable(Type.Object({
    number: Type.String(), name: Type.Optional(Nullable(Type.String())), headerEmail: Type.Optional(Nullable(Type.String())),
  })),
  events: Type.Array(TaskEventSchema),
})], { description: 'A manager task with the decision, the invoice, the practitioner and who did what' });

export const TaskListSchema = Type.Object({
  items: Type.Array(TaskSummarySchema),
  total: Type.Integer(),
  countsByMotif: Type.Record(Type.String(), Type.Integer(), { description: 'Tasks per motif code under the other filters' }),
  overdueCount: Type.Integer({ description: 'Open tasks past their deadline under the other filters' }),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const ResolutionOutcomeSchema = Type.Object({
  taskId: Type.String(),
  status: Type.String({ description: 'The claim\'s status after the resolution' }),
  nextTaskId: Nullable(Type.String({ description: 'A new task, when the resolution led to one (reanalyze)' })),
});

export const BatchProgressSchema = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('running'), Type.Literal('closed')]),
  invoiceCount: Type.Integer({ description: 'Invoices in the batch, adopted ones included' }),
  receivedOn: Nullable(Type.String()),
  conflicts: Type.Array(BatchConflictSchema),
  gtoClosure: Nullable(Type.String({ description: '« FIN OK » once closed' })),
  closedAt: Nullable(Timestamp),
  createdAt: Timestamp,
  received: Type.Integer({ description: 'Invoices written for the batch so far' }),
  adopted: Type.Integer(),
  decided: Type.Integer(),
  paid: Type.Integer(),
  routedToPractitioner: Type.Integer(),
  routedToManager: Type.Integer(),
  emailed: Type.Integer(),
  emailedOnTheirOwn: Type.Integer({ description: 'Adopted invoices whose reply had already been e-mailed on their own' }),
  trame: Nullable(Type.Object({ id: Type.String(), rowCount: Type.Integer(), createdAt: Timestamp })),
});

export const BatchViewSchema = Type.Composite([BatchProgressSchema, Type.Object({
  workflowId: Type.String(),
  phase: Nullable(Type.String({ description: 'The workflow\'s phase (open, analysing, e-mailing, trame, closed…)' })),
  refusedPractitioners: Type.Integer({ description: 'PS whose address the mail provider refused' }),
  refusedRows: Type.Integer(),
})]);

export const MailSummarySchema = Type.Object({
  id: Type.String({ description: 'The idempotency key of the e-mail' }),
  kind: Type.Union(MAIL_KINDS.map((k) => Type.Literal(k))),
  from: Type.String(),
  to: Type.Array(Type.String()),
  bcc: Type.Array(Type.String()),
  subject: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('sending'), Type.Literal('sent'), Type.Literal('failed')]),
  batchId: Nullable(Type.String()),
  practitionerNumber: Nullable(Type.String()),
  archiveKeys: Type.Array(Type.String()),
  providerId: Nullable(Type.String()),
  attempts: Type.Integer(),
  createdAt: Timestamp,
  sentAt: Nullable(Timestamp),
  error: Nullable(Type.String()),
  errorKind: Nullable(Type.Union((['transport', 'account', 'address', 'rejected', 'invalid'] as const).map((k) => Type.Literal(k)))),
  retries: Type.Integer(),
});

export const MailSchema = Type.Composite([MailSummarySchema, Type.Object({ html: Type.String(), text: Type.String() })]);

export const MailListSchema = Type.Object({ items: Type.Array(MailSummarySchema), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });

export const TimelineEntrySchema = Type.Object({
  at: Timestamp,
  kind: Type.Union((['received', 'step', 'decided', 'task', 'email', 'status', 'finished'] as const).map((k) => Type.Literal(k))),
  label: Type.String({ description: 'In French' }),
  details: Type.Optional(Type.Object({}, { additionalProperties: true })),
});

/** A Temporal workflow history as JSON (replayable: npm run replay -- --file). */
export const HistorySchema = Type.Object({
  events: Type.Array(Type.Object({}, { additionalProperties: true, description: 'A Temporal history event (proto3 JSON)' })),
}, { additionalProperties: true, description: 'The workflow\'s event history (proto3 JSON)' });

/** A file answered as it is (a Buffer, a stream or a text: `T`, never serialised), in one of `mediaTypes`. */
export const FileResponse = <T>(description: string, ...mediaTypes: string[]) => ({
  description,
  content: Object.fromEntries(mediaTypes.map((m) => [m, { schema: Download<T>(description) }])),
});
