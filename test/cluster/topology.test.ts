// npm run test:cluster — the production topology (scripts/cluster.ts: two Temporal server nodes on PostgreSQL behind
// HAProxy, two workers, two API replicas) under crashes. 500 claims and a 300-invoice batch are submitted through
// both API replicas in turn; mid-way one Temporal node, one worker and one API replica are killed (SIGKILL) and
// started again after a pause. Then: every claim decided exactly once, each PS e-mailed once per 10 batch rows and
// each single reply once (a local stand-in for the Resend API), the batch closed « FIN OK », a console session
// valid on both replicas, every overdue task escalated once, and `npm run doctor` finds nothing.
// Its databases have names of their own (CI, the suite and a running `npm run cluster` share one PostgreSQL).
// Environment: CLUSTER_TEST_KILLS, the kill schedule: `<claims submitted>:<service>,<service>…` entries separated by
// `;` (default `200:temporal-a,worker-1,api-2`; services: temporal-a, temporal-b, worker-N, api-N, haproxy,
// temporal-ui), each killed with SIGKILL and started again CLUSTER_TEST_PAUSE_MS later (default 5000).

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyRepository } from '../../db/api-keys.js';
import { openDatabase } from '../../db/client.js';
import { seedReference } from '../../db/seed.js';
import { loadConfig } from '../../config.js';
import { startCluster, type Cluster } from '../../scripts/cluster.js';
import { REPO_ROOT } from '../../scripts/temporal-cli.js';
import { mixedClaims } from '../datasets.js';
import { startFakeResend, type FakeResend } from '../fake-resend.js';

const SINGLES = 500;
const BATCH = 300;
const PRACTITIONERS = 30;
const BATCH_ID = 'gto-cluster';
const KILLS = (process.env.CLUSTER_TEST_KILLS ?? '200:temporal-a,worker-1,api-2').split(';').filter((e) => e.trim()).map((entry) => {
  const m = /^\s*(\d+)\s*:\s*([\w,\s-]+)$/.exec(entry);
  if (!m) throw new Error(`CLUSTER_TEST_KILLS: « ${entry} » is not <claims>:<service>,<service>…`);
  return { at: Number(m[1]), services: m[2]!.split(',').map((s) => s.trim()).filter(Boolean) };
}).sort((a, b) => a.at - b.at);
const PAUSE_MS = Number(process.env.CLUSTER_TEST_PAUSE_MS ?? 5_000);
const TASK_SLA = '20s';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const { reference, invoices: singles } = mixedClaims({ count: SINGLES, firstKey: 8_500_000_000, practitioners: PRACTITIONERS, firstPractitioner: 713_000_000, label: 'C' });
const { invoices: batch } = mixedClaims({ count: BATCH, firstKey: 8_600_000_000, practitioners: PRACTITIONERS, firstPractitioner: 713_000_000, label: 'G' });

let cluster: Cluster;
let resend: FakeResend;
let keys: Record<'submitter' | 'manager' | 'admin' | 'auditor', string>;
const dataDir = mkdtempSync(join(tmpdir(), 'tp-cluster-'));

beforeAll(async () => {
  resend = await startFakeResend({ latencyMs: 20 });
  cluster = await startCluster({
    config: loadConfig(process.env),
    dataDir,
    temporalDb: `temporal_t${process.pid}_${Date.now().toString(36)}`,
    env: { RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url, TASK_SLA, MANAGERS_EMAIL: 'chefs@almerys.example' },
    log: (m) => console.log(m),
  });
  const database = await openDatabase(cluster.databaseUrl);
  try {
    await seedReference(database.db, reference);
    const repository = createApiKeyRepository(database.db);
    keys = {} as typeof keys;
    for (const role of ['submitter', 'manager', 'admin', 'auditor'] as const) keys[role] = (await repository.create({ role, name: `cluster-${role}` })).key;
  } finally {
    await database.close();
  }
}, 15 * 60_000);

afterAll(async () => {
  await cluster?.stop();
  await cluster?.dropDatabases();
  await resend?.close();
}, 120_000);

/**
 * A request to one replica, as a client behind a load balancer would make it: on a refused connection or a 502/503
 * (a replica down, Temporal failing over) it is tried again on the other replica. Submissions are idempotent (the
 * critère d'archivage, the batch id), so a retry never doubles anything.
 */
async function call(replica: number, path: string, init: { method?: string; json?: unknown; role?: keyof typeof keys; cookie?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.cookie) headers.cookie = init.cookie;
  else headers.authorization = `Bearer ${keys[init.role ?? 'admin']}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  let lastError = '';
  // A node's shards move to the other node within seconds to tens of seconds: a client keeps trying for two minutes.
  const deadline = Date.now() + 120_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const api = cluster.apis[(replica + attempt) % cluster.apis.length]!;
    try {
      const response = await fetch(`${api.url}${path}`, {
        method: init.method ?? 'GET', headers, body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
      });
      if (response.status === 502 || response.status === 503 || response.status === 504) {
        lastError = `${response.status} ${await response.text()}`;
        await sleep(250);
        continue;
      }
      return response;
    } catch (error) {
      lastError = (error as Error).message;
      await sleep(100);
    }
  }
  throw new Error(`${init.method ?? 'GET'} ${path}: no replica answered (${lastError})`);
}

/** The body, once the status is one of `statuses` (a retried write answers 200 where the first one answered 202). */
async function json(response: Response, ...statuses: number[]) {
  const text = await response.text();
  expect(statuses, `${response.status} ${text}`).toContain(response.status);
  return text ? JSON.parse(text) : null;
}

describe('the production topology under crashes', () => {
  let cookie = '';
  /** The checks after the crash test only mean something when every claim was decided. */
  let decided = false;

  it('serves a console session on both API replicas', async () => {
    const login = await fetch(`${cluster.apis[0]!.url}/api/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: keys.manager }),
    });
    expect(login.status).toBe(200);
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    for (const api of cluster.apis) {
      const me = await fetch(`${api.url}/api/session`, { headers: { cookie } });
      expect(me.status, api.name).toBe(200);
      expect(await me.json()).toMatchObject({ role: 'manager' });
    }
  });

  it('decides 500 claims and a 300-invoice batch exactly once, through kills of a node, a worker and an API replica', async () => {
    const t0 = Date.now();
    const pages = [batch.slice(0, 100), batch.slice(100, 200), batch.slice(200)];
    const kills = [...KILLS];
    const restarts: Promise<void>[] = [];
    const services = new Map([
      ...cluster.nodes.map((n) => [n.service.name, n.service] as const),
      ...cluster.workers.map((w) => [w.name, w] as const),
      ...cluster.apis.map((a) => [a.name, a] as const),
      ['haproxy', cluster.haproxy] as const,
      ...(cluster.ui ? [['temporal-ui', cluster.ui] as const] : []),
    ]);
    for (const { services: names } of kills) {
      for (const name of names) if (!services.has(name)) throw new Error(`CLUSTER_TEST_KILLS: no service « ${name} » (${[...services.keys()].join(', ')})`);
    }
    const submitted: string[] = [];

    // Claims go out 10 at a time, alternately through each replica; the batch's pages between them.
    for (let i = 0; i < SINGLES; i += 10) {
      const chunk = singles.slice(i, i + 10);
      await Promise.all(chunk.map(async (invoice, j) => {
        const response = await call((i / 10 + j) % 2, '/api/invoices', { method: 'POST', role: 'submitter', json: { invoice, receivedOn: '2016-02-23' } });
        const body = await json(response, 202, 200);
        expect(body.id).toBe(invoice.archiveKey);
        submitted.push(invoice.archiveKey);
      }));
      if (i === 100) await json(await call(0, '/api/batches', { method: 'POST', role: 'submitter', json: { batchId: BATCH_ID, receivedOn: '2016-02-23', invoices: pages[0], open: true } }), 202, 200);
      if (i === 250) await json(await call(1, `/api/batches/${BATCH_ID}/invoices`, { method: 'POST', role: 'submitter', json: { invoices: pages[1] } }), 202, 200);
      if (i === 400) {
        await json(await call(0, `/api/batches/${BATCH_ID}/invoices`, { method: 'POST', role: 'submitter', json: { invoices: pages[2] } }), 202, 200);
        await json(await call(1, `/api/batches/${BATCH_ID}/close`, { method: 'POST', role: 'submitter' }), 202);
      }

      while (kills.length > 0 && submitted.length >= kills[0]!.at) {
        const { services: names } = kills.shift()!;
        const targets = names.map((name) => services.get(name)!);
        console.log(`cluster: ${submitted.length} claims in after ${((Date.now() - t0) / 1000).toFixed(1)} s; kill -9 ${names.join(', ')}`);
        await Promise.all(targets.map((service) => service.kill()));
        // Started again after a pause (the load balancer and the Temporal nodes first, the APIs last), while submissions
        // go on through the rest.
        // A failed restart fails the test once the submissions are done (never an unhandled rejection meanwhile).
        const order = (name: string) => ['haproxy', 'temporal', 'worker', 'temporal-ui', 'api'].findIndex((p) => name.startsWith(p));
        const restart = (async () => {
          await sleep(PAUSE_MS);
          for (const service of [...targets].sort((a, b) => order(a.name) - order(b.name))) await service.start();
          console.log(`cluster: ${names.join(', ')} back after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        })();
        restart.catch(() => undefined);
        restarts.push(restart);
      }
    }
    await Promise.all(restarts);
    console.log(`cluster: everything submitted after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Every claim reaches its decision (paid, replied, or a manager's task), and the batch closes.
    const sql = postgres(cluster.databaseUrl, { max: 2, onnotice: () => undefined });
    try {
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        const [row] = await sql`select count(*)::int as undecided from invoices where status in ('analyzing', 'awaiting_reply')`;
        const [{ total }] = await sql`select count(*)::int as total from invoices`;
        const progress = await json(await call(0, `/api/batches/${BATCH_ID}`, { role: 'manager' }), 200);
        if (total === SINGLES + BATCH && row!.undecided === 0 && progress.status === 'closed') break;
        if (Date.now() > deadline) throw new Error(`not all decided: ${row!.undecided} undecided of ${total}, batch ${JSON.stringify(progress)}`);
        await sleep(1000);
      }
      console.log(`cluster: all ${SINGLES + BATCH} decided and the batch closed after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      // Decided exactly once: one row, one workflow, one decision per claim; one task per manager claim.
      const statuses = Object.fromEntries((await sql`select status, count(*)::int as n from invoices group by status`).map((r) => [r.status, r.n]));
      expect(statuses).toEqual({ paid: 125 + 75, replied: 250 + 150, awaiting_manager: 125 + 75 });
      const [{ tasks, claims }] = await sql`select count(*)::int as tasks, count(distinct archive_key)::int as claims from manager_tasks`;
      expect({ tasks, claims }).toEqual({ tasks: 200, claims: 200 });
      const connection = await Connection.connect({ address: cluster.temporalAddress });
      try {
        // SQL visibility on PostgreSQL answers the same as the database: one invoice workflow per claim.
        const { count } = await connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: `WorkflowType = 'invoiceWorkflow'` });
        expect(Number(count)).toBe(SINGLES + BATCH);
        const { count: failed } = await connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: `ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated'` });
        expect(Number(failed)).toBe(0);
      } finally {
        await connection.close();
      }

      const progress = await json(await call(1, `/api/batches/${BATCH_ID}`, { role: 'manager' }), 200);
      expect(progress).toMatchObject({ status: 'closed', gtoClosure: 'FIN OK', decided: BATCH, emailed: 150 });

      // E-mails: each single reply once; each PS once per 10 batch rows (150 rows over 30 PS: 5 each → 1 e-mail).
      const byKey = new Map<string, number>();
      for (const d of resend.deliveries) byKey.set(d.idempotencyKey ?? '', (byKey.get(d.idempotencyKey ?? '') ?? 0) + 1);
      expect([...byKey.entries()].filter(([, n]) => n > 1)).toEqual([]);
      const batchMails = resend.deliveries.filter((d) => d.idempotencyKey?.startsWith(`ps-reply:${BATCH_ID}:`));
      const rowsPerPs = new Map<string, number>();
      for (const invoice of batch.filter((_, i) => i % 4 === 1 || i % 4 === 2)) rowsPerPs.set(invoice.practitionerNumber!, (rowsPerPs.get(invoice.practitionerNumber!) ?? 0) + 1);
      const expectedBatchMails = [...rowsPerPs.values()].reduce((sum, rows) => sum + Math.ceil(rows / 10), 0);
      expect(batchMails).toHaveLength(expectedBatchMails);
      const singleReplies = resend.deliveries.filter((d) => /^ps-reply:85\d{8}-0:/.test(d.idempotencyKey ?? ''));
      expect(singleReplies).toHaveLength(250);
      const repliedSingles = singles.filter((_, i) => i % 4 === 1 || i % 4 === 2).map((inv) => inv.archiveKey).sort();
      expect(singleReplies.map((d) => /^ps-reply:(\d{10})-0:/.exec(d.idempotencyKey!)![1]).sort()).toEqual(repliedSingles);
    } finally {
      await sql.end();
    }
    decided = true;
  }, 25 * 60_000);

  it('escalates every overdue task once', async (context) => {
    if (!decided) context.skip('the claims were not all decided');
    // TASK_SLA is 20 s: by now or shortly, every one of the 200 tasks is overdue.
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
      const escalations = resend.deliveries.map((d) => d.idempotencyKey ?? '').filter((k) => k.startsWith('escalation:'));
      if (escalations.length >= 200 || Date.now() > deadline) break;
      await sleep(1000);
    }
    await sleep(3000); // a second notification would arrive now
    const escalations = resend.deliveries.map((d) => d.idempotencyKey ?? '').filter((k) => k.startsWith('escalation:'));
    expect(escalations).toHaveLength(200);
    expect(new Set(escalations).size).toBe(200);
    const overdue = await json(await call(1, '/api/tasks?overdue=true&limit=1', { role: 'manager' }), 200);
    expect(overdue.total).toBe(200);
    const sql = postgres(cluster.databaseUrl, { max: 1, onnotice: () => undefined });
    try {
      const [{ escalated }] = await sql`select count(*)::int as escalated from manager_tasks where escalated_at is not null`;
      expect(escalated).toBe(200);
    } finally {
      await sql.end();
    }
  }, 6 * 60_000);

  it('keeps the console session created before the restart valid on both replicas', async () => {
    for (const api of cluster.apis) {
      const me = await fetch(`${api.url}/api/session`, { headers: { cookie } });
      expect(me.status, api.name).toBe(200);
    }
  });

  it('exposes Prometheus metrics on each API replica, each worker and each Temporal node', async () => {
    for (const api of cluster.apis) {
      const text = await (await call(cluster.apis.indexOf(api), '/metrics', { role: 'admin' })).text();
      expect(text, api.name).toMatch(/^tprejects_claims_received \d+/m);
      expect(text).toMatch(/^tprejects_tasks_escalated\{[^}]*\} \d+/m);
      expect(text).toMatch(/^tprejects_emails_stuck_sending 0$/m);
      for (const invoice of [singles[0]!, batch[0]!]) expect(text).not.toContain(invoice.beneficiary!.nir); // never a NIR
    }
    expect(await (await fetch(`${cluster.apis[0]!.url}/metrics`)).status).toBe(401);
    for (const worker of cluster.workers) {
      const text = await (await fetch(worker.metricsUrl)).text();
      expect(text, worker.name).toMatch(/^temporal_worker_task_slots_available\{/m);
      expect(text).toMatch(/^tprejects_worker_activities_total\{/m);
    }
    for (const node of cluster.nodes) {
      const text = await (await fetch(`http://${node.metrics}/metrics`)).text();
      expect(text, node.name).toMatch(/^persistence_requests\{/m);
    }
  });

  it('leaves nothing for npm run doctor to find', async (context) => {
    if (!decided) context.skip('the claims were not all decided');
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'bin', 'doctor.ts'), '--json', '--dry-run', '--deep'], {
        env: { ...cluster.env }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`doctor exited ${code}: ${err}`))));
    });
    const report = JSON.parse(output);
    expect(report.findings).toEqual([]);
  }, 120_000);
});
