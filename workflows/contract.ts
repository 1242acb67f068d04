// The invoice workflow's contract, shared by the workflow, the worker, the API and the CLIs:
// task queue, workflow id helper, input, state, messages. Messages are defined once, here (never retyped as strings).

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AnalysisResult, Invoice, IsoDate, MotifCode, Route, TraceLine } from '../rules/types.js';

export const TASK_QUEUE = 'tp-rejects';

/** Workflow type names, for code that starts workflows without importing them (activities). */
export const INVOICE_WORKFLOW_TYPE = 'invoiceWorkflow';
export const BATCH_WORKFLOW_TYPE = 'batchWorkflow';

// A claim's statuses, task actions and workflow ids: rules/claims.ts (db/ stores them too).
import { invoiceWorkflowId, type InvoiceStatus, type TaskResolution } from '../rules/claims.js';
export { INVOICE_STATUSES, invoiceWorkflowId, batchWorkflowId, TASK_ACTIONS } from '../rules/claims.js';
export type { InvoiceStatus, TaskAction, TaskResolution } from '../rules/claims.js';

export interface InvoiceWorkflowInput {
  invoice: Invoice;
  /** Date the claim was received (the analysis' "today"). */
  receivedOn: IsoDate;
  batchId?: string | null;
  /** Set by batches of the first releases (children): the batch is signalled the decision. */
  batchWorkflowId?: string | null;
  /**
   * The workflow code's generation that started the run (`INVOICE_GATES`, set by `invoiceStartOptions`). A run started
   * with it takes the current path from its input, with no patch marker (each marker costs two history events and
   * a visibility write); a run started before (no `gates`) finds its path by patches, as it always did.
   */
  gates?: number;
}

/**
 * The generation of the invoice workflow's code a run is started with: 5. Gates 4: the analysis in one activity, the
 * fewest round trips (workflows/invoice.ts). Gates 5, the same workflow code: every decision of the run is written
 * to the claim's journal (`claim_decisions`, by `recordDecision`), which the timeline reads (api/timeline.ts); the
 * timeline of a run started before reads the history's markers, as it always did.
 */
export const INVOICE_GATES = 5;
/** The first generation with the analysis in one activity. */
export const ANALYSIS_GATES = 4;
/** The first generation whose decisions are all in the claim's journal. */
export const JOURNAL_GATES = 5;

/**
 * How an invoice workflow is started, by the API (a claim submitted) or by a batch's activity (its invoices): the
 * workflow id is the claim's, a running workflow is the one to use (USE_EXISTING) and a finished one is never run
 * again while Temporal keeps it (REJECT_DUPLICATE); the database then guards it for good (the row's status).
 */
export function invoiceStartOptions(input: InvoiceWorkflowInput, taskQueue: string) {
  const { invoice, batchId } = input;
  return {
    taskQueue,
    workflowId: invoiceWorkflowId(invoice.archiveKey),
    args: [{ ...input, gates: INVOICE_GATES }] as [InvoiceWorkflowInput],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: statusKey, value: 'analyzing' },
      ...(invoice.practitionerNumber ? [{ key: practitionerKey, value: invoice.practitionerNumber }] : []),
      ...(batchId ? [{ key: batchKey, value: batchId }] : []),
    ],
  };
}

/**
 * Failure types (ApplicationFailure.type, the error's class name) the workflows act on; activities/failures.ts
 * gives every activity error one of them or its own AppError name.
 */
export const FAILURE_TYPES = {
  /** The provider refused the recipient's address: the claim goes to a manager with the reason. */
  addressRefused: 'MailAddressRefusedError',
  /** The provider refused the e-mail for another reason that retrying cannot change. */
  mailRejected: 'MailRejectedError',
  invalidMail: 'InvalidMailError',
  /** The same unexpected error on every attempt (bad data, a bug): turned into a manager task carrying it. */
  persistent: 'PersistentError',
  /** An unexpected error, retried a few times before it is taken for a persistent one. */
  unexpected: 'UnexpectedError',
  /** PostgreSQL or Temporal unreachable: retried for as long as it takes. */
  dependencyUnavailable: 'DependencyUnavailable',
} as const;

/** What the `status` query answers, and what the workflow returns. */
export interface InvoiceState {
  archiveKey: string;
  status: InvoiceStatus;
  /** Steps done so far (G0…G8), with what each found. */
  trace: TraceLine[];
  decision: AnalysisResult | null;
  motif: MotifCode | null;
  route: Route | null;
  /** The manager task the workflow waits on, if any. */
  task?: { id: string; dueAt: string; escalated: boolean } | null;
}

export const statusQuery = defineQuery<InvoiceState>('status');

/** Search attributes (visibility): never a NIR. Registered by scripts/temporal-cli.ts and `ensureSearchAttributes`. */
export const statusKey = defineSearchAttributeKey('InvoiceStatus', SearchAttributeType.KEYWORD);
export const motifKey = defineSearchAttributeKey('Motif', SearchAttributeType.KEYWORD);
export const practitionerKey = defineSearchAttributeKey('PractitionerNumber', SearchAttributeType.KEYWORD);
export const batchKey = defineSearchAttributeKey('BatchId', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_KEYS = [statusKey, motifKey, practitionerKey, batchKey];

// ---- Manager tasks (spec §5 « Human tasks ») ----


/** The outcome of a resolution, as the workflow applied it. */
export interface ResolutionOutcome {
  taskId: string;
  status: InvoiceStatus;
  /** A new task when the resolution leads back to a manager (reply with a manager motif, reanalysis). */
  nextTaskId: string | null;
}

/** Resolves the invoice's open manager task; rejected by the validator when the task is not open. */
export const resolveTaskUpdate = defineUpdate<ResolutionOutcome, [TaskResolution]>('resolveTask');

// ---- Batches (« document multi factures ») ----


export interface InvoiceDecided {
  archiveKey: string;
  status: InvoiceStatus;
  route: Route | null;
}

/** Invoice → its batch: the analysis is decided. */
export const invoiceDecidedSignal = defineSignal<[InvoiceDecided]>('invoiceDecided');

export interface ReplySent {
  emailId: string;
  sentAt: string;
}

/** Batch → invoice: the practitioner's e-mail carrying this invoice's reply was sent. */
export const replySentSignal = defineSignal<[ReplySent]>('replySent');

export interface ReplyRefused {
  /** The refused e-mail (outbox id). */
  emailId: string | null;
  /** Why, in French, for the manager: « adresse e-mail refusée par le prestataire : … ». */
  reason: string;
}

/** Batch → invoice: the provider refused the PS e-mail that was to carry this invoice's reply: a manager takes it. */
export const replyRefusedSignal = defineSignal<[ReplyRefused]>('replyRefused');

export type BatchPhase = 'starting' | 'analyzing' | 'emailing' | 'writing_trame' | 'closed';

export interface BatchState {
  batchId: string;
  phase: BatchPhase;
  invoiceCount: number;
  /** Invoice workflows started by the batch; `adopted`: submitted on their own first, then taken in by the batch. */
  started: number;
  adopted?: number;
  /** First releases: invoices already submitted on their own, left out. */
  skipped?: string[];
  decided: number;
  paid: number;
  routedToPractitioner: number;
  routedToManager: number;
  /** E-mails sent, and invoices answered by them. */
  emails: number;
  emailed: number;
  /** PS whose address the provider refused, and their rows (handed to managers). */
  refusedPractitioners?: number;
  refusedRows?: number;
  trameId: string | null;
  trameRows: number;
  gtoClosure: string | null;
}

export const batchStatusQuery = defineQuery<BatchState>('batchStatus');

// ---- Webhooks: one workflow per delivery (an event to an endpoint) ----

export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';

/** How a delivery is retried (WEBHOOK_RETRY_*, WEBHOOK_TIMEOUT: config.ts), fixed when the workflow starts. */
export interface WebhookDeliveryInput {
  deliveryId: number;
  /** First pause between attempts, doubled each time up to `maxIntervalMs`, for `retryForMs` in all. */
  initialIntervalMs: number;
  maxIntervalMs: number;
  retryForMs: number;
  /** The receiver's time to answer an attempt. */
  timeoutMs: number;
}

/**
 * One workflow per delivery (an event to an endpoint, both random ids: unique in the namespace, whatever database
 * wrote them): started twice (a sweep and a NOTIFY, two workers), it is still one.
 */
export function webhookDeliveryWorkflowId(delivery: { endpointId: string; eventId: string }): string {
  return `webhook-${delivery.endpointId}-${delivery.eventId}`;
}
