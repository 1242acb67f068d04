// The worker: builds the real dependencies once (database, ports), registers the workflows and
// `createActivities(deps)`, and shuts down gracefully on SIGTERM / SIGINT. It logs through one pino logger
// (logging.ts, at LOG_LEVEL): its own lines, and the SDK runtime's (Runtime.install({ logger })), so the workflows'
// `log` and the activities' Context.current().log too.
//   npm run worker            (TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE, DATA_DIR, LOG_LEVEL…: config.ts)

import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import {
  NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString,
  type RuntimeOptions, type WorkerInterceptors, type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities, DEFAULT_TASK_SLA_MS, type ActivityDependencies } from './activities/index.js';
import { createMailer, transportFor, type MailTransport } from './activities/mail/mailer.js';
import { startWorkerMetrics } from './activities/metrics.js';
import { createWebhookActivities } from './activities/webhooks.js';
import { createWebhookDispatcher, type WebhookDispatcher } from './activities/webhook-dispatcher.js';
import { createWebhookRepository } from './db/webhooks.js';
import { createArchiveActivities, DEFAULT_ARCHIVE_RETENTION_MS, ensureArchiveSchedules } from './activities/archive.js';
import { FAILURE_CONVERTER_PATH } from './activities/encryption.js';
import { withFailureTypes } from './activities/failures.js';
import { rulesVersion } from './activities/rules-version.js';
import { createArchiveRepository } from './db/archive.js';
import { createAuditLog } from './db/audit.js';
import { createWorkflowMessenger } from './activities/messenger.js';
import { dataConverterOf, temporalClient } from './temporal.js';
import { createBatchRepository } from './db/batches.js';
import { createTrameRepository } from './db/trames.js';
import { createTaskRepository } from './db/tasks.js';
import { DEFAULT_MAX_CACHED_WORKFLOWS, DEFAULT_TEMPORAL_ADDRESS, loadConfig, type Config, type WorkerTuning } from './config.js';
import { openDatabase, type OpenDatabase } from './db/client.js';
import { createInvoiceRepository } from './db/invoices.js';
import { createPostgresPorts } from './db/ports.js';
import { createLogger, temporalLogger, type PinoLogger } from './logging.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  // The failure converter runs in the workflows' sandbox too: failures they raise are encoded (so encrypted).
  // The bundler's warnings and errors only.
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: temporalLogger(createLogger({ name: 'worker', level: 'warn' })),
  });
  return bundle;
}

/**
 * The SDK runtime's options in a process that runs a worker (`Runtime.install`, once, before any connection): its
 * logger is `log` (the SDK's lines, the workflows' `log` and the activities' Context.current().log, each with its
 * attributes, NIR masked: logging.ts), and the SDK core's own warnings are forwarded to it rather than printed apart.
 */
export function runtimeOptions(log: PinoLogger): RuntimeOptions {
  return {
    logger: temporalLogger(log),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) } },
  };
}

/**
 * The worker's real dependencies, from the database, a Temporal client (a batch's activities start its invoices'
 * workflows and signal them) and the configuration (TASK_SLA, MAIL_*, RESEND_*, …: config.ts). `observe.transport`
 * wraps the mail transport (the worker's metrics count its outcomes).
 */
export function dependenciesFrom(
  database: OpenDatabase, temporal: Client, config: Config,
  observe: { transport?: (transport: MailTransport) => MailTransport } = {},
): ActivityDependencies {
  const transport = transportFor(config.mail);
  const mailer = createMailer({ db: database.db, transport: observe.transport?.(transport) ?? transport });
  return {
    ports: createPostgresPorts(database.db),
    invoices: createInvoiceRepository(database.db),
    tasks: createTaskRepository(database.db),
    trames: createTrameRepository(database.db),
    batches: createBatchRepository(database.db),
    messenger: createWorkflowMessenger(temporal),
    mailer,
    mailFrom: config.mail.from,
    managersEmail: config.mail.managers,
    consoleUrl: config.publicUrl?.replace(/\/$/, ''),
    operatorName: config.operatorName,
    taskSlaMs: config.taskSlaMs ?? DEFAULT_TASK_SLA_MS,
    archiving: {
      archive: createArchiveRepository(database.db),
      audit: createAuditLog(database.db),
      temporal,
      archiveRetentionMs: config.archiveRetentionMs ?? DEFAULT_ARCHIVE_RETENTION_MS,
      taskQueue: config.archiveTaskQueue,
    },
    webhooks: {
      webhooks: createWebhookRepository(database.db),
      mailer,
      mailFrom: config.mail.from,
      adminsEmail: config.mail.admins,
      consoleUrl: config.publicUrl?.replace(/\/$/, ''),
      failurePolicy: { maxConsecutiveFailures: config.webhooks.disableAfterFailures, failingForMs: config.webhooks.disableAfterMs },
    },
  };
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  deps: ActivityDependencies;
  /** Workflows kept in memory between their tasks: the worker's memory bound (config.ts). */
  maxCachedWorkflows?: number;
  /** Threads and concurrency (config.ts `workerTuning`); the SDK's defaults for what is unset. */
  tuning?: WorkerTuning;
  /** The shared data converter (payloads encrypted): temporal.ts dataConverterOf. */
  dataConverter: DataConverter;
  /** Worker interceptors (the worker's metrics count its activities: activities/metrics.ts). */
  interceptors?: WorkerInterceptors;
}

export async function createWorker({
  connection, namespace = 'default', taskQueue, deps, maxCachedWorkflows, tuning, dataConverter, interceptors,
}: WorkerOptions): Promise<Worker> {
  return Worker.create({
    ...tuning,
    connection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...createActivities(deps), ...withFailureTypes(createArchiveActivities(deps.archiving)),
      ...(deps.webhooks ? createWebhookActivities(deps.webhooks) : {}),
    },
    maxCachedWorkflows: maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    dataConverter,
    interceptors,
  });
}

/**
 * The webhooks' dispatcher of a worker process (activities/webhook-dispatcher.ts): one delivery workflow per event and
 * endpoint, started from what the database's triggers wrote. Stop it before the database closes.
 */
export async function startWebhookDispatcher(
  database: OpenDatabase, client: Client, config: Config, log: Pick<PinoLogger, 'warn' | 'info'>,
): Promise<WebhookDispatcher> {
  const dispatcher = createWebhookDispatcher({
    webhooks: createWebhookRepository(database.db), client, taskQueue: config.taskQueue, listen: database.listen,
    config: config.webhooks, log: { warn: (m) => log.warn(m), info: (m) => log.info(m) },
  });
  await dispatcher.start();
  return dispatcher;
}

/**
 * `attempt()` until it succeeds, retrying with a growing pause (0.5 s → 5 s) for at most `timeoutMs`: a worker
 * started while Temporal (or its load balancer) restarts waits for it instead of exiting. Each failure is a warning.
 */
export async function withRetries<T>(what: string, attempt: () => Promise<T>, timeoutMs: number, log: { warn(message: string): void }): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 500; ; pause = Math.min(pause * 2, 5_000)) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + pause > deadline) throw error;
      log.warn(`worker: ${what} failed (${(error as Error).message.split('\n')[0]}); trying again in ${pause / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

async function main(log: PinoLogger): Promise<void> {
  const config = loadConfig(process.env);
  log.level = config.logLevel;
  rulesVersion(); // hashed once, before any analysis: the version every decision of this worker records
  // The SDK runtime, before any connection: its logger (and with WORKER_METRICS_PORT, its Prometheus exporter).
  const runtime = runtimeOptions(log);
  const metrics = await startWorkerMetrics(config.workerMetrics, runtime);
  if (metrics) log.info(`worker: metrics on http://${metrics.address}/metrics`);
  else Runtime.install(runtime);
  // Without DATABASE_URL: PGlite under DATA_DIR, as npm start.
  const database = await openDatabase(config.databaseUrl, config.database);
  const address = config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  // WORKER_CONNECT_TIMEOUT (default 60 s): how long a starting worker waits for Temporal before giving up (exit 1).
  const connectTimeoutMs = config.workerConnectTimeoutMs;
  const connection = await withRetries(`connecting to Temporal at ${address}`, () => NativeConnection.connect({ address }), connectTimeoutMs, log);
  const clientConnection = await withRetries(`connecting to Temporal at ${address}`, () => Connection.connect({ address }), connectTimeoutMs, log);
  const dataConverter = dataConverterOf(config);
  const client = temporalClient(clientConnection, { namespace: config.temporalNamespace, dataConverter });
  const worker = await createWorker({
    connection, namespace: config.temporalNamespace, taskQueue: config.taskQueue, deps: dependenciesFrom(database, client, config, metrics?.observe),
    dataConverter, interceptors: metrics?.interceptors,
    maxCachedWorkflows: config.maxCachedWorkflows, tuning: config.workerTuning,
  });
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM by itself (the SDK's shutdownSignals): it stops polling,
  // finishes the tasks in progress, then resolves.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => log.info(`worker: ${signal} received, finishing the tasks in progress…`));
  }
  await withRetries('creating the archive schedules', () => ensureArchiveSchedules(client, config.taskQueue), connectTimeoutMs, log);
  const dispatcher = await startWebhookDispatcher(database, client, config, log);
  log.info(`worker: polling task queue « ${config.taskQueue} » on ${config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS} (${database.kind}), rules ${rulesVersion()}`);
  try {
    await worker.run();
  } finally {
    await dispatcher.stop();
    await connection.close();
    await clientConnection.close();
    await database.close();
    await metrics?.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // At LOG_LEVEL's default until the configuration is read (an invalid one is logged here).
  const log = createLogger({ name: 'worker' });
  main(log).catch((err) => {
    log.fatal({ err }, `worker: ${(err as Error).message}`);
    process.exit(1);
  });
}
