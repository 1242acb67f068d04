// Request and response schemas of the API (TypeBox), shown in the OpenAPI document at /docs.

import { Type } from '@sinclair/typebox';
import { IsoDateSchema, InvoiceSchema } from '../rules/schema.js';
import { INVOICE_STATUSES } from '../workflows/contract.js';
import { MOTIF_CODES } from '../rules/motifs.js';

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

/** JSON whose shape is `T` (a type of the rules or the repositories), documented as an object. */
export const JsonOf = <T>(description: string) => Type.Unsafe<T>(Type.Object({}, { additionalProperties: true, description }));

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

export const Decision = Type.Object({}, { additionalProperties: true, description: 'The analysis result (spec §8), null while analysing' });

export const InvoiceView = Type.Object({
  id: Type.String(),
  workflowId: Type.String(),
  status: Type.String(),
  batchId: Type.Union([Type.String(), Type.Null()]),
  practitionerNumber: Type.Union([Type.String(), Type.Null()]),
  receivedOn: Type.String(),
  motif: Type.Union([Type.String(), Type.Null()]),
  route: Type.Union([Type.String(), Type.Null()]),
  decision: Type.Union([Decision, Type.Null()]),
  trace: Type.Array(Type.Object({}, { additionalProperties: true })),
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
  q: Type.Optional(Type.String({ maxLength: 20, description: "Critère d'archivage, NIR or N° PS (or its start)" })),
  limit: limitSchema(500),
  offset: OffsetSchema,
});

export const IdParams = Type.Object({
  id: { ...Type.String({ pattern: '^[0-9]{10}$' }), errorMessage: "doit être un critère d'archivage (10 chiffres)" },
});
