// Webhooks end to end: endpoints registered through the API, claims decided by real workflows, events delivered by a
// real worker's dispatcher and activities to a local receiver, each signature verified with the Standard Webhooks
// reference library (`standardwebhooks`, not our code). Retries keep the event id; a worker killed mid-delivery loses
// nothing; a disabled endpoint receives nothing; one that keeps failing is disabled and the admins e-mailed.

import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WebhookDispatcher } from '../activities/webhook-dispatcher.js';
import { webhookSignature } from '../activities/webhooks.js';
import { loadConfig } from '../config.js';
import { baseCase, invoiceWith, toManager, toPractitioner } from '../rules/testing/cases.js';
import { createPipeline, until, type Pipeline, type RunningApi } from './harness.js';
import { startWebhookDispatcher } from '../worker.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './webhook-receiver.js';

/** Seconds instead of hours: retries from 300 ms, doubling up to 1 s; disabled after 3 failures in a row. */
const WEBHOOK_ENV = {
  WEBHOOK_TIMEOUT: '2s', WEBHOOK_RETRY_INITIAL: '300ms', WEBHOOK_RETRY_MAX_INTERVAL: '1s', WEBHOOK_RETRY_FOR: '2m',
  WEBHOOK_DISABLE_AFTER_FAILURES: '3', WEBHOOK_DISABLE_AFTER: '0ms', WEBHOOK_SWEEP_INTERVAL: '1s', ADMINS_EMAIL: 'admins@almerys.example',
};
/** The receiver's time to answer long enough for the worker to be killed while it waits (retried 15 s later). */
const KILL_ENV = { ...WEBHOOK_ENV, WEBHOOK_TIMEOUT: '5s' };
const NIR = baseCase().invoice.beneficiary!.nir!;

const verify = (secret: string, r: ReceivedWebhook) => new Webhook(secret).verify(r.body, r.headers) as Record<string, any>;

/** The dispatcher a worker process runs (worker.ts), over the pipeline's database and task queue. */
function startDispatcher(p: Pipeline): Promise<WebhookDispatcher> {
  const config = loadConfig({ ...process.env, ...WEBHOOK_ENV, TASK_QUEUE: p.taskQueue });
  return startWebhookDispatcher(p.database, p.client, config, { warn: () => undefined, info: () => undefined });
}

async function register(api: RunningApi, receiver: WebhookReceiver, name: string, body: Record<string, unknown> = {}) {
  const response = await api.fetch('/api/webhooks', { method: 'POST', json: { url: receiver.url(name), events: ['invoice.decided'], ...body } });
  expect(response.status).toBe(201);
  return (await response.json()) as { endpoint: { id: string }; secret: string };
}

describe('webhooks, one worker', () => {
  let p: Pipeline;
  let api: RunningApi;
  let receiver: WebhookReceiver;
  let dispatcher: WebhookDispatcher;

  beforeAll(async () => {
    p = await createPipeline('webhooks', baseCase().reference, { env: WEBHOOK_ENV });
    api = await p.startApi();
    receiver = await startWebhookReceiver();
    dispatcher = await startDispatcher(p);
  }, 120_000);
  afterAll(async () => {
    await dispatcher?.stop();
    await p?.close();
    await receiver?.close();
  });

  it('admins only; a URL and known events required; the secret is whsec_ base64, shown once', async () => {
    expect((await api.fetch('/api/webhooks', { role: 'manager' })).status).toBe(403);
    const bad = await api.fetch('/api/webhooks', { method: 'POST', json: { url: 'ftp://x', events: ['invoice.exploded'] } });
    expect(bad.status).toBe(400);
    const problem = await bad.json();
    expect(problem).toMatchObject({ code: 'invalid_request', title: 'Requête invalide' });
    expect(problem.errors).toContainEqual({ path: 'url', message: 'doit être une adresse http ou https' });

    const created = await register(api, receiver, 'admin-check');
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await (await api.fetch('/api/webhooks')).json();
    expect(listed.items).toContainEqual(expect.objectContaining({ id: created.endpoint.id, enabled: true, events: ['invoice.decided'] }));
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    const rotated = await (await api.fetch(`/api/webhooks/${created.endpoint.id}/secret`, { method: 'POST' })).json();
    expect(rotated.secret).not.toBe(created.secret);
    expect((await api.fetch(`/api/webhooks/${created.endpoint.id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await api.fetch(`/api/webhooks/${created.endpoint.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: 'not_found', detail: `Le point de réception ${created.endpoint.id} : introuvable` });
  });

  it('a decision reaches the receiver within seconds, signed (Standard Webhooks reference), without personal data; the delivery is listed', async () => {
    const { endpoint, secret } = await register(api, receiver, 'decided', { events: ['invoice.decided', 'invoice.replied'] });
    const started = Date.now();
    const invoice = invoiceWith('5310000001');
    await p.service.submit({ invoice, receivedOn: baseCase().receivedOn });
    const [request] = await until('the invoice.decided webhook', async () => {
      const got = receiver.received('decided');
      return got.length ? got : null;
    }, 30_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    const event = verify(secret, request!);
    expect(event).toMatchObject({
      id: request!.headers['webhook-id'], type: 'invoice.decided', subject: 'invoice:5310000001', sequence: 1,
      data: { archiveKey: '5310000001', status: 'paid', outcome: 'paid', motif: null },
    });
    expect(event.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(request!.headers['webhook-signature']).toBe(webhookSignature(secret, event.id, Number(request!.headers['webhook-timestamp']), request!.body));
    expect(request!.body).not.toContain(NIR);
    expect(request!.body).not.toContain('LEFEVRE');
    expect(() => new Webhook(`whsec_${Buffer.from('another secret').toString('base64')}`).verify(request!.body, request!.headers)).toThrow();

    const deliveries = await until('the delivery recorded', async () => {
      const list = (await (await api.fetch(`/api/webhooks/${endpoint.id}/deliveries`)).json()).items;
      return list[0]?.status === 'delivered' ? list : null;
    });
    expect(deliveries).toEqual([expect.objectContaining({
      eventId: event.id, eventType: 'invoice.decided', sequence: 1, archiveKey: '5310000001', status: 'delivered', attempts: 1, lastStatus: 204,
    })]);
  }, 60_000);

  it('an invoice\'s events carry increasing sequence numbers: decided, then replied', async () => {
    const { secret } = await register(api, receiver, 'sequence', { events: ['invoice.decided', 'invoice.replied'] });
    await p.service.submit({ invoice: invoiceWith('5310000002', toPractitioner), receivedOn: baseCase().receivedOn });
    const got = await until('two events', async () => (receiver.received('sequence').length >= 2 ? receiver.received('sequence') : null), 30_000);
    const events = got.map((r) => verify(secret, r)).sort((a, b) => a.sequence - b.sequence);
    expect(events.map((e) => [e.type, e.sequence])).toEqual([['invoice.decided', 1], ['invoice.replied', 2]]);
    expect(events[1]!.data).toMatchObject({ archiveKey: '5310000002', status: 'replied', motif: 'facture_assure', route: 'practitioner' });
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  }, 60_000);

  it('an endpoint marked for personal data gets the beneficiary under data.personal; task.created for a manager case', async () => {
    const { secret } = await register(api, receiver, 'personal', { events: ['task.created'], personalData: true });
    await p.service.submit({ invoice: invoiceWith('5310000003', toManager), receivedOn: baseCase().receivedOn });
    const [request] = await until('task.created', async () => (receiver.received('personal').length ? receiver.received('personal') : null), 30_000);
    const event = verify(secret, request!);
    expect(event).toMatchObject({
      type: 'task.created', subject: 'invoice:5310000003',
      data: { taskId: '5310000003-1', archiveKey: '5310000003', motif: 'erreur_contenu_facture', status: 'open', personal: { beneficiary: { nir: NIR, lastName: 'LEFEVRE' } } },
    });
  }, 60_000);

  it('a receiver that fails twice then succeeds gets the same event a third time, same webhook-id', async () => {
    const { endpoint, secret } = await register(api, receiver, 'flaky');
    receiver.answer('flaky', (n) => (n < 2 ? 503 : 200));
    await p.service.submit({ invoice: invoiceWith('5310000004'), receivedOn: baseCase().receivedOn });
    const got = await until('three attempts', async () => (receiver.received('flaky').length >= 3 ? receiver.received('flaky') : null), 30_000);
    await new Promise((r) => setTimeout(r, 1500)); // nothing more comes once it succeeded
    expect(receiver.received('flaky')).toHaveLength(3);
    const ids = got.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    for (const r of got) expect(verify(secret, r).id).toBe(ids[0]);
    const [delivery] = (await (await api.fetch(`/api/webhooks/${endpoint.id}/deliveries`)).json()).items;
    expect(delivery).toMatchObject({ eventId: ids[0], status: 'delivered', attempts: 3, lastStatus: 200, lastError: null });
    expect((await (await api.fetch(`/api/webhooks/${endpoint.id}`)).json())).toMatchObject({ enabled: true, consecutiveFailures: 0 });
  }, 60_000);

  it('a disabled endpoint receives nothing; enabled again, it receives the next events', async () => {
    const { endpoint } = await register(api, receiver, 'disabled');
    const { endpoint: witness } = await register(api, receiver, 'witness');
    const patched = await api.fetch(`/api/webhooks/${endpoint.id}`, { method: 'PATCH', json: { enabled: false } });
    expect(await patched.json()).toMatchObject({ enabled: false, disabledReason: 'manual' });
    const test = await api.fetch(`/api/webhooks/${endpoint.id}/test`, { method: 'POST' });
    expect(test.status).toBe(409);
    expect(await test.json()).toMatchObject({ code: 'webhook_disabled', title: 'Point de réception désactivé' });

    await p.service.submit({ invoice: invoiceWith('5310000005'), receivedOn: baseCase().receivedOn });
    await until('the witness got it', async () => receiver.received('witness').length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.received('disabled')).toHaveLength(0);
    expect((await (await api.fetch(`/api/webhooks/${endpoint.id}/deliveries`)).json()).items).toEqual([]);

    await api.fetch(`/api/webhooks/${endpoint.id}`, { method: 'PATCH', json: { enabled: true } });
    expect((await api.fetch(`/api/webhooks/${endpoint.id}/test`, { method: 'POST' })).status).toBe(202);
    const [ping] = await until('the test event', async () => (receiver.received('disabled').length ? receiver.received('disabled') : null), 30_000);
    expect(JSON.parse(ping!.body)).toMatchObject({ type: 'webhook.test', data: { endpointId: endpoint.id } });
    expect(witness.id).not.toBe(endpoint.id);
  }, 60_000);

  it('an endpoint that keeps failing is disabled, its admins e-mailed, and receives nothing more', async () => {
    const { endpoint } = await register(api, receiver, 'broken');
    receiver.answer('broken', () => 500);
    await p.service.submit({ invoice: invoiceWith('5310000006'), receivedOn: baseCase().receivedOn });
    const disabled = await until('the endpoint disabled', async () => {
      const e = await (await api.fetch(`/api/webhooks/${endpoint.id}`)).json();
      return e.enabled === false ? e : null;
    }, 30_000);
    expect(disabled.disabledReason).toContain('3 échecs consécutifs');
    const mail = await until('the admins\' e-mail', async () => {
      const list = await (await api.fetch('/api/outbox?kind=webhook_disabled', { role: 'manager' })).json();
      return list.items.find((m: { subject: string }) => m.subject.includes(receiver.url('broken')));
    }, 30_000);
    expect(mail).toMatchObject({ to: ['admins@almerys.example'], kind: 'webhook_disabled' });
    const attempts = receiver.received('broken').length;
    expect(attempts).toBe(3);
    await p.service.submit({ invoice: invoiceWith('5310000007'), receivedOn: baseCase().receivedOn });
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.received('broken')).toHaveLength(attempts);
    const [delivery] = (await (await api.fetch(`/api/webhooks/${endpoint.id}/deliveries`)).json()).items;
    expect(delivery).toMatchObject({ status: 'cancelled', attempts: 3, lastStatus: 500, lastError: 'HTTP 500' });
  }, 60_000);

  it('task.resolved when a manager closes a task, batch.closed when a document is closed « FIN OK »', async () => {
    const { secret } = await register(api, receiver, 'closing', { events: ['task.resolved', 'batch.closed'] });
    await p.service.submit({ invoice: invoiceWith('5310000010', toManager), receivedOn: baseCase().receivedOn });
    await until('the task', async () => (await p.tasks.summary('5310000010-1'))?.status === 'open', 30_000);
    const resolved = await api.fetch('/api/tasks/5310000010-1/resolve', { method: 'POST', role: 'manager', json: { action: 'close', comment: 'vu' } });
    expect(resolved.status).toBeLessThan(300);
    const batch = await api.fetch('/api/batches', {
      method: 'POST', role: 'submitter', json: { batchId: 'gto-webhooks-1', receivedOn: baseCase().receivedOn, invoices: [invoiceWith('5310000011')] },
    });
    expect(batch.status).toBeLessThan(300);
    const got = await until('both events', async () => (receiver.received('closing').length >= 2 ? receiver.received('closing') : null), 60_000);
    const events = got.map((r) => verify(secret, r));
    expect(events).toContainEqual(expect.objectContaining({
      type: 'task.resolved', subject: 'invoice:5310000010',
      data: expect.objectContaining({ taskId: '5310000010-1', status: 'resolved', resolution: { action: 'close', motif: null } }),
    }));
    expect(events).toContainEqual(expect.objectContaining({
      type: 'batch.closed', subject: 'batch:gto-webhooks-1', sequence: 1,
      data: expect.objectContaining({ batchId: 'gto-webhooks-1', invoiceCount: 1, gtoClosure: expect.any(String) }),
    }));
    expect(got.map((r) => r.body).join('')).not.toContain('vu'); // the comment is personal data
  }, 90_000);

  it('an event written while no dispatcher runs is sent by the next one\'s sweep', async () => {
    const { secret } = await register(api, receiver, 'swept');
    await dispatcher.stop();
    await p.service.submit({ invoice: invoiceWith('5310000008'), receivedOn: baseCase().receivedOn });
    await until('decided', async () => (await p.invoices.get('5310000008'))?.status === 'paid', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.received('swept')).toHaveLength(0);
    dispatcher = await startDispatcher(p);
    const [request] = await until('the swept event', async () => (receiver.received('swept').length ? receiver.received('swept') : null), 30_000);
    expect(verify(secret, request!)).toMatchObject({ type: 'invoice.decided', data: { archiveKey: '5310000008' } });
  }, 60_000);

  it('the OpenAPI document describes the events under webhooks', async () => {
    const doc = await (await api.fetch('/docs/json', { role: null })).json();
    expect(Object.keys(doc.webhooks)).toEqual(['invoice.decided', 'invoice.replied', 'task.created', 'task.resolved', 'batch.closed']);
    expect(doc.webhooks['invoice.decided'].post.parameters.map((h: { name: string }) => h.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(doc.paths['/api/webhooks/{id}/deliveries'].get.operationId).toBe('listWebhookDeliveries');
  });
});

describe('webhooks, a worker killed mid-delivery', () => {
  let p: Pipeline;
  let api: RunningApi;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    p = await createPipeline('webhookkill', baseCase().reference, { worker: false, env: KILL_ENV });
    api = await p.startApi();
    receiver = await startWebhookReceiver();
  }, 120_000);
  /** Every worker process this file started: none outlives it, whatever failed. */
  const started: ReturnType<typeof spawn>[] = [];
  afterAll(async () => {
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    await p?.close();
    await receiver?.close();
  });

  /** The real worker (worker.ts: its dispatcher included) in a process of its own. */
  function startWorkerProcess() {
    const child = spawn('npx', ['tsx', join(import.meta.dirname, '..', 'worker.ts')], {
      cwd: join(import.meta.dirname, '..'),
      env: {
        ...process.env, ...KILL_ENV, TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: p.database.url, TASK_QUEUE: p.taskQueue,
        ARCHIVE_TASK_QUEUE: p.taskQueue, DATA_DIR: mkdtempSync(join(tmpdir(), 'tp-webhook-worker-')), SESSION_SECRET: 'x'.repeat(40),
        RESEND_API_KEY: '', LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    started.push(child);
    if (process.env.TEST_WORKER_LOG) child.stderr!.on('data', (d: Buffer) => appendFileSync(process.env.TEST_WORKER_LOG!, d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => { if (d.toString().includes('worker: polling task queue')) resolve(); });
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    return { child, ready, exited };
  }

  it('the event is delivered after another worker takes over, with the same id', async () => {
    const { secret } = await register(api, receiver, 'held');
    receiver.answer('held', (n) => (n === 0 ? 'hold' : 200));
    const first = startWorkerProcess();
    await first.ready;
    await p.service.submit({ invoice: invoiceWith('5320000001'), receivedOn: baseCase().receivedOn });
    // The receiver holds the first attempt: the worker is waiting for its answer when it is killed.
    await until('the first attempt', async () => receiver.received('held').length > 0, 60_000);
    process.kill(-first.child.pid!, 'SIGKILL');
    const killedAt = Date.now();
    await first.exited;

    const second = startWorkerProcess();
    try {
      await second.ready;
      const got = await until('the attempt after the kill', async () => (receiver.received('held').length >= 2 ? receiver.received('held') : null), 60_000);
      expect(got[1]!.at).toBeGreaterThan(killedAt);
      const events = got.map((r) => verify(secret, r));
      expect(new Set(events.map((e) => e.id)).size).toBe(1);
      expect(events[0]).toMatchObject({ type: 'invoice.decided', data: { archiveKey: '5320000001' } });
      const endpointId = (await (await api.fetch('/api/webhooks')).json()).items[0].id;
      await until('delivered', async () => {
        const [d] = (await (await api.fetch(`/api/webhooks/${endpointId}/deliveries`)).json()).items;
        return d?.status === 'delivered';
      }, 30_000);
    } finally {
      process.kill(-second.child.pid!, 'SIGTERM');
      await second.exited;
    }
  }, 150_000);
});
