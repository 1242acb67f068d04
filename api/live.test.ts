// The live hub without a database: notifications to every stream, a break in the LISTEN said as `resync`, streams
// ended after their longest life and on stop, a refused LISTEN tried again.

import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLiveHub, parseTaskChange, sseMessage } from './live.js';

class FakeResponse extends EventEmitter {
  text = '';
  writableEnded = false;
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
  end() {
    this.writableEnded = true;
    this.emit('close');
  }
}

const quiet = { warn: () => undefined } as unknown as FastifyBaseLogger;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeDatabase(options: { failures?: number } = {}) {
  let failures = options.failures ?? 0;
  const state = { notify: (_payload: string) => undefined as void, relisten: () => undefined as void, listens: 0, unlistened: false };
  return {
    state,
    database: {
      async listen(_channel: string, onNotify: (payload: string) => void, onListen?: () => void) {
        state.listens++;
        if (failures-- > 0) throw new Error('connection refused');
        state.notify = onNotify;
        state.relisten = () => onListen?.();
        onListen?.();
        return async () => {
          state.unlistened = true;
        };
      },
    },
  };
}

describe('live hub', () => {
  it('reads the trigger\'s payload; ignores anything else', () => {
    expect(parseTaskChange(JSON.stringify({ id: 3, taskId: '6000000001-1', archiveKey: '6000000001', kind: 'claimed', actor: 'Claire', at: '2026-12-02T01:02:03.456789+00:00' })))
      .toEqual({ id: 3, taskId: '6000000001-1', archiveKey: '6000000001', kind: 'claimed', actor: 'Claire', at: '2026-12-02T01:02:03.456Z' });
    expect(parseTaskChange('not json')).toBeNull();
    expect(parseTaskChange('{"kind":"claimed"}')).toBeNull();
    expect(sseMessage('task', { a: 1 }, 7)).toBe('id: 7\nevent: task\ndata: {"a":1}\n\n');
  });

  it('writes each change to every stream, says `resync` when the LISTEN came back, ends streams on stop', async () => {
    const { state, database } = fakeDatabase();
    const hub = createLiveHub(database, quiet, { maxClients: 2 });
    await hub.start();
    const one = new FakeResponse();
    const two = new FakeResponse();
    hub.attach(one as unknown as ServerResponse);
    expect(hub.hasRoom()).toBe(true);
    hub.attach(two as unknown as ServerResponse);
    expect(hub.hasRoom()).toBe(false);
    expect(one.text).toBe('retry: 2000\n: connected\n\n');

    state.notify(JSON.stringify({ id: 1, taskId: '6000000001-1', archiveKey: '6000000001', kind: 'created', actor: null, at: '2026-12-02T00:00:00Z' }));
    state.notify('garbage');
    for (const r of [one, two]) expect(r.text).toContain('id: 1\nevent: task\ndata: {"id":1,"taskId":"6000000001-1"');
    state.relisten();
    expect(two.text).toContain('event: resync\ndata: {}\n\n');

    one.end();
    expect(hub.clients).toBe(1);
    await hub.stop();
    expect(two.writableEnded).toBe(true);
    expect(hub.clients).toBe(0);
    expect(state.unlistened).toBe(true);
  });

  it('ends a stream after its longest life, keeps it alive with heartbeats meanwhile', async () => {
    const { database } = fakeDatabase();
    const hub = createLiveHub(database, quiet, { heartbeatMs: 20, maxStreamMs: 150 });
    const r = new FakeResponse();
    hub.attach(r as unknown as ServerResponse);
    await sleep(80);
    expect(r.text).toContain(': ping\n\n');
    expect(r.writableEnded).toBe(false);
    await sleep(150);
    expect(r.writableEnded).toBe(true);
    expect(hub.clients).toBe(0);
    await hub.stop();
  });

  it('tries the LISTEN again when the database refused it', async () => {
    const { state, database } = fakeDatabase({ failures: 1 });
    const hub = createLiveHub(database, quiet, { retryMs: 30 });
    await hub.start();
    expect(state.listens).toBe(1);
    await sleep(100);
    expect(state.listens).toBe(2);
    await hub.stop();
    expect(state.unlistened).toBe(true);
  });
});
