// batchWorkflow: a « document multi factures » — the invoices of one GTO task.
//   its invoices' workflows started ─► every analysis decided ─► each PS e-mailed once (≤ 10 rows a mail)
//   ─► the batch's Trame SSTT written ─► the GTO task closed « FIN OK ».
// Manager tasks go on independently in the invoice workflows.
//
// Sized for documents of tens of thousands of invoices, within Temporal's limits per execution (2 000 pending
// children, 10 000 signals received, 51 200 events): the invoices are in the database (written by the API, pages
// appended while the batch is open), so
//   - their workflows are started by an activity, a page at a time (plain starts, not children: nothing pending here);
//   - decisions are counted in the database by a long-running activity that heartbeats (not 20 000 signals in);
//   - each PS's e-mails are one activity, whose failure the workflow reads (a refused address hands that PS's rows
//     to managers); the invoices are told by their activity (signals from the client, none in this history);
//   - the PS are taken a page at a time, and the workflow continues as new when its history grows long.
// Its history is then O(number of PS / page) events, whatever the number of invoices.

import { continueAsNew, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { batchStatusQuery, type BatchState } from './contract.js';
import { mailFailureReason } from './failures.js';
import { batchWorkflowV2, type BatchWorkflowInputV2 } from './batch-v2.js';

type Activities = ReturnType<typeof createActivities>;

/** Database pages and writes; retried for as long as it takes (PostgreSQL restarting is not a reason to stop). */
const records = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * Starting the invoices a window at a time, then waiting for every decision: activities polling the database and
 * heartbeating, as long as it takes. No end but the last decision — a batch is not closed « FIN OK » before — and
 * `npm run doctor` reports the invoices that never get one.
 */
const decisions = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

// A PS's e-mails: heartbeats after each one, so that a worker that died mid-way is noticed in seconds. A refusal by
// the provider is non-retryable (ApplicationFailure), read below; everything else is retried.
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', backoffCoefficient: 2 },
});

/** Gates v3 (invoices from the database, refused PS handed to managers, continue-as-new). */
export const BATCH_FROM_DATABASE = 'batch-from-database';

/** PS per page, and PS e-mailed at a time. */
const PRACTITIONER_PAGE = 100;
const LANES = 8;
/** Continue as new beyond this many events (a page of 100 PS is ~300–600 of them). */
const HISTORY_BUDGET = 10_000;

export interface BatchWorkflowInput {
  batchId: string;
  /** Carried over a continue-as-new: the state so far, and the last PS e-mailed. */
  resume?: { state: BatchState; afterPractitioner: string | null };
}

export async function batchWorkflow(input: BatchWorkflowInput | BatchWorkflowInputV2): Promise<BatchState> {
  if (!patched(BATCH_FROM_DATABASE)) return batchWorkflowV2(input as BatchWorkflowInputV2);
  const { batchId, resume } = input as BatchWorkflowInput;
  const state: BatchState = resume?.state ?? {
    batchId, phase: 'starting', invoiceCount: 0, started: 0, adopted: 0, decided: 0, paid: 0, routedToPractitioner: 0,
    routedToManager: 0, emails: 0, emailed: 0, refusedPractitioners: 0, refusedRows: 0, trameId: null, trameRows: 0,
    gtoClosure: null,
  };
  setHandler(batchStatusQuery, () => state);

  if (state.phase === 'starting') {
    Object.assign(state, await decisions.startBatchInvoices({ batchId }));
    state.phase = 'analyzing';
  }

  if (state.phase === 'analyzing') {
    Object.assign(state, await decisions.awaitBatchDecisions({ batchId }));
    state.phase = 'emailing';
  }

  if (state.phase === 'emailing') {
    // « Il conviendra d'effectuer un retour PS par PS à la fin du traitement de votre tableau multi factures. »
    let after = resume?.afterPractitioner ?? null;
    for (;;) {
      const page = await records.batchPractitioners({ batchId, after, limit: PRACTITIONER_PAGE });
      const queue = [...page];
      await Promise.all(Array.from({ length: Math.min(LANES, queue.length) }, async () => {
        for (let ps = queue.shift(); ps !== undefined; ps = queue.shift()) await emailPractitioner(state, ps);
      }));
      if (page.length < PRACTITIONER_PAGE) break;
      after = page[page.length - 1]!;
      if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_BUDGET) {
        await continueAsNew<typeof batchWorkflow>({ batchId, resume: { state, afterPractitioner: after } });
      }
    }
    state.phase = 'writing_trame';
  }

  // The Trame holds every invoice not paid, the refused PS's rows among the manager's.
  const trame = await records.writeBatchTrame({ batchId });
  state.trameId = trame.trameId;
  state.trameRows = trame.rowCount;

  // « clôturer la tâche dans le GTO en choisissant au niveau du motif « FIN OK », peu importe le traitement réalisé »
  await records.closeGtoTask({ batchId });
  state.gtoClosure = 'FIN OK';
  state.phase = 'closed';
  log.info('batch closed', { batchId, invoices: state.invoiceCount, emails: state.emails, trameRows: state.trameRows });
  return state;
}

/** One PS's e-mails; a refusal by the provider sends that PS's rows to managers, and the batch goes on. */
async function emailPractitioner(state: BatchState, practitionerNumber: string): Promise<void> {
  const { batchId } = state;
  try {
    const sent = await mail.sendPractitionerReplies({ batchId, practitionerNumber });
    state.emails += sent.emails;
    state.emailed += sent.rows;
  } catch (error) {
    const reason = mailFailureReason(error);
    if (!reason) throw error;
    const routed = await records.routeRefusedReplies({ batchId, practitionerNumber, reason });
    state.refusedPractitioners = (state.refusedPractitioners ?? 0) + 1;
    state.refusedRows = (state.refusedRows ?? 0) + routed.rows;
    state.emails += routed.emailsSent;
    state.emailed += routed.rowsSent;
    log.warn('PS e-mail refused: its rows go to managers', { batchId, rows: routed.rows });
  }
}
