// The rules' versions and the back-test over real HTTP, on the real Temporal dev server and PostgreSQL: each decided
// claim names the version of the rules that decided it (its view, the list, the list's filter, GET /api/rules/versions);
// GET /api/backtest replays today's rules on the claims of a period — nothing moves while the rules are the same, and a
// recorded analysis altered in the database shows up as moved, from its recorded motif to today's, at the step that
// changed; GET /api/invoices/:id/backtest does it for one claim. Who may, and bad input (400 problem details in French).

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoices } from '../db/schema.js';
import { baseCase, caseWith } from '../rules/testing/cases.js';
import { createPipeline, until, type Pipeline, type RunningApi } from '../test/harness.js';
import { BACKTEST_MAX_CLAIMS } from './routes/rules.js';

const PAID = '5800000001';
const ANSWERED = '5800000002'; // care path not respected: « parcours_soins », answered to the PS
const ALTERED_TO = 'facture_assure';
const VERSION = /^\d+\.\d+\.\d+\+[0-9a-f]{12}$/;
const today = () => new Date().toISOString().slice(0, 10);

let p: Pipeline;
let api: RunningApi;
let current: string;

const get = async (path: string, role: 'submitter' | 'manager' | 'auditor' | 'admin' = 'manager') => {
  const res = await api.fetch(path, { role });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
};

beforeAll(async () => {
  p = await createPipeline('rulesapi', baseCase().reference);
  api = await p.startApi();
  const paid = caseWith((x) => { x.invoice.archiveKey = PAID; });
  const answered = caseWith((x) => { x.invoice.archiveKey = ANSWERED; x.invoice.flags!.carePathRespected = false; });
  for (const c of [paid, answered]) {
    const res = await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } });
    expect(res.status).toBe(202);
  }
  for (const id of [PAID, ANSWERED]) {
    await until(`${id} decided`, async () => {
      const { body } = await get(`/api/invoices/${id}`);
      return body.status !== 'analyzing' && body.rulesVersion ? body : null;
    });
  }
}, 120_000);
afterAll(async () => {
  await p?.close();
});

describe('the version of the rules on every decision', () => {
  it('GET /api/rules/versions: this API\'s version, and the versions that decided claims with their counts', async () => {
    const { status, body } = await get('/api/rules/versions', 'auditor');
    expect(status).toBe(200);
    expect(body.current).toMatch(VERSION);
    current = body.current;
    // The worker of this file runs the same rules as its API.
    expect(body.versions).toEqual([{ version: current, count: 2, firstReceivedAt: expect.any(String), lastReceivedAt: expect.any(String) }]);
    expect(body.unversioned).toBe(0);
  });

  it('an invoice and the list name it; the list filters by it', async () => {
    const one = (await get(`/api/invoices/${ANSWERED}`)).body;
    expect(one).toMatchObject({ motif: 'parcours_soins', rulesVersion: current, decision: { rulesVersion: current } });
    const list = (await get(`/api/invoices?rulesVersion=${encodeURIComponent(current)}`, 'auditor')).body;
    expect(list.total).toBe(2);
    expect(list.items.map((x: { id: string; rulesVersion: string }) => [x.id, x.rulesVersion]).sort())
      .toEqual([[PAID, current], [ANSWERED, current]]);
    const none = (await get(`/api/invoices?rulesVersion=${encodeURIComponent('0.0.0+000000000000')}`)).body;
    expect(none).toMatchObject({ total: 0, items: [] });
    // A claim decided before versions were recorded: null, listed as « unversioned ».
    await p.database.db.update(invoices).set({ rulesVersion: null }).where(eq(invoices.archiveKey, PAID));
    expect((await get(`/api/invoices/${PAID}`)).body.rulesVersion).toBeNull();
    expect((await get('/api/rules/versions')).body).toMatchObject({ versions: [{ version: current, count: 1 }], unversioned: 1 });
    await p.database.db.update(invoices).set({ rulesVersion: current }).where(eq(invoices.archiveKey, PAID));
  });
});

describe('GET /api/backtest', () => {
  it('replays the claims of the period: nothing moves under the same rules', async () => {
    const { status, body } = await get(`/api/backtest?since=${today()}&until=${today()}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      rulesVersion: current, selected: 2, total: 2, stayed: 2, moved: 0, movedClaims: [], movedOmitted: 0,
      matrix: { paid: { paid: 1 }, parcours_soins: { parcours_soins: 1 } },
      perMotif: { paid: { total: 1, stayed: 1, moved: 0 }, parcours_soins: { total: 1, stayed: 1, moved: 0 } },
      facts: { recordedClaims: 2, currentClaims: 0 },
    });
    expect(body.byStep).toEqual({});
    // Another period: nothing.
    expect((await get('/api/backtest?since=2020-01-01&until=2020-01-31')).body).toMatchObject({ selected: 0, total: 0 });
  });

  it('a recorded analysis altered in the database moves, from its recorded motif to today\'s, at the step that fired', async () => {
    const [row] = await p.database.db.select({ analysis: invoices.analysis }).from(invoices).where(eq(invoices.archiveKey, ANSWERED));
    const analysis = structuredClone(row!.analysis!);
    const fired = analysis.result.trace.findIndex((l) => l.result === 'parcours_soins');
    expect(fired).toBeGreaterThanOrEqual(0);
    const step = analysis.result.trace[fired]!.step;
    analysis.result.motif = ALTERED_TO;
    analysis.result.trace[fired]!.result = ALTERED_TO;
    await p.database.db.update(invoices).set({ analysis }).where(eq(invoices.archiveKey, ANSWERED));

    const { body } = await get(`/api/backtest?since=${today()}`, 'auditor');
    expect(body).toMatchObject({
      total: 2, stayed: 1, moved: 1, movedOmitted: 0,
      matrix: { paid: { paid: 1 }, [ALTERED_TO]: { parcours_soins: 1 } },
      perMotif: { [ALTERED_TO]: { total: 1, stayed: 0, moved: 1 } },
      byStep: { [step]: 1 },
    });
    expect(body.movedClaims).toHaveLength(1);
    expect(body.movedClaims[0]).toMatchObject({
      archiveKey: ANSWERED, from: ALTERED_TO, to: 'parcours_soins', rulesVersion: current,
      changed: { step, before: { step, result: ALTERED_TO }, after: { step, result: 'parcours_soins' } },
    });
    expect(body.movedClaims[0].before[fired].result).toBe(ALTERED_TO);
    expect(body.movedClaims[0].after[fired].result).toBe('parcours_soins');

    // One motif, one claim; `paid`: the paid one; the limit.
    expect((await get(`/api/backtest?motif=${ALTERED_TO}`)).body).toMatchObject({ selected: 1, total: 1, moved: 1 });
    expect((await get('/api/backtest?motif=paid')).body).toMatchObject({ selected: 1, total: 1, moved: 0, matrix: { paid: { paid: 1 } } });
    expect((await get('/api/backtest?limit=1')).body).toMatchObject({ selected: 2, total: 1, limit: 1 });

    // The same claim alone: both traces, the step that changed.
    const one = await get(`/api/invoices/${ANSWERED}/backtest`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      archiveKey: ANSWERED, rulesVersion: current, recordedVersion: current, from: ALTERED_TO, to: 'parcours_soins', moved: true,
      facts: 'recorded', changed: { step },
    });
    expect(one.body.before).toEqual(body.movedClaims[0].before);
    expect(one.body.after).toEqual(body.movedClaims[0].after);
    expect((await get(`/api/invoices/${PAID}/backtest`, 'auditor')).body).toMatchObject({ from: 'paid', to: 'paid', moved: false, changed: null });

    // Audited: reads of personal data (the traces).
    const audit = (await get('/api/audit?action=backtest.run', 'auditor')).body;
    expect(audit.entries.length).toBeGreaterThanOrEqual(1);
    expect(audit.entries[0].details).toMatchObject({ total: expect.any(Number), rulesVersion: current });
    expect((await get(`/api/audit?action=invoice.backtest&target=${ANSWERED}`, 'auditor')).body.entries[0].details)
      .toEqual({ from: ALTERED_TO, to: 'parcours_soins' });
  });
});

describe('who may, and bad input', () => {
  it('managers, auditors and admins; a submitter gets 403', async () => {
    for (const path of ['/api/backtest', '/api/rules/versions', `/api/invoices/${PAID}/backtest`]) {
      for (const role of ['manager', 'auditor', 'admin'] as const) expect((await get(path, role)).status, `${role} ${path}`).toBe(200);
      const refused = await get(path, 'submitter');
      expect(refused.status, path).toBe(403);
      expect(refused.type).toBe('application/problem+json; charset=utf-8');
      expect(refused.body).toMatchObject({ code: 'forbidden', title: 'Accès refusé' });
      expect((await api.fetch(path, { role: null })).status).toBe(401);
    }
  });

  it('400 problem details in French naming each bad field; 404 for a claim unknown', async () => {
    const cases: [string, string, RegExp][] = [
      ['/api/backtest?since=2026-13-45', 'query.since', /AAAA-MM-JJ/],
      ['/api/backtest?since=2026-02-10&until=2026-02-01', 'query.until', /même jour que since ou un jour après/],
      ['/api/backtest?limit=0', 'query.limit', new RegExp(`entier de 1 à ${BACKTEST_MAX_CLAIMS}`)],
      [`/api/backtest?limit=${BACKTEST_MAX_CLAIMS + 1}`, 'query.limit', /entier de 1/],
      ['/api/backtest?motif=inconnu', 'query.motif', /code motif/],
      ['/api/invoices?rulesVersion=pas%20une%20version', 'query.rulesVersion', /version des règles/],
      ['/api/invoices/58/backtest', 'params.id', /10 chiffres/],
    ];
    for (const [path, field, message] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.type).toBe('application/problem+json; charset=utf-8');
      expect(res.body).toMatchObject({ code: 'invalid_request', title: 'Requête invalide' });
      expect(res.body.errors, path).toEqual(expect.arrayContaining([{ path: field, message: expect.stringMatching(message) }]));
    }
    const missing = await get('/api/invoices/5899999999/backtest');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'not_found', detail: 'La décision de la facture 5899999999 : introuvable' });
  });
});
