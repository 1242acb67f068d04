// An isolated pipeline for an integration test file: its own PostgreSQL database (seeded), its own task queue
// on the run's Temporal dev server, a real worker, a real client, and the submission service.

import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createInvoiceService } from '../api/invoice-service.js';
import { createInvoiceRepository } from '../db/invoices.js';
import { createTaskRepository } from '../db/tasks.js';
import { seedReference } from '../db/seed.js';
import type { ReferenceData } from '../rules/types.js';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type AppDependencies } from '../api/app.js';
import { appDependencies } from '../api/server.js';
import type { ActivityDependencies } from '../activities/index.js';
import { createWorker, dependenciesFrom } from '../worker.js';
import { ephemeralKeyring } from '../activities/encryption.js';
import { dataConverterOf, temporalClient } from '../temporal.js';
import { loadConfig } from '../config.js';

// One payload keyring per test process, inherited by the processes it spawns (slow workers, slow APIs, npm start).
process.env.PAYLOAD_KEYS ||= ephemeralKeyring();
import { createScratchDatabase, type ScratchDatabase } from './databases.js';

let runtimeInstalled = false;
/** Workers log warnings and errors only in tests (TEST_LOG_LEVEL=INFO to see everything). */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEST_LOG_LEVEL as 'INFO') ?? 'WARN') });
  } catch {
    // already installed by another helper in this process
  }
}

export type Role = 'submitter' | 'manager' | 'auditor' | 'admin';

export interface RunningApi {
  app: FastifyInstance;
  base: string;
  deps: AppDependencies;
  /** One API key per role. */
  keys: Record<Role, string>;
  /** Real HTTP with the role's key (or none). */
  fetch(path: string, init?: RequestInit & { role?: Role | null; json?: unknown }): Promise<Omit<Response, 'json'> & { json(): Promise<any> }>;
}

export interface Pipeline {
  /** The API over this pipeline, on a free port, with a key per role. */
  startApi(overrides?: Partial<AppDependencies>): Promise<RunningApi>;
  database: ScratchDatabase;
  client: Client;
  taskQueue: string;
  service: ReturnType<typeof createInvoiceService>;
  invoices: ReturnType<typeof createInvoiceRepository>;
  tasks: ReturnType<typeof createTaskRepository>;
  /** Starts a worker on the pipeline's task queue (several may run); `deps` changes its dependencies (a faulty port…). */
  startWorker(options?: { deps?: (deps: ActivityDependencies) => ActivityDependencies }): Promise<{ worker: Worker; stopped: Promise<void> }>;
  close(): Promise<void>;
}

export async function createPipeline(
  label: string, reference: ReferenceData = {},
  options: { worker?: boolean; env?: NodeJS.ProcessEnv; /** Another Temporal server than the run's. */ temporalAddress?: string } = {},
): Promise<Pipeline> {
  quietRuntime();
  const database = await createScratchDatabase(inject('databaseUrl'), label);
  await seedReference(database.db, reference);
  const address = options.temporalAddress ?? inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const taskQueue = `${label}-${Math.random().toString(36).slice(2, 8)}`;
  const invoices = createInvoiceRepository(database.db);
  const workers: { worker: Worker; stopped: Promise<void>; connection: NativeConnection }[] = [];
  const apps: FastifyInstance[] = [];
  // Each pipeline writes its e-mails into its own folder (no RESEND_API_KEY in tests unless a test sets one).
  const dataDir = mkdtempSync(join(tmpdir(), `tp-${label}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, RESEND_API_KEY: '', SESSION_SECRET: 'x'.repeat(40),
    // Archive sweeps see this pipeline's workflows only (the run's Temporal server is shared by every test file).
    ARCHIVE_TASK_QUEUE: taskQueue, ...options.env };
  const config = loadConfig(env);
  const dataConverter = dataConverterOf(config);
  const client = temporalClient(connection, { dataConverter });

  const pipeline: Pipeline = {
    database, client, taskQueue, invoices, tasks: createTaskRepository(database.db),
    service: createInvoiceService({ client, db: database.db, taskQueue }),
    async startWorker(options = {}) {
      const native = await NativeConnection.connect({ address });
      const deps = dependenciesFrom(database, client, config);
      const worker = await createWorker({ connection: native, taskQueue, deps: options.deps?.(deps) ?? deps, dataConverter });
      const stopped = worker.run();
      workers.push({ worker, stopped, connection: native });
      return { worker, stopped };
    },
    async startApi(overrides = {}) {
      const deps = { ...appDependencies({ client, database, taskQueue, config }), ...overrides };
      const app = await buildApp(deps);
      apps.push(app);
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const keys = {} as Record<Role, string>;
      for (const role of ['submitter', 'manager', 'auditor', 'admin'] as const) keys[role] = (await deps.keys.create({ role, name: `${role}-${label}` })).key;
      return {
        app, base, deps, keys,
        fetch(path, init = {}) {
          const { role = 'admin', json, ...rest } = init;
          const headers = new Headers(rest.headers);
          if (role) headers.set('authorization', `Bearer ${keys[role]}`);
          if (json !== undefined) headers.set('content-type', 'application/json');
          return fetch(`${base}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body }) as never;
        },
      };
    },
    async close() {
      for (const app of apps) await app.close();
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.stopped.catch(() => undefined);
        await w.connection.close();
      }
      await connection.close();
      await database.drop();
    },
  };
  if (options.worker !== false) await pipeline.startWorker();
  return pipeline;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 100 ms until it returns something truthy; throws naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
