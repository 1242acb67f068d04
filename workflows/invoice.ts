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
import type { ClaimAnalysis, createActivities, KnownClaim } from '../activities/index.js';
import {
  analysisFailed, applyFacts, managerReply, newAnalysis, runAnalysis, type Analysis, type StepRunner,
} from '../rules/analyze.js';
import type { StepInput } from '../rules/context.js';
import { routeAfterMailRefusal } from '../rules/routing.js';
import type { RecordedAnalysis } from '../rules/backtest.js';
import type { AnalysisResult, Finding, TraceLine } from '../rules/types.js';
import {
  ANALYSIS_GATES, invoiceDecidedSignal, replyRefusedSignal, replySentSignal, statusQuery, type InvoiceState, type InvoiceStatus,
  type InvoiceWorkflowInput, type ReplyRefused, type ReplySent, type TaskResolution,
} from './contract.js';
import { finalFailure, mailFailureReason } from './failures.js';
import { invoiceWorkflowV2 } from './invoice-v2.js';
import { LEGACY_STEP_CODES } from './legacy-steps.js';
import { TaskDecisions } from './resolution.js';
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
/**
 * Gates v4: the whole analysis in one local activity (`openAndAnalyseClaim`, `analyseClaim`), which returns every
 * step's trace line, the rules version and the reference facts read; the decision recorded with who e-mails the
 * reply. The workflow no longer runs the rules' step order: a rule change cannot meet a waiting workflow; runs
 * recorded before replay their step-by-step loop on the frozen order. A run started as v4 or later carries `gates` ≥ 4 in its
 * input (contract.ts `ANALYSIS_GATES`); this patch is for a run started without it (by an API of the release before,
 * during a rolling deployment), which takes v4 from there on.
 */
export const ANALYSIS_IN_ONE_ACTIVITY = 'analysis-in-one-activity';
export { TASKS_AND_REPLIES } from './invoice-v2.js';

export async function invoiceWorkflow(input: InvoiceWorkflowInput): Promise<InvoiceState> {
  // Started as v4 (its input says so): no patch to look up. Started before: the patches say which path it took.
  if ((input.gates ?? 0) >= ANALYSIS_GATES) return new InvoiceClaim(input, true).run();
  if (!patched(CLAIM_ROW_FIRST)) return invoiceWorkflowV2(input);
  return new InvoiceClaim(input, false).run();
}

/** Where a decision leads. Paid: no reply, no Trame row; otherwise the practitioner's reply or a manager's task. */
function statusAfter(result: AnalysisResult): InvoiceStatus {
  if (result.outcome === 'paid') return 'paid';
  return result.route === 'practitioner' ? 'awaiting_reply' : 'awaiting_manager';
}

/** One claim, from its row to its end: the phases of the MO, one method each. */
class InvoiceClaim {
  private readonly archiveKey: string;
  /** What the `status` query shows, and what the workflow returns; its status is set by `setStatus` (status.ts) only. */
  private readonly state: InvoiceState;
  /** The decision the claim acts on: the analysis', the manager's motif routed, or the route after a refusal. */
  private decision: AnalysisResult | null = null;
  /** The analysis' input as its last run left it (the facts it learnt), which a manager's reply is routed with. */
  private analysisInput: StepInput;
  /** G8's amounts as this run's analysis computed them; null: not analysed in this run (the row keeps its own). */
  private calculated: { amount: number | null; rc: number | null } | null = null;
  /** Manager tasks opened so far (the next one's number); after the first, replies are the claim's own e-mails. */
  private taskCount = 0;
  /** Resumed from the row: the analysis facts (AGICA presence, the PS) are looked up again before they are needed. */
  private factsMissing = false;
  /** The analysis this run just made, recorded with its decision (rules version, reference facts), then cleared. */
  private recorded: RecordedAnalysis | null = null;
  /** Gates v4 (`ANALYSIS_GATES` or more in the input, or the `ANALYSIS_IN_ONE_ACTIVITY` patch): fewer round trips; set when the run starts. */
  private v4 = false;
  /** Who e-mails the first reply, when recording the decision asked (v4); else `claimReply` asks. */
  private replyOwner: 'invoice' | 'batch' | null = null;
  /** The reply's e-mail recorded it on the claim's row itself (v4). */
  private replyRecorded = false;

  // Messages
  private readonly managers: TaskDecisions;
  /** From the batch that e-mails the PS with its other rows (or this claim's own e-mail). */
  private replySent: ReplySent | null = null;
  private replyRefused: ReplyRefused | null = null;

  constructor(private readonly input: InvoiceWorkflowInput, private readonly startedAsV4: boolean) {
    this.archiveKey = input.invoice.archiveKey;
    this.state = { archiveKey: this.archiveKey, status: 'analyzing', trace: [], decision: null, motif: null, route: null, task: null };
    this.analysisInput = newAnalysis(input.invoice, input.receivedOn).input;
    setHandler(statusQuery, () => this.state);
    // Manager decisions arrive as an Update: validated before they enter the history, answered once applied.
    this.managers = new TaskDecisions(() => this.state.task?.id ?? null);
    setHandler(replySentSignal, (sent) => { this.replySent = sent; });
    setHandler(replyRefusedSignal, (refused) => { this.replyRefused ??= refused; });
  }

  /**
   * The MO: analyse → decide → paid | reply to the PS | a manager's task (escalated when overdue) → the manager's
   * decision applied (pay, reply, reanalyse, close) → … until the claim is paid, replied or closed.
   */
  async run(): Promise<InvoiceState> {
    // The row first: what the database already knows of this claim wins over starting again. Since v4, with the
    // analysis in the same round trip when nothing is decided yet.
    this.v4 = this.startedAsV4 || patched(ANALYSIS_IN_ONE_ACTIVITY);
    const known = this.v4 ? await local.openAndAnalyseClaim(this.input) : { ...(await local.openClaim(this.input)), analysis: null };
    if (known.decision) await this.resume(known);
    else await this.analyseAndDecide(known.analysis);
    for (;;) {
      switch (this.state.status) {
        case 'awaiting_reply':
          await this.replyToPractitioner();
          break;
        case 'awaiting_manager':
          await this.apply(await this.waitForManager());
          break;
        default: // paid, replied, closed
          this.answerManager(null);
          return this.state;
      }
    }
  }

  /** Answers the manager whose decision is being applied: the claim's status now, and the next task if any. */
  private answerManager(nextTaskId: string | null): void {
    this.managers.answer(this.state.status, nextTaskId);
  }

  // ---- Analyse → decide ----

  /** A new claim: analysed (unless its first round trip did), decided, and its batch (first releases) told. */
  private async analyseAndDecide(analysis: ClaimAnalysis | null): Promise<void> {
    await this.decide(analysis ? this.take(analysis) : await this.analyse());
    log.info('invoice decided', { archiveKey: this.archiveKey, status: this.state.status, motif: this.decision!.motif, route: this.decision!.route });
    // Batches of the first releases wait for their children's decisions.
    if (this.input.batchWorkflowId) {
      await getExternalWorkflowHandle(this.input.batchWorkflowId)
        .signal(invoiceDecidedSignal, { archiveKey: this.archiveKey, status: this.state.status, route: this.decision!.route });
    }
  }

  /** A run started again on a claim already decided: its state from the row, no new analysis. */
  private async resume(known: KnownClaim): Promise<void> {
    const decision = known.decision!;
    this.decision = decision;
    this.taskCount = known.taskCount;
    this.factsMissing = true;
    Object.assign(this.state, { decision, trace: decision.trace, motif: decision.motif, route: decision.route });
    setStatus(this.state, known.status);
    log.info('invoice resumed from its row', { archiveKey: this.archiveKey, status: known.status });
    // A manager's resolution recorded by the run before, which died before applying it: applied now.
    if (known.unapplied) await this.apply(known.unapplied);
  }

  // « Est-ce que la facture est liquidée ? » … « Est-ce que la validation de la saisie est possible ? »: G0 → G8.
  // An analysis that fails the same way every time is a decision too: « Manque consigne » for a manager, with the
  // error in front of them.
  private async analyse(): Promise<AnalysisResult> {
    if (!this.v4) return this.analyseStepByStep();
    try {
      return this.take(await local.analyseClaim({ invoice: this.input.invoice, receivedOn: this.input.receivedOn }));
    } catch (error) {
      // The activity turns an error that repeats into a decision itself; this is for one it could not even report.
      const failure = finalFailure(error);
      if (!failure) throw error;
      log.warn('analysis failed: handed to a manager', { archiveKey: this.archiveKey, type: failure.type });
      this.calculated = { amount: null, rc: null };
      return analysisFailed(this.input.invoice, [], failure.message);
    }
  }

  /** An analysis made by an activity: its decision, and what it learnt and read kept for what follows. */
  private take(analysis: ClaimAnalysis): AnalysisResult {
    this.analysisInput = analysis.input;
    this.calculated = analysis.calculated;
    this.recorded = analysis.recorded;
    return analysis.result;
  }

  /** Runs recorded before v4: one local activity per step, on the order those histories ran. */
  private async analyseStepByStep(): Promise<AnalysisResult> {
    const progress = newAnalysis(this.input.invoice, this.input.receivedOn);
    this.state.trace = progress.trace; // the query shows the steps as they are done
    try {
      return this.keepAmounts(await runAnalysis(progress, stepsAsActivities, LEGACY_STEP_CODES));
    } catch (error) {
      const failure = finalFailure(error);
      if (!failure) throw error;
      log.warn('analysis failed: handed to a manager', { archiveKey: this.archiveKey, type: failure.type });
      this.calculated = { amount: null, rc: null };
      return analysisFailed(this.input.invoice, progress.trace, failure.message);
    } finally {
      this.analysisInput = progress.input;
    }
  }

  private keepAmounts({ result, facts }: Analysis): AnalysisResult {
    this.calculated = { amount: facts.calculatedAmount ?? null, rc: facts.calculatedRc ?? null };
    return result;
  }

  /** The decision recorded on the claim's row, and the status it leads to. */
  private async decide(result: AnalysisResult): Promise<void> {
    this.decision = result;
    Object.assign(this.state, { decision: result, trace: result.trace, motif: result.motif, route: result.route });
    const status = statusAfter(result);
    const analysis = this.recorded;
    this.recorded = null;
    // v4: a first reply's e-mailer is settled with the decision (`claimReply` in the same round trip).
    const claimReply = this.v4 && status === 'awaiting_reply' && this.taskCount === 0;
    const owner = await local.recordDecision({
      archiveKey: this.archiveKey, status, decision: result, ...(analysis ? { analysis } : {}), ...(claimReply ? { claimReply } : {}),
      ...(this.calculated ? { calculatedAmount: this.calculated.amount, calculatedRc: this.calculated.rc } : {}),
      // After a manager's decision, the reply is the claim's own e-mail (never a batch's, even one still e-mailing).
      ...(status === 'awaiting_reply' && this.taskCount > 0 ? { replyBy: 'invoice' as const } : {}),
    });
    if (claimReply) this.replyOwner = owner;
    setStatus(this.state, status);
  }

  // ---- Reply to the practitioner ----

  /** The reply e-mailed to the PS; a refusal hands the claim to a manager. */
  private async replyToPractitioner(): Promise<void> {
    this.answerManager(null);
    const refusal = await this.emailReply();
    if (refusal !== null) {
      log.warn('reply refused: handed to a manager', { archiveKey: this.archiveKey });
      await this.decide(routeAfterMailRefusal(this.decision!, refusal));
      return;
    }
    const sent = this.replySent!;
    // Recorded by the e-mail's own activity (v4), else here (and always when the batch e-mailed it: idempotent).
    if (!this.replyRecorded) await local.recordReplySent({ archiveKey: this.archiveKey, emailId: sent.emailId, sentAt: sent.sentAt });
    this.replyRecorded = false;
    setStatus(this.state, 'replied');
  }

  /**
   * The reply's e-mail: the first reply of a claim in a batch (or adopted by one) goes in the batch's e-mail to the
   * PS, with its other rows; after a manager's decision, or alone, the claim's own e-mail. Null once sent, else why
   * it was refused.
   */
  private async emailReply(): Promise<string | null> {
    const owner = this.taskCount > 0 ? 'invoice' : (this.replyOwner ?? await local.claimReply({ archiveKey: this.archiveKey }));
    this.replyOwner = null;
    if (owner === 'batch') {
      await condition(() => this.replySent !== null || this.replyRefused !== null);
    } else {
      try {
        this.replySent = await mail.sendPractitionerReply({
          archiveKey: this.archiveKey, decision: this.decision!, attempt: this.taskCount, ...(this.v4 ? { recordSent: true } : {}),
        });
        this.replyRecorded = this.v4;
      } catch (error) {
        const reason = mailFailureReason(error);
        if (!reason) throw error;
        this.replyRefused = { emailId: null, reason };
      }
    }
    if (this.replySent || !this.replyRefused) return null;
    const { reason } = this.replyRefused;
    this.replyRefused = null;
    return reason;
  }

  // ---- Wait for a manager (spec §5 « Human tasks ») ----

  /** A manager's task: opened, waited on — escalated once when overdue —, its decision recorded. */
  private async waitForManager(): Promise<TaskResolution> {
    const task = await this.openTask();
    if (!(await this.managers.arrivesWithin(task.slaMs))) {
      await this.escalate(task.taskId);
      await this.managers.arrival();
    }
    return this.closeTask();
  }

  private async openTask(): Promise<{ taskId: string; slaMs: number }> {
    const task = await local.openManagerTask({
      archiveKey: this.archiveKey, seq: ++this.taskCount, decision: this.decision!, batchId: this.input.batchId ?? null,
      practitionerNumber: this.input.invoice.practitionerNumber ?? null,
    });
    this.state.task = { id: task.taskId, dueAt: task.dueAt, escalated: false };
    this.answerManager(task.taskId); // a decision that led back to a manager: answered with this task
    this.managers.expectNew();
    return task;
  }

  /**
   * Overdue (99 % of requests are treated within 48 h): escalated once, the managers told — without waiting for the
   * notice: the claim keeps listening for its manager whatever becomes of the e-mail.
   */
  private async escalate(taskId: string): Promise<void> {
    await local.flagEscalation({ taskId });
    this.state.task!.escalated = true;
    void notice.notifyEscalation({ taskId })
      .catch((error: unknown) => local.recordTaskEvent({
        taskId, kind: 'notice_failed', details: { message: finalFailure(error)?.message ?? String(error) },
      }))
      .catch((error: unknown) => log.error('escalation notice failure not recorded', { taskId, error: String(error) }));
  }

  /** The manager's decision recorded on the task, which closes; applied next. */
  private async closeTask(): Promise<TaskResolution> {
    const r = this.managers.take();
    await local.resolveManagerTask(r);
    this.state.task = null;
    log.info('task resolved', { archiveKey: this.archiveKey, taskId: r.taskId, action: r.action, motif: r.motif ?? null });
    return r;
  }

  // ---- The manager's decision applied ----

  private async apply(r: TaskResolution): Promise<void> {
    switch (r.action) {
      case 'pay': // « forcer le paiement »
        return this.end('paid');
      case 'close': // handled inside Almerys
        return this.end('closed');
      case 'reply': // answered with the manager's motif, routed by the motif table
        return this.replyWithMotif(r);
      case 'reanalyze': // after the reference data was fixed
        this.factsMissing = false;
        return this.decide(await this.analyse());
    }
  }

  private async end(status: 'paid' | 'closed'): Promise<void> {
    await local.recordStatus({ archiveKey: this.archiveKey, status });
    setStatus(this.state, status);
  }

  private async replyWithMotif(r: TaskResolution): Promise<void> {
    if (this.factsMissing) await this.analyse(); // the facts routing reads, as the reference data are now
    this.factsMissing = false;
    const { finding, trace } = managerReply(this.decision!, r.motif!, r.comment);
    // The PS as AGAPS knows it now: the manager may have fixed the address the provider refused.
    this.analysisInput = applyFacts(this.analysisInput, { practitioner: undefined });
    await this.decide(await this.route(finding, trace));
  }

  /** A finding routed (`concludeAnalysis`); a routing that fails every time goes to a manager with its error. */
  private async route(finding: Finding, trace: TraceLine[]): Promise<AnalysisResult> {
    try {
      return (await local.concludeAnalysis(this.analysisInput, finding, trace)).result;
    } catch (error) {
      const failure = finalFailure(error);
      if (!failure) throw error;
      return analysisFailed(this.input.invoice, trace, failure.message);
    }
  }
}
