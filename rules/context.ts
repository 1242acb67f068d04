// What the analysis steps share: the invoice as read (defaults applied), `receivedOn`, and the facts that
// earlier steps established. Everything here is plain JSON, so that a step can run as a Temporal activity
// and its input and output are recorded in the workflow history.

import { AppError } from './errors.js';
import type { Coverage } from './coverage.js';
import type {
  Act, AttachedDocument, Beneficiary, Card, Finding, Invoice, InvoiceFlags, IsoDate, Practitioner, StepCode,
  TraceLine,
} from './types.js';

/** Missing keys in `flags` mean the favourable value (spec §8). */
export const FAVOURABLE_FLAGS: Required<InvoiceFlags> = {
  ro100: false,
  tpBoxTicked: true,
  insuredShareStated: false,
  addressedToInsured: false,
  carePathRespected: true,
  complementRequest: false,
  readable: true,
  matchesTask: true,
};

export interface ReadInvoice extends Invoice {
  flags: Required<InvoiceFlags>;
  acts: Act[];
  adeliNumbers: string[];
  documents: AttachedDocument[];
}

/** The invoice with its defaults: favourable flags, empty lists. */
export function readInvoice(invoice: Invoice): ReadInvoice {
  const flags = { ...FAVOURABLE_FLAGS };
  for (const [key, value] of Object.entries(invoice.flags ?? {})) {
    if (typeof value === 'boolean') (flags as Record<string, boolean>)[key] = value;
  }
  return {
    ...invoice,
    flags,
    acts: invoice.acts ?? [],
    adeliNumbers: invoice.adeliNumbers ?? [],
    documents: invoice.documents ?? [],
  };
}

/** Care dates = the acts' dates, distinct, sorted. */
export function careDates(invoice: Invoice): IsoDate[] {
  const dates = new Set<IsoDate>();
  for (const act of invoice.acts ?? []) if (act?.date) dates.add(act.date);
  return [...dates].sort();
}

/** Facts established by earlier steps and read by later ones. */
export interface AnalysisFacts {
  /** G1: the invoice (number + NIR) has at least one AGICA record. */
  presentInAgica: boolean;
  /** G1: an AGICA record says `liquidee_nul` (read at the end: Paid). */
  liquideeNul: boolean;
  /** G2: the PS in AGAPS (undefined: not looked up yet). */
  practitioner?: Practitioner | null;
  /** G5: the beneficiary of the care. */
  beneficiary?: Beneficiary | null;
  /** G6: the card the care dates are on, and how it covers the specialty. */
  card?: Card | null;
  coverage?: Coverage | null;
  /** G8: calculated amounts (Trame: MONTANT CALCULÉ, PART RC CALCULÉE). */
  calculatedAmount?: number | null;
  calculatedRc?: number | null;
}

export const INITIAL_FACTS: AnalysisFacts = { presentInAgica: false, liquideeNul: false };

export interface StepInput {
  invoice: ReadInvoice;
  receivedOn: IsoDate;
  facts: AnalysisFacts;
}

/** A step's answer: a finding (first match wins) or null ("continue"), its trace line, new facts. */
export interface StepOutcome {
  finding: Finding | null;
  trace: TraceLine;
  facts?: Partial<AnalysisFacts>;
}

/**
 * Thrown by a step when reference data it needs is missing or not what the rules expect.
 * The analysis turns it into `manque_consigne` with the message as comment (spec: Fallback — never guess).
 */
export class UnclassifiableCase extends AppError {
  override readonly name = 'UnclassifiableCase';
  readonly code = 'unclassifiable_case';
}

export function continueWith(step: StepCode, check: string, facts: string[], newFacts?: Partial<AnalysisFacts>): StepOutcome {
  return { finding: null, trace: { step, check, facts, result: 'continue' }, facts: newFacts };
}

export function fire(step: StepCode, check: string, facts: string[], finding: Finding, newFacts?: Partial<AnalysisFacts>): StepOutcome {
  const result = finding.error ? `${finding.motif} / ${finding.error}` : finding.motif;
  return { finding, trace: { step, check, facts, result }, facts: newFacts };
}
