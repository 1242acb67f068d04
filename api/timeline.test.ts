// The timeline's analyses and decisions: from the claim's journal for a run started with gates 5 or more, from the
// history's markers (the frozen reader) for a run started before — on committed histories.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import type { ClaimDecision, InvoiceRecord } from '../db/invoices.js';
import type { AnalysisResult } from '../rules/types.js';
import { JOURNAL_GATES } from '../workflows/contract.js';
import { invoiceTimeline } from './timeline.js';

const dir = join(import.meta.dirname, '..', 'test', 'histories');
/** The same path (a task answered with a motif, then the PS e-mailed), recorded by v5 (gates 5) and by v4 (gates 4). */
const V5 = join(dir, 'invoice-3000000703.v5-task-reply-then-email.json');
const V4 = join(dir, 'invoice-3000000503.v4-task-reply-then-email.json');
const history = (file: string) => historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));

const timeline = (h: ReturnType<typeof history>, decisions: ClaimDecision[]) => invoiceTimeline({
  record: {} as InvoiceRecord, history: h, decisions, tasks: [], email: null,
});

const routed = {
  outcome: 'rejected', motif: 'a_controler', route: 'manager', error: null, rulesVersion: '0.1.0+aaaaaaaaaaaa',
  trace: [
    { step: 'G0', facts: { etat: 'rejetée' }, result: 'continue' },
    { step: 'G7', facts: { montant: 812 }, result: 'a_controler' },
  ],
} as unknown as AnalysisResult;
const answered = { ...routed, motif: 'ro_100', route: 'practitioner', trace: [{ step: 'manager', facts: {}, result: 'ro_100' }] } as unknown as AnalysisResult;
// Within the v5 run (it lasted 478 ms).
const started = JSON.parse(readFileSync(V5, 'utf8')).events[0].eventTime as string;
const after = (ms: number) => new Date(Date.parse(started) + ms).toISOString();
const [first, second] = [after(7), after(300)];
const journal: ClaimDecision[] = [
  { at: first, analysed: true, decision: routed },
  { at: second, analysed: false, decision: answered },
];

describe('the timeline of a run started with the claim\'s journal (gates 5)', () => {
  it('is a run of gates 5', () => {
    const input = history(V5).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(JSON.parse(Buffer.from(input.data!).toString('utf8')).gates).toBeGreaterThanOrEqual(JOURNAL_GATES);
  });


  it('shows each decision from the journal, at its time: an analysis\' steps, then the decision', () => {
    const entries = timeline(history(V5), journal);
    const fromJournal = entries.filter((e) => e.kind === 'step' || e.kind === 'decided');
    expect(fromJournal.map((e) => [e.at, e.kind, e.details?.step ?? e.details?.motif])).toEqual([
      [first, 'step', 'G0'],
      [first, 'step', 'G7'],
      [first, 'decided', 'a_controler'],
      [second, 'decided', 'ro_100'],
    ]);
    expect(fromJournal[0]!.label).toMatch(/^G0 .+ : conforme$/);
    expect(fromJournal[2]!.label).toContain('retour au gestionnaire Almerys');
    expect(fromJournal[2]!.details).toMatchObject({ rulesVersion: '0.1.0+aaaaaaaaaaaa' });
    expect(entries[0]!.kind).toBe('received');
    expect(entries.at(-1)!.kind).toBe('finished');
  });

  it('reads nothing of the history\'s markers: an empty journal shows no analysis', () => {
    const entries = timeline(history(V5), []);
    expect(entries.map((e) => e.kind)).toEqual(['received', 'finished']);
  });
});

describe('the timeline of a run started before the journal (gates 4)', () => {
  it('reads its analyses and decisions from the history\'s markers, as before', () => {
    const entries = timeline(history(V4), journal);
    const decided = entries.filter((e) => e.kind === 'decided');
    // The analysis (routed to a manager), then the manager's reply routed to the PS: the recorded run's, not the journal's.
    expect(decided).toHaveLength(2);
    expect(decided.map((e) => e.at)).not.toContain(first);
    expect(decided.map((e) => e.details?.motif)).not.toContain('ro_100');
    expect(entries.filter((e) => e.kind === 'step').length).toBeGreaterThanOrEqual(1);
  });
});
