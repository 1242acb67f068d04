// Prometheus metrics: the API's GET /metrics (admins or METRICS_TOKEN; the product's figures from the database,
// request durations by route pattern, never a NIR) and a worker process' own endpoint (WORKER_METRICS_PORT: the
// Temporal SDK's metrics and the activities / e-mails it counted). Critères d'archivage 84…

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { archiveScheduleIds } from '../activities/archive.js';
import { freeLoopbackPort } from '../activities/metrics.js';
import { createConsistencyRepository } from '../db/consistency.js';
import { baseCase, caseWith } from '../rules/testing/cases.js';
import type { CaseFile } from '../rules/types.js';
import { createPipeline, sleep, until, type Pipeline, type RunningApi } from './harness.js';

const TOKEN = 'metrics-token-for-the-tests-0123456789';
const NIR = baseCase().invoice.beneficiary!.nir!;
const LAST_NAME = baseCase().invoice.beneficiary!.lastName!;

const withKey = (archiveKey: string, change: (c: CaseFile & { reference: NonNullable<CaseFile['reference']> }) => void = () => undefined) =>
  caseWith((c) => { c.invoice.archiveKey = archiveKey; change(c); });
/** Paid; replied to the PS (Facture Assuré); a manager's (several Adeli numbers: Erreur contenu facture). */
const paid = (key: string) => withKey(key);
const practitioner = (key: string) => withKey(key, (c) => { c.invoice.flags!.addressedToInsured = true; });
const manager = (key: string) => withKey(key, (c) => { c.invoice.adeliNumbers = ['691234567', '750044778']; });

/** The samples of `name` having these labels (others may have more). */
function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) values.push(Number(m[3]));
  }
  return values;
}
/** The value of one sample (`name{labels}`, labels in any order), or undefined when absent. */
/**
 * No secret in a scrape's names, labels and help texts, and none as a whole sample value. A value is not searched
 * for substrings: a float such as 0.008400000000000001 holds « 84000000 » without anything of a claim in it.
 */
function expectNoSecret(text: string, secrets: string[]): void {
  const lines = text.split('\n');
  const words = lines.map((line) => (line.startsWith('#') ? line : line.replace(/ \S+$/, ''))).join('\n');
  for (const secret of secrets) expect(words).not.toContain(secret);
  const values = lines.filter((line) => line && !line.startsWith('#')).map((line) => line.split(' ').at(-1));
  for (const secret of secrets) expect(values).not.toContain(secret);
}

const sample = (text: string, name: string, labels: Record<string, string> = {}) => samples(text, name, labels)[0];
const total = (text: string, name: string, labels: Record<string, string> = {}) => samples(text, name, labels).reduce((a, b) => a + b, 0);

let p: Pipeline;
let api: RunningApi;
beforeAll(async () => {
  p = await createPipeline('metrics', baseCase().reference);
  api = await p.startApi({ metricsToken: TOKEN });
}, 120_000);
afterAll(async () => p?.close());

const scrape = (target: RunningApi, headers: Record<string, string> = {}) => fetch(`${target.base}/metrics`, { headers });

async function decided(pipeline: Pipeline, archiveKey: string, status: string) {
  return until(`${archiveKey} ${status}`, async () => (await pipeline.invoices.get(archiveKey))?.status === status);
}

describe('GET /metrics on the API', () => {
  it('401 without credentials or with a wrong token, 403 for other roles, 200 for an admin (key or session) and with METRICS_TOKEN', async () => {
    const none = await scrape(api);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await scrape(api, { authorization: 'Bearer not-the-token' })).status).toBe(401);
    for (const role of ['manager', 'auditor', 'submitter'] as const) expect((await api.fetch('/metrics', { role })).status, role).toBe(403);

    const admin = await api.fetch('/metrics', { role: 'admin' });
    expect(admin.status).toBe(200);
    expect(admin.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await admin.text();
    expect(text).toMatch(/^# HELP tprejects_claims_received /m);
    expect(text).toMatch(/^tprejects_api_process_cpu_user_seconds_total /m);
    expect((await scrape(api, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);

    // A console session: its role decides, as with a key.
    const login = async (key: string) => {
      const res = await fetch(`${api.base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
      expect(res.status).toBe(200);
      return res.headers.getSetCookie().find((c) => c.startsWith('tpr_session='))!.split(';')[0]!;
    };
    expect((await scrape(api, { cookie: await login(api.keys.admin) })).status).toBe(200);
    expect((await scrape(api, { cookie: await login(api.keys.manager) })).status).toBe(403);

    // Without METRICS_TOKEN, a token is only a (bad) API key.
    const plain = await p.startApi();
    expect((await scrape(plain, { authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    expect((await plain.fetch('/metrics', { role: 'admin' })).status).toBe(200);
    // Not in the OpenAPI document.
    expect(Object.keys((await (await plain.fetch('/docs/json', { role: null })).json()).paths)).not.toContain('/metrics');
  });

  it('the token is no failed authentication: a scraper is never throttled by its own scrapes', async () => {
    const throttled = await p.startApi({ metricsToken: TOKEN, authFailureLimit: { max: 3, windowMs: 60_000 } });
    for (let i = 0; i < 6; i++) expect((await scrape(throttled, { authorization: `Bearer ${TOKEN}` })).status, `scrape ${i}`).toBe(200);
    for (let i = 0; i < 3; i++) expect((await scrape(throttled, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await scrape(throttled, { authorization: `Bearer ${TOKEN}` })).status).toBe(429);
  });

  it('the claims, decisions, tasks, e-mails and doctor figures reflect the database, read at most every 5 s', async () => {
    const cases = [paid('8400000001'), practitioner('8400000002'), manager('8400000003')];
    for (const c of cases) {
      const res = await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } });
      expect(res.status).toBe(202);
    }
    await decided(p, '8400000001', 'paid');
    await decided(p, '8400000002', 'replied');
    await decided(p, '8400000003', 'awaiting_manager');
    await until('the task of 8400000003', async () => (await p.tasks.list({ status: 'open' })).items.length === 1);

    // A fresh app: nothing cached yet.
    const fresh = await p.startApi({ metricsToken: TOKEN });
    let text = await (await scrape(fresh, { authorization: `Bearer ${TOKEN}` })).text();
    expect(sample(text, 'tprejects_figures_up')).toBe(1);
    expect(sample(text, 'tprejects_claims_received')).toBe(3);
    expect(sample(text, 'tprejects_claims', { status: 'paid' })).toBe(1);
    expect(sample(text, 'tprejects_claims', { status: 'replied' })).toBe(1);
    expect(sample(text, 'tprejects_claims', { status: 'awaiting_manager' })).toBe(1);
    expect(sample(text, 'tprejects_claims', { status: 'analyzing' })).toBe(0);
    expect(sample(text, 'tprejects_claims_decided', { motif: 'none', route: 'none', decided_by: 'analysis' })).toBe(1);
    expect(sample(text, 'tprejects_claims_decided', { motif: 'facture_assure', route: 'practitioner', decided_by: 'analysis' })).toBe(1);
    expect(sample(text, 'tprejects_claims_decided', { motif: 'erreur_contenu_facture', route: 'manager', decided_by: 'analysis' })).toBe(1);
    expect(sample(text, 'tprejects_tasks_open', { age: '0-1h' })).toBe(1);
    expect(sample(text, 'tprejects_tasks_open', { age: '48h+' })).toBe(0);
    expect(sample(text, 'tprejects_tasks_overdue')).toBe(0);
    expect(sample(text, 'tprejects_tasks_escalated', { task_status: 'open' })).toBe(0);
    expect(sample(text, 'tprejects_emails', { kind: 'ps_reply', status: 'sent' })).toBe(1);
    expect(sample(text, 'tprejects_emails', { kind: 'escalation', status: 'failed' })).toBe(0);
    expect(sample(text, 'tprejects_emails_stuck_sending')).toBe(0);
    expect(sample(text, 'tprejects_doctor_last_run_timestamp_seconds')).toBe(0);
    expect(text).toMatch(/^# HELP tprejects_tasks_open Open manager tasks/m);

    // The task 30 h old and past due, escalated; an e-mail left « sending » 11 minutes ago, another refused; a doctor run.
    await p.database.db.execute(sql`update manager_tasks set created_at = now() - interval '30 hours', due_at = now() - interval '1 hour', escalated_at = now()`);
    await p.database.db.execute(sql`insert into outbox (id, kind, from_address, to_address, subject, html, text, status, last_attempt_at)
      values ('metrics-stuck', 'escalation', 'a@example.org', '{b@example.org}', 's', 'h', 't', 'sending', now() - interval '11 minutes'),
             ('metrics-failed', 'ps_reply', 'a@example.org', '{b@example.org}', 's', 'h', 't', 'failed', null)`);
    const doctorAt = Date.now();
    await createConsistencyRepository(p.database.db).recordRun([
      { kind: 'row_without_workflow', subject: '8400000009', detail: `claim analyzing (${NIR})`, repaired: 'workflow started' },
      { kind: 'row_without_workflow', subject: '8400000010', detail: 'claim analyzing', repaired: null },
      { kind: 'mail_stuck_sending', subject: 'metrics-stuck', detail: 'escalation e-mail left « sending »', repaired: null },
    ], 1);
    // Another claim, decided: the figures cached a moment ago are answered until they are 5 s old.
    const c = paid('8400000004');
    expect((await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } })).status).toBe(202);
    await decided(p, '8400000004', 'paid');
    const cachedAt = Date.now();
    text = await (await scrape(fresh, { authorization: `Bearer ${TOKEN}` })).text();
    if (Date.now() - cachedAt < 4000) expect(sample(text, 'tprejects_claims_received')).toBe(3);
    text = await until('fresh figures', async () => {
      const t = await (await scrape(fresh, { authorization: `Bearer ${TOKEN}` })).text();
      return sample(t, 'tprejects_claims_received') === 4 ? t : (await sleep(500), null);
    }, 15_000);
    expect(sample(text, 'tprejects_claims', { status: 'paid' })).toBe(2);
    expect(sample(text, 'tprejects_tasks_open', { age: '0-1h' })).toBe(0);
    expect(sample(text, 'tprejects_tasks_open', { age: '24-48h' })).toBe(1);
    expect(sample(text, 'tprejects_tasks_overdue')).toBe(1);
    expect(sample(text, 'tprejects_tasks_escalated', { task_status: 'open' })).toBe(1);
    expect(sample(text, 'tprejects_emails', { kind: 'escalation', status: 'sending' })).toBe(1);
    expect(sample(text, 'tprejects_emails', { kind: 'ps_reply', status: 'failed' })).toBe(1);
    expect(sample(text, 'tprejects_emails_stuck_sending')).toBe(1);
    expect(sample(text, 'tprejects_doctor_findings', { kind: 'row_without_workflow' })).toBe(2);
    expect(sample(text, 'tprejects_doctor_findings', { kind: 'mail_stuck_sending' })).toBe(1);
    expect(sample(text, 'tprejects_doctor_last_run_repaired')).toBe(1);
    expect(sample(text, 'tprejects_doctor_last_run_timestamp_seconds')! * 1000).toBeGreaterThan(doctorAt - 60_000);
    expect(sample(text, 'tprejects_doctor_last_run_timestamp_seconds')! * 1000).toBeLessThan(Date.now() + 60_000);
    // Nothing personal, nothing of a claim: no NIR, no name, no critère, no N° PS.
    expectNoSecret(text, [NIR, LAST_NAME, '84000000', '691234567']);

    // A manager forces the payment: that claim's decision is now a manager's.
    expect(total(text, 'tprejects_claims_decided', { decided_by: 'manager' })).toBe(0);
    expect((await api.fetch('/api/tasks/8400000003-1/resolve', { method: 'POST', role: 'manager', json: { action: 'pay' } })).status).toBeLessThan(300);
    await decided(p, '8400000003', 'paid');
    const later = await (await (await p.startApi()).fetch('/metrics', { role: 'admin' })).text();
    expect(total(later, 'tprejects_claims_decided', { decided_by: 'manager' })).toBe(1);
    expect(total(later, 'tprejects_claims_decided', { decided_by: 'analysis' })).toBe(3);
    expect(total(later, 'tprejects_claims_decided')).toBe(4);
    expect(sample(later, 'tprejects_tasks_escalated', { task_status: 'resolved' })).toBe(1);
    expect(total(later, 'tprejects_tasks_open')).toBe(0);
  }, 120_000);

  it('a database that cannot be read: the figures are left out (tprejects_figures_up 0), the rest is answered', async () => {
    const db = new Proxy(p.database.db, {
      get: (target, key) => (key === 'select' ? () => { throw new Error('database down'); } : Reflect.get(target, key)),
    });
    const broken = await p.startApi({ database: { ...p.database, db } });
    const res = await broken.fetch('/metrics', { role: 'admin' });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, 'tprejects_figures_up')).toBe(0);
    expect(text).not.toMatch(/^tprejects_(claims|tasks|emails|doctor)/m);
    expect(text).toMatch(/^tprejects_api_process_resident_memory_bytes /m);
  });

  it('request durations by route pattern: never an id, a NIR or a query string', async () => {
    expect((await api.fetch('/api/invoices/8400000001', { role: 'manager' })).status).toBe(200);
    expect((await api.fetch(`/api/invoices?q=${NIR}`, { role: 'manager' })).status).toBe(200);
    expect((await api.fetch(`/api/no-such-route/${NIR}`, { role: 'admin' })).status).toBe(404);
    const text = await (await api.fetch('/metrics', { role: 'admin' })).text();
    const count = (labels: Record<string, string>) => sample(text, 'tprejects_api_http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/api/invoices/:id', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: '/api/invoices', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'POST', route: '/api/invoices', status_code: '202' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: '/metrics', status_code: '403' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: '/health', status_code: '200' }) ?? 0).toBe(0);
    expect((await api.fetch('/health', { role: null })).status).toBe(200);
    const after = await (await api.fetch('/metrics', { role: 'admin' })).text();
    expect(sample(after, 'tprejects_api_http_request_duration_seconds_count', { method: 'GET', route: '/health', status_code: '200' })).toBe(1);
    for (const line of after.split('\n').filter((l) => l.startsWith('tprejects_api_http_request_duration_seconds_count'))) {
      const route = /route="([^"]*)"/.exec(line)![1]!;
      expect(route === 'unmatched' || /^\/[a-z/:*.-]*$/.test(route), line).toBe(true);
    }
    expectNoSecret(after, [NIR, '8400000001', 'no-such-route', '?q=']);
  });
});

describe('a worker process with WORKER_METRICS_PORT', () => {
  let w: Pipeline;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null>;
  beforeAll(async () => {
    w = await createPipeline('metrics_worker', baseCase().reference, { worker: false });
  }, 120_000);
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => child!.kill('SIGKILL'))]);
    }
    if (w) for (const id of Object.values(archiveScheduleIds(w.taskQueue))) await w.client.schedule.getHandle(id).delete().catch(() => undefined);
    await w?.close();
  }, 60_000);

  it('serves the Temporal SDK\'s worker metrics and the activities and e-mails it counted (METRICS_TOKEN required)', async () => {
    const port = await freeLoopbackPort();
    let stderr = '';
    child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'worker.ts')], {
      cwd: join(import.meta.dirname, '..'),
      env: {
        ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: w.database.url, TASK_QUEUE: w.taskQueue,
        ARCHIVE_TASK_QUEUE: w.taskQueue, DATA_DIR: mkdtempSync(join(tmpdir(), 'tp-metrics-worker-')), RESEND_API_KEY: '',
        WORKER_METRICS_PORT: String(port), WORKER_METRICS_HOST: '', METRICS_TOKEN: TOKEN,
      },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    await Promise.race([
      until('the worker polling', async () => stderr.includes('worker: polling task queue'), 90_000),
      exited.then((code) => { throw new Error(`the worker exited (${code}): ${stderr}`); }),
    ]);
    expect(stderr).toContain(`worker: metrics on http://127.0.0.1:${port}/metrics`);

    const url = `http://127.0.0.1:${port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/other`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);

    for (const c of [paid('8400000101'), practitioner('8400000102')]) {
      const { workflowId } = await w.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
      await w.client.workflow.getHandle(workflowId).result();
    }
    const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    // The SDK core's own metrics (temporal_ prefix), relayed.
    expect(sample(text, 'tprejects_worker_sdk_metrics_up')).toBe(1);
    expect(text).toMatch(/^temporal_worker_start\{.*task_queue="[^"]+".*\} \d+/m);
    expect(text).toMatch(/^temporal_activity_execution_latency_count\{/m);
    // The product's counters of this process: local activities of the analysis, the e-mail sent to the PS.
    const activities = (type: string) => sample(text, 'tprejects_worker_activities_total', { activity_type: type, outcome: 'completed' }) ?? 0;
    expect(activities('openAndAnalyseClaim')).toBe(2);
    expect(activities('recordDecision')).toBe(2);
    expect(activities('sendPractitionerReply')).toBe(1);
    expect(sample(text, 'tprejects_worker_emails_total', { kind: 'ps_reply', outcome: 'sent', error_kind: 'none' })).toBe(1);
    expect(text).toMatch(/^tprejects_worker_process_resident_memory_bytes /m);
    expectNoSecret(text, [NIR, LAST_NAME, '84000001']);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);
});
