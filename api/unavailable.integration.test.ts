// Fail fast: PostgreSQL or Temporal down (a closed port) or hung (a server that accepts connections and never
// answers) → 503 within the bounds of the issue, never a wait. The run's PostgreSQL and Temporal are left alone:
// the dead ends are ports of our own.

import { createServer, type Server, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, DEFAULT_CONNECT_TIMEOUT_SECONDS, type OpenDatabase } from '../db/client.js';
import { baseCase } from '../rules/testing/cases.js';
import { freePort } from '../scripts/temporal-cli.js';
import { invoiceWorkflowId } from '../workflows/contract.js';
import { createPipeline, type Pipeline, type RunningApi } from '../test/harness.js';
import type { AppDependencies } from './app.js';
import { NOT_ANSWERING } from './deadlines.js';
import { appDependencies } from './server.js';

/** The bounds named by the issue. */
const DATABASE_DOWN_MS = 2_000;
const TEMPORAL_DOWN_MS = 3_000;
/** A hung PostgreSQL is given up after the connect timeout (2 s); then the answer. */
const DATABASE_HUNG_MS = DEFAULT_CONNECT_TIMEOUT_SECONDS * 1000 + 750;

let p: Pipeline;
let live: RunningApi;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  p = await createPipeline('unavailable', baseCase().reference, { worker: false });
  live = await p.startApi();
}, 120_000);
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await p?.close();
});

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as { port: number }).port;
}

/** The API over a database at this URL (its keys from the live one, so that requests get past authentication). */
async function apiOverDatabase(url: string, options: { connectTimeoutSeconds?: number; requestTimeoutMs?: number } = {}) {
  const database: OpenDatabase = await connectPostgres(url, { connectTimeoutSeconds: options.connectTimeoutSeconds });
  cleanups.push(() => database.close());
  const { keys: _keys, sessionSecret: _secret, ...dead } = appDependencies({
    client: p.client, database, taskQueue: p.taskQueue, env: { SESSION_SECRET: 'x'.repeat(40) },
  });
  const overrides: Partial<AppDependencies> = { ...dead, requestTimeoutMs: options.requestTimeoutMs };
  return p.startApi(overrides);
}

/** The API over a Temporal frontend at this address. */
async function apiOverTemporal(address: string) {
  const connection = Connection.lazy({ address });
  cleanups.push(() => connection.close());
  return p.startApi({ client: new Client({ connection }) });
}

async function timed(api: RunningApi, path: string, role: 'manager' | null = 'manager') {
  const start = Date.now();
  const res = await api.fetch(path, { role });
  const body = await res.json();
  return { status: res.status, body, ms: Date.now() - start };
}

describe('PostgreSQL down: a closed port', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await apiOverDatabase(`postgres://postgres@127.0.0.1:${await freePort()}/none`);
  });

  it('/health → 503 naming the database, within 2 s', async () => {
    const health = await timed(api, '/health', null);
    expect(health).toMatchObject({ status: 503, body: { status: 'unavailable', database: { ok: false }, temporal: { ok: true } } });
    expect(health.ms).toBeLessThanOrEqual(DATABASE_DOWN_MS);
  });

  it('GET /api/invoices → 503 within 2 s', async () => {
    const list = await timed(api, '/api/invoices');
    expect(list.status).toBe(503);
    expect(list.body).toMatchObject({ code: 'database_unavailable', title: 'Service indisponible' });
    expect(list.body.message).toContain('base de données');
    expect(list.ms).toBeLessThanOrEqual(DATABASE_DOWN_MS);
  });
});

describe('PostgreSQL hung: it accepts connections and never answers', () => {
  it('/health → 503 within 2 s (its probe has its own bound), GET /api/invoices once the connect timeout is over', async () => {
    const api = await apiOverDatabase(`postgres://postgres@127.0.0.1:${await silentServer()}/none`);
    const [health, list] = await Promise.all([timed(api, '/health', null), timed(api, '/api/invoices')]);
    expect(health).toMatchObject({ status: 503, body: { database: { ok: false }, temporal: { ok: true } } });
    expect(health.ms).toBeLessThanOrEqual(DATABASE_DOWN_MS);
    expect(list).toMatchObject({ status: 503, body: { message: expect.stringContaining('base de données') } });
    expect(list.ms).toBeLessThanOrEqual(DATABASE_HUNG_MS);
  });

  it('whatever hangs, a request is answered 503 when its bound is over', async () => {
    // A connect timeout far away: only the request's own bound answers.
    const api = await apiOverDatabase(`postgres://postgres@127.0.0.1:${await silentServer()}/none`, {
      connectTimeoutSeconds: 60, requestTimeoutMs: 1_000,
    });
    const list = await timed(api, '/api/invoices');
    expect(list).toMatchObject({ status: 503, body: { message: NOT_ANSWERING } });
    expect(list.ms).toBeLessThanOrEqual(1_500);
    const health = await timed(api, '/health', null);
    expect(health).toMatchObject({ status: 503, body: { message: NOT_ANSWERING } });
    expect(health.ms).toBeLessThanOrEqual(1_500);
  });
});

describe('Temporal down or hung', () => {
  const archiveKey = '5200000001';
  beforeAll(async () => {
    const c = baseCase();
    await p.invoices.recordReceived({
      archiveKey, workflowId: invoiceWorkflowId(archiveKey), invoice: { ...c.invoice, archiveKey }, receivedOn: c.receivedOn,
    });
  });

  for (const [what, address] of [
    ['a closed port', async () => `127.0.0.1:${await freePort()}`],
    ['a server that never answers', async () => `127.0.0.1:${await silentServer()}`],
  ] as const) {
    it(`${what}: /health and the workflow history → 503 within 3 s`, async () => {
      const api = await apiOverTemporal(await address());
      const health = await timed(api, '/health', null);
      expect(health).toMatchObject({ status: 503, body: { status: 'unavailable', temporal: { ok: false }, database: { ok: true } } });
      expect(health.ms).toBeLessThanOrEqual(TEMPORAL_DOWN_MS);
      for (const path of [`/api/invoices/${archiveKey}/history`, `/api/invoices/${archiveKey}/timeline`]) {
        const res = await timed(api, path);
        expect(res).toMatchObject({ status: 503, body: { message: expect.stringContaining('Temporal') } });
        expect(res.ms).toBeLessThanOrEqual(TEMPORAL_DOWN_MS);
      }
      // What needs only the database still answers.
      expect((await timed(api, `/api/invoices/${archiveKey}`)).status).toBe(200);
    });
  }

  it('the live API, for comparison, answers at once', async () => {
    expect((await timed(live, '/health', null)).status).toBe(200);
  });
});
