// The invoice workflow's contract, shared by the workflow, the worker, the API and the CLIs:
// task queue, workflow id helper, input, state, messages. Messages are defined once, here (never retyped as strings).

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AnalysisResult, Invoice, IsoDate, MotifCode, Route, TraceLine } from '../rules/types.js';

export const TASK_QUEUE = 'tp-rejects';

/** One invoice = one claim = one workflow: the id comes from the critère d'archivage (NUO), which identifies the claim. */
export function invoiceWorkflowId(archiveKey: string): string {
  return `invoice-${archiveKey}`;
}

export const INVOICE_STATUSES = ['analyzing', 'paid', 'awaiting_manager', 'awaiting_reply', 'replied', 'closed'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export interface InvoiceWorkflowInput {
  invoice: Invoice;
  /** Date the claim was received (the analysis' "today"). */
  receivedOn: IsoDate;
  batchId?: string | null;
  /** Set when a batch workflow started this one: it is told the decision, and sends the practitioner's e-mail. */
  batchWorkflowId?: string | null;
}

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

export const TASK_ACTIONS = ['pay', 'reply', 'reanalyze', 'close'] as const;
/** pay: force the payment; reply: answer with a motif (routed by the motif table); reanalyze: run the analysis
 * again on the current reference data; close: handled inside Almerys. */
export type TaskAction = (typeof TASK_ACTIONS)[number];

export interface TaskResolution {
  taskId: string;
  action: TaskAction;
  /** With `reply`: the motif to answer with. */
  motif?: MotifCode | null;
  comment?: string | null;
  /** Who resolved it (API key id / name), recorded with the time. */
  by: string;
}

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

export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}

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

export interface BatchState {
  batchId: string;
  phase: 'starting' | 'analyzing' | 'emailing' | 'writing_trame' | 'closed';
  invoiceCount: number;
  /** Invoice workflows started by the batch; `skipped`: already submitted on their own. */
  started: number;
  skipped: string[];
  decided: number;
  paid: number;
  routedToPractitioner: number;
  routedToManager: number;
  /** E-mails sent, and invoices answered by them. */
  emails: number;
  emailed: number;
  trameId: string | null;
  trameRows: number;
  gtoClosure: string | null;
}

export const batchStatusQuery = defineQuery<BatchState>('batchStatus');
