// Activities: thin adapters from the ports, the database and the outputs (mail, workbook) to the rules. Built once
// per worker from its dependencies (`createActivities(deps)`); the workflows see them through proxy(Local)Activities.
// Every side effect is idempotent: a retried activity or a restarted worker changes nothing more.

import { concludeAnalysis, runAnalysisStep } from '../rules/analyze.js';
import type { StepInput, StepOutcome } from '../rules/context.js';
import type { Ports } from '../rules/ports.js';
import type { AnalysisResult, Finding, StepCode, TraceLine } from '../rules/types.js';
import type { InvoiceRepository } from '../db/invoices.js';
import type { TaskRepository } from '../db/tasks.js';
import {
  invoiceWorkflowId, type InvoiceStatus, type InvoiceWorkflowInput, type TaskResolution,
} from '../workflows/contract.js';
import { createOutputActivities, type OutputDependencies } from './outputs.js';

export interface ActivityDependencies extends OutputDependencies {
  ports: Ports;
  invoices: InvoiceRepository;
  tasks: TaskRepository;
  /** Service level of a manager task before it is escalated (default 48 h). */
  taskSlaMs: number;
}

export const DEFAULT_TASK_SLA_MS = 48 * 3600 * 1000;

export function createActivities(deps: ActivityDependencies) {
  return {
    /** One analysis step (G0…G8) against the reference ports. Read-only: safe to retry. */
    async runAnalysisStep(code: StepCode, input: StepInput): Promise<StepOutcome> {
      return runAnalysisStep(code, input, deps.ports);
    },

    /** Paid, or the finding with its route, e-mail address and reply. Read-only: safe to retry. */
    async concludeAnalysis(input: StepInput, finding: Finding | null, trace: TraceLine[]) {
      return concludeAnalysis(input, finding, trace, deps.ports);
    },

    /** The claim's row, as received. Idempotent. */
    async recordInvoiceReceived(input: InvoiceWorkflowInput): Promise<void> {
      await deps.invoices.recordReceived({
        archiveKey: input.invoice.archiveKey,
        workflowId: invoiceWorkflowId(input.invoice.archiveKey),
        invoice: input.invoice,
        receivedOn: input.receivedOn,
        batchId: input.batchId ?? null,
      });
    },

    /** The decision and the status it leads to. Idempotent. */
    async recordDecision(input: {
      archiveKey: string; status: InvoiceStatus; decision: AnalysisResult; calculatedAmount?: number | null; calculatedRc?: number | null;
    }): Promise<void> {
      await deps.invoices.recordDecision(input);
    },

    async recordStatus(input: { archiveKey: string; status: InvoiceStatus }): Promise<void> {
      await deps.invoices.recordStatus(input.archiveKey, input.status);
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

    async resolveManagerTask(resolution: TaskResolution): Promise<void> {
      await deps.tasks.resolve(resolution);
    },

    ...createOutputActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
