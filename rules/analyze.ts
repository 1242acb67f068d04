// The analysis: steps G0…G8 in the spec's order, first match wins; then Paid, and the route.
// The loop is written once, `runAnalysis`, and driven by a `StepRunner`: `analyzeInvoice` runs the steps in process
// against the ports (CLI, tests); a workflow runs each step as a local activity (`runAnalysisStep`, then
// `concludeAnalysis`), so that its history shows every finding — and both give the same result by construction.
// Pure and deterministic apart from what the runner does: the workflow sandbox imports it.

import {
  INITIAL_FACTS, readInvoice, UnclassifiableCase, type AnalysisFacts, type StepInput, type StepOutcome,
} from './context.js';
import type { Ports } from './ports.js';
import { replyText } from './replies.js';
import { routeFinding, type RouteDecision } from './routing.js';
import { checkDocument } from './steps/g0-check-document.js';
import { checkInvoiceLedger } from './steps/g1-check-invoice-ledger.js';
import { checkPractitioner } from './steps/g2-check-practitioner.js';
import { checkCompleteness } from './steps/g3-check-completeness.js';
import { checkWholeInvoice } from './steps/g4-check-whole-invoice.js';
import { identifyBeneficiary } from './steps/g5-identify-beneficiary.js';
import { checkRightsAtCareDate } from './steps/g6-check-rights-at-care-date.js';
import { checkInvoiceContent } from './steps/g7-check-invoice-content.js';
import { enterAndValueInvoice } from './steps/g8-enter-and-value-invoice.js';
import type { AnalysisResult, Finding, Invoice, IsoDate, MotifCode, StepCode, TraceLine } from './types.js';

export type AnalysisStep = (input: StepInput, ports: Ports) => Promise<StepOutcome>;

/** The spec's order (§4). */
export const ANALYSIS_STEPS: readonly { code: StepCode; name: string; title: string; run: AnalysisStep }[] = [
  { code: 'G0', name: 'checkDocument', title: 'Document', run: checkDocument },
  { code: 'G1', name: 'checkInvoiceLedger', title: 'État de la facture dans AGICA', run: checkInvoiceLedger },
  { code: 'G2', name: 'checkPractitioner', title: 'PS dans AGAPS', run: checkPractitioner },
  { code: 'G3', name: 'checkCompleteness', title: 'Éléments manquants', run: checkCompleteness },
  { code: 'G4', name: 'checkWholeInvoice', title: 'Analyse de la facture globale', run: checkWholeInvoice },
  { code: 'G5', name: 'identifyBeneficiary', title: 'Bénéficiaire dans PROTIPS', run: identifyBeneficiary },
  { code: 'G6', name: 'checkRightsAtCareDate', title: 'Droits à la date des soins', run: checkRightsAtCareDate },
  { code: 'G7', name: 'checkInvoiceContent', title: 'Contenu de la facture', run: checkInvoiceContent },
  { code: 'G8', name: 'enterAndValueInvoice', title: 'Saisie et valorisation VALERYS', run: enterAndValueInvoice },
];

export const STEP_CODES: readonly StepCode[] = ANALYSIS_STEPS.map((s) => s.code);

/**
 * Runs one step. Reference data the rules cannot classify becomes `manque_consigne` with a comment saying what was
 * missing (spec: Fallback — « utiliser le motif de rejet « Manque consigne » si aucun motif de rejet ne correspond »).
 * Any other error (a port that is down) propagates, to be retried by the caller.
 */
export async function runAnalysisStep(code: StepCode, input: StepInput, ports: Ports): Promise<StepOutcome> {
  const step = ANALYSIS_STEPS.find((s) => s.code === code);
  if (!step) throw new Error(`Unknown analysis step: ${code}`);
  try {
    return await step.run(input, ports);
  } catch (err) {
    if (!(err instanceof UnclassifiableCase)) throw err;
    return {
      finding: { motif: 'manque_consigne', comment: err.message },
      trace: { step: code, check: step.name, facts: [err.message], result: 'manque_consigne' },
    };
  }
}

/** The first step's input. */
export function startAnalysis(invoice: Invoice, receivedOn: IsoDate): StepInput {
  return { invoice: readInvoice(invoice), receivedOn, facts: { ...INITIAL_FACTS } };
}

export function applyFacts(input: StepInput, facts: Partial<AnalysisFacts> | undefined): StepInput {
  return facts ? { ...input, facts: { ...input.facts, ...facts } } : input;
}

/** The decision once the steps are done: Paid (or its `liquidee_nul` exception), or the finding with its route. */
export async function concludeAnalysis(
  input: StepInput,
  finding: Finding | null,
  trace: TraceLine[],
  ports: Ports,
): Promise<{ result: AnalysisResult; facts: AnalysisFacts }> {
  const { invoice, facts } = input;
  const lines = [...trace];
  if (!finding && facts.liquideeNul) {
    // MO: « « Liquidée Nul » : La part RC de la facture est liquidée à zéro » (contract without TP for the specialty,
    // or contractual rights closed) — and nothing above explains it.
    finding = { motif: 'manque_consigne', comment: 'Liquidée Nul : la part RC de la facture est liquidée à zéro' };
    lines.push({ step: 'Paid', check: 'checkPaid', facts: ['aucun motif de rejet', 'état « Liquidé Nul » dans AGICA'], result: 'manque_consigne' });
  }
  if (!finding) {
    lines.push({ step: 'Paid', check: 'checkPaid', facts: ['aucun motif de rejet : saisie aboutie'], result: 'paid' });
    return {
      facts,
      result: {
        outcome: 'paid', motif: null, detail: [], error: null, date: null, comment: null, route: null, email: null,
        humanTask: false, waitsForDecision: false, dematerialise: false, reply: null, trace: lines,
      },
    };
  }
  let practitioner = facts.practitioner;
  if (practitioner === undefined && invoice.practitionerNumber) {
    practitioner = await ports.agaps.findPractitioner(invoice.practitionerNumber);
  }
  const route = routeFinding(invoice, finding, facts.presentInAgica, practitioner);
  lines.push({ step: 'Routing', check: 'routeFinding', facts: [route.reason], result: route.route });
  return { facts: { ...facts, practitioner: practitioner ?? null }, result: rejection(invoice, finding, route, lines) };
}

function rejection(invoice: Invoice, finding: Finding, route: Omit<RouteDecision, 'reason'>, trace: TraceLine[]): AnalysisResult {
  return {
    outcome: 'rejected',
    motif: finding.motif,
    detail: finding.detail ?? [],
    error: finding.error ?? null,
    date: finding.date ?? null,
    comment: finding.comment ?? null,
    route: route.route,
    email: route.email,
    humanTask: route.humanTask,
    waitsForDecision: route.waitsForDecision,
    dematerialise: finding.dematerialise ?? false,
    reply: replyText(finding.motif, { ...finding, invoiceNumber: invoice.invoiceNumber }),
    trace,
  };
}

/**
 * The decision when the analysis itself could not run to its end (the same error on every attempt: data the steps
 * cannot read, a lookup that keeps failing): « Manque Consigne » for a manager, the error as the comment, the steps
 * done so far in the trace. Never a guess, never a claim left looping (spec: Fallback).
 */
export function analysisFailed(invoice: Invoice, trace: TraceLine[], message: string): AnalysisResult {
  const finding: Finding = { motif: 'manque_consigne', comment: `analyse impossible : ${message}` };
  const route = { route: 'manager' as const, email: null, humanTask: true, waitsForDecision: true };
  return rejection(invoice, finding, route, [
    ...trace,
    { step: 'Routing', check: 'analysisFailed', facts: [`analyse impossible : ${message}`], result: 'manager' },
  ]);
}

/**
 * A manager's « répondre avec un motif »: their motif as the finding, to be routed again by the motif table
 * (`concludeAnalysis`). Answering with the analysis' own motif keeps what it found (detail, error, date, comment);
 * the manager's comment, when there is one, wins. The trace is the analysis' without its routing line.
 */
export function managerReply(
  previous: AnalysisResult,
  motif: MotifCode,
  comment: string | null | undefined,
): { finding: Finding; trace: TraceLine[] } {
  const keep = motif === previous.motif;
  return {
    finding: {
      motif,
      detail: keep ? previous.detail : [],
      error: keep ? previous.error : null,
      date: keep ? previous.date : null,
      comment: comment?.trim() || (keep ? previous.comment : null),
    },
    trace: previous.trace.filter((t) => t.step !== 'Routing'),
  };
}

export interface Analysis {
  result: AnalysisResult;
  facts: AnalysisFacts;
}

/** How the loop's steps are carried out: in process against the ports, or one local activity each. */
export interface StepRunner {
  /** One step G0…G8: its trace line, the facts it learnt, its finding if it fired. */
  runStep(code: StepCode, input: StepInput): Promise<StepOutcome>;
  /** Once the steps are done: Paid, or the finding with its route (`concludeAnalysis`). */
  conclude(input: StepInput, finding: Finding | null, trace: TraceLine[]): Promise<Analysis>;
}

/**
 * An analysis under way, as far as it got: the next step's input (the facts learnt so far) and one trace line per
 * step done. Owned by the caller, so that it can show the trace while it grows, and read how far an analysis that
 * failed went.
 */
export interface AnalysisProgress {
  input: StepInput;
  trace: TraceLine[];
}

/** A new analysis of `invoice`, before G0. */
export function newAnalysis(invoice: Invoice, receivedOn: IsoDate): AnalysisProgress {
  return { input: startAnalysis(invoice, receivedOn), trace: [] };
}

/**
 * The analysis loop: G0 → G8 in order, each step's trace line kept and its facts passed on, stopping at the first
 * step that finds a motif; then the conclusion (Paid, or the finding routed). A runner's error propagates, with
 * `progress` left where it happened. `steps`: the rules' order, or a workflow's frozen copy of the order its
 * recorded histories ran (workflows/legacy-steps.ts).
 */
export async function runAnalysis(
  progress: AnalysisProgress,
  runner: StepRunner,
  steps: readonly StepCode[] = STEP_CODES,
): Promise<Analysis> {
  let finding: Finding | null = null;
  for (const code of steps) {
    const outcome = await runner.runStep(code, progress.input);
    progress.trace.push(outcome.trace);
    progress.input = applyFacts(progress.input, outcome.facts);
    if (outcome.finding) {
      finding = outcome.finding;
      break;
    }
  }
  return runner.conclude(progress.input, finding, progress.trace);
}

/** The steps run in process, against the ports. */
export function inProcess(ports: Ports): StepRunner {
  return {
    runStep: (code, input) => runAnalysisStep(code, input, ports),
    conclude: (input, finding, trace) => concludeAnalysis(input, finding, trace, ports),
  };
}

/** Runs the whole analysis of one invoice against the ports. */
export async function analyzeInvoice(invoice: Invoice, receivedOn: IsoDate, ports: Ports): Promise<Analysis> {
  return runAnalysis(newAnalysis(invoice, receivedOn), inProcess(ports));
}

/**
 * The whole analysis against the ports, decided as the worker decides: an error that `finalMessage` takes for final
 * (it returns the message a manager reads) is the decision `analysisFailed` — « Manque consigne », the steps done so
 * far in the trace — and its `facts` are null; any other error propagates, to be retried. `input` is the analysis'
 * input as the steps left it.
 */
export async function analyzeOrFail(
  invoice: Invoice,
  receivedOn: IsoDate,
  ports: Ports,
  finalMessage: (error: unknown) => string | null,
): Promise<{ result: AnalysisResult; facts: AnalysisFacts | null; input: StepInput }> {
  const progress = newAnalysis(invoice, receivedOn);
  try {
    const { result, facts } = await runAnalysis(progress, inProcess(ports));
    return { result, facts, input: progress.input };
  } catch (error) {
    const message = finalMessage(error);
    if (message === null) throw error;
    return { result: analysisFailed(invoice, progress.trace, message), facts: null, input: progress.input };
  }
}
