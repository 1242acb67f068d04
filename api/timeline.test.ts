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

const file = join(import.meta.dirname, '..', 'test', 'histories', 'invoice-3000000503.v4-task-reply-then-email.json');

/** The committed history, its start input's `gates` set to `gates` (undefined: as recorded, 4). */
function history(gates?: number) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  if (gates !== undefined) {
    const payload = json.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
    payload.data = Buffer.from(JSON.stringify({ ...input, gates }), 'utf8').toString('base64');
  }
  return historyFromJSON(json);
}

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
// Within the recorded run (it lasted 163 ms).
const started = JSON.parse(readFileSync(file, 'utf8')).events[0].eventTime as string;
const after = (ms: number) => new Date(Date.parse(started) + ms).toISOString();
const [first, second] = [after(7), after(100)];
const journal: ClaimDecision[] = [
  { at: first, analysed: true, decision: routed },
  { at: second, analysed: false, decision: answered },
];

describe('the timeline of a run started with the claim\'s journal (gates 5)', () => {
  it('shows each decision from the journal, at its time: an analysis\' steps, then the decision', () => {
    const entries = timeline(history(JOURNAL_GATES), journal);
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
    const entries = timeline(history(JOURNAL_GATES), []);
    expect(entries.map((e) => e.kind)).toEqual(['received', 'finished']);
  });
});

describe('the timeline of a run started before the journal (gates 4)', () => {
  it('reads its analyses and decisions from the history\'s markers, as before', () => {
    const entries = timeline(history(), journal);
    const decided = entries.filter((e) => e.kind === 'decided');
    // The analysis (routed to a manager), then the manager's reply routed to the PS: the recorded run's, not the journal's.
    expect(decided).toHaveLength(2);
    expect(decided.map((e) => e.at)).not.toContain(first);
    expect(decided.map((e) => e.details?.motif)).not.toContain('ro_100');
    expect(entries.filter((e) => e.kind === 'step').length).toBeGreaterThanOrEqual(1);
  });
});
