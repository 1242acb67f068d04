// invoiceWorkflow: one rejected-invoice claim, from submission to its decision and route.
// It reads like the MO's flowchart and holds no business rule: the steps, their order and the decision are rules/'s.
// Each analysis step runs as a local activity (short lookups), so its finding and trace line are in the history.

import { log, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { applyFacts, startAnalysis, STEP_CODES } from '../rules/analyze.js';
import type { Finding } from '../rules/types.js';
import {
  motifKey, statusKey, statusQuery, type InvoiceState, type InvoiceStatus, type InvoiceWorkflowInput,
} from './contract.js';

type Activities = ReturnType<typeof createActivities>;

const analysis = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 ms', maximumInterval: '10 seconds', backoffCoefficient: 2 },
});

const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

export async function invoiceWorkflow(input: InvoiceWorkflowInput): Promise<InvoiceState> {
  const state: InvoiceState = {
    archiveKey: input.invoice.archiveKey, status: 'analyzing', trace: [], decision: null, motif: null, route: null,
  };
  setHandler(statusQuery, () => state);

  await records.recordInvoiceReceived(input);

  // « Est-ce que la facture est liquidée ? » … « Est-ce que la validation de la saisie est possible ? »: G0 → G8.
  let step = startAnalysis(input.invoice, input.receivedOn);
  let finding: Finding | null = null;
  for (const code of STEP_CODES) {
    const outcome = await analysis.runAnalysisStep(code, step);
    state.trace.push(outcome.trace);
    step = applyFacts(step, outcome.facts);
    if (outcome.finding) {
      finding = outcome.finding;
      break;
    }
  }
  const { result } = await analysis.concludeAnalysis(step, finding, state.trace);
  state.decision = result;
  state.trace = result.trace;
  state.motif = result.motif;
  state.route = result.route;

  // Paid: no reply, no Trame row. Otherwise the practitioner's reply or the manager's task.
  const status: InvoiceStatus = result.outcome === 'paid' ? 'paid' : result.route === 'practitioner' ? 'awaiting_reply' : 'awaiting_manager';
  await records.recordDecision({ archiveKey: state.archiveKey, status, decision: result });
  state.status = status;
  upsertSearchAttributes([
    { key: statusKey, value: status },
    ...(result.motif ? [{ key: motifKey, value: result.motif }] : []),
  ]);
  log.info('invoice decided', { archiveKey: state.archiveKey, status, motif: result.motif, route: result.route });
  return state;
}
