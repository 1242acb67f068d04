// batchWorkflow as released in v2, frozen: batches started before v3 replay and finish on this code (children per
// invoice, decisions signalled in, a refused PS failing the batch; bound to a few thousand invoices). Do not change
// what it does; new behaviour goes in batch.ts.

import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  condition, getExternalWorkflowHandle, log, ParentClosePolicy, proxyActivities, setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import {
  batchStatusQuery, invoiceDecidedSignal, invoiceWorkflowId, replySentSignal, type BatchState, type InvoiceDecided,
} from './contract.js';
import { invoiceWorkflow } from './invoice.js';

type Activities = ReturnType<typeof createActivities>;

const records = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

// A PS's e-mails: heartbeats after each one, so that a worker that died mid-way is noticed in seconds.
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', backoffCoefficient: 2, nonRetryableErrorTypes: ['MailRejectedError'] },
});

const PAGE = 100;

export interface BatchWorkflowInputV2 {
  batchId: string;
  /** Number of invoices recorded for the batch (its workflows are started from the database, a page at a time). */
  invoiceCount: number;
}

export async function batchWorkflowV2({ batchId, invoiceCount }: BatchWorkflowInputV2): Promise<BatchState> {
  const skipped: string[] = [];
  const state: BatchState = {
    batchId, phase: 'starting', invoiceCount, started: 0, skipped, decided: 0, paid: 0,
    routedToPractitioner: 0, routedToManager: 0, emails: 0, emailed: 0, trameId: null, trameRows: 0, gtoClosure: null,
  };
  setHandler(batchStatusQuery, () => state);

  const decided = new Map<string, InvoiceDecided>();
  setHandler(invoiceDecidedSignal, (d) => {
    if (decided.has(d.archiveKey)) return;
    decided.set(d.archiveKey, d);
    state.decided = decided.size;
    if (d.status === 'paid') state.paid++;
    else if (d.route === 'practitioner') state.routedToPractitioner++;
    else state.routedToManager++;
  });

  // One invoice workflow per invoice, started a page at a time.
  const practitionerOf = new Map<string, string>();
  const self = workflowInfo().workflowId;
  for (let offset = 0; offset < invoiceCount; offset += PAGE) {
    const page = await records.loadBatchInvoices({ batchId, offset, limit: PAGE });
    await Promise.all(page.map(async ({ invoice, receivedOn }) => {
      practitionerOf.set(invoice.archiveKey, invoice.practitionerNumber ?? '');
      try {
        await startChild(invoiceWorkflow, {
          workflowId: invoiceWorkflowId(invoice.archiveKey),
          args: [{ invoice, receivedOn, batchId, batchWorkflowId: self }],
          // The invoice outlives the batch: its manager task can take days.
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
        state.started++;
      } catch (err) {
        // Already submitted on its own: it is answered there, not in this batch.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        skipped.push(invoice.archiveKey);
      }
    }));
    if (page.length < PAGE) break;
  }

  state.phase = 'analyzing';
  await condition(() => decided.size >= state.started);

  // « Il conviendra d'effectuer un retour PS par PS à la fin du traitement de votre tableau multi factures. »
  state.phase = 'emailing';
  const byPractitioner = new Map<string, string[]>();
  for (const d of [...decided.values()].sort((a, b) => a.archiveKey.localeCompare(b.archiveKey))) {
    if (d.route !== 'practitioner' || d.status !== 'awaiting_reply') continue;
    const ps = practitionerOf.get(d.archiveKey) ?? '';
    byPractitioner.set(ps, [...(byPractitioner.get(ps) ?? []), d.archiveKey]);
  }
  // A few PS at a time; each PS's e-mails in order (its activity sends them one after the other).
  const groups = [...byPractitioner];
  const lanes = Array.from({ length: Math.min(8, groups.length) }, async () => {
    for (let g = groups.shift(); g; g = groups.shift()) {
      const [practitionerNumber, archiveKeys] = g;
      const sent = await mail.sendBatchReplies({ batchId, practitionerNumber, archiveKeys });
      state.emails += sent.length;
      await Promise.all(sent.flatMap((s) => s.archiveKeys.map((archiveKey) =>
        getExternalWorkflowHandle(invoiceWorkflowId(archiveKey)).signal(replySentSignal, { emailId: s.emailId, sentAt: s.sentAt }))));
      state.emailed += sent.reduce((n, s) => n + s.archiveKeys.length, 0);
    }
  });
  await Promise.all(lanes);

  state.phase = 'writing_trame';
  const trame = await records.writeBatchTrame({ batchId });
  state.trameId = trame.trameId;
  state.trameRows = trame.rowCount;

  // « clôturer la tâche dans le GTO en choisissant au niveau du motif « FIN OK », peu importe le traitement réalisé »
  await records.closeGtoTask({ batchId });
  state.gtoClosure = 'FIN OK';
  state.phase = 'closed';
  log.info('batch closed', { batchId, invoices: state.started, emails: state.emails, trameRows: state.trameRows });
  return state;
}
