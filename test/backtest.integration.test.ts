// `npm run backtest` as an operator runs it — a real process against the database of a real pipeline (worker on
// the run's Temporal dev server, PostgreSQL) whose claims were decided by the workflows, with the facts they read
// recorded: the rules unchanged move nothing, on a handful of claims and on the whole demo data (every example case
// against the demo reference data, as `npm start` loads it); the filters select what they say; a wrong argument is
// refused in French with exit code 2.
// Critères d'archivage 57000000xx (the handful), 57000001xx (the demo data), 57000002xx (rows written directly).

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { countDecidedClaims, decidedClaims } from '../db/backtest.js';
import { invoices } from '../db/schema.js';
import { seedReference } from '../db/seed.js';
import { exampleUniverse, loadExampleCases } from '../examples/universe.js';
import { analyzeInvoice } from '../rules/analyze.js';
import { createMemoryPorts } from '../rules/memory-ports.js';
import { recordingPorts } from '../rules/references.js';
import { analyzeCase, baseCase, invoiceWith, toManager, toPractitioner } from '../rules/testing/cases.js';
import type { Invoice, IsoDate } from '../rules/types.js';
import { createScratchDatabase, type ScratchDatabase } from './databases.js';
import { createPipeline, until, type Pipeline } from './harness.js';

const ROOT = join(import.meta.dirname, '..');

interface Run { code: number; stdout: string; stderr: string }

/** `npm run -s backtest -- …args` (-s: npm's own banner off stdout, as `| jq` needs), on `databaseUrl`. */
async function backtestCommand(databaseUrl: string, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', '-s', 'backtest', '--', ...args], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The command's JSON report (stdout must hold it alone). */
async function report(databaseUrl: string, ...args: string[]) {
  const run = await backtestCommand(databaseUrl, '--json', ...args);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

async function decide(p: Pipeline, claims: { invoice: Invoice; receivedOn: IsoDate }[]): Promise<void> {
  for (const claim of claims) await p.service.submit(claim);
  for (const { invoice } of claims) {
    // Decided, and its analysis recorded with the facts it read (the repository's record does not show that column).
    await until(`${invoice.archiveKey} decided`, async () => (await p.database.execute(
      sql`select 1 from invoices where archive_key = ${invoice.archiveKey} and status <> 'analyzing' and analysis is not null`,
    )).length > 0, 120_000);
  }
}

describe('npm run backtest on claims decided by the pipeline', () => {
  let p: Pipeline;
  const receivedOn = baseCase().receivedOn;
  // Paid ×3, answered to the PS (Facture assuré) ×2, routed to a manager (Erreur contenu facture) ×1.
  const claims = [
    invoiceWith('5700000001'), invoiceWith('5700000002'), invoiceWith('5700000003'),
    invoiceWith('5700000004', toPractitioner), invoiceWith('5700000005', toPractitioner),
    invoiceWith('5700000006', toManager),
  ].map((invoice) => ({ invoice, receivedOn }));

  beforeAll(async () => {
    p = await createPipeline('backtest', baseCase().reference);
    await decide(p, claims);
    // Two claims received in January (the rows' creation: when they were analysed).
    await p.database.execute(sql`update invoices set created_at = '2026-01-15T10:00:00Z' where archive_key in ('5700000002', '5700000004')`);
  }, 180_000);
  afterAll(async () => p?.close());

  it('--json: one JSON report on stdout, nothing moved, every claim replayed on the facts recorded with it', async () => {
    const r = await report(p.database.url);
    expect(r).toMatchObject({
      total: claims.length, stayed: claims.length, moved: 0, rerouted: 0, movedClaims: [],
      matrix: { paid: { paid: 3 }, facture_assure: { facture_assure: 2 }, erreur_contenu_facture: { erreur_contenu_facture: 1 } },
      perMotif: { paid: { total: 3, stayed: 3, moved: 0 } },
      facts: { recordedClaims: claims.length, currentClaims: 0, calls: { current: 0, missing: 0 } },
      currentData: false,
    });
    expect(r.rulesVersion).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
    // The version that decided them is this one: the worker runs the same rules/.
    expect(r.recordedVersions).toEqual({ [r.rulesVersion]: claims.length });
    expect(r.facts.calls.recorded).toBeGreaterThan(claims.length);
    expect(r.throughput.rules).toBeGreaterThan(0);
  }, 60_000);

  it('--motif, --limit, --since/--until select the claims they say', async () => {
    expect(await report(p.database.url, '--motif', 'facture_assure')).toMatchObject({ total: 2, matrix: { facture_assure: { facture_assure: 2 } } });
    expect((await report(p.database.url, '--motif', 'paid')).total).toBe(3);
    expect((await report(p.database.url, '--motif', 'manque_ps')).total).toBe(0);
    expect(await report(p.database.url, '--limit', '2')).toMatchObject({ total: 2, filter: { limit: 2 } });
    expect((await report(p.database.url, '--until', '2026-01-31')).perMotif).toEqual({
      paid: { total: 1, stayed: 1, moved: 0 }, facture_assure: { total: 1, stayed: 1, moved: 0 },
    });
    expect((await report(p.database.url, '--since', '2026-01-15', '--until', '2026-01-15')).total).toBe(2);
    expect((await report(p.database.url, '--since', '2026-01-16')).total).toBe(claims.length - 2);
    expect((await report(p.database.url, '--since', '2026-01-16', '--motif', 'paid', '--limit', '5')).total).toBe(2);
  }, 120_000);

  it('the text report: the rules version, the stays per motif with their labels, the facts used', async () => {
    const run = await backtestCommand(p.database.url);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`sur ${claims.length} réclamation(s) décidée(s)`);
    expect(run.stdout).toMatch(/restent : 6 {3}bougent : 0/);
    expect(run.stdout).toContain('Facture Assuré');
    expect(run.stdout).toContain('Erreur contenu facture');
    expect(run.stdout).toContain('6 réclamation(s) sur faits enregistrés');
  }, 60_000);

  it('a wrong argument, or no database: a French message on stderr, nothing on stdout, exit 2', async () => {
    for (const [args, message] of [
      [['--json', '--bogus'], 'option inconnue : --bogus'],
      [['--since', '2026-02-30'], '--since : date invalide « 2026-02-30 »'],
      [['--limit', 'dix'], '--limit : nombre invalide « dix »'],
      [['--motif', 'nimporte'], '--motif : motif inconnu « nimporte »'],
      [['--since', '2026-03-01', '--until', '2026-02-01'], 'est postérieure à --until'],
    ] as const) {
      const run = await backtestCommand(p.database.url, ...args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('usage : npm run backtest');
    }
    const unreachable = await backtestCommand('postgres://postgres@127.0.0.1:1/none', '--json');
    expect({ code: unreachable.code, stdout: unreachable.stdout }).toEqual({ code: 2, stdout: '' });
    expect(unreachable.stderr).toContain('base de données injoignable');
  }, 120_000);
});

describe('npm run backtest on the demo data', () => {
  let p: Pipeline;
  // Every example case, against the demo reference data (all examples' together: npm run seed:demo), under
  // critères of this file.
  const cases = loadExampleCases().map(({ caseFile }, i) => ({
    invoice: { ...caseFile.invoice, archiveKey: String(5_700_000_100 + i) }, receivedOn: caseFile.receivedOn,
  }));

  beforeAll(async () => {
    p = await createPipeline('backtestdemo', exampleUniverse());
    await decide(p, cases);
  }, 300_000);
  afterAll(async () => p?.close());

  it('the rules unchanged: zero moves on every claim, on the recorded facts and on today\'s', async () => {
    const recorded = await report(p.database.url);
    expect(recorded).toMatchObject({
      total: cases.length, moved: 0, rerouted: 0,
      facts: { recordedClaims: cases.length, currentClaims: 0, calls: { current: 0, missing: 0 } },
    });
    expect(Object.keys(recorded.matrix).length).toBeGreaterThan(20);
    const today = await report(p.database.url, '--current-data');
    expect(today).toMatchObject({ total: cases.length, moved: 0, rerouted: 0, currentData: true, facts: { recordedClaims: 0, currentClaims: cases.length } });
    expect(today.matrix).toEqual(recorded.matrix);
  }, 120_000);
});

describe('decidedClaims (db/backtest.ts): the stream the command reads', () => {
  let database: ScratchDatabase;
  const receivedOn = baseCase().receivedOn;

  beforeAll(async () => {
    database = await createScratchDatabase(inject('databaseUrl'), 'backtest_rows');
    await seedReference(database.db, baseCase().reference);
    const rows: (typeof invoices.$inferInsert)[] = [];
    // Claims decided before analyses were recorded: the decision alone (no version, no facts) — 57000002xx.
    for (const [key, change] of [['5700000201', undefined], ['5700000202', toPractitioner], ['5700000203', toManager]] as const) {
      const invoice = invoiceWith(key, change);
      const decision = await analyzeCase({ invoice, receivedOn, reference: baseCase().reference });
      rows.push({ id: key, archiveKey: key, workflowId: `invoice-${key}`, status: decision.outcome === 'paid' ? 'paid' : 'replied', invoice, receivedOn, decision });
    }
    // Decided « Manque PS » at G2 with the facts it read — which today's rules find paid: a claim that moves.
    const moving = invoiceWith('5700000205');
    const recorder = recordingPorts(createMemoryPorts(baseCase().reference));
    const { result: paid } = await analyzeInvoice(moving, receivedOn, recorder.ports);
    const trace = [...paid.trace.filter((t) => t.step === 'G0' || t.step === 'G1'),
      { step: 'G2' as const, check: 'checkPractitioner', facts: ['PS absent d\'AGAPS'], result: 'manque_ps' },
      { step: 'Routing' as const, check: 'routeFinding', facts: ['motif au gestionnaire'], result: 'manager' }];
    const recorded = { outcome: 'rejected' as const, motif: 'manque_ps' as const, error: null, route: 'manager' as const, trace };
    rows.push({
      id: '5700000205', archiveKey: '5700000205', workflowId: 'invoice-5700000205', status: 'awaiting_manager', motif: 'manque_ps', route: 'manager',
      invoice: moving, receivedOn, decision: { ...paid, ...recorded, rulesVersion: '0.0.9+aaaaaaaaaaaa' }, rulesVersion: '0.0.9+aaaaaaaaaaaa',
      analysis: { rulesVersion: '0.0.9+aaaaaaaaaaaa', result: recorded, references: recorder.recording() },
    });
    // Still being analysed: not a decided claim.
    rows.push({ id: '5700000204', archiveKey: '5700000204', workflowId: 'invoice-5700000204', status: 'analyzing', invoice: invoiceWith('5700000204'), receivedOn });
    await database.db.insert(invoices).values(rows);
  }, 60_000);
  afterAll(async () => database?.drop());

  it('claims decided before facts were recorded: their decision, replayed on today\'s data; all in keyset pages', async () => {
    const claims = [];
    for await (const claim of decidedClaims(database.db, { pageSize: 2 })) claims.push(claim);
    expect(claims.map((c) => [c.archiveKey, c.decided.references && 'facts', c.decided.rulesVersion, c.decided.result.motif])).toEqual([
      ['5700000201', null, null, null], ['5700000202', null, null, 'facture_assure'], ['5700000203', null, null, 'erreur_contenu_facture'],
      ['5700000205', 'facts', '0.0.9+aaaaaaaaaaaa', 'manque_ps'],
    ]);
    expect(claims[0]!.decided.result.trace.at(-1)).toMatchObject({ step: 'Paid', result: 'paid' });
    const limited = [];
    for await (const claim of decidedClaims(database.db, { pageSize: 2, limit: 2 })) limited.push(claim.archiveKey);
    expect(limited).toEqual(['5700000201', '5700000202']);
    expect(await countDecidedClaims(database.db)).toBe(4);

    const r = await report(database.url, '--until', '2099-12-31', '--limit', '3');
    expect(r).toMatchObject({
      total: 3, moved: 0, recordedVersions: { unknown: 3 },
      facts: { recordedClaims: 0, currentClaims: 3, calls: { recorded: 0, current: 0, missing: 0 } },
    });
  }, 60_000);

  it('a claim today\'s rules decide otherwise: in the matrix, in the JSON and in the text, with the first step that changed', async () => {
    const r = await report(database.url, '--motif', 'manque_ps');
    expect(r).toMatchObject({
      total: 1, stayed: 0, moved: 1, matrix: { manque_ps: { paid: 1 } }, perMotif: { manque_ps: { total: 1, stayed: 0, moved: 1 } },
      byStep: { G2: 1 }, recordedVersions: { '0.0.9+aaaaaaaaaaaa': 1 }, facts: { recordedClaims: 1, calls: { current: 0, missing: 0 } },
    });
    expect(r.movedClaims).toEqual([expect.objectContaining({
      archiveKey: '5700000205', from: 'manque_ps', to: 'paid', fromRoute: 'manager', toRoute: null,
      changed: expect.objectContaining({ step: 'G2', before: expect.objectContaining({ result: 'manque_ps' }), after: expect.objectContaining({ result: 'continue' }) }),
    })]);
    const text = await backtestCommand(database.url);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/restent : 3 {3}bougent : 1/);
    expect(text.stdout).toContain('Manque PS ou PS inconnu');
    expect(text.stdout).toContain('manque_ps → paid  (G2 : manque_ps → continue)');
    // The matrix: the row that moved, with where it went (and what stayed: here nothing).
    expect(text.stdout).toMatch(/^ {2}De \\ vers\s+paid$/m);
    expect(text.stdout).toMatch(/^ {2}manque_ps\s+1$/m);
  }, 60_000);
});
