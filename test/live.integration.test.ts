// Live task changes across replicas: two API processes' apps over the same PostgreSQL; a task created by the worker
// and claimed through replica A reaches an event stream held open on replica B (PostgreSQL LISTEN/NOTIFY), within a
// second. The stream is for managers, auditors and admins only, bounded per process, kept open by heartbeats.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReference } from '../db/seed.js';
import { caseWith } from '../rules/testing/cases.js';
import { createPipeline, until, type Pipeline, type RunningApi } from './harness.js';

interface Received { event: string; id?: string; data?: Record<string, unknown>; at: number }

/** An open GET /api/events: what it has received so far (events and comment lines). */
async function openStream(api: RunningApi, role: 'manager' | 'auditor' | 'admin' = 'auditor') {
  const controller = new AbortController();
  const res = await api.fetch('/api/events', { role, signal: controller.signal, headers: { accept: 'text/event-stream' } });
  const events: Received[] = [];
  const comments: string[] = [];
  if (res.ok && res.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const message: Received = { event: 'message', at: Date.now() };
            let isEvent = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              else if (line.startsWith('event: ')) { message.event = line.slice(7); isEvent = true; }
              else if (line.startsWith('id: ')) message.id = line.slice(4);
              else if (line.startsWith('data: ')) message.data = JSON.parse(line.slice(6));
            }
            if (isEvent) events.push(message);
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { res, events, comments, close: () => controller.abort() };
}

const aControler = (archiveKey: string) => caseWith((c) => {
  c.invoice.archiveKey = archiveKey;
  c.reference.insurers = [{ name: 'MGEN', controlThreshold: 1 }];
});

let p: Pipeline;
let a: RunningApi;
let b: RunningApi;
beforeAll(async () => {
  p = await createPipeline('live', aControler('6450000001').reference);
  a = await p.startApi();
  // B answers any request within 1 s (503 after): a stream is not a request to bound, it stays open.
  b = await p.startApi({ live: { maxClients: 1, heartbeatMs: 300 }, requestTimeoutMs: 1000 });
}, 120_000);
afterAll(async () => {
  for (const api of [a, b]) api?.app.server.closeAllConnections();
  await p?.close();
});

describe('GET /api/events', () => {
  it('refuses a caller without credentials (401), and a submitter (403)', async () => {
    const anonymous = await b.fetch('/api/events', { role: null });
    expect(anonymous.status).toBe(401);
    expect((await b.fetch('/api/events', { role: 'submitter' })).status).toBe(403);
  });

  it('is described in the OpenAPI document as a text/event-stream', async () => {
    const doc = await (await b.fetch('/docs/json', { role: null })).json();
    const get = doc.paths['/api/events'].get;
    expect(get.summary).toContain('text/event-stream');
    expect(Object.keys(get.responses['200'].content)).toEqual(['text/event-stream']);
  });

  it('brings a task created by the worker and claimed through replica A to a stream on replica B within a second', async () => {
    const stream = await openStream(b);
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.res.headers.get('cache-control')).toMatch(/no-cache/);
      // The security headers of every response.
      expect(stream.res.headers.get('x-content-type-options')).toBe('nosniff');
      // Bounded: replica B takes one stream at most here.
      const second = await b.fetch('/api/events', { role: 'manager' });
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBeTruthy();

      const c = aControler('6450000001');
      await seedReference(p.database.db, c.reference);
      const submitted = await a.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } });
      expect(submitted.status).toBe(202);
      const created = await until('the created event on replica B', async () => stream.events.find((e) => e.event === 'task' && e.data?.kind === 'created'), 30_000);
      const taskId = created.data!.taskId as string;
      expect(created.data).toMatchObject({ taskId: '6450000001-1', archiveKey: '6450000001', kind: 'created', actor: null });
      expect(Number(created.id)).toBeGreaterThan(0);

      const before = Date.now();
      const claim = await a.fetch(`/api/tasks/${taskId}/claim`, { method: 'POST', role: 'manager' });
      expect(claim.status).toBe(200);
      const claimed = await until('the claimed event on replica B', async () => stream.events.find((e) => e.event === 'task' && e.data?.kind === 'claimed'), 5_000);
      expect(claimed.at - before).toBeLessThan(1000);
      expect(claimed.data).toMatchObject({ taskId, archiveKey: '6450000001', kind: 'claimed', actor: 'manager-live' });
      expect(new Date(claimed.data!.at as string).toISOString()).toBe(claimed.data!.at);
      // Nothing but the task, what happened and who: no personal data of the claim.
      expect(Object.keys(claimed.data!).sort()).toEqual(['actor', 'archiveKey', 'at', 'id', 'kind', 'taskId']);
      expect(JSON.stringify(stream.events)).not.toContain(c.invoice.beneficiary!.nir);

      // Written by the repository directly (as the worker's activities do), without any API: the same.
      await p.tasks.release(taskId, 'manager-live');
      await until('the released event on replica B', async () => stream.events.find((e) => e.event === 'task' && e.data?.kind === 'released'), 1_000);

      // Heartbeats keep the stream open, past the bound on requests.
      await until('a heartbeat', async () => stream.comments.includes('ping'), 2_000);
      const heartbeats = stream.comments.filter((line) => line === 'ping').length;
      await until('a heartbeat after the bound on requests', async () => stream.comments.filter((line) => line === 'ping').length > heartbeats + 3, 5_000);
      expect(stream.events.map((e) => e.event)).not.toContain('error');
    } finally {
      stream.close();
    }
    // The stream's place is given back when the client goes.
    await until('the stream closed on replica B', async () => b.app.live.clients === 0, 5_000);
  });
});
