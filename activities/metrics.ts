// The worker's metrics (WORKER_METRICS_PORT): GET /metrics on a small HTTP server of its own, answering in the
// Prometheus text format with
//   - the Temporal SDK's worker metrics (temporal_*: polls, task slots, latencies…), exported by the SDK core on a
//     loopback port of its own (Runtime.install: once per process, before any connection) and relayed here;
//   - the product's counters kept by this process (its own prom-client registry, never the global one): activities
//     completed / failed by activity type (an activity interceptor), e-mails sent / refused (the mail transport),
//     and the process' default metrics (tprejects_worker_*).
// `Authorization: Bearer <METRICS_TOKEN>` is required when METRICS_TOKEN is set; the server binds to
// WORKER_METRICS_HOST (default 127.0.0.1). Labels are bounded sets: activity types, mail kinds, outcomes.

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledFailure } from '@temporalio/common';
import { Runtime, type RuntimeOptions, type WorkerInterceptors } from '@temporalio/worker';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { DEFAULT_WORKER_METRICS_HOST, type WorkerMetricsConfig } from '../config.js';
import { MAIL_KINDS, mailErrorKind, isMailRejected, InvalidMailError, type MailTransport } from './mail/mailer.js';

/** How long the SDK core's exporter may take to answer before /metrics answers without its metrics. */
const CORE_SCRAPE_TIMEOUT_MS = 2000;

export { DEFAULT_WORKER_METRICS_HOST, type WorkerMetricsConfig } from '../config.js';

/** The product's counters of one worker process, on a registry of its own. */
export function createWorkerCounters() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tprejects_worker_' });
  const activities = new Counter({
    name: 'tprejects_worker_activities_total',
    help: 'Activity executions (attempts) this worker process ran, by activity type and outcome (completed, failed, cancelled); local activities included',
    labelNames: ['activity_type', 'outcome'] as const,
    registers: [registry],
  });
  const emails = new Counter({
    name: 'tprejects_worker_emails_total',
    help: 'E-mails handed to the mail transport by this worker process, by kind (ps_reply, escalation) and outcome: sent, refused (for good: address, rejected, invalid) or failed (retried: transport, account)',
    labelNames: ['kind', 'outcome', 'error_kind'] as const,
    registers: [registry],
  });
  const sdkUp = new Gauge({
    name: 'tprejects_worker_sdk_metrics_up',
    help: 'Whether the Temporal SDK\'s own metrics (temporal_*) could be read for this scrape (1) or not (0)',
    registers: [registry],
  });

  /** Counts every execution of this worker's activities (`Worker.create({ interceptors })`). */
  const interceptors: WorkerInterceptors = {
    activity: [(ctx) => ({
      inbound: {
        async execute(input, next) {
          const activity_type = ctx.info.activityType;
          try {
            const result = await next(input);
            activities.inc({ activity_type, outcome: 'completed' });
            return result;
          } catch (error) {
            activities.inc({ activity_type, outcome: error instanceof CancelledFailure ? 'cancelled' : 'failed' });
            throw error;
          }
        },
      },
    })],
  };

  /** The transport, its outcomes counted. */
  function countMails(transport: MailTransport): MailTransport {
    return {
      name: transport.name,
      async send(mail) {
        const kind = (MAIL_KINDS as readonly string[]).includes(mail.kind) ? mail.kind : 'other';
        try {
          const sent = await transport.send(mail);
          emails.inc({ kind, outcome: 'sent', error_kind: 'none' });
          return sent;
        } catch (error) {
          const refused = isMailRejected(error) || error instanceof InvalidMailError;
          emails.inc({ kind, outcome: refused ? 'refused' : 'failed', error_kind: mailErrorKind(error) });
          throw error;
        }
      },
    };
  }

  return { registry, interceptors, countMails, sdkUp };
}

export type WorkerCounters = ReturnType<typeof createWorkerCounters>;

/** A port free on the loopback interface right now (for the SDK core's exporter). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Installs the SDK's runtime with `runtime`'s options (its logger: worker.ts runtimeOptions) and its Prometheus
 * exporter on `127.0.0.1:<corePort>`. Once per process, before any NativeConnection (which would install the default
 * runtime).
 */
export function installRuntimeWithMetrics(corePort: number, runtime: RuntimeOptions = {}): string {
  const bindAddress = `127.0.0.1:${corePort}`;
  Runtime.install({ ...runtime, telemetryOptions: { ...runtime.telemetryOptions, metrics: { prometheus: { bindAddress } } } });
  return bindAddress;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

function authorized(request: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
  return !!match && timingSafeEqual(digest(match[1]!), digest(token));
}

/** The SDK core's exposition text, or null when it does not answer in time. */
async function coreMetrics(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(CORE_SCRAPE_TIMEOUT_MS) });
    if (!res.ok) return null;
    return await res.text();
  } catch {
    return null;
  }
}

export interface WorkerMetricsServer {
  /** `host:port` the server listens on. */
  address: string;
  close(): Promise<void>;
}

/** Serves GET /metrics: this process' counters, then the SDK core's metrics read from `coreUrl` (when given). */
export async function serveWorkerMetrics(options: {
  counters: WorkerCounters; port: number; host?: string; token?: string; coreUrl?: string;
}): Promise<WorkerMetricsServer> {
  const { counters, token, coreUrl } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics\n');
      return;
    }
    if (!authorized(request, token)) {
      response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' })
        .end('Authentication required: Authorization: Bearer <METRICS_TOKEN>\n');
      return;
    }
    void (async () => {
      const core = coreUrl ? await coreMetrics(coreUrl) : null;
      counters.sdkUp.set(core === null ? 0 : 1);
      const own = await counters.registry.metrics();
      const body = core ? `${own}${own.endsWith('\n') ? '' : '\n'}${core}${core.endsWith('\n') ? '' : '\n'}` : own;
      response.writeHead(200, { 'content-type': counters.registry.contentType });
      response.end(request.method === 'HEAD' ? undefined : body);
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`metrics: ${(error as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host ?? DEFAULT_WORKER_METRICS_HOST, resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    address: `${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export interface WorkerMetrics extends WorkerMetricsServer {
  /** For `Worker.create({ interceptors })` (createWorker's `interceptors`). */
  interceptors: WorkerInterceptors;
  /** For dependenciesFrom: wraps the mail transport. */
  observe: { transport: (transport: MailTransport) => MailTransport };
}

/**
 * The worker process' metrics when WORKER_METRICS_PORT is set (the Config's `workerMetrics`), else null (and nothing
 * installed). Installs the SDK runtime with `runtime`'s options and the exporter: call it before any connection to
 * Temporal.
 */
export async function startWorkerMetrics(config: WorkerMetricsConfig | null, runtime: RuntimeOptions = {}): Promise<WorkerMetrics | null> {
  if (!config) return null;
  const core = installRuntimeWithMetrics(await freeLoopbackPort(), runtime);
  const counters = createWorkerCounters();
  const server = await serveWorkerMetrics({ counters, port: config.port, host: config.host, token: config.token, coreUrl: `http://${core}/metrics` });
  return { ...server, interceptors: counters.interceptors, observe: { transport: counters.countMails } };
}
