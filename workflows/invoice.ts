// invoiceWorkflow: one rejected-invoice claim, from submission to its reply or its manager's decision.
// It reads like the MO's flowchart and holds no business rule: the steps, their order and the decisions are rules/'s.
// Each analysis step runs as a local activity (short lookups), so its finding and trace line are in the history.
//
//   claim row ─► analyse (G0 → G8) ─► paid                                  (« saisie aboutie »)
//                                  ├─► practitioner: reply e-mailed           (alone: by this workflow; in a batch: by
//                                  │        │                                  the batch, with the PS's other rows)
//                                  │        └─ address refused ─┐
//                                  └─► manager: task, wait (SLA → escalation) ◄┘ ─► pay | reply with a motif |
//                                                                                    reanalyze | close
//
// Every path ends in a state a person sees: a refused e-mail or an analysis that fails the same way every time is a
// manager task carrying the reason, never a failed workflow; the escalation notice never holds the claim up.
// The claim's row comes first and says what is already done: a run started again (after Temporal dropped the
// history, or by `npm run doctor`) resumes from the database, never decides or e-mails a second time.

import {
  condition, getExternalWorkflowHandle, log, patched, proxyActivities, proxyLocalActivities, setHandler,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import {
  analysisFailed, applyFacts, managerReply, newAnalysis, runAnalysis, startAnalysis, type StepRunner,
} from '../rules/analyze.js';
import type { StepInput } from '../rules/context.js';
import { routeAfterMailRefusal } from '../rules/routing.js';
import type { AnalysisResult } from '../rules/types.js';
import {
  invoiceDecidedSignal, replyRefusedSignal, replySentSignal, resolveTaskUpdate,
  statusQuery, type InvoiceState, type InvoiceStatus, type InvoiceWorkflowInput, type ReplyRefused, type ReplySent,
  type ResolutionOutcome, type TaskResolution,
} from './contract.js';
import { finalFailure, mailFailureReason } from './failures.js';
import { invoiceWorkflowV2 } from './invoice-v2.js';
import { checkResolution } from './resolution.js';
import { setStatus } from './status.js';

type Activities = ReturnType<typeof createActivities>;

// Retry policies. No maximum of attempts: activities/failures.ts makes an error that repeats itself non-retryable
// after a few attempts (then handled below), while a database or Temporal outage is retried for as long as it lasts
// — a claim must not become a manager task because PostgreSQL restarted.

/**
 * The analysis steps and the claim's own rows: short lookups and idempotent writes, as local activities. Retried
 * within the workflow task for a couple of seconds, then behind a durable timer (`localRetryThreshold`): a database
 * that stays away does not hold the workflow task, so the claim still answers its manager (a resolve is accepted,
 * another one refused) while it waits.
 */
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '2 seconds',
  retry: { initialInterval: '200 ms', maximumInterval: '10 seconds', backoffCoefficient: 2 },
});

/** The PS's e-mail: a provider refusal is not retried (ApplicationFailure nonRetryable), the rest is. */
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', backoffCoefficient: 2 },
});

/**
 * The escalation notice: a side effect of the escalation, never a gate. Bounded: after an hour of failures (the
 * provider refusing the managers' address, or our key) it gives up and the failure is recorded on the task; the
 * outbox row can be sent again from the console once the address is fixed.
 */
const notice = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', backoffCoefficient: 2 },
});

/** The analysis loop's steps, each a local activity: its finding and trace line are in the history. */
const stepsAsActivities: StepRunner = {
  runStep: (code, input) => local.runAnalysisStep(code, input),
  conclude: (input, finding, trace) => local.concludeAnalysis(input, finding, trace),
};

/** Gates v3: the claim's row first, failures as decisions, detached escalation notices. */
export const CLAIM_ROW_FIRST = 'claim-row-first';
export { TASKS_AND_REPLIES } from './invoice-v2.js';

export async function invoiceWorkflow(input: InvoiceWorkflowInput): Promise<InvoiceState> {
  if (!patched(CLAIM_ROW_FIRST)) return invoiceWorkflowV2(input);
  return new InvoiceClaim(input).run();
}

class InvoiceClaim {
  private readonly archiveKey: string;
  private readonly state: InvoiceState;
  private status: InvoiceStatus = 'analyzing';
  private result: AnalysisResult | null = null;
  private step: StepInput;
  /** G8's amounts as this run's analysis computed them; null: not analysed in this run (the row keeps its own). */
  private calculated: { amount: number | null; rc: number | null } | null = null;
  private taskCount = 0;
  /** Resumed from the row: the analysis facts (AGICA presence, the PS) are looked up again before they are needed. */
  private factsMissing = false;

  // Messages
  private resolution: TaskResolution | null = null;
  private readonly outcomes = new Map<string, ResolutionOutcome>();
  /** The task whose resolution is being applied: its Update is answered once the outcome is known. */
  private resolving: string | null = null;
  private replySent: ReplySent | null = null;
  private replyRefused: ReplyRefused | null = null;

  constructor(private readonly input: InvoiceWorkflowInput) {
    this.archiveKey = input.invoice.archiveKey;
    this.state = { archiveKey: this.archiveKey, status: 'analyzing', trace: [], decision: null, motif: null, route: null, task: null };
    this.step = startAnalysis(input.invoice, input.receivedOn);
    setHandler(statusQuery, () => this.state);
    // Manager decisions arrive as an Update: validated before they enter the history, answered once applied.
    setHandler(resolveTaskUpdate, async (r) => {
      this.resolution = r;
      await condition(() => this.outcomes.has(r.taskId));
      return this.outcomes.get(r.taskId)!;
    }, { validator: (r) => checkResolution(this.state.task?.id ?? null, this.resolution !== null, r) });
    setHandler(replySentSignal, (sent) => { this.replySent = sent; });
    setHandler(replyRefusedSignal, (refused) => { this.replyRefused ??= refused; });
  }

  async run(): Promise<InvoiceState> {
    // The row first: what the database already knows of this claim wins over starting again.
    const known = await local.openClaim(this.input);
    if (known.decision) {
      this.resume(known.status, known.decision, known.taskCount);
      // A manager's resolution recorded by the run before, which died before applying it: applied now.
      if (known.unapplied) this.status = await this.apply(known.unapplied);
    } else {
      this.status = await this.decide(await this.analyse());
      log.info('invoice decided', { archiveKey: this.archiveKey, status: this.status, motif: this.result!.motif, route: this.result!.route });
      // Batches of the first releases wait for their children's decisions.
      if (this.input.batchWorkflowId) {
        await getExternalWorkflowHandle(this.input.batchWorkflowId)
          .signal(invoiceDecidedSignal, { archiveKey: this.archiveKey, status: this.status, route: this.result!.route });
      }
    }
    for (;;) {
      switch (this.status) {
        case 'awaiting_reply':
          this.status = await this.reply();
          break;
        case 'awaiting_manager':
          this.status = await this.waitForManager();
          break;
        default: // paid, replied, closed
          this.settle(null);
          return this.state;
      }
    }
  }

  /** A run started again on a claim already decided: its state from the row, no new analysis. */
  private resume(status: InvoiceStatus, decision: AnalysisResult, taskCount: number): void {
    this.result = decision;
    this.status = status;
    this.taskCount = taskCount;
    this.factsMissing = true;
    Object.assign(this.state, { decision, trace: decision.trace, motif: decision.motif, route: decision.route });
    this.setStatus(status);
    log.info('invoice resumed from its row', { archiveKey: this.archiveKey, status });
  }

  // « Est-ce que la facture est liquidée ? » … « Est-ce que la validation de la saisie est possible ? »: G0 → G8.
  private async analyse(): Promise<AnalysisResult> {
    const progress = newAnalysis(this.input.invoice, this.input.receivedOn);
    this.state.trace = progress.trace;
    try {
      const { result, facts } = await runAnalysis(progress, stepsAsActivities);
      this.calculated = { amount: facts.calculatedAmount ?? null, rc: facts.calculatedRc ?? null };
      return result;
    } catch (error) {
      // The same error on every attempt: a manager decides, with the error in front of them.
      const failure = finalFailure(error);
      if (!failure) throw error;
      log.warn('analysis failed: handed to a manager', { archiveKey: this.archiveKey, type: failure.type });
      this.calculated = { amount: null, rc: null };
      return analysisFailed(this.input.invoice, progress.trace, failure.message);
    } finally {
      this.step = progress.input;
    }
  }

  private async decide(result: AnalysisResult): Promise<InvoiceStatus> {
    this.result = result;
    Object.assign(this.state, { decision: result, trace: result.trace, motif: result.motif, route: result.route });
    // Paid: no reply, no Trame row. Otherwise the practitioner's reply or the manager's task.
    const status: InvoiceStatus = result.outcome === 'paid' ? 'paid' : result.route === 'practitioner' ? 'awaiting_reply' : 'awaiting_manager';
    await local.recordDecision({
      archiveKey: this.archiveKey, status, decision: result,
      ...(this.calculated ? { calculatedAmount: this.calculated.amount, calculatedRc: this.calculated.rc } : {}),
      // After a manager's decision, the reply is the claim's own e-mail (never a batch's, even one still e-mailing).
      ...(status === 'awaiting_reply' && this.taskCount > 0 ? { replyBy: 'invoice' as const } : {}),
    });
    this.setStatus(status);
    return status;
  }

  private setStatus(status: InvoiceStatus): void {
    setStatus(this.state, status);
  }

  /** Answers the Update of the task being resolved, with the state it led to. */
  private settle(nextTaskId: string | null): void {
    if (this.resolving) this.outcomes.set(this.resolving, { taskId: this.resolving, status: this.state.status, nextTaskId });
    this.resolving = null;
  }

  /** The reply e-mailed to the PS; a refusal hands the claim to a manager. */
  private async reply(): Promise<InvoiceStatus> {
    this.settle(null);
    const result = this.result!;
    // The first reply of a claim in a batch (or adopted by one) goes in the batch's e-mail to the PS, with its other
    // rows; after a manager's decision, or alone, the claim's own e-mail.
    const owner = this.taskCount === 0 ? await local.claimReply({ archiveKey: this.archiveKey }) : 'invoice';
    if (owner === 'batch') {
      await condition(() => this.replySent !== null || this.replyRefused !== null);
    } else {
      try {
        this.replySent = await mail.sendPractitionerReply({ archiveKey: this.archiveKey, decision: result, attempt: this.taskCount });
      } catch (error) {
        const reason = mailFailureReason(error);
        if (!reason) throw error;
        this.replyRefused = { emailId: null, reason };
      }
    }
    if (!this.replySent && this.replyRefused) {
      const { reason } = this.replyRefused;
      this.replyRefused = null;
      log.warn('reply refused: handed to a manager', { archiveKey: this.archiveKey });
      return this.decide(routeAfterMailRefusal(result, reason));
    }
    const sent = this.replySent!;
    await local.recordReplySent({ archiveKey: this.archiveKey, emailId: sent.emailId, sentAt: sent.sentAt });
    this.setStatus('replied');
    return 'replied';
  }

  // A manager's task: the workflow waits for the decision (spec §5 « Human tasks »).
  private async waitForManager(): Promise<InvoiceStatus> {
    const task = await local.openManagerTask({
      archiveKey: this.archiveKey, seq: ++this.taskCount, decision: this.result!, batchId: this.input.batchId ?? null,
      practitionerNumber: this.input.invoice.practitionerNumber ?? null,
    });
    this.state.task = { id: task.taskId, dueAt: task.dueAt, escalated: false };
    this.settle(task.taskId);
    this.resolution = null;
    if (!(await condition(() => this.resolution !== null, task.slaMs))) {
      // Overdue (99 % of requests are treated within 48 h): escalated once, the managers told — without waiting for
      // the notice: the claim keeps listening for its manager whatever becomes of the e-mail.
      await local.flagEscalation({ taskId: task.taskId });
      this.state.task.escalated = true;
      void notice.notifyEscalation({ taskId: task.taskId })
        .catch((error: unknown) => local.recordTaskEvent({
          taskId: task.taskId, kind: 'notice_failed', details: { message: finalFailure(error)?.message ?? String(error) },
        }))
        .catch((error: unknown) => log.error('escalation notice failure not recorded', { taskId: task.taskId, error: String(error) }));
      await condition(() => this.resolution !== null);
    }
    const r: TaskResolution = this.resolution!;
    this.resolving = r.taskId;
    await local.resolveManagerTask(r);
    this.state.task = null;
    log.info('task resolved', { archiveKey: this.archiveKey, taskId: r.taskId, action: r.action, motif: r.motif ?? null });
    return this.apply(r);
  }

  private async apply(r: TaskResolution): Promise<InvoiceStatus> {
    switch (r.action) {
      case 'pay': // « forcer le paiement »
      case 'close': { // handled inside Almerys
        const status = r.action === 'pay' ? 'paid' : 'closed';
        await local.recordStatus({ archiveKey: this.archiveKey, status });
        this.setStatus(status);
        return status;
      }
      case 'reply': { // answered with the manager's motif, routed by the motif table
        if (this.factsMissing) await this.analyse(); // the facts routing reads, as the reference data are now
        this.factsMissing = false;
        const { finding, trace } = managerReply(this.result!, r.motif!, r.comment);
        // The PS as AGAPS knows it now: the manager may have fixed the address the provider refused.
        this.step = applyFacts(this.step, { practitioner: undefined });
        let next: AnalysisResult;
        try {
          next = (await local.concludeAnalysis(this.step, finding, trace)).result;
        } catch (error) {
          const failure = finalFailure(error);
          if (!failure) throw error;
          next = analysisFailed(this.input.invoice, trace, failure.message);
        }
        return this.decide(next);
      }
      case 'reanalyze': // after the reference data was fixed
        this.factsMissing = false;
        return this.decide(await this.analyse());
    }
  }
}
