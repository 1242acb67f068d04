// What activities tell other workflows, through the Temporal client (never from a workflow's own history, so that a
// batch of 20 000 invoices does not write 20 000 signals into one execution): start an invoice's workflow, tell it
// its reply went out or was refused. Every call is idempotent: a retried activity repeats them harmlessly.

import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  BATCH_WORKFLOW_TYPE, batchKey, batchWorkflowId, INVOICE_WORKFLOW_TYPE, invoiceStartOptions, invoiceWorkflowId,
  replyRefusedSignal, replySentSignal, type InvoiceWorkflowInput, type ReplyRefused, type ReplySent,
} from '../workflows/contract.js';

export interface WorkflowMessenger {
  /** Starts the claim's workflow, or finds it running or finished (never a second one). */
  startInvoice(input: InvoiceWorkflowInput, taskQueue: string): Promise<void>;
  /** Starts the batch's workflow (a complete batch), or finds it running or finished. */
  startBatch(batchId: string, taskQueue: string): Promise<void>;
  /**
   * Starts the workflow again after its run ended in failure (failed, terminated, timed out, cancelled): the new run
   * resumes from the database (`npm run doctor`). A run that completed, or one running, is left as it is.
   */
  restart(kind: 'invoice', input: InvoiceWorkflowInput, taskQueue: string): Promise<void>;
  restart(kind: 'batch', batchId: string, taskQueue: string): Promise<void>;
  /** False when the claim's workflow is not running any more (nothing waits for the message). */
  replySent(archiveKey: string, sent: ReplySent): Promise<boolean>;
  replyRefused(archiveKey: string, refused: ReplyRefused): Promise<boolean>;
}

export function createWorkflowMessenger(client: Client): WorkflowMessenger {
  const signal = async <T>(archiveKey: string, def: typeof replySentSignal | typeof replyRefusedSignal, arg: T) => {
    try {
      await client.workflow.getHandle(invoiceWorkflowId(archiveKey)).signal(def as never, arg as never);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };
  const start = async (type: string, options: Parameters<Client['workflow']['start']>[1]) => {
    try {
      await client.workflow.start(type, options);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  };
  const batchOptions = (batchId: string, taskQueue: string) => ({
    taskQueue, workflowId: batchWorkflowId(batchId), args: [{ batchId }],
    workflowIdConflictPolicy: 'USE_EXISTING' as const, workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [{ key: batchKey, value: batchId }],
  });
  const afterFailure = { workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' as const };
  return {
    startInvoice: (input, taskQueue) => start(INVOICE_WORKFLOW_TYPE, invoiceStartOptions(input, taskQueue)),
    startBatch: (batchId, taskQueue) => start(BATCH_WORKFLOW_TYPE, batchOptions(batchId, taskQueue)),
    restart: ((kind: 'invoice' | 'batch', what: InvoiceWorkflowInput | string, taskQueue: string) => kind === 'invoice'
      ? start(INVOICE_WORKFLOW_TYPE, { ...invoiceStartOptions(what as InvoiceWorkflowInput, taskQueue), ...afterFailure })
      : start(BATCH_WORKFLOW_TYPE, { ...batchOptions(what as string, taskQueue), ...afterFailure })) as WorkflowMessenger['restart'],
    replySent: (archiveKey, sent) => signal(archiveKey, replySentSignal, sent),
    replyRefused: (archiveKey, refused) => signal(archiveKey, replyRefusedSignal, refused),
  };
}
