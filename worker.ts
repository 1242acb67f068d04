// The worker: builds the real dependencies once (database, ports), registers the workflows and
// `createActivities(deps)`, and shuts down gracefully on SIGTERM / SIGINT.
//   npm run worker            (TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE: see config.ts)

import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from './activities/index.js';
import { loadConfig, DEFAULT_TEMPORAL_ADDRESS } from './config.js';
import { openDatabase, type OpenDatabase } from './db/client.js';
import { createInvoiceRepository } from './db/invoices.js';
import { createPostgresPorts } from './db/ports.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log() {}, trace() {}, debug() {}, info() {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

export function dependenciesFrom(database: OpenDatabase): ActivityDependencies {
  return { ports: createPostgresPorts(database.db), invoices: createInvoiceRepository(database.db) };
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  deps: ActivityDependencies;
}

export async function createWorker({ connection, namespace = 'default', taskQueue, deps }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection, namespace: config.temporalNamespace, taskQueue: config.taskQueue, deps: dependenciesFrom(database),
  });
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM by itself (the SDK's shutdownSignals): it stops polling,
  // finishes the tasks in progress, then resolves.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => console.error(`worker: ${signal} received, finishing the tasks in progress…`));
  }
  console.error(`worker: polling task queue « ${config.taskQueue} » on ${config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS} (${database.kind})`);
  try {
    await worker.run();
  } finally {
    await connection.close();
    await database.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(`worker: ${(err as Error).message}`);
    process.exit(1);
  });
}
