// The console's plain-JavaScript modules that need no browser: the labels are the rules' own, served by the API
// (GET /api/labels), and the formats (French dates, NIR masking) do what the pages rely on.

import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ANALYSIS_STEPS } from '../../rules/analyze.js';
import { MOTIFS } from '../../rules/motifs.js';
import { NIR_PATTERN } from '../../rules/schema.js';
import { CONTENT_ERRORS, MISSING_DETAILS } from '../../rules/sublists.js';
import { INVOICE_STATUSES as CONTRACT_STATUSES, TASK_ACTIONS } from '../../workflows/contract.js';
import { consoleLabels } from '../routes/reference.js';
import { TRAME_ROW_OUTCOMES } from '../trame-import.js';
import { AUDIT_ACTIONS } from '../../db/audit.js';

// The console's modules are browser JavaScript without type declarations: loaded by URL, typed loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const load = (path: string): Promise<any> => import(pathToFileURL(new URL(path, import.meta.url).pathname).href);

describe('api/console/lib/labels.js', () => {
  it('names every action of the audit log (db/audit.ts AUDIT_ACTIONS) in French, and no other', async () => {
    const labels = await load('./lib/labels.js');
    expect(Object.keys(labels.AUDIT_ACTION_LABELS).sort()).toEqual([...AUDIT_ACTIONS].sort());
  });

  it('has the analysis steps of rules/analyze.ts, in order, with their titles, as GET /api/labels serves them (no copy)', async () => {
    const labels = await load('./lib/labels.js');
    expect(labels.ANALYSIS_STEPS).toEqual([]);
    labels.setLabels(JSON.parse(JSON.stringify(consoleLabels())));
    expect(labels.ANALYSIS_STEPS).toEqual(ANALYSIS_STEPS.map(({ code, title }) => ({ code, title })));
  });

  it('has the two sub-lists of rules/sublists.ts, verbatim and in the MO order, as GET /api/labels serves them', async () => {
    const labels = await load('./lib/labels.js');
    labels.setLabels(JSON.parse(JSON.stringify(consoleLabels())));
    expect(labels.MISSING_DETAILS).toEqual(MISSING_DETAILS.map(({ code, label }) => ({ code, label })));
    expect(labels.CONTENT_ERRORS).toEqual(CONTENT_ERRORS.map(({ code, label }) => ({ code, label })));
    expect(labels.missingDetailLabel('part_rc')).toBe('Montant de la part RC');
    expect(labels.contentErrorLabel('soins_a_cheval')).toBe('Les soins sont à cheval sur deux contrats');
  });

  it('names every invoice status and every resolution action in French', async () => {
    const labels = await load('./lib/labels.js');
    expect(Object.keys(labels.INVOICE_STATUSES).sort()).toEqual([...CONTRACT_STATUSES].sort());
    expect(Object.fromEntries(Object.entries(labels.INVOICE_STATUSES).map(([k, v]) => [k, (v as { label: string }).label]))).toEqual({
      analyzing: 'en analyse', paid: 'payée', awaiting_manager: 'chez le gestionnaire', awaiting_reply: 'réponse à envoyer',
      replied: 'réponse envoyée', closed: 'clôturée',
    });
    expect(Object.keys(labels.ACTIONS).sort()).toEqual([...TASK_ACTIONS].sort());
    expect(Object.fromEntries(Object.entries(labels.ACTIONS).map(([k, v]) => [k, (v as { label: string }).label]))).toEqual({
      pay: 'Forcer le paiement', reply: 'Répondre au PS avec un motif', reanalyze: 'Réanalyser', close: 'Clôturer (traité chez Almerys)',
    });
  });

  it('says in French what became of each row of an imported Trame, for every outcome code the import gives', async () => {
    const labels = await load('./lib/labels.js');
    expect(Object.keys(labels.TRAME_OUTCOMES).sort()).toEqual([...TRAME_ROW_OUTCOMES].sort());
    expect(labels.TRAME_OUTCOMES.closed.outcome).toBe('appliquée');
    for (const code of TRAME_ROW_OUTCOMES.filter((c) => c !== 'closed' && c !== 'not_filled')) {
      expect(labels.TRAME_OUTCOMES[code]).toMatchObject({ outcome: 'ignorée', why: expect.any(String) });
    }
  });

  it('the motifs that wait for a decision are the two of the spec (the console reads the others from the API)', () => {
    expect(MOTIFS.filter((m) => m.waitsForDecision).map((m) => m.label)).toEqual(['A contrôler', 'Manque Consigne']);
  });
});

describe('api/console/lib/format.js', () => {
  it('recognises NIRs by the rules\' pattern only once GET /api/labels has given it, and shows no unmasked text before', async () => {
    const f = await import(`${pathToFileURL(new URL('./lib/format.js', import.meta.url).pathname).href}?fresh`);
    expect(f.looksLikeNir('1960549494225')).toBe(false);
    expect(f.maskNirsInText('<td>1960549494225</td>')).toBe('');
    f.setNirPattern(consoleLabels().nirPattern);
    expect(consoleLabels().nirPattern).toBe(NIR_PATTERN.source);
    expect(f.maskNirsInText('<td>1960549494225</td>')).toBe('<td>•••••••••4225</td>');
  });

  it('masks NIRs (Corsica too) except their last four characters, in a value or inside a text', async () => {
    const labels = await load('./lib/labels.js');
    labels.setLabels(JSON.parse(JSON.stringify(consoleLabels())));
    const f = await load('./lib/format.js');
    expect(f.maskNir('1960549494225')).toBe('•••••••••4225');
    expect(f.looksLikeNir('1960549494225')).toBe(true);
    expect(f.looksLikeNir('2A60549494225')).toBe(false);
    expect(f.looksLikeNir('185022A123045')).toBe(true);
    expect(f.looksLikeNir('2901122401')).toBe(false);
    expect(f.maskNirsInText('<td>1960549494225</td><td>185022B123045</td><td>2901122401</td><td>F-1960549494225x</td>'))
      .toBe('<td>•••••••••4225</td><td>•••••••••3045</td><td>2901122401</td><td>F-1960549494225x</td>');
  });

  it('writes dates the French way, in Paris time', async () => {
    const f = await load('./lib/format.js');
    expect(f.formatDate('2016-01-05')).toBe('05/01/2016');
    expect(f.formatDateTime('2026-11-22T16:02:00Z')).toBe('22/11/2026 17:02');
    expect(f.formatDateTime('2026-07-01T16:02:00Z')).toBe('01/07/2026 18:02');
    expect(f.formatDuration(26 * 3600_000)).toBe('1 j 2 h');
    expect(f.formatDuration(45 * 60_000)).toBe('45 min');
    // A short SLA (TASK_SLA=20s): an overdue task is late by seconds, never « 0 min ».
    expect(f.formatDuration(12_400)).toBe('12 s');
    expect(f.formatDuration(200)).toBe('1 s');
    expect(f.formatAmount(2.52).replace(/\s/g, ' ')).toBe('2,52 €');
    expect(f.initials('Claire Martin')).toBe('CM');
    expect(f.initials('manager-console')).toBe('MC');
  });
});
