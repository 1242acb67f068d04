// PostgreSQL schema: the reference tables behind the ports (spec §2), one per Almerys system concept,
// and the pipeline's invoices and batches. Dates are `date` columns read as ISO strings.
// After a change: `npm run db:generate`, and commit the new file under db/migrations/.

import { sql } from 'drizzle-orm';
import type { RecordedAnalysis } from '../rules/backtest.js';
import type { AnalysisResult, Invoice } from '../rules/types.js';
import {
  boolean, customType, date, index, integer, jsonb, numeric, pgTable, primaryKey, serial, text, timestamp, unique,
} from 'drizzle-orm/pg-core';

/** `bytea` read and written as a Buffer (postgres.js) / Uint8Array (PGlite). */
const customBytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
});

// ---- AGAPS: the PS directory ----

export const practitioners = pgTable('practitioners', {
  number: text('number').primaryKey(),
  name: text('name'),
  headerEmail: text('header_email'),
  /** A centre's « Retour PS » function addresses, in order. */
  returnEmails: text('return_emails').array().notNull().default(sql`'{}'::text[]`),
  fax: text('fax'),
  // Postal address, as the Trame's manager columns split it.
  streetNumber: text('street_number'),
  streetNumberComplement: text('street_number_complement'),
  streetType: text('street_type'),
  streetName: text('street_name'),
  addressComplement: text('address_complement'),
  postalCode: text('postal_code'),
  city: text('city'),
});

// ---- PROTIPS: beneficiaries, cards, contractual rights ----

export const beneficiaries = pgTable(
  'beneficiaries',
  {
    nir: text('nir').primaryKey(),
    lastName: text('last_name').notNull(),
    firstName: text('first_name').notNull(),
    /** `normalizeName(lastName)`: the lookup key (case-, accent- and spacing-insensitive). */
    lastNameKey: text('last_name_key').notNull(),
    firstNameKey: text('first_name_key').notNull(),
    birthDate: date('birth_date'),
    birthRank: integer('birth_rank'),
    insurer: text('insurer'),
  },
  (t) => [index('beneficiaries_name_key_idx').on(t.lastNameKey, t.firstNameKey)],
);

export const cards = pgTable(
  'cards',
  {
    id: serial('id').primaryKey(),
    beneficiaryNir: text('beneficiary_nir')
      .notNull()
      .references(() => beneficiaries.nir, { onDelete: 'cascade' }),
    /** Order of the card in the beneficiary's list. */
    position: integer('position').notNull(),
    insurer: text('insurer').notNull(),
    contract: text('contract'),
    start: date('start').notNull(),
    end: date('end'),
    restitutedOn: date('restituted_on'),
    restitutionReason: text('restitution_reason'),
    /** Specialty column → rate in percent. */
    columns: jsonb('columns').$type<Record<string, number>>().notNull(),
  },
  (t) => [unique('cards_beneficiary_position_unique').on(t.beneficiaryNir, t.position)],
);

export const contractRights = pgTable(
  'contract_rights',
  {
    id: serial('id').primaryKey(),
    beneficiaryNir: text('beneficiary_nir')
      .notNull()
      .references(() => beneficiaries.nir, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    start: date('start').notNull(),
    end: date('end'),
  },
  (t) => [unique('contract_rights_beneficiary_position_unique').on(t.beneficiaryNir, t.position)],
);

// ---- AGICA: invoice states ----

export const agicaRecords = pgTable(
  'agica_records',
  {
    id: serial('id').primaryKey(),
    invoiceNumber: text('invoice_number').notNull(),
    /** `normalizeInvoiceNumber(invoiceNumber)`. */
    invoiceNumberKey: text('invoice_number_key').notNull(),
    practitionerNumber: text('practitioner_number'),
    nir: text('nir').notNull(),
    state: text('state').notNull(),
    date: date('date'),
    rejectReason: text('reject_reason'),
    paidInvoiceNumber: text('paid_invoice_number'),
  },
  // One state per invoice, beneficiary and PS: the seed's upsert key.
  (t) => [unique('agica_records_invoice_unique').on(t.invoiceNumberKey, t.nir, t.practitionerNumber).nullsNotDistinct()],
);

// ---- VALERYS: payment ledger, act catalogue, insurers ----

export const payments = pgTable(
  'payments',
  {
    id: serial('id').primaryKey(),
    invoiceNumber: text('invoice_number'),
    practitionerNumber: text('practitioner_number'),
    nir: text('nir').notNull(),
    insurer: text('insurer').notNull(),
    paidOn: date('paid_on'),
  },
  (t) => [
    // The seed's upsert key: a payment is its invoice, PS, beneficiary, insurer and date.
    unique('payments_natural_unique')
      .on(t.nir, t.invoiceNumber, t.practitionerNumber, t.insurer, t.paidOn)
      .nullsNotDistinct(),
  ],
);

export const paymentActs = pgTable(
  'payment_acts',
  {
    paymentId: integer('payment_id')
      .notNull()
      .references(() => payments.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    code: text('code').notNull(),
    date: date('date').notNull(),
  },
  (t) => [primaryKey({ columns: [t.paymentId, t.position] }), index('payment_acts_code_date_idx').on(t.code, t.date)],
);

export const catalogue = pgTable('catalogue', {
  code: text('code').primaryKey(),
  unitPrice: numeric('unit_price', { mode: 'number' }).notNull(),
  majoration: boolean('majoration').notNull().default(false),
});

export const insurers = pgTable('insurers', {
  /** `normalizeName(name)`. */
  nameKey: text('name_key').primaryKey(),
  name: text('name').notNull(),
  controlThreshold: numeric('control_threshold', { mode: 'number' }),
});

// ---- Pipeline ----

export const batches = pgTable('batches', {
  /** The GTO task the batch is (its id in the submission: the batch's idempotency key). */
  id: text('id').primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  invoiceCount: integer('invoice_count').notNull(),
  /**
   * `open` (pages of invoices may still be appended) → `running` (complete: its workflow starts the invoices, then
   * e-mails, Trame) → `closed` (every analysis decided, e-mails sent, Trame written, GTO task closed « FIN OK »).
   */
  status: text('status').notNull(),
  /** Date the document was received (its invoices' « today »). */
  receivedOn: date('received_on'),
  /** Invoices of the document left out: their critère was already known with another body, or in another batch. */
  conflicts: jsonb('conflicts').$type<{ archiveKey: string; reason: string; fields?: string[] }[]>().notNull().default(sql`'[]'::jsonb`),
  /** The GTO task's closure (« FIN OK »). */
  gtoClosure: text('gto_closure'),
  closedAt: timestamp('closed_at', { withTimezone: true }),
});

export const invoices = pgTable(
  'invoices',
  {
    /** The workflow id. */
    id: text('id').primaryKey(),
    archiveKey: text('archive_key').notNull().unique(),
    workflowId: text('workflow_id').notNull().unique(),
    batchId: text('batch_id').references(() => batches.id),
    practitionerNumber: text('practitioner_number'),
    status: text('status').notNull(),
    motif: text('motif'),
    route: text('route'),
    invoice: jsonb('invoice').$type<Invoice>().notNull(),
    receivedOn: date('received_on').notNull(),
    decision: jsonb('decision'),
    /** G8's calculated amounts (Trame: MONTANT CALCULÉ, PART RC CALCULÉE), when the analysis got that far. */
    calculatedAmount: numeric('calculated_amount', { mode: 'number' }),
    calculatedRc: numeric('calculated_rc', { mode: 'number' }),
    /** The practitioner e-mail (outbox id) that carried this invoice's reply, and when it was sent. */
    emailId: text('email_id'),
    emailedAt: timestamp('emailed_at', { withTimezone: true }),
    /** The Trame SSTT file that holds this invoice's row. */
    trameId: text('trame_id'),
    /**
     * Who e-mails the PS reply: `invoice` (its own workflow) or `batch` (its batch, with the PS's other rows). Set
     * once, atomically, by whichever asks first: an invoice adopted by a batch after it answered keeps its own e-mail.
     */
    replyBy: text('reply_by'),
    /** Submitted on its own first, then listed in a batch that took it in (its decision counts for the batch). */
    adopted: boolean('adopted').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * When the claim was first decided: paid, answered (reply to the PS) or closed — a manager's decision included,
     * never the routing to a manager itself (db/invoices.ts). The dashboard's « reçue → décision » time.
     */
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /** The version of `rules/` that took the last decision (activities/rules-version.ts); null before versions were. */
    rulesVersion: text('rules_version'),
    /**
     * The last analysis by the rules, as taken, and the reference facts it read (rules/references.ts): what a
     * back-test replays (rules/backtest.ts). A manager's later decision does not touch it.
     */
    analysis: jsonb('analysis').$type<RecordedAnalysis>(),
  },
  (t) => [
    index('invoices_batch_idx').on(t.batchId),
    // The invoice list's filter by rules version.
    index('invoices_rules_version_idx').on(t.rulesVersion),
    index('invoices_status_idx').on(t.status),
    index('invoices_practitioner_idx').on(t.practitionerNumber),
    // The dashboard's periods (db/dashboard.ts): claims received, claims decided.
    index('invoices_created_at_idx').on(t.createdAt),
    index('invoices_decided_at_idx').on(t.decidedAt),
  ],
);

/**
 * Every decision recorded on a claim, in order (db/invoices.ts `recordDecision`): what the timeline shows of the
 * analyses and the decisions, read from here rather than from the SDK's encoding of the history's markers.
 */
export const claimDecisions = pgTable(
  'claim_decisions',
  {
    /** `<run id>/<local activity id>`: the activity that recorded it, the same through its retries. */
    id: text('id').primaryKey(),
    archiveKey: text('archive_key').notNull().references(() => invoices.archiveKey),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** True when the rules analysed the claim for this decision: its trace holds the steps G0…G8. */
    analysed: boolean('analysed').notNull(),
    /** The decision as recorded on the claim's row (motif, route, trace, rules version…). */
    decision: jsonb('decision').$type<AnalysisResult>().notNull(),
  },
  (t) => [index('claim_decisions_archive_key_idx').on(t.archiveKey, t.at)],
);

// ---- Manager tasks (human tasks of the invoice workflows) ----

export const managerTasks = pgTable(
  'manager_tasks',
  {
    /** `<critère d'archivage>-<n>`: the n-th task of that claim's workflow. */
    id: text('id').primaryKey(),
    archiveKey: text('archive_key').notNull().references(() => invoices.archiveKey),
    workflowId: text('workflow_id').notNull(),
    batchId: text('batch_id'),
    practitionerNumber: text('practitioner_number'),
    motif: text('motif').notNull(),
    /** `open` → `resolved`. */
    status: text('status').notNull(),
    /** The analysis result that created the task (motif, comment, reply, trace…). */
    decision: jsonb('decision').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    assignee: text('assignee'),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    /** `{ action: pay | reply | reanalyze | close, motif?, comment? }`. */
    resolution: jsonb('resolution'),
    resolvedBy: text('resolved_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    index('manager_tasks_status_idx').on(t.status, t.dueAt),
    index('manager_tasks_archive_key_idx').on(t.archiveKey),
    index('manager_tasks_motif_idx').on(t.motif),
    // The dashboard's periods (db/dashboard.ts): tasks created, resolved, escalated.
    index('manager_tasks_created_at_idx').on(t.createdAt),
    index('manager_tasks_resolved_at_idx').on(t.resolvedAt),
    index('manager_tasks_escalated_at_idx').on(t.escalatedAt),
  ],
);

/** Who did what to a task, and when (created, claimed, released, escalated, resolved). */
export const taskEvents = pgTable(
  'task_events',
  {
    id: serial('id').primaryKey(),
    taskId: text('task_id').notNull().references(() => managerTasks.id),
    kind: text('kind').notNull(),
    actor: text('actor'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    details: jsonb('details'),
  },
  (t) => [index('task_events_task_idx').on(t.taskId)],
);

// ---- Access: API keys with a role ----

export const apiKeys = pgTable('api_keys', {
  /** Public part of the key (`tpr_<id>_…`), shown in lists and audit trails. */
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** submitter | manager | auditor | admin */
  role: text('role').notNull(),
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  keyHash: text('key_hash').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

// ---- Outputs: e-mails (outbox) and Trame SSTT files ----

/**
 * Every e-mail, written before it is sent: `pending` → `sending` → `sent` (or `failed`). The id is the
 * idempotency key (also sent to Resend), so that a retried activity or a restarted worker never sends twice.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    /** ps_reply | escalation */
    kind: text('kind').notNull(),
    batchId: text('batch_id'),
    practitionerNumber: text('practitioner_number'),
    from: text('from_address').notNull(),
    to: text('to_address').array().notNull(),
    bcc: text('bcc_address').array().notNull().default(sql`'{}'::text[]`),
    subject: text('subject').notNull(),
    html: text('html').notNull(),
    text: text('text').notNull(),
    /** Critères d'archivage of the invoices this e-mail answers. */
    archiveKeys: text('archive_keys').array().notNull().default(sql`'{}'::text[]`),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Resend's id, or the file written under .data/outbox/. */
    providerId: text('provider_id'),
    error: text('error'),
    /** What the last error was (activities/mail/errors.ts): transport, account, address, rejected, invalid. */
    errorKind: text('error_kind'),
    /** Explicit retries of a refused e-mail (each one under a new idempotency key). */
    retries: integer('retries').notNull().default(0),
    /** When the last attempt took the row (`sending`): an attempt that died leaves it there (npm run doctor). */
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [index('outbox_batch_idx').on(t.batchId), index('outbox_status_idx').on(t.status)],
);

export const trameFiles = pgTable(
  'trame_files',
  {
    id: text('id').primaryKey(),
    /** The batch it belongs to, or null for an export of open manager rows. */
    batchId: text('batch_id'),
    rowCount: integer('row_count').notNull(),
    content: customBytea('content').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('trame_files_batch_idx').on(t.batchId)],
);

// ---- Consistency checks (npm run doctor) ----

/** Each run of the consistency check: what it found and what it repaired (shown to admins in /health). */
export const doctorRuns = pgTable('doctor_runs', {
  id: serial('id').primaryKey(),
  ranAt: timestamp('ran_at', { withTimezone: true }).notNull().defaultNow(),
  findings: jsonb('findings').notNull(),
  repaired: integer('repaired').notNull(),
});

// ---- Security: console sessions, the audit log, archived histories ----

/**
 * Console sessions, server-side: the cookie carries a random id, of which only the SHA-256 is stored. Logout
 * deletes the row; revoking a key deletes its sessions. Kept in PostgreSQL so that every API replica agrees.
 */
export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 (hex) of the cookie's random id. */
    idHash: text('id_hash').primaryKey(),
    keyId: text('key_id').notNull().references(() => apiKeys.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
  },
  (t) => [index('sessions_key_idx').on(t.keyId), index('sessions_expires_idx').on(t.expiresAt)],
);

/**
 * Append-only: every state-changing action and every read of personal data (who, when, what, which invoice). A
 * trigger refuses UPDATE and DELETE (migration 0004); rows leave only by the retention purge's own function.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: serial('id').primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** The key's id (`tpr_<id>`), or `system` for the workers' schedules. */
    actorKeyId: text('actor_key_id'),
    actorName: text('actor_name').notNull(),
    actorRole: text('actor_role'),
    /** e.g. task.claim, task.resolve, trame.import, key.create, history.export.decoded, codec.decode, archive.purge. */
    action: text('action').notNull(),
    /** The invoice's critère d'archivage, a task id, a batch id, a key id… */
    target: text('target'),
    details: jsonb('details'),
    ip: text('ip'),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_target_idx').on(t.target), index('audit_log_action_idx').on(t.action)],
);

/**
 * Closed workflows' histories, as read from the Temporal server (payloads still encrypted): exported and replayed
 * from here once the namespace's retention has dropped them; purged after ARCHIVE_RETENTION.
 */
export const archivedHistories = pgTable(
  'archived_histories',
  {
    workflowId: text('workflow_id').notNull(),
    runId: text('run_id').notNull(),
    workflowType: text('workflow_type').notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }).notNull(),
    status: text('status').notNull(),
    /** temporal.api.history.v1.History, protobuf-encoded. */
    history: customBytea('history').notNull(),
    events: integer('events').notNull(),
    archivedAt: timestamp('archived_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.runId] }), index('archived_histories_closed_idx').on(t.closedAt)],
);

/**
 * Idempotency keys of the task actions (api/idempotency.ts): a caller's `Idempotency-Key` and the request it came
 * with (a hash of the operation, the path and the body), then the first response, replayed to the same request
 * again until `expires_at`. A row without `status` is a request still being answered.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The caller's API key id: keys are the caller's own. */
    actor: text('actor').notNull(),
    key: text('key').notNull(),
    /** sha256 of the method, the path and the body. */
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    contentType: text('content_type'),
    body: text('body'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.actor, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

// ---- Webhooks: endpoints, events (a transactional outbox written by triggers), deliveries ----

/** A receiver an admin registered: where to POST, which events, its signing secret. */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  /** `ep_<hex>`. */
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  description: text('description'),
  /** Event types wanted (db/webhooks.ts WEBHOOK_EVENT_TYPES). */
  events: text('events').array().notNull(),
  /** `whsec_<base64>`: the Standard Webhooks signing secret (HMAC-SHA256 key, base64 after the prefix). */
  secret: text('secret').notNull(),
  /** Payloads carry the beneficiary (NIR, name, birth date) only when set. */
  personalData: boolean('personal_data').notNull().default(false),
  enabled: boolean('enabled').notNull().default(true),
  /** Failed attempts in a row (reset by a success), and since when. */
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  failingSince: timestamp('failing_since', { withTimezone: true }),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  disabledReason: text('disabled_reason'),
  createdBy: text('created_by'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every event, written by a trigger in the transaction that changed the state it announces (migration 0008), when
 * at least one enabled endpoint wants it. `data` holds no personal data.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    /** `msg_<hex>`: the `webhook-id` header, the same on every attempt (receivers de-duplicate on it). */
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    /** `invoice:<critère>` or `batch:<id>`: what the sequence counts in. */
    subject: text('subject').notNull(),
    /** 1, 2, 3… per subject, in commit order. */
    sequence: integer('sequence').notNull(),
    archiveKey: text('archive_key'),
    taskId: text('task_id'),
    batchId: text('batch_id'),
    data: jsonb('data').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('webhook_events_subject_sequence_unique').on(t.subject, t.sequence), index('webhook_events_created_at_idx').on(t.createdAt)],
);

/** Per-subject counters behind webhook_events.sequence. */
export const webhookSequences = pgTable('webhook_sequences', {
  subject: text('subject').primaryKey(),
  last: integer('last').notNull(),
});

/** One event to one endpoint: `pending` → `delivered` | `failed` (retries exhausted) | `cancelled` (endpoint disabled). */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: serial('id').primaryKey(),
    eventId: text('event_id').notNull().references(() => webhookEvents.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id').notNull().references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** The receiver's last HTTP status (null: no answer). */
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    /** When its delivery workflow was started (null: the dispatcher has not yet). */
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('webhook_deliveries_event_endpoint_unique').on(t.eventId, t.endpointId),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
    index('webhook_deliveries_undispatched_idx').on(t.id).where(sql`${t.dispatchedAt} is null`),
  ],
);
