// Live task changes for the console (GET /api/events, api/routes/events.ts). Every task event, whoever wrote it (an
// API replica, a worker), is announced by PostgreSQL at commit on the channel `task_events` (trigger of migration
// 0006); each API process LISTENs on its own connection and writes each one to the server-sent-event streams it
// holds. A payload names the task and what happened to it (id, critère d'archivage, kind, actor, time): no NIR, no
// patient, no comment.

import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { OpenDatabase } from '../db/client.js';

export const TASK_EVENTS_CHANNEL = 'task_events';

export interface TaskChange {
  /** The task event's id (task_events.id): the stream's `id:`. */
  id: number;
  taskId: string;
  archiveKey: string | null;
  kind: string;
  actor: string | null;
  at: string;
}

export interface LiveOptions {
  /** Streams one process keeps open at most; past it, 503 (default 500). */
  maxClients?: number;
  /** A comment line on every stream this often, so that proxies keep it open (default 15 s). */
  heartbeatMs?: number;
  /**
   * A stream is ended after this long (default 10 min): the browser reconnects at once, and its credentials are
   * checked again (a revoked key, an ended session).
   */
  maxStreamMs?: number;
  /** Wait before trying to LISTEN again when the database refused (default 5 s). */
  retryMs?: number;
}

/** How long the app's start waits for the LISTEN. */
const LISTEN_WAIT_MS = 3000;

export const LIVE_DEFAULTS = { maxClients: 500, heartbeatMs: 15_000, maxStreamMs: 10 * 60_000, retryMs: 5_000 } as const;

/** A notification's payload as the trigger writes it; null when it is not one. */
export function parseTaskChange(payload: string): TaskChange | null {
  try {
    const p = JSON.parse(payload) as Record<string, unknown>;
    if (typeof p.taskId !== 'string' || typeof p.kind !== 'string') return null;
    const at = new Date(String(p.at));
    return {
      id: Number(p.id), taskId: p.taskId, archiveKey: typeof p.archiveKey === 'string' ? p.archiveKey : null, kind: p.kind,
      actor: typeof p.actor === 'string' ? p.actor : null, at: Number.isNaN(at.getTime()) ? new Date().toISOString() : at.toISOString(),
    };
  } catch {
    return null;
  }
}

/** One server-sent event (`event:`, `id:`, `data:` on one line: JSON has no newline). */
export function sseMessage(event: string, data: unknown, id?: number): string {
  return `${id !== undefined && Number.isFinite(id) ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

interface Stream {
  response: ServerResponse;
  heartbeat: NodeJS.Timeout;
  expiry: NodeJS.Timeout;
}

export interface LiveHub {
  /** Streams open in this process. */
  readonly clients: number;
  /** Whether another stream may open. */
  hasRoom(): boolean;
  /** Writes the stream's start on `response` (headers already sent) and keeps it until it closes. */
  attach(response: ServerResponse): void;
  /** Writes an event to every stream. */
  broadcast(event: string, data: unknown, id?: number): void;
  /** LISTENs (retrying until the database accepts); `database` without `listen`: no live events. */
  start(): Promise<void>;
  /** Ends every stream and stops listening. */
  stop(): Promise<void>;
}

export function createLiveHub(
  database: Partial<Pick<OpenDatabase, 'listen'>>, log: FastifyBaseLogger, options: LiveOptions = {},
): LiveHub {
  const settings = { ...LIVE_DEFAULTS, ...options };
  const streams = new Set<Stream>();
  let unlisten: (() => Promise<void>) | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  let listens = 0;

  const write = (stream: Stream, text: string) => {
    if (!stream.response.writableEnded) stream.response.write(text);
  };
  const drop = (stream: Stream) => {
    clearInterval(stream.heartbeat);
    clearTimeout(stream.expiry);
    streams.delete(stream);
  };

  const hub: LiveHub = {
    get clients() {
      return streams.size;
    },
    hasRoom: () => streams.size < settings.maxClients,
    attach(response) {
      const stream: Stream = {
        response,
        heartbeat: setInterval(() => write(stream, ': ping\n\n'), settings.heartbeatMs),
        expiry: setTimeout(() => response.end(), settings.maxStreamMs),
      };
      stream.heartbeat.unref();
      stream.expiry.unref();
      streams.add(stream);
      response.once('close', () => drop(stream));
      // How long the browser waits before reconnecting; then a first line, so that it knows the stream is open.
      write(stream, `retry: 2000\n: connected\n\n`);
    },
    broadcast(event, data, id) {
      const text = sseMessage(event, data, id);
      for (const stream of streams) write(stream, text);
    },
    async start() {
      if (!database.listen || stopped) return;
      try {
        unlisten = await database.listen(TASK_EVENTS_CHANNEL, (payload) => {
          const change = parseTaskChange(payload);
          if (change) hub.broadcast('task', change, change.id);
        }, () => {
          // LISTEN re-established after a lost connection: what was announced meanwhile is lost, pages re-read.
          if (listens++ > 0) hub.broadcast('resync', {});
        });
        if (stopped) await unlisten();
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, `live: cannot LISTEN on ${TASK_EVENTS_CHANNEL}, retrying`);
        retry = setTimeout(() => void hub.start(), settings.retryMs);
        retry.unref();
      }
    },
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      for (const stream of [...streams]) {
        drop(stream);
        stream.response.end();
      }
      const done = unlisten;
      unlisten = null;
      await done?.().catch(() => undefined);
    },
  };
  return hub;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The live task changes of this process (api/live.ts). */
    live: LiveHub;
  }
}

/** `app.live`: listening once the app is ready, its streams ended before the server closes. */
export const livePlugin = fp<{ database: Partial<Pick<OpenDatabase, 'listen'>>; options?: LiveOptions }>(async (app, { database, options }) => {
  const hub = createLiveHub(database, app.log, options);
  app.decorate('live', hub);
  // Listening before the app answers, unless the database is slow to accept: then in the background (retried).
  app.addHook('onReady', async () => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([hub.start(), new Promise<void>((resolve) => { timer = setTimeout(resolve, LISTEN_WAIT_MS); })]);
    clearTimeout(timer);
  });
  // Before the server stops accepting: open streams would otherwise keep close() waiting.
  app.addHook('preClose', async () => {
    await hub.stop();
  });
}, { fastify: '5.x', name: 'tpr-live' });
