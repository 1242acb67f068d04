// invoiceWorkflow as released in v1 and v2, frozen: executions started before v3 (claim row first, refused e-mails
// and persistent errors as manager tasks, escalation notices that never block) replay and finish on this code.
// Do not change what it does; new behaviour goes in invoice.ts. (Its resolve validator is the shared one,
// workflows/resolution.ts: it refuses what the API refuses first, and a validator leaves nothing in a history.)

import {
  condition, getExternalWorkflowHandle, log, patched, proxyActivities, proxyLocalActivities, setHandler,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { managerReply, newAnalysis, runAnalysis, type AnalysisProgress, type StepRunner } from '../rules/analyze.js';
import type { AnalysisResult } from '../rules/types.js';
import { LEGACY_STEP_CODES } from './legacy-steps.js';
import {
  invoiceDecidedSignal, replySentSignal, resolveTaskUpdate, statusQuery, type InvoiceState, type InvoiceStatus,
  type InvoiceWorkflowInput, type ReplySent, type ResolutionOutcome, type TaskResolution,
} from './contract.js';
import { checkResolution } from './resolution.js';
import { setStatus } from './status.js';

type Activities = ReturnType<typeof createActivities>;

/** The analysis steps and, since v2, the claim's own rows (received, decision, status): short idempotent writes. */
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 ms', maximumInterval: '10 seconds', backoffCoefficient: 2 },
});

const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

/** The analysis loop's steps, each a local activity. */
const steps: StepRunner = {
  runStep: (code, input) => local.runAnalysisStep(code, input),
  conclude: (input, finding, trace) => local.concludeAnalysis(input, finding, trace),
};

const mail = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', backoffCoefficient: 2, nonRetryableErrorTypes: ['MailRejectedError'] },
});

/** Gates what came after the first release (manager tasks, practitioner replies), so that older histories replay. */
export const TASKS_AND_REPLIES = 'tasks-and-replies';

export async function invoiceWorkflowV2(input: InvoiceWorkflowInput): Promise<InvoiceState> {
  const archiveKey = input.invoice.archiveKey;
  const state: InvoiceState = {
    archiveKey, status: 'analyzing', trace: [], decision: null, motif: null, route: null, task: null,
  };
  setHandler(statusQuery, () => state);

  // Manager decisions arrive as an Update: validated before they enter the history, answered once applied.
  let resolution: TaskResolution | null = null;
  const outcomes = new Map<string, ResolutionOutcome>();
  setHandler(resolveTaskUpdate, async (r) => {
    resolution = r;
    await condition(() => outcomes.has(r.taskId));
    return outcomes.get(r.taskId)!;
  }, {
    validator: (r) => checkResolution(state.task?.id ?? null, resolution !== null, r),
  });

  let replySent: ReplySent | null = null;
  setHandler(replySentSignal, (sent) => { replySent = sent; });

  // Since v2 the claim's own rows are written by local activities (no extra round trip through the server);
  // histories of the first release (regular activities, no manager wait, no reply) still replay on their path.
  const v2 = patched(TASKS_AND_REPLIES);
  const rows = v2 ? local : records;

  await rows.recordInvoiceReceived(input);

  // « Est-ce que la facture est liquidée ? » … « Est-ce que la validation de la saisie est possible ? »: G0 → G8.
  let progress: AnalysisProgress = newAnalysis(input.invoice, input.receivedOn);
  async function analyse(): Promise<AnalysisResult> {
    progress = newAnalysis(input.invoice, input.receivedOn);
    state.trace = progress.trace;
    const { result, facts } = await runAnalysis(progress, steps, LEGACY_STEP_CODES);
    calculated = { amount: facts.calculatedAmount ?? null, rc: facts.calculatedRc ?? null };
    return result;
  }
  let calculated: { amount: number | null; rc: number | null } = { amount: null, rc: null };

  async function decide(result: AnalysisResult): Promise<void> {
    state.decision = result;
    state.trace = result.trace;
    state.motif = result.motif;
    state.route = result.route;
    // Paid: no reply, no Trame row. Otherwise the practitioner's reply or the manager's task.
    const status: InvoiceStatus = result.outcome === 'paid' ? 'paid' : result.route === 'practitioner' ? 'awaiting_reply' : 'awaiting_manager';
    await rows.recordDecision({ archiveKey, status, decision: result, calculatedAmount: calculated.amount, calculatedRc: calculated.rc });
    setStatus(state, status);
  }

  let result = await analyse();
  await decide(result);
  log.info('invoice decided', { archiveKey, status: state.status, motif: result.motif, route: result.route });

  if (!v2) return state;

  // A batch collects its invoices' decisions (its e-mails and Trame need all of them).
  if (input.batchWorkflowId) {
    await getExternalWorkflowHandle(input.batchWorkflowId).signal(invoiceDecidedSignal, { archiveKey, status: state.status, route: result.route });
  }

  let resolved: string | null = null; // the task whose resolution awaits its outcome
  const settle = (nextTaskId: string | null) => {
    if (resolved) outcomes.set(resolved, { taskId: resolved, status: state.status, nextTaskId });
    resolved = null;
  };
  let taskCount = 0;

  for (;;) {
    if (state.status === 'paid') {
      settle(null);
      return state;
    }

    if (state.status === 'awaiting_reply') {
      settle(null);
      if (input.batchWorkflowId && taskCount === 0) {
        // In a batch, the batch e-mails each PS once with all its rows (at most 10 a mail), then tells us.
        await condition(() => replySent !== null);
      } else {
        // Alone (or after a manager's reply): this claim's own e-mail.
        replySent = await mail.sendPractitionerReply({ archiveKey, decision: result, attempt: taskCount });
      }
      await local.recordReplySent({ archiveKey, emailId: replySent!.emailId, sentAt: replySent!.sentAt });
      setStatus(state, 'replied');
      return state;
    }

    // A manager's task: the workflow waits for the decision (spec §5 « Human tasks »).
    const task = await local.openManagerTask({
      archiveKey, seq: ++taskCount, decision: result, batchId: input.batchId ?? null,
      practitionerNumber: input.invoice.practitionerNumber ?? null,
    });
    state.task = { id: task.taskId, dueAt: task.dueAt, escalated: false };
    settle(task.taskId);
    resolution = null;
    if (!(await condition(() => resolution !== null, task.slaMs))) {
      // Overdue (99 % of requests are treated within 48 h): escalate once, and keep waiting.
      await records.escalateManagerTask({ taskId: task.taskId });
      state.task.escalated = true;
      await condition(() => resolution !== null);
    }
    const r: TaskResolution = resolution!;
    resolved = r.taskId;
    await local.resolveManagerTask(r);
    state.task = null;
    log.info('task resolved', { archiveKey, taskId: r.taskId, action: r.action, motif: r.motif ?? null });

    switch (r.action) {
      case 'pay': // « forcer le paiement »
        await local.recordStatus({ archiveKey, status: 'paid' });
        setStatus(state, 'paid');
        break;
      case 'close': // handled inside Almerys
        await local.recordStatus({ archiveKey, status: 'closed' });
        setStatus(state, 'closed');
        settle(null);
        return state;
      case 'reply': { // answered with the manager's motif, routed by the motif table
        const { finding, trace } = managerReply(result, r.motif!, r.comment);
        result = (await local.concludeAnalysis(progress.input, finding, trace)).result;
        await decide(result);
        break;
      }
      case 'reanalyze': // after the reference data was fixed
        result = await analyse();
        await decide(result);
        break;
    }
  }
}
