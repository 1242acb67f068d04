// The API process: `npm run api` (PORT, DATABASE_URL, TEMPORAL_ADDRESS, SESSION_SECRET…: see config.ts).
// It starts even when Temporal is not reachable yet (lazy connection): requests then get a 503.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { mailConfigFromEnv } from '../activities/mail/config.js';
import { dataConverterFromEnv, temporalClient } from '../activities/temporal.js';
import { createMailer, transportFromEnv } from '../activities/mail/mailer.js';
import { DEFAULT_TEMPORAL_ADDRESS, loadConfig, type Config } from '../config.js';
import { createApiKeyRepository } from '../db/api-keys.js';
import { createArchiveRepository } from '../db/archive.js';
import { createAuditLog } from '../db/audit.js';
import { openDatabase, type OpenDatabase } from '../db/client.js';
import { createBatchRepository } from '../db/batches.js';
import { createInvoiceRepository } from '../db/invoices.js';
import { createOutputRepository } from '../db/outputs.js';
import { createTaskRepository } from '../db/tasks.js';
import { buildApp, type AppDependencies } from './app.js';
import { createInvoiceService } from './invoice-service.js';
import { loadSessionSecret } from './session-secret.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** AUTH_FAILURES_MAX (20) failed authentications per client IP within AUTH_FAILURES_WINDOW seconds (60), then 429. */
export function authFailureLimitFromEnv(env: NodeJS.ProcessEnv): { max: number; windowMs: number } {
  const number = (name: string, fallback: number, min: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${raw})`);
    return value;
  };
  return { max: number('AUTH_FAILURES_MAX', 20, 1), windowMs: number('AUTH_FAILURES_WINDOW', 60, 1) * 1000 };
}

/** TEMPORAL_UI_ORIGIN: comma-separated origins (`http://127.0.0.1:8233`), each checked. */
export function originsOf(value: string | undefined): string[] {
  return (value ?? '').split(',').map((o) => o.trim()).filter(Boolean).map((o) => {
    try {
      return new URL(o).origin;
    } catch {
      throw new Error(`TEMPORAL_UI_ORIGIN: « ${o} » is not an origin (e.g. http://127.0.0.1:8233)`);
    }
  });
}

/** The API's dependencies over one database and one Temporal client. */
export function appDependencies(input: {
  client: Client; database: OpenDatabase; taskQueue: string; env?: NodeJS.ProcessEnv; dataDir?: string; temporalTimeoutMs?: number;
}): AppDependencies {
  const env = input.env ?? process.env;
  const { client, database } = input;
  const invoices = createInvoiceRepository(database.db);
  return {
    client,
    database,
    invoices,
    service: createInvoiceService({ client, db: database.db, taskQueue: input.taskQueue, temporalTimeoutMs: input.temporalTimeoutMs }),
    tasks: createTaskRepository(database.db),
    outputs: createOutputRepository(database.db),
    batches: createBatchRepository(database.db),
    mailer: createMailer({ db: database.db, transport: transportFromEnv(env) }),
    keys: createApiKeyRepository(database.db),
    audit: createAuditLog(database.db),
    archive: createArchiveRepository(database.db),
    temporalUiUrl: env.TEMPORAL_UI_URL || undefined,
    sessionSecret: loadSessionSecret({ env, dataDir: input.dataDir ?? env.DATA_DIR ?? join(REPO_ROOT, '.data') }),
    secureCookies: env.SECURE_COOKIES === 'true',
    publicUrl: env.PUBLIC_URL?.trim() || undefined,
    trustedOrigins: originsOf(env.TEMPORAL_UI_ORIGIN),
    authFailureLimit: authFailureLimitFromEnv(env),
    metricsToken: env.METRICS_TOKEN?.trim() || undefined,
    operatorName: env.OPERATOR_NAME?.trim() || 'traitement automatique',
    managersEmail: mailConfigFromEnv(env).managers,
    taskQueue: input.taskQueue,
    temporalTimeoutMs: input.temporalTimeoutMs,
  };
}

export async function startApi(
  config: Config, database: OpenDatabase, options: { logger?: boolean; dataDir?: string; dataConverter?: DataConverter } = {},
) {
  const connection = Connection.lazy({ address: config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS });
  const client = temporalClient(connection, { namespace: config.temporalNamespace, dataConverter: options.dataConverter ?? dataConverterFromEnv() });
  const deps = appDependencies({ client, database, taskQueue: config.taskQueue, dataDir: options.dataDir });
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
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl);
  const api = await startApi(config, database, { logger: true });
  console.error(`api: listening on ${api.address} (OpenAPI at ${api.address}/docs, console at ${api.address}/console/)`);
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
    console.error(`api: ${(err as Error).message}`);
    process.exit(1);
  });
}
