// Submitting claims: one durable workflow per critère d'archivage. A resubmission returns the existing
// workflow (running or finished), never a second one. Input is validated before anything reaches Temporal.

import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Invoice, IsoDate } from '../rules/types.js';
import type { InvoiceRepository } from '../db/invoices.js';
import {
  batchKey, batchWorkflowId, invoiceWorkflowId, practitionerKey, statusKey, type InvoiceStatus, type InvoiceWorkflowInput,
} from '../workflows/contract.js';
import { batchWorkflow } from '../workflows/batch.js';
import { invoiceWorkflow } from '../workflows/invoice.js';

export interface Submission {
  invoice: Invoice;
  receivedOn: IsoDate;
  batchId?: string | null;
}

export interface SubmissionReceipt {
  id: string;
  workflowId: string;
  status: InvoiceStatus;
  /** True when this critère d'archivage had been submitted before. */
  duplicate: boolean;
}

/** Today's date in France (where claims are received), as `YYYY-MM-DD`. */
export function todayInFrance(now = new Date()): IsoDate {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export function createInvoiceService(deps: { client: Client; invoices: InvoiceRepository; taskQueue: string; temporalTimeoutMs?: number }) {
  const { client, invoices, taskQueue } = deps;
  const timeout = deps.temporalTimeoutMs ?? 10_000;
  return {
    async submit({ invoice, receivedOn, batchId }: Submission): Promise<SubmissionReceipt> {
      const archiveKey = invoice.archiveKey;
      const workflowId = invoiceWorkflowId(archiveKey);
      const existing = await invoices.get(archiveKey);
      if (existing) return { id: archiveKey, workflowId, status: existing.status, duplicate: true };

      const input: InvoiceWorkflowInput = { invoice, receivedOn, batchId: batchId ?? null };
      let duplicate = false;
      try {
        await client.connection.withDeadline(Date.now() + timeout, () => client.workflow.start(invoiceWorkflow, {
          taskQueue,
          workflowId,
          args: [input],
          // A running workflow for this claim is the one to use; a finished one is never restarted.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: statusKey, value: 'analyzing' },
            ...(invoice.practitionerNumber ? [{ key: practitionerKey, value: invoice.practitionerNumber }] : []),
            ...(batchId ? [{ key: batchKey, value: batchId }] : []),
          ],
        }));
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        duplicate = true;
      }
      // The workflow records the row itself; recording it here too makes it visible at once (idempotent).
      await invoices.recordReceived({ archiveKey, workflowId, invoice, receivedOn, batchId });
      const row = await invoices.get(archiveKey);
      return { id: archiveKey, workflowId, status: row?.status ?? 'analyzing', duplicate };
    },

    /**
     * A « document multi factures »: its invoices recorded, then one batch workflow that starts theirs, e-mails each
     * PS once, writes the Trame and closes the GTO task. Invoices already submitted keep their own workflow.
     */
    async submitBatch(input: { batchId: string; receivedOn: IsoDate; invoices: Invoice[] }): Promise<BatchReceipt> {
      const { batchId, receivedOn } = input;
      await invoices.ensureBatch(batchId, input.invoices.length);
      const receipts: SubmissionReceipt[] = [];
      let fresh = 0;
      for (const invoice of input.invoices) {
        const archiveKey = invoice.archiveKey;
        const workflowId = invoiceWorkflowId(archiveKey);
        const existing = await invoices.get(archiveKey);
        if (existing && existing.batchId !== batchId) {
          receipts.push({ id: archiveKey, workflowId, status: existing.status, duplicate: true });
          continue;
        }
        if (!existing) await invoices.recordReceived({ archiveKey, workflowId, invoice, receivedOn, batchId });
        fresh++;
        receipts.push({ id: archiveKey, workflowId, status: existing?.status ?? 'analyzing', duplicate: Boolean(existing) });
      }
      const workflowId = batchWorkflowId(batchId);
      try {
        await client.connection.withDeadline(Date.now() + timeout, () => client.workflow.start(batchWorkflow, {
          taskQueue, workflowId, args: [{ batchId, invoiceCount: fresh }],
          workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [{ key: batchKey, value: batchId }],
        }));
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      return { batchId, workflowId, invoices: receipts };
    },
  };
}

export interface BatchReceipt {
  batchId: string;
  workflowId: string;
  invoices: SubmissionReceipt[];
}

export type InvoiceService = ReturnType<typeof createInvoiceService>;
