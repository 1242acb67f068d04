// The API over real HTTP, on the real Temporal dev server and PostgreSQL.

import { Client, Connection } from '@temporalio/client';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rulesVersion } from '../activities/rules-version.js';
import { createInvoiceRepository } from '../db/invoices.js';
import * as schema from '../db/schema.js';
import { analyzeCase, baseCase, caseWith, decisionOf } from '../rules/testing/cases.js';
import { createPipeline, type Pipeline, type RunningApi } from '../test/harness.js';
import { buildApp } from './app.js';
import { createInvoiceService } from './invoice-service.js';

let p: Pipeline;
let api: RunningApi;
let base: string;

beforeAll(async () => {
  p = await createPipeline('api', baseCase().reference);
  api = await p.startApi();
  base = api.base;
}, 120_000);
afterAll(async () => {
  await p?.close();
});

type Res = Omit<Response, 'json'> & { json(): Promise<any> };
const post = (path: string, body: unknown) => api.fetch(path, { method: 'POST', json: body }) as Promise<Res>;
const get = (path: string) => api.fetch(path) as Promise<Res>;

async function decided(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const body = await (await get(`/api/invoices/${id}`)).json();
    if (body.status !== 'analyzing') return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`invoice ${id} still analysing`);
}

describe('POST /api/invoices', () => {
  it('202 { id, workflowId, status }, then the decision, the same as the rules alone', async () => {
    const c = caseWith((x) => { x.invoice.archiveKey = '2000000001'; x.invoice.flags!.carePathRespected = false; });
    const res = await post('/api/invoices', { invoice: c.invoice, receivedOn: c.receivedOn });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe('/api/invoices/2000000001');
    expect(await res.json()).toMatchObject({ id: '2000000001', workflowId: 'invoice-2000000001', status: 'analyzing', duplicate: false });
    const body = await decided('2000000001');
    expect(body).toMatchObject({ motif: 'parcours_soins', route: 'practitioner' });
    expect(['awaiting_reply', 'replied']).toContain(body.status);
    const expected = { ...(await analyzeCase(c)), rulesVersion: rulesVersion() };
    expect(decisionOf(body.decision as never)).toEqual(decisionOf(expected));
    expect((body.trace as unknown[]).length).toBe(expected.trace.length);
  });

  it('a resubmission returns the same id', async () => {
    const c = caseWith((x) => { x.invoice.archiveKey = '2000000002'; });
    const a = await (await post('/api/invoices', { invoice: c.invoice, receivedOn: c.receivedOn })).json();
    const b = await (await post('/api/invoices', { invoice: c.invoice, receivedOn: c.receivedOn })).json();
    expect(b).toMatchObject({ id: a.id, workflowId: a.workflowId, duplicate: true });
  });

  it('a bad body → 400 naming each bad field, and nothing reaches Temporal', async () => {
    const res = await post('/api/invoices', {
      invoice: { archiveKey: '123', practitionerNumber: 'ABC', beneficiary: { nir: '1' }, acts: [{ date: '2016-02-31' }] },
      receivedOn: 'hier',
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'invoice.acts[0].date', 'invoice.archiveKey', 'invoice.beneficiary.nir', 'invoice.practitionerNumber', 'receivedOn',
    ]);
    const runs = [];
    for await (const w of p.client.workflow.list({ query: `WorkflowId = 'invoice-123'` })) runs.push(w);
    expect(runs).toHaveLength(0);
  });

  it('malformed JSON → 400', async () => {
    const res = (await api.fetch('/api/invoices', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"invoice":' })) as Res;
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await res.json()).toMatchObject({ type: '/problems/invalid_json', title: 'JSON invalide', status: 400, code: 'invalid_json', detail: expect.stringMatching(/^JSON invalide : /) });
  });
});

describe('errors: RFC 9457 problem details in French', () => {
  it('each problem type resolves to its title; an unknown route and an unknown type are problems too', async () => {
    const conflict = await get('/problems/task_conflict');
    expect(conflict.status).toBe(200);
    expect(await conflict.json()).toEqual({ type: '/problems/task_conflict', code: 'task_conflict', title: 'Conflit sur la tâche' });
    const unknownType = await get('/problems/no_such_problem');
    expect(unknownType.status).toBe(404);
    expect(await unknownType.json()).toMatchObject({ code: 'not_found', detail: 'Le type de problème no_such_problem : introuvable' });
    const noRoute = await get('/api/nothing-here?nir=1850369123045');
    expect(noRoute.status).toBe(404);
    expect(await noRoute.json()).toMatchObject({ type: '/problems/route_not_found', title: 'Adresse inconnue', detail: 'Aucune opération GET /api/nothing-here' });
    const missing = await get('/api/invoices/2999999999');
    expect(await missing.json()).toMatchObject({ status: 404, code: 'not_found', detail: 'La facture 2999999999 : introuvable' });
  });
});

describe('POST /api/batches', () => {
  it('starts one workflow per invoice of the document', async () => {
    const invoices = ['2000000010', '2000000011', '2000000012'].map((k) => caseWith((x) => { x.invoice.archiveKey = k; }).invoice);
    const res = await post('/api/batches', { batchId: 'gto-42', receivedOn: '2016-02-23', invoices });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ batchId: 'gto-42', workflowId: 'batch-gto-42' });
    expect(body.invoices.map((r: { id: string }) => r.id)).toEqual(['2000000010', '2000000011', '2000000012']);
    for (const id of ['2000000010', '2000000011', '2000000012']) expect(await decided(id)).toMatchObject({ status: 'paid', batchId: 'gto-42' });
    const list = await (await get('/api/invoices?batchId=gto-42')).json();
    expect(list.total).toBe(3);
    await p.client.workflow.getHandle('batch-gto-42').result();
    expect(await (await get('/api/batches/gto-42')).json()).toMatchObject({ status: 'closed', gtoClosure: 'FIN OK', decided: 3, paid: 3, phase: 'closed' });
  });

  it('the same critère d\'archivage twice in a document → 400 naming it', async () => {
    const inv = caseWith((x) => { x.invoice.archiveKey = '2000000020'; }).invoice;
    const res = await post('/api/batches', { batchId: 'gto-twice', invoices: [inv, inv] });
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([{ path: 'invoices[1].archiveKey', message: "same critère d'archivage as invoices[0]" }]);
  });
});

describe('GET /api/invoices', () => {
  it('filters by status, motif and N° PS; checks the filters', async () => {
    const c = caseWith((x) => { x.invoice.archiveKey = '2000000030'; x.invoice.flags!.ro100 = true; });
    await post('/api/invoices', { invoice: c.invoice, receivedOn: c.receivedOn });
    await decided('2000000030');
    await p.client.workflow.getHandle('invoice-2000000030').result();
    const byMotif = await (await get('/api/invoices?motif=ro_100&ps=691234567&status=replied')).json();
    expect(byMotif.items.map((i: { id: string }) => i.id)).toEqual(['2000000030']);
    const bad = await get('/api/invoices?status=done&ps=12&limit=0');
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.map((e: { path: string }) => e.path).sort()).toEqual(['query.limit', 'query.ps', 'query.status']);
  });

  it('unknown id → 404; malformed id → 400', async () => {
    expect((await get('/api/invoices/9999999999')).status).toBe(404);
    expect((await get('/api/invoices/abc')).status).toBe(400);
  });
});

describe('GET /api/invoices/:id/history', () => {
  it('the workflow\'s event history as JSON', async () => {
    const c = caseWith((x) => { x.invoice.archiveKey = '2000000040'; });
    await post('/api/invoices', { invoice: c.invoice, receivedOn: c.receivedOn });
    await decided('2000000040');
    const history = await (await get('/api/invoices/2000000040/history')).json();
    const types = history.events.map((e: { eventType: string }) => e.eventType);
    expect(types[0]).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(types).toContain('EVENT_TYPE_MARKER_RECORDED');

    // What an auditor downloads replays with `npm run replay -- --file`.
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const file = join(mkdtempSync(join(tmpdir(), 'history-')), 'invoice-2000000040.json');
    writeFileSync(file, JSON.stringify(history));
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/replay.ts', '--file', file], { cwd: join(import.meta.dirname, '..') });
    expect(stdout).toContain('1 replayed, 0 failed');
  }, 60_000);
});

describe('health and docs', () => {
  it('GET /health → ok with both checks, without credentials', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', temporal: { ok: true }, database: { ok: true } });
  });

  it('the OpenAPI document is served at /docs', async () => {
    const spec = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/invoices', '/api/batches', '/api/invoices/{id}', '/api/invoices/{id}/history', '/health', '/api/tasks', '/api/tasks/{id}/resolve']));
    expect((await fetch(`${base}/docs`)).status).toBeLessThan(400);
  });
});

describe('Temporal or the database down → 503, never a crash', () => {
  it('Temporal unreachable', async () => {
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const service = createInvoiceService({ client, db: p.database.db, taskQueue: p.taskQueue, temporalTimeoutMs: 1000 });
    const down = await buildApp({ ...api.deps, client, service, temporalTimeoutMs: 1000 });
    const auth = { authorization: `Bearer ${api.keys.submitter}` };
    try {
      const c = caseWith((x) => { x.invoice.archiveKey = '2000000050'; });
      const res = await down.inject({ method: 'POST', url: '/api/invoices', payload: { invoice: c.invoice }, headers: auth });
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toContain('Temporal');
      const health = await down.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ status: 'unavailable', temporal: { ok: false }, database: { ok: true } });
    } finally {
      await down.close();
    }
  }, 30_000);

  it('database unreachable', async () => {
    const sql = postgres('postgres://postgres@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => undefined });
    const deadDb = drizzle(sql, { schema });
    const invoices = createInvoiceRepository(deadDb);
    const service = createInvoiceService({ client: p.client, db: deadDb, taskQueue: p.taskQueue });
    const database = { execute: async (q: string) => { await sql.unsafe(q); return []; } };
    // Keys are checked in the database too: this app's keys come from the live one, its data from the dead one.
    const down = await buildApp({ ...api.deps, database: database as never, invoices, service });
    const auth = { authorization: `Bearer ${api.keys.manager}` };
    const submit = { authorization: `Bearer ${api.keys.submitter}` };
    try {
      const res = await down.inject({ method: 'GET', url: '/api/invoices/2000000001', headers: auth });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'database_unavailable', detail: expect.stringContaining('base de données') });
      const c = caseWith((x) => { x.invoice.archiveKey = '2000000051'; });
      expect((await down.inject({ method: 'POST', url: '/api/invoices', payload: { invoice: c.invoice }, headers: submit })).statusCode).toBe(503);
    } finally {
      await down.close();
      await sql.end();
    }
  }, 30_000);
});

describe('roles', () => {
  it('401 without credentials, 403 with the wrong role, the right role passes', async () => {
    const c = caseWith((x) => { x.invoice.archiveKey = '2000000060'; });
    const none = await api.fetch('/api/invoices', { method: 'POST', json: { invoice: c.invoice }, role: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await api.fetch('/api/invoices', { method: 'POST', json: { invoice: c.invoice }, role: 'manager' })).status).toBe(403);
    expect((await api.fetch('/api/invoices', { method: 'POST', json: { invoice: c.invoice }, role: 'submitter' })).status).toBe(202);
    expect((await api.fetch('/api/invoices?status=paid', { role: 'submitter' })).status).toBe(403);
    expect((await api.fetch('/api/invoices?status=paid', { role: 'auditor' })).status).toBe(200);
    expect((await api.fetch('/api/invoices/2000000060', { role: 'submitter' })).status).toBe(200);
    expect((await api.fetch('/api/tasks', { role: 'submitter' })).status).toBe(403);
    expect((await api.fetch('/api/keys', { role: 'manager' })).status).toBe(403);
    expect((await api.fetch('/api/keys', { role: 'admin' })).status).toBe(200);
  });
});
