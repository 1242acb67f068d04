// The back-test on the example cases, decided by today's rules with the facts they read recorded: unchanged rules
// move nothing; a change to a rule table moves exactly the claims that table decided, and nothing else; a recording
// that lacks a call is answered by today's data (or found missing), and counted.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadExampleCases } from '../examples/universe.js';
import { analyzeInvoice } from './analyze.js';
import { backtest, firstChange, outcomeOf, type DecidedClaim } from './backtest.js';
import { createMemoryPorts } from './memory-ports.js';
import { motifDefinition, type RoutingRule } from './motifs.js';
import { recordingPorts, replayingPorts } from './references.js';
import { normalizeName } from './text.js';

// The MO's insurer exceptions (rules/coverage.ts INSURER_EXCEPTIONS): a test withdraws one, as a new MO would.
const withdrawn = vi.hoisted(() => ({ exceptions: [] as { insurer: string; specialty: string }[] }));
vi.mock('./coverage.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./coverage.js')>();
  const isWithdrawn = (insurer: string, specialty: string | null | undefined) => withdrawn.exceptions.some(
    (e) => e.specialty === specialty && (normalizeName(insurer) === e.insurer || normalizeName(insurer).startsWith(`${e.insurer} `)),
  );
  return {
    ...original,
    isInsurerException: (insurer: string, specialty: string | null | undefined) =>
      original.isInsurerException(insurer, specialty) && !isWithdrawn(insurer, specialty),
    cardCoverage: (...args: Parameters<typeof original.cardCoverage>) => {
      const coverage = original.cardCoverage(...args);
      return coverage?.exception && isWithdrawn(args[0].insurer, args[1]) ? null : coverage;
    },
  };
});

const VERSION = 'test+000000000000';
const cases = loadExampleCases();
let decided: DecidedClaim[];

/** Each example decided by the rules as they are, with the reference facts it read (as analyseClaim records them). */
beforeAll(async () => {
  decided = [];
  for (const { caseFile } of cases) {
    const recorder = recordingPorts(createMemoryPorts(caseFile.reference));
    const { result } = await analyzeInvoice(caseFile.invoice, caseFile.receivedOn, recorder.ports);
    const { outcome, motif, error, route, trace } = result;
    decided.push({
      archiveKey: caseFile.invoice.archiveKey, invoice: caseFile.invoice, receivedOn: caseFile.receivedOn,
      decided: { rulesVersion: 'recorded+111111111111', result: { outcome, motif, error, route, trace }, references: recorder.recording() },
    });
  }
});

afterEach(() => {
  withdrawn.exceptions = [];
});

const keyOf = (file: string) => cases.find((c) => c.file === file)!.caseFile.invoice.archiveKey;

describe('backtest', () => {
  it('unchanged rules: every example stays, on its recorded facts alone', async () => {
    const report = await backtest(decided, VERSION, { current: null });
    expect(report).toMatchObject({
      rulesVersion: VERSION, total: cases.length, stayed: cases.length, moved: 0, rerouted: 0, failed: 0, movedClaims: [], byStep: {},
      recordedVersions: { 'recorded+111111111111': cases.length },
      facts: { recordedClaims: cases.length, currentClaims: 0, calls: { current: 0, missing: 0 } },
    });
    expect(report.facts.calls.recorded).toBeGreaterThan(cases.length);
    // The matrix is its diagonal: one cell per outcome, holding what the examples hold.
    const expected: Record<string, Record<string, number>> = {};
    for (const c of decided) {
      const o = outcomeOf(c.decided.result);
      expected[o] = { [o]: (expected[o]?.[o] ?? 0) + 1 };
    }
    expect(report.matrix).toEqual(expected);
    expect(Object.keys(report.matrix).length).toBeGreaterThan(20);
    for (const [motif, counts] of Object.entries(report.perMotif)) expect(counts).toEqual({ total: expected[motif]![motif], stayed: expected[motif]![motif], moved: 0 });
  });

  it('the Intériale exception for MG/MS withdrawn: exactly the claim it paid moves, to « non couvert », found at G6', async () => {
    // Independently of the expected file: the claims whose G6 finding rested on that exception.
    const resting = decided.filter((c) => c.decided.result.trace.some((t) => t.step === 'G6' && t.facts.some((f) => /^exception Intériale/.test(f))));
    expect(resting.map((c) => c.archiveKey)).toEqual([keyOf('paid--exception-interiale-mg.json')]);

    withdrawn.exceptions = [{ insurer: 'INTERIALE', specialty: 'MG' }, { insurer: 'INTERIALE', specialty: 'MS' }];
    const report = await backtest(decided, VERSION, { current: null });
    expect(report).toMatchObject({ total: cases.length, stayed: cases.length - 1, moved: 1, byStep: { G6: 1 } });
    expect(report.movedClaims).toHaveLength(1);
    const [moved] = report.movedClaims;
    expect(moved).toMatchObject({
      archiveKey: keyOf('paid--exception-interiale-mg.json'), from: 'paid', to: 'beneficiaire_non_couvert',
      fromRoute: null, toRoute: 'practitioner', rulesVersion: 'recorded+111111111111',
    });
    expect(moved!.changed).toMatchObject({ step: 'G6', before: { step: 'G6', result: 'continue' }, after: { step: 'G6', result: 'beneficiaire_non_couvert' } });
    expect(moved!.changed!.after!.facts).toContain('colonne absente de la carte');
    expect(report.matrix.paid).toMatchObject({ beneficiaire_non_couvert: 1 });
    expect(report.perMotif.paid).toMatchObject({ moved: 1 });
    expect(report.perMotif.paid!.stayed).toBe(report.perMotif.paid!.total - 1);
    // Nothing else moved: every other row of the matrix is still its diagonal.
    for (const [from, row] of Object.entries(report.matrix)) {
      if (from !== 'paid') expect(Object.keys(row)).toEqual([from]);
    }
    // April keeps its exceptions (MG and transport): the April transport claim is still paid.
    expect(report.movedClaims.map((c) => c.archiveKey)).not.toContain(keyOf('paid--exception-april-tra.json'));
  });

  it('the transport exception withdrawn for every insurer: the April transport claim moves, the Intériale one stays', async () => {
    withdrawn.exceptions = ['APRIL', 'SMATIS', 'ECA'].map((insurer) => ({ insurer, specialty: 'TRA' }));
    const report = await backtest(decided, VERSION, { current: null });
    expect(report.movedClaims.map((c) => [c.archiveKey, c.from, c.to, c.changed?.step])).toEqual([
      [keyOf('paid--exception-april-tra.json'), 'paid', 'beneficiaire_non_couvert', 'G6'],
    ]);
    expect(report.moved).toBe(1);
  });

  it('a motif routed elsewhere (motif table): claims stay on their motif and are counted as rerouted', async () => {
    const definition = motifDefinition('facture_assure') as { routing: RoutingRule };
    const before = definition.routing;
    definition.routing = 'manager';
    try {
      const report = await backtest(decided, VERSION, { current: null });
      const practitioner = decided.filter((c) => c.decided.result.motif === 'facture_assure' && c.decided.result.route === 'practitioner');
      expect(practitioner.length).toBeGreaterThan(0);
      expect(report).toMatchObject({ moved: 0, rerouted: practitioner.length });
    } finally {
      definition.routing = before;
    }
  });

  it('keepMoved bounds the moved claims kept, not the counts', async () => {
    withdrawn.exceptions = [{ insurer: 'INTERIALE', specialty: 'MG' }, { insurer: 'APRIL', specialty: 'TRA' }];
    const report = await backtest(decided, VERSION, { current: null, keepMoved: 1 });
    expect(report.moved).toBe(2);
    expect(report.movedClaims).toHaveLength(1);
  });
});

describe('replay of the recorded facts', () => {
  /** The paid example without its PROTIPS answer by NIR: what a recording made before that lookup would hold. */
  const withoutBeneficiaryLookup = (): DecidedClaim => {
    const claim = structuredClone(decided.find((c) => c.archiveKey === keyOf('paid.json'))!);
    const calls = claim.decided.references!.calls;
    expect(calls.some((c) => c.method === 'findBeneficiaryByNir')).toBe(true);
    claim.decided.references!.calls = calls.filter((c) => c.method !== 'findBeneficiaryByNir');
    return claim;
  };

  it('a call the recording lacks is answered by today\'s data, and counted as such', async () => {
    const claim = withoutBeneficiaryLookup();
    const paid = cases.find((c) => c.file === 'paid.json')!.caseFile;
    const report = await backtest([claim], VERSION, { current: createMemoryPorts(paid.reference) });
    expect(report).toMatchObject({ total: 1, moved: 0, facts: { recordedClaims: 1, currentClaims: 0, calls: { current: 1, missing: 0 } } });
    // Every other call from the recording (some steps ask the same thing twice: each answer counts).
    expect(report.facts.calls.recorded).toBeGreaterThanOrEqual(claim.decided.references!.calls.length);
  });

  it('without today\'s data, it is missing: answered « nothing found », and the claim moves at the step that asked', async () => {
    const report = await backtest([withoutBeneficiaryLookup()], VERSION, { current: null });
    // The lookup by NIR, then the lookup by name G5 falls back to (never made that day: the NIR found him).
    expect(report.facts.calls).toMatchObject({ current: 0, missing: 2 });
    expect(report.moved).toBe(1);
    expect(report.movedClaims[0]).toMatchObject({ from: 'paid', changed: { step: 'G5', before: { result: 'continue' } } });
    expect(report.movedClaims[0]!.to).not.toBe('paid');
  });

  it('--current-data: today\'s data for every call, recorded or not', async () => {
    const paid = cases.find((c) => c.file === 'paid.json')!.caseFile;
    const changed = structuredClone(paid.reference!);
    changed.beneficiaries = [];
    const claim = decided.find((c) => c.archiveKey === keyOf('paid.json'))!;
    const onRecorded = await backtest([claim], VERSION, { current: createMemoryPorts(changed) });
    expect(onRecorded).toMatchObject({ moved: 0, facts: { recordedClaims: 1, currentClaims: 0, calls: { current: 0 } } });
    const onToday = await backtest([claim], VERSION, { current: createMemoryPorts(changed), currentData: true });
    expect(onToday).toMatchObject({ moved: 1, facts: { recordedClaims: 0, currentClaims: 1 } });
  });

  it('an error of the rules on one claim is its decision (« Manque consigne », as the worker decides it); a database down stops the run', async () => {
    const paid = cases.find((c) => c.file === 'paid.json')!.caseFile;
    const failing = (error: Error) => {
      const ports = createMemoryPorts(paid.reference);
      ports.protips.findBeneficiaryByNir = async () => { throw error; };
      return ports;
    };
    const claims = [withoutBeneficiaryLookup(), decided.find((c) => c.archiveKey === keyOf('facture_assure.json'))!];
    const report = await backtest(claims, VERSION, { current: failing(new TypeError('cards is not iterable')) });
    expect(report).toMatchObject({ total: 2, failed: 1, moved: 1, stayed: 1, matrix: { paid: { manque_consigne: 1 }, facture_assure: { facture_assure: 1 } } });
    expect(report.movedClaims[0]!.changed).toMatchObject({ step: 'G5', after: { step: 'Routing', check: 'analysisFailed' } });
    expect(report.movedClaims[0]!.after.at(-1)!.facts).toEqual(['analyse impossible : cards is not iterable']);

    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    await expect(backtest(claims, VERSION, { current: failing(down) })).rejects.toThrow('ECONNREFUSED');
  });

  it('replayingPorts answers from the recording, copies, and counts', async () => {
    const recording = { calls: [{ port: 'agaps' as const, method: 'findPractitioner', args: ['691234567'], result: { number: '691234567' } }] };
    const { ports, counts } = replayingPorts(recording, null);
    const a = await ports.agaps.findPractitioner('691234567');
    a!.number = 'changed';
    expect(await ports.agaps.findPractitioner('691234567')).toEqual({ number: '691234567' });
    expect(await ports.agaps.findPractitioner('000000000')).toBeNull();
    expect(await ports.agica.findInvoiceRecords('F-1', '1850369123045')).toEqual([]);
    expect(counts).toEqual({ recorded: 2, current: 0, missing: 2 });
    expect(recording.calls[0]!.result).toEqual({ number: '691234567' });
  });

  it('an owned recording hands each answer out once as it is, then copies', async () => {
    const recording = { calls: [{ port: 'agaps' as const, method: 'findPractitioner', args: ['691234567'], result: { number: '691234567' } }] };
    const owned = replayingPorts(recording, null, { owned: true }).ports;
    const first = await owned.agaps.findPractitioner('691234567');
    expect(first).toBe(recording.calls[0]!.result);
    first!.number = 'changed by the rules';
    const second = await owned.agaps.findPractitioner('691234567');
    expect(second).not.toBe(first);
    expect(await replayingPorts(recording, null).ports.agaps.findPractitioner('691234567')).not.toBe(recording.calls[0]!.result);
  });

  it('the back-test on owned recordings decides as on copies', async () => {
    withdrawn.exceptions = [{ insurer: 'INTERIALE', specialty: 'MG' }];
    const copied = await backtest(decided, VERSION, { current: null });
    const owned = await backtest(structuredClone(decided), VERSION, { current: null, ownedRecordings: true });
    expect({ ...owned, rulesMs: 0 }).toEqual({ ...copied, rulesMs: 0 });
    expect(owned.moved).toBe(1);
  });
});

describe('firstChange', () => {
  const line = (step: 'G1' | 'G2' | 'Paid', result: string) => ({ step, check: 'x', facts: [], result });
  it('names the first step whose finding differs, or one trace running longer', () => {
    expect(firstChange([line('G1', 'continue'), line('Paid', 'paid')], [line('G1', 'continue'), line('Paid', 'paid')])).toBeNull();
    expect(firstChange([line('G1', 'continue'), line('G2', 'continue')], [line('G1', 'continue'), line('G2', 'manque_ps')]))
      .toMatchObject({ step: 'G2', before: { result: 'continue' }, after: { result: 'manque_ps' } });
    expect(firstChange([line('G1', 'doublon_ps')], [line('G1', 'continue'), line('G2', 'manque_ps')])).toMatchObject({ step: 'G1' });
    expect(firstChange([line('G1', 'continue')], [line('G1', 'continue'), line('G2', 'manque_ps')])).toMatchObject({ step: 'G2', before: null });
  });
});
