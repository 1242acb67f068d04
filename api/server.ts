// The API process: `npm run api` (PORT, DATABASE_URL, TEMPORAL_ADDRESS, SESSION_SECRET, LOG_LEVEL…: config.ts, which
// reads the environment once at start). It logs through fastify's logger (api/logging.ts): JSON lines on stderr.
// It starts even when Temporal is not reachable yet (lazy connection): requests then get a 503.

import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { dataConverterOf, temporalClient } from '../temporal.js';
import { createMailer, transportFor } from '../activities/mail/mailer.js';
import { DEFAULT_TEMPORAL_ADDRESS, loadConfig, type Config, type Environment } from '../config.js';
import { createApiKeyRepository } from '../db/api-keys.js';
import { createArchiveRepository } from '../db/archive.js';
import { createAuditLog } from '../db/audit.js';
import { openDatabase, type OpenDatabase } from '../db/client.js';
import { createBatchRepository } from '../db/batches.js';
import { createInvoiceRepository } from '../db/invoices.js';
import { createTrameRepository } from '../db/trames.js';
import { createTaskRepository } from '../db/tasks.js';
import { createLogger } from '../logging.js';
import { DEFAULT_TASK_SLA_MS } from '../activities/index.js';
import { buildApp, type AppDependencies } from './app.js';
import { createInvoiceService } from './invoice-service.js';
import { loadSessionSecret } from './session-secret.js';

/** The API's dependencies over one database and one Temporal client, configured by `config`. */
export function appDependencies(input: {
  client: Client; database: OpenDatabase; config?: Config;
  /** Instead of `config`: an environment, read by config.ts (tests). */
  env?: Environment;
  /** Default: the Config's. */
  taskQueue?: string;
  temporalTimeoutMs?: number;
}): AppDependencies {
  const config = input.config ?? loadConfig(input.env ?? {});
  const { client, database } = input;
  const taskQueue = input.taskQueue ?? config.taskQueue;
  const invoices = createInvoiceRepository(database.db);
  return {
    client,
    database,
    invoices,
    service: createInvoiceService({ client, db: database.db, taskQueue, temporalTimeoutMs: input.temporalTimeoutMs }),
    tasks: createTaskRepository(database.db),
    trames: createTrameRepository(database.db),
    batches: createBatchRepository(database.db),
    mailer: createMailer({ db: database.db, transport: transportFor(config.mail) }),
    keys: createApiKeyRepository(database.db),
    audit: createAuditLog(database.db),
    archive: createArchiveRepository(database.db),
    temporalUiUrl: config.temporalUiUrl,
    sessionSecret: loadSessionSecret({ secret: config.sessionSecret, dataDir: config.dataDir }),
    secureCookies: config.secureCookies,
    publicUrl: config.publicUrl,
    trustedOrigins: config.temporalUiOrigins,
    authFailureLimit: config.authFailureLimit,
    metricsToken: config.metricsToken,
    operatorName: config.operatorName,
    managersEmail: config.mail.managers,
    trameLimits: config.trameLimits,
    logLevel: config.logLevel,
    taskQueue,
    temporalTimeoutMs: input.temporalTimeoutMs,
    taskSlaMs: config.taskSlaMs ?? DEFAULT_TASK_SLA_MS,
    temporalNamespace: config.temporalNamespace,
  };
}

export async function startApi(
  config: Config, database: OpenDatabase, options: { logger?: boolean; dataConverter?: DataConverter } = {},
) {
  const connection = Connection.lazy({ address: config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS });
  const client = temporalClient(connection, { namespace: config.temporalNamespace, dataConverter: options.dataConverter ?? dataConverterOf(config) });
  const deps = appDependencies({ client, database, config });
  const app = await buildApp({ ...deps, logger: options.logger });
  const address = await app.listen({ port: config.port, host: config.host });
  return {
    app,
    address,
    deps,
    async close() {
      await app.close();
      await connection.close();
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Without DATABASE_URL: PGlite under DATA_DIR, as npm start.
  const database = await openDatabase(config.databaseUrl, config.database);
  const api = await startApi(config, database, { logger: true });
  api.app.log.info(`api: listening on ${api.address} (OpenAPI at ${api.address}/docs, console at ${api.address}/console/)`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, async () => {
      await api.close();
      await database.close();
      process.exit(0);
    });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    // Also before the app and its logger exist (an invalid configuration): at LOG_LEVEL's default.
    createLogger({ name: 'api' }).fatal({ err }, `api: ${(err as Error).message}`);
    process.exit(1);
  });
}
