// What the API works with, as decorators of the fastify instance, registered in order before the routes (the
// fastify/demo way: external services → repositories → routes): a route reads `app.invoices`, `app.temporal`…,
// typed below, and imports nothing from api/app.ts. `buildApp(deps)` (api/app.ts) takes them as one object.

import fp from 'fastify-plugin';
import type { Client } from '@temporalio/client';
import type { Mailer } from '../activities/mail/mailer.js';
import type { LogLevel, TrameLimits } from '../config.js';
import type { ApiKeyRepository } from '../db/api-keys.js';
import type { ArchiveRepository } from '../db/archive.js';
import type { AuditLog } from '../db/audit.js';
import type { BatchRepository } from '../db/batches.js';
import type { OpenDatabase } from '../db/client.js';
import type { InvoiceRepository } from '../db/invoices.js';
import type { TrameRepository } from '../db/trames.js';
import type { TaskRepository } from '../db/tasks.js';
import type { InvoiceService } from './invoice-service.js';
import type { LiveOptions } from './live.js';

/** The repositories the routes read, as decorators of the same names. */
export interface Repositories {
  invoices: InvoiceRepository;
  tasks: TaskRepository;
  trames: TrameRepository;
  batches: BatchRepository;
  mailer: Mailer;
  keys: ApiKeyRepository;
  /** The append-only audit log (db/audit.ts): state-changing actions and reads of personal data. */
  audit: AuditLog;
  /** Histories kept after Temporal's retention (db/archive.ts). */
  archive: ArchiveRepository;
}

export interface AppDependencies extends Repositories {
  client: Client;
  /**
   * `ping` (a probe on a connection of its own) is used by /health when given, else `execute('select 1')`; `listen`
   * carries the live task changes (api/live.ts), none without it.
   */
  database: Pick<OpenDatabase, 'execute' | 'db'> & Partial<Pick<OpenDatabase, 'ping' | 'listen'>>;
  service: InvoiceService;
  /** The Temporal UI server (TEMPORAL_UI_URL), served under /temporal/ from this origin (api/routes/temporal-ui.ts). */
  temporalUiUrl?: string;
  /** Signs the console's session cookies (api/session-secret.ts). */
  sessionSecret: string;
  /** `Secure` on the session cookie (SECURE_COOKIES=true; implied by an https PUBLIC_URL). */
  secureCookies?: boolean;
  /** The console's public URL (PUBLIC_URL): the origin its cookie-authenticated requests must come from. */
  publicUrl?: string;
  /**
   * Other origins allowed to send cookie-authenticated unsafe requests, and to call the codec server with credentials
   * (CORS): TEMPORAL_UI_ORIGIN, the Temporal UI's own origins.
   */
  trustedOrigins?: string[];
  /** Failed authentications allowed per client IP within the window, then 429 (AUTH_FAILURES_MAX, AUTH_FAILURES_WINDOW). */
  authFailureLimit?: { max: number; windowMs: number };
  /** « OPERATEUR SSTT » in the Trame exports. */
  operatorName: string;
  /** Where escalations go (MANAGERS_EMAIL): a refused escalation sent again goes there. */
  managersEmail: string[];
  /** The workers' task queue (workflows the API starts: e-mails sent again). */
  taskQueue: string;
  /** Deadline of each Temporal call made for a request (ms; default TEMPORAL_TIMEOUT_MS, api/deadlines.ts). */
  temporalTimeoutMs?: number;
  /** The managers' SLA the workers apply (TASK_SLA; default 48 h): the console words deadlines with it; the dashboard's service level. */
  taskSlaMs?: number;
  /** The Temporal namespace of the workflows (TEMPORAL_NAMESPACE): the console's links to the Temporal UI. */
  temporalNamespace?: string;
  /** A request without an answer after this many ms is answered 503 (default REQUEST_TIMEOUT_MS, api/deadlines.ts). */
  requestTimeoutMs?: number;
  /** Also accepted on GET /metrics as `Authorization: Bearer <token>` (METRICS_TOKEN); unset: admins only. */
  metricsToken?: string;
  /** Bounds on a Trame upload (default: from the environment, config.ts loadTrameLimits). */
  trameLimits?: TrameLimits;
  /** Bounds of the live streams (GET /api/events; api/live.ts LIVE_DEFAULTS). */
  live?: LiveOptions;
  /** Requests and errors logged (api/logging.ts), at `logLevel` (LOG_LEVEL; default info). */
  logger?: boolean;
  logLevel?: LogLevel;
}

/** The API's settings that routes read (`app.settings`). */
export type ApiSettings = Pick<AppDependencies, 'operatorName' | 'managersEmail' | 'taskQueue' | 'temporalTimeoutMs' | 'trameLimits' | 'metricsToken' | 'taskSlaMs' | 'temporalNamespace'>;

export type ApiDatabase = AppDependencies['database'];

declare module 'fastify' {
  interface FastifyInstance extends Repositories {
    /** The Temporal client (deadlines: api/deadlines.ts). */
    temporal: Client;
    database: ApiDatabase;
    invoiceService: InvoiceService;
    settings: ApiSettings;
  }
}

export const settingsOf = (deps: AppDependencies): ApiSettings => ({
  operatorName: deps.operatorName, managersEmail: deps.managersEmail, taskQueue: deps.taskQueue,
  temporalTimeoutMs: deps.temporalTimeoutMs, trameLimits: deps.trameLimits, metricsToken: deps.metricsToken,
  taskSlaMs: deps.taskSlaMs, temporalNamespace: deps.temporalNamespace,
});

/** The services outside the process: Temporal, PostgreSQL; and the settings. */
export const externalServices = fp<{ client: Client; database: ApiDatabase; settings: ApiSettings }>(async (app, options) => {
  app.decorate('temporal', options.client);
  app.decorate('database', options.database);
  app.decorate('settings', options.settings);
}, { fastify: '5.x', name: 'tpr-external-services' });

/** The repositories and services over them. */
export const repositories = fp<Pick<AppDependencies, 'invoices' | 'service' | 'tasks' | 'trames' | 'batches' | 'mailer' | 'keys' | 'audit' | 'archive'>>(
  async (app, deps) => {
    app.decorate('invoices', deps.invoices);
    app.decorate('invoiceService', deps.service);
    app.decorate('tasks', deps.tasks);
    app.decorate('trames', deps.trames);
    app.decorate('batches', deps.batches);
    app.decorate('mailer', deps.mailer);
    app.decorate('keys', deps.keys);
    app.decorate('audit', deps.audit);
    app.decorate('archive', deps.archive);
  },
  { fastify: '5.x', name: 'tpr-repositories', dependencies: ['tpr-external-services'] },
);
