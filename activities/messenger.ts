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
  return {
    startInvoice: (input, taskQueue) => start(INVOICE_WORKFLOW_TYPE, invoiceStartOptions(input, taskQueue)),
    startBatch: (batchId, taskQueue) => start(BATCH_WORKFLOW_TYPE, {
      taskQueue, workflowId: batchWorkflowId(batchId), args: [{ batchId }],
      workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: batchKey, value: batchId }],
    }),
    replySent: (archiveKey, sent) => signal(archiveKey, replySentSignal, sent),
    replyRefused: (archiveKey, refused) => signal(archiveKey, replyRefusedSignal, refused),
  };
}
