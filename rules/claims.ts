// What a claim goes through, as the database, the workflows and the API all name it: its statuses, a manager's
// actions on its task, and the ids of its workflow and of its batch's. Plain values and pure functions (the workflows'
// contract re-exports them; db/ stores them).

import type { MotifCode } from './types.js';

export const INVOICE_STATUSES = ['analyzing', 'paid', 'awaiting_manager', 'awaiting_reply', 'replied', 'closed'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** One invoice = one claim = one workflow: the id comes from the critère d'archivage (NUO), which identifies the claim. */
export function invoiceWorkflowId(archiveKey: string): string {
  return `invoice-${archiveKey}`;
}

/** A « document multi factures »: one workflow per GTO task id. */
export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}

/** What a manager can do with a task: force the payment, answer the PS with a motif, analyse again, close it. */
export const TASK_ACTIONS = ['pay', 'reply', 'reanalyze', 'close'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** A manager's decision on a task. */
export interface TaskResolution {
  taskId: string;
  action: TaskAction;
  /** With `reply`: the motif to answer with. */
  motif?: MotifCode | null;
  comment?: string | null;
  /** Who resolved it (API key id / name), recorded with the time. */
  by: string;
}
