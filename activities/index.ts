// Activities: thin adapters from the ports and the database to the rules. Built once per worker from its
// dependencies (`createActivities(deps)`); the workflow sees them through `proxy(Local)Activities`.

import { concludeAnalysis, runAnalysisStep } from '../rules/analyze.js';
import type { StepInput, StepOutcome } from '../rules/context.js';
import type { Ports } from '../rules/ports.js';
import type { AnalysisResult, Finding, StepCode, TraceLine } from '../rules/types.js';
import type { InvoiceRepository } from '../db/invoices.js';
import { invoiceWorkflowId, type InvoiceStatus, type InvoiceWorkflowInput } from '../workflows/contract.js';

export interface ActivityDependencies {
  ports: Ports;
  invoices: InvoiceRepository;
}

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
    async recordDecision(input: { archiveKey: string; status: InvoiceStatus; decision: AnalysisResult }): Promise<void> {
      await deps.invoices.recordDecision(input);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
