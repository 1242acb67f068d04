// The invoice workflow's contract, shared by the workflow, the worker, the API and the CLIs:
// task queue, workflow id helper, input, state, messages. Messages are defined once, here (never retyped as strings).

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';
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
}

export const statusQuery = defineQuery<InvoiceState>('status');

/** Search attributes (visibility): never a NIR. Registered by scripts/temporal-cli.ts and `ensureSearchAttributes`. */
export const statusKey = defineSearchAttributeKey('InvoiceStatus', SearchAttributeType.KEYWORD);
export const motifKey = defineSearchAttributeKey('Motif', SearchAttributeType.KEYWORD);
export const practitionerKey = defineSearchAttributeKey('PractitionerNumber', SearchAttributeType.KEYWORD);
export const batchKey = defineSearchAttributeKey('BatchId', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_KEYS = [statusKey, motifKey, practitionerKey, batchKey];
