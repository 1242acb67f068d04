// Submitting claims and batches. A critère d'archivage is one claim, one workflow, for good:
//
//   1. its row first, in one INSERT … ON CONFLICT DO NOTHING: exactly one of several concurrent submissions writes it
//      (`duplicate: false`); the others compare their body with the row — another body is a 409 naming the fields
//      that differ, the first submission stands (the idempotency-key rule);
//   2. then its workflow, started with the claim's id (USE_EXISTING, REJECT_DUPLICATE): a resubmission finds it. A
//      crash between 1 and 2 leaves a row without a workflow: the next submission of the claim starts it (and
//      `npm run doctor` finds it). A claim the row says is finished is never started again, even once Temporal has
//      dropped its history: the database is the lasting guard.
//
// A batch (« document multi factures ») is its GTO task: `batchId` is its idempotency key. Its invoices are written
// with it, a page per transaction, and its workflow starts theirs once it is complete.

import type { Client } from '@temporalio/client';
import { differingFields } from '../rules/compare.js';
import { dayInFrance } from '../rules/dates.js';
import type { Invoice, IsoDate } from '../rules/types.js';
import { createWorkflowMessenger } from '../activities/messenger.js';
import { createBatchRepository, type BatchAddition, type BatchConflict, type BatchStatus } from '../db/batches.js';
import type { Database } from '../db/client.js';
import { createInvoiceRepository, FINAL_STATUSES } from '../db/invoices.js';
import { batchWorkflowId, invoiceWorkflowId, type InvoiceStatus } from '../workflows/contract.js';
import { TEMPORAL_TIMEOUT_MS, withinDeadline } from './deadlines.js';
import { HttpError, notFound } from './errors.js';

export interface Submission {
  invoice: Invoice;
  /** Date the claim was received; when absent, today (and a resubmission on another day is not a conflict). */
  receivedOn?: IsoDate;
  /** Appends the claim to an open batch. */
  batchId?: string | null;
}

export interface SubmissionReceipt {
  id: string;
  workflowId: string;
  status: InvoiceStatus;
  /** True when this critère d'archivage had been submitted before: this is the existing claim. */
  duplicate: boolean;
  /** In a batch: the claim was known on its own before, and now counts for the batch. */
  adopted?: boolean;
  /** Adopted after its reply had been e-mailed on its own: it is not e-mailed again with the batch. */
  alreadyEmailed?: boolean;
}

export interface BatchAnswer {
  batchId: string;
  workflowId: string;
  status: BatchStatus;
  invoiceCount: number;
  /** The invoices of this request that are in the batch. */
  invoices: SubmissionReceipt[];
  /** The invoices of this request left out, with why. */
  conflicts: BatchConflict[];
}

/** Today's date in France (where claims are received), as `YYYY-MM-DD`. */
export function todayInFrance(now = new Date()): IsoDate {
  return dayInFrance(now);
}

const DIFFERS = 'diffère de la réclamation déjà reçue';

/** A 409 naming the fields (or invoices) that differ: nothing was changed. */
function conflict(message: string, paths: string[], why: string, code: string): HttpError {
  return new HttpError(409, message, paths.map((path) => ({ path, message: why })), { code });
}

export function createInvoiceService(deps: { client: Client; db: Database; taskQueue: string; temporalTimeoutMs?: number }) {
  const { client, taskQueue } = deps;
  const invoices = createInvoiceRepository(deps.db);
  const batches = createBatchRepository(deps.db);
  const messenger = createWorkflowMessenger(client);
  const timeout = deps.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;
  const withDeadline = <T>(fn: () => Promise<T>) => withinDeadline(client, timeout, fn);

  async function receipts(keys: string[], created: ReadonlySet<string>): Promise<SubmissionReceipt[]> {
    const rows = await invoices.byKeys(keys);
    return keys.flatMap((id) => {
      const row = rows.get(id);
      if (!row) return [];
      return [{
        id, workflowId: row.workflowId, status: row.status, duplicate: !created.has(id),
        ...(row.adopted ? { adopted: true, ...(row.replyBy === 'invoice' && row.emailId ? { alreadyEmailed: true } : {}) } : {}),
      }];
    });
  }

  async function batchAnswer(batchId: string, keys: string[], addition: BatchAddition | null): Promise<BatchAnswer> {
    const batch = (await batches.get(batchId))!;
    const conflicts = addition?.conflicts ?? batch.conflicts.filter((c) => keys.includes(c.archiveKey));
    const left = new Set(conflicts.map((c) => c.archiveKey));
    return {
      batchId, workflowId: batchWorkflowId(batchId), status: batch.status, invoiceCount: batch.invoiceCount,
      invoices: await receipts(keys.filter((k) => !left.has(k)), new Set(addition?.added ?? [])),
      conflicts,
    };
  }

  /** A request for a batch that exists: the same invoices (a retry) are fine; others are a 409 naming them. */
  async function sameBatch(batchId: string, page: Invoice[]): Promise<void> {
    const batch = await batches.get(batchId);
    if (!batch) throw notFound(`Le lot ${batchId}`);
    const members = await batches.members(batchId, page.map((i) => i.archiveKey));
    const leftOut = new Set(batch.conflicts.map((c) => c.archiveKey));
    const others = page.flatMap((invoice, i) => {
      const known = members.get(invoice.archiveKey);
      if (known) return differingFields(known, invoice).length ? [`invoices[${i}]`] : [];
      return leftOut.has(invoice.archiveKey) ? [] : [`invoices[${i}]`];
    });
    if (others.length > 0) {
      const what = batch.status === 'open' ? `ajoutez-les par POST /api/batches/${batchId}/invoices` : `il est ${batch.status === 'closed' ? 'clos' : 'complet'}`;
      throw conflict(`Le lot ${batchId} existe avec d'autres factures : ${others.length} de celles-ci n'y sont pas telles qu'envoyées (${what})`, others,
        'n\'est pas dans le lot tel qu\'envoyé (autre critère d\'archivage, ou autre contenu)', 'batch_conflict');
    }
  }

  /** Starts the batch's workflow when it is complete (idempotent: repairs a crash between the rows and the start). */
  async function startIfComplete(batchId: string): Promise<void> {
    const batch = await batches.get(batchId);
    if (batch?.status === 'running') await withDeadline(() => messenger.startBatch(batchId, taskQueue));
  }

  return {
    async submit({ invoice, receivedOn, batchId }: Submission): Promise<SubmissionReceipt> {
      if (batchId) {
        const answer = await this.appendToBatch(batchId, [invoice]);
        if (answer.conflicts.length > 0) {
          const c = answer.conflicts[0]!;
          throw conflict(`La réclamation ${invoice.archiveKey} : ${c.reason}`, c.fields ?? ['invoice.archiveKey'], DIFFERS, 'claim_conflict');
        }
        return answer.invoices[0]!;
      }
      const archiveKey = invoice.archiveKey;
      const workflowId = invoiceWorkflowId(archiveKey);
      const day = receivedOn ?? todayInFrance();
      const created = await invoices.recordReceived({ archiveKey, workflowId, invoice, receivedOn: day, batchId: null });
      const row = created ? null : await invoices.get(archiveKey);
      if (row) {
        const fields = differingFields(row.invoice, invoice, 'invoice');
        if (receivedOn && receivedOn !== row.receivedOn) fields.push('receivedOn');
        if (fields.length > 0) {
          throw conflict(`La réclamation ${archiveKey} a déjà été reçue avec d'autres valeurs (${fields.join(', ')}) : la première soumission fait foi`,
            fields, DIFFERS, 'claim_conflict');
        }
        // Finished for good (the row says so), or started by its batch: nothing to start.
        if (FINAL_STATUSES.includes(row.status) || row.batchId) return { id: archiveKey, workflowId, status: row.status, duplicate: true };
      }
      await withDeadline(() => messenger.startInvoice({ invoice, receivedOn: row?.receivedOn ?? day, batchId: null }, taskQueue));
      return { id: archiveKey, workflowId, status: row?.status ?? 'analyzing', duplicate: !created };
    },

    /**
     * A « document multi factures »: the batch and its invoices written in one transaction, then (when `complete`,
     * the default) its workflow. The same request again answers the batch as it is (`created: false`).
     */
    async submitBatch(input: { batchId: string; receivedOn: IsoDate; invoices: Invoice[]; complete?: boolean }): Promise<BatchAnswer & { created: boolean }> {
      const { batchId } = input;
      const keys = input.invoices.map((i) => i.archiveKey);
      const addition = await batches.addInvoices(batchId, input.invoices, input.receivedOn, { create: { complete: input.complete ?? true } });
      if (!addition) await sameBatch(batchId, input.invoices);
      await startIfComplete(batchId);
      return { ...(await batchAnswer(batchId, keys, addition)), created: addition !== null };
    },

    /** A page of invoices appended to an open batch; a page sent again after the batch was completed is answered as it is. */
    async appendToBatch(batchId: string, page: Invoice[]): Promise<BatchAnswer> {
      const batch = await batches.get(batchId);
      if (!batch) throw notFound(`Le lot ${batchId}`);
      const addition = await batches.addInvoices(batchId, page, batch.receivedOn ?? todayInFrance());
      if (!addition) await sameBatch(batchId, page);
      return batchAnswer(batchId, page.map((i) => i.archiveKey), addition);
    },

    /** No more pages: the batch's workflow starts its invoices. Idempotent. */
    async completeBatch(batchId: string): Promise<BatchAnswer> {
      const batch = await batches.get(batchId);
      if (!batch) throw notFound(`Le lot ${batchId}`);
      if (batch.invoiceCount === 0) throw new HttpError(409, `Le lot ${batchId} n'a aucune facture : ajoutez-les avant de le clore`, undefined, { code: 'batch_empty' });
      await batches.complete(batchId);
      await startIfComplete(batchId);
      return batchAnswer(batchId, [], null);
    },
  };
}

export type InvoiceService = ReturnType<typeof createInvoiceService>;
