// Activities: thin adapters from the ports, the database and the outputs (mail, workbook) to the rules. Built once
// per worker from its dependencies (`createActivities(deps)`); the workflows see them through proxy(Local)Activities.
// Every side effect is idempotent: a retried activity or a restarted worker changes nothing more. Every error leaves
// as an ApplicationFailure that says whether retrying can help (activities/failures.ts).

import { analyzeOrFail, concludeAnalysis, runAnalysisStep } from '../rules/analyze.js';
import type { RecordedAnalysis } from '../rules/backtest.js';
import type { StepInput, StepOutcome } from '../rules/context.js';
import type { Ports } from '../rules/ports.js';
import { recordingPorts } from '../rules/references.js';
import type { AnalysisResult, Finding, Invoice, IsoDate, StepCode, TraceLine } from '../rules/types.js';
import type { DecisionRecord, InvoiceRepository } from '../db/invoices.js';
import type { TaskEventKind, TaskRepository } from '../db/tasks.js';
import {
  invoiceWorkflowId, type InvoiceStatus, type InvoiceWorkflowInput, type TaskResolution,
} from '../workflows/contract.js';
import type { ArchiveDependencies } from './archive.js';
import type { WebhookDependencies } from './webhooks.js';
import { toApplicationFailure, withFailureTypes } from './failures.js';
import { activityKey } from './context.js';
import { rulesVersion } from './rules-version.js';
import { createOutputActivities, type OutputDependencies } from './outputs.js';

export interface ActivityDependencies extends OutputDependencies {
  ports: Ports;
  invoices: InvoiceRepository;
  tasks: TaskRepository;
  /** Service level of a manager task before it is escalated (default 48 h). */
  taskSlaMs: number;
  /** The history archive and its retention (activities/archive.ts). */
  archiving: ArchiveDependencies;
  /** Webhook deliveries (activities/webhooks.ts): absent, the worker registers no delivery activity. */
  webhooks?: WebhookDependencies;
}

export const DEFAULT_TASK_SLA_MS = 48 * 3600 * 1000;

/** What the database already knows of a claim when its workflow starts (a run started again resumes from it). */
export interface KnownClaim {
  status: InvoiceStatus;
  /** Null while it has not been decided. */
  decision: AnalysisResult | null;
  /** Manager tasks before the open one (the open one is opened again, idempotently, with its number). */
  taskCount: number;
  /** The last task's resolution, recorded but not applied yet (the run before died in between): to apply. */
  unapplied: TaskResolution | null;
}

/**
 * A claim's whole analysis, as one local activity returns it: the decision (with the rules version), every step's
 * trace line (what it looked at, what it found) in `result.trace`, the facts learnt, and the reference facts read.
 */
export interface ClaimAnalysis {
  result: AnalysisResult;
  /** The analysis' input as the steps left it (the facts they learnt), which a manager's reply is routed with. */
  input: StepInput;
  /** G8's amounts (null when the analysis did not get that far). */
  calculated: { amount: number | null; rc: number | null };
  /** What is recorded with the decision for a back-test: the decision as the rules took it, the facts read. */
  recorded: RecordedAnalysis;
}

export function createActivities(deps: ActivityDependencies) {
  const claimRow = (input: InvoiceWorkflowInput) => deps.invoices.recordReceived({
    archiveKey: input.invoice.archiveKey,
    workflowId: invoiceWorkflowId(input.invoice.archiveKey),
    invoice: input.invoice,
    receivedOn: input.receivedOn,
    batchId: input.batchId ?? null,
  });

  /** What is already done of the claim (its row written if the API has not): the database's lasting guard. */
  async function openClaim(input: InvoiceWorkflowInput): Promise<KnownClaim> {
    const archiveKey = input.invoice.archiveKey;
    // The row and its tasks in one statement.
    const row = await deps.invoices.opening(archiveKey);
    const tasks = row?.tasks ?? { count: 0, openSeq: null, lastResolved: null };
    // Written once: by the API that started the workflow, else (a batch of the first releases, a run started again
    // by `npm run doctor` after the row was lost) here.
    if (!row) await claimRow(input);
    const decided = row && row.status !== 'analyzing' && row.decision;
    return {
      status: row?.status ?? 'analyzing',
      decision: decided ? row.decision : null,
      taskCount: tasks.openSeq !== null ? tasks.openSeq - 1 : tasks.count,
      unapplied: row?.status === 'awaiting_manager' && tasks.openSeq === null ? tasks.lastResolved : null,
    };
  }

  /**
   * The whole analysis, G0 → G8 then the conclusion, with the rules version and the reference facts read. An error
   * that comes back the same way every time is a decision too (« Manque consigne » for a manager, the steps done so
   * far in the trace); any other error is thrown, to be retried.
   */
  async function analyse(input: { invoice: Invoice; receivedOn: IsoDate }): Promise<ClaimAnalysis> {
    const version = rulesVersion();
    const recorder = recordingPorts(deps.ports);
    const analysis = await analyzeOrFail(input.invoice, input.receivedOn, recorder.ports, (error) => {
      const failure = toApplicationFailure(error);
      return failure.nonRetryable ? failure.message : null;
    });
    const result = { ...analysis.result, rulesVersion: version };
    const { outcome, motif, error, route, trace } = result;
    return {
      result, input: analysis.input,
      calculated: { amount: analysis.facts?.calculatedAmount ?? null, rc: analysis.facts?.calculatedRc ?? null },
      recorded: { rulesVersion: version, result: { outcome, motif, error, route, trace }, references: recorder.recording() },
    };
  }

  return withFailureTypes({
    /** One analysis step (G0…G8) against the reference ports. Read-only: safe to retry. */
    async runAnalysisStep(code: StepCode, input: StepInput): Promise<StepOutcome> {
      return runAnalysisStep(code, input, deps.ports);
    },

    /** Paid, or the finding with its route, e-mail address and reply. Read-only: safe to retry. */
    async concludeAnalysis(input: StepInput, finding: Finding | null, trace: TraceLine[]) {
      const concluded = await concludeAnalysis(input, finding, trace, deps.ports);
      return { ...concluded, result: { ...concluded.result, rulesVersion: rulesVersion() } };
    },

    /**
     * The whole analysis, G0 → G8 then the conclusion, in one local activity: one round trip instead of ten, and the
     * workflow no longer runs the rules' step order (a rule change never meets a waiting workflow). Read-only: safe
     * to retry. An error that comes back the same way every time is a decision too (« Manque consigne » for a
     * manager, the steps done so far in the trace); any other error is retried.
     */
    async analyseClaim(input: { invoice: Invoice; receivedOn: IsoDate }): Promise<ClaimAnalysis> {
      return analyse(input);
    },

    /**
     * A new run's first step in one round trip: what is already done of the claim (`openClaim`), and when nothing is
     * decided yet, its analysis (`analyseClaim`). Read-only but for the row written if the API has not: safe to retry.
     */
    async openAndAnalyseClaim(input: InvoiceWorkflowInput): Promise<KnownClaim & { analysis: ClaimAnalysis | null }> {
      const known = await openClaim(input);
      return { ...known, analysis: known.decision ? null : await analyse(input) };
    },

    /** What is already done of the claim (its row written if the API has not): the database's lasting guard. */
    async openClaim(input: InvoiceWorkflowInput): Promise<KnownClaim> {
      return openClaim(input);
    },

    /** First releases: the claim's row, as received. Idempotent. */
    async recordInvoiceReceived(input: InvoiceWorkflowInput): Promise<void> {
      await claimRow(input);
    },

    /** The decision and the status it leads to; with `claimReply`, who e-mails the first reply. Idempotent. */
    async recordDecision(input: DecisionRecord & { claimReply?: boolean }): Promise<'invoice' | 'batch' | null> {
      // One statement: the row, the claim's journal (the timeline's source) and, for a first reply to the PS, who
      // e-mails it (`claimReply`).
      const journalKey = activityKey();
      return deps.invoices.recordDecision({ ...input, ...(journalKey ? { journalKey } : {}) });
    },

    async recordStatus(input: { archiveKey: string; status: InvoiceStatus }): Promise<void> {
      await deps.invoices.recordStatus(input.archiveKey, input.status);
    },

    /** Who e-mails the claim's first reply: its own workflow, or its batch (decided once, whoever asks first). */
    async claimReply(input: { archiveKey: string }): Promise<'invoice' | 'batch'> {
      return deps.invoices.claimReply(input.archiveKey);
    },

    async recordReplySent(input: { archiveKey: string; emailId: string; sentAt: string }): Promise<void> {
      await deps.invoices.recordReplySent(input);
    },

    /** A manager task for the decision; returns how long until it is overdue. Idempotent. */
    async openManagerTask(input: {
      archiveKey: string; seq: number; decision: AnalysisResult; batchId: string | null; practitionerNumber: string | null;
    }) {
      return deps.tasks.open({ ...input, workflowId: invoiceWorkflowId(input.archiveKey), slaMs: deps.taskSlaMs });
    },

    /** Flags an overdue task (once: its event and notice are not repeated). */
    async flagEscalation(input: { taskId: string }): Promise<void> {
      await deps.tasks.escalate(input.taskId);
    },

    /** Something that happened to a task, once, in its audit trail. */
    async recordTaskEvent(input: { taskId: string; kind: TaskEventKind; details?: Record<string, unknown> }): Promise<void> {
      await deps.tasks.recordEventOnce(input.taskId, input.kind, input.details);
    },

    async resolveManagerTask(resolution: TaskResolution): Promise<void> {
      await deps.tasks.resolve(resolution);
    },

    ...createOutputActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
