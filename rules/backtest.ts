// The back-test: today's rules on claims already decided, each with the input it was decided on and the reference
// facts its analysis read that day (rules/references.ts), and what moved: per motif, how many stay, how many move and
// where (a from → to matrix), each moved claim with the first step whose finding changed.
// Pure and streaming: `backtest` takes an async iterable of recorded claims and keeps only counts and the moved ones.

import { analyzeOrFail } from './analyze.js';
import { AppError, safeMessage, unavailableDependency } from './errors.js';
import type { Ports } from './ports.js';
import { replayingPorts, type ReferenceRecording, type ReplayCounts } from './references.js';
import type { AnalysisResult, Invoice, IsoDate, TraceLine } from './types.js';

/** What an analysis decided, as recorded with the claim (db `invoices.analysis`). */
export interface RecordedAnalysis {
  rulesVersion: string;
  result: Pick<AnalysisResult, 'outcome' | 'motif' | 'error' | 'route' | 'trace'>;
  /** The reference facts it read. */
  references: ReferenceRecording;
}

/** A claim already decided, as the back-test reads it. */
export interface DecidedClaim {
  archiveKey: string;
  invoice: Invoice;
  receivedOn: IsoDate;
  /** What the rules decided: with the facts they read (recorded), or only the decision (recorded before that was). */
  decided: { rulesVersion: string | null; result: RecordedAnalysis['result']; references: ReferenceRecording | null };
}

/** A motif code, or `paid` (« saisie aboutie »): where a claim is in the matrix. */
export type Outcome = string;

export const outcomeOf = (result: Pick<AnalysisResult, 'outcome' | 'motif'>): Outcome =>
  (result.outcome === 'paid' ? 'paid' : result.motif ?? 'paid');

/** The first step whose finding changed, as the old and the new analysis saw it. */
export interface ChangedStep {
  step: string;
  before: TraceLine | null;
  after: TraceLine | null;
}

export interface MovedClaim {
  archiveKey: string;
  from: Outcome;
  to: Outcome;
  fromRoute: string | null;
  toRoute: string | null;
  rulesVersion: string | null;
  changed: ChangedStep | null;
  /** The whole traces, for a side-by-side view. */
  before: TraceLine[];
  after: TraceLine[];
}

export interface BacktestOptions {
  /** Today's reference data: answers what a recording does not hold (`--current-data`: everything). */
  current: Ports | null;
  /** Run on today's data even where the facts of the day were recorded. */
  currentData?: boolean;
  /** Moved claims kept in full (the counts cover all). */
  keepMoved?: number;
  /**
   * Each claim's recording is the back-test's own (read for it, used once: a database stream), so that the replay
   * hands out its answers without copying them (rules/references.ts `owned`). Not for claims replayed twice.
   */
  ownedRecordings?: boolean;
}

export interface BacktestReport {
  rulesVersion: string;
  total: number;
  stayed: number;
  moved: number;
  /** Route changes without a motif change (the same motif, another addressee). */
  rerouted: number;
  /**
   * Claims today's rules could not analyse (an error other than a dependency down): decided as the worker decides
   * them, « Manque consigne » for a manager with the message (rules/analyze.ts analysisFailed).
   */
  failed: number;
  /** from → to → count, moves and stays alike (the diagonal is what stayed). */
  matrix: Record<Outcome, Record<Outcome, number>>;
  /** Per motif of the recorded decisions: how many stay, how many move. */
  perMotif: Record<Outcome, { total: number; stayed: number; moved: number }>;
  /** The first step whose finding changed, over the moved claims. */
  byStep: Record<string, number>;
  /** The rules versions that had decided the claims (`unknown`: decided before versions were recorded). */
  recordedVersions: Record<string, number>;
  /** The reference facts used: recorded that day, today's (not recorded, or `currentData`), or unknown. */
  facts: { recordedClaims: number; currentClaims: number; calls: ReplayCounts };
  /** The moved claims (up to `keepMoved`, in the order they came). */
  movedClaims: MovedClaim[];
  /** How long the rules took, in milliseconds (reading the claims excluded). */
  rulesMs: number;
}

/** The first trace line whose step or result differs between the two analyses. */
export function firstChange(before: TraceLine[], after: TraceLine[]): ChangedStep | null {
  const length = Math.max(before.length, after.length);
  for (let i = 0; i < length; i++) {
    const b = before[i] ?? null;
    const a = after[i] ?? null;
    if (b?.step !== a?.step || b?.result !== a?.result) return { step: (b ?? a)!.step, before: b, after: a };
  }
  return null;
}

const bump = (record: Record<string, number>, key: string, by = 1) => { record[key] = (record[key] ?? 0) + by; };

/**
 * Today's rules on one decided claim: on the facts recorded with its decision (today's for what they lack), or on
 * today's data (`currentData`, or nothing recorded). An error of the rules on this claim (bad data, a bug) is its
 * decision, as in the worker (activities/index.ts): one odd claim never stops a back-test; a reference database that
 * is down does. `counts`: null when it ran on today's data.
 */
export async function replayClaim(
  claim: DecidedClaim,
  options: Pick<BacktestOptions, 'current' | 'currentData' | 'ownedRecordings'>,
): Promise<{ result: AnalysisResult; counts: ReplayCounts | null; failed: boolean }> {
  const { ports, counts } = claim.decided.references && !options.currentData
    ? replayingPorts(claim.decided.references, options.current, { owned: options.ownedRecordings })
    : { ports: options.current, counts: null };
  if (!ports) throw new Error('back-test: no recorded facts for this claim and no current reference data');
  const { result, facts } = await analyzeOrFail(claim.invoice, claim.receivedOn, ports, (error) =>
    (unavailableDependency(error) || (error instanceof AppError && error.retryable) ? null : safeMessage(error)));
  return { result, counts, failed: facts === null };
}

/** Where a claim was and where today's rules put it: outcomes, routes, the first step that changed, both traces. */
export function movement(claim: DecidedClaim, result: AnalysisResult): MovedClaim {
  const before = claim.decided.result;
  return {
    archiveKey: claim.archiveKey, from: outcomeOf(before), to: outcomeOf(result),
    fromRoute: before.route ?? null, toRoute: result.route ?? null, rulesVersion: claim.decided.rulesVersion,
    changed: firstChange(before.trace, result.trace), before: before.trace, after: result.trace,
  };
}

/** Runs today's rules on each claim and reports what moved. */
export async function backtest(
  claims: AsyncIterable<DecidedClaim> | Iterable<DecidedClaim>,
  rulesVersion: string,
  options: BacktestOptions,
): Promise<BacktestReport> {
  const report: BacktestReport = {
    rulesVersion, total: 0, stayed: 0, moved: 0, rerouted: 0, failed: 0, matrix: {}, perMotif: {}, byStep: {}, recordedVersions: {},
    facts: { recordedClaims: 0, currentClaims: 0, calls: { recorded: 0, current: 0, missing: 0 } },
    movedClaims: [], rulesMs: 0,
  };
  const keep = options.keepMoved ?? Infinity;
  for await (const claim of claims) {
    const started = performance.now();
    const { result, counts, failed } = await replayClaim(claim, options);
    report.rulesMs += performance.now() - started;

    if (failed) report.failed++;
    if (counts) {
      report.facts.recordedClaims++;
      for (const k of ['recorded', 'current', 'missing'] as const) report.facts.calls[k] += counts[k];
    } else {
      report.facts.currentClaims++;
    }
    const move = movement(claim, result);
    const { from, to } = move;
    report.total++;
    bump(report.recordedVersions, claim.decided.rulesVersion ?? 'unknown');
    report.matrix[from] ??= {};
    bump(report.matrix[from], to);
    report.perMotif[from] ??= { total: 0, stayed: 0, moved: 0 };
    report.perMotif[from].total++;
    if (from === to) {
      report.stayed++;
      report.perMotif[from].stayed++;
      if (move.fromRoute !== move.toRoute) report.rerouted++;
      continue;
    }
    report.moved++;
    report.perMotif[from].moved++;
    bump(report.byStep, move.changed?.step ?? '—');
    if (report.movedClaims.length < keep) report.movedClaims.push(move);
  }
  return report;
}
