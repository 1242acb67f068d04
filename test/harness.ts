// An isolated pipeline for an integration test file: its own PostgreSQL database (seeded), its own task queue
// on the run's Temporal dev server, a real worker, a real client, and the submission service.

import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createInvoiceService } from '../api/invoice-service.js';
import { createInvoiceRepository } from '../db/invoices.js';
import { seedReference } from '../db/seed.js';
import type { ReferenceData } from '../rules/types.js';
import { createWorker, dependenciesFrom } from '../worker.js';
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

export interface Pipeline {
  database: ScratchDatabase;
  client: Client;
  taskQueue: string;
  service: ReturnType<typeof createInvoiceService>;
  invoices: ReturnType<typeof createInvoiceRepository>;
  /** Starts a worker on the pipeline's task queue (several may run). */
  startWorker(): Promise<{ worker: Worker; stopped: Promise<void> }>;
  close(): Promise<void>;
}

export async function createPipeline(label: string, reference: ReferenceData = {}, options: { worker?: boolean } = {}): Promise<Pipeline> {
  quietRuntime();
  const database = await createScratchDatabase(inject('databaseUrl'), label);
  await seedReference(database.db, reference);
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `${label}-${Math.random().toString(36).slice(2, 8)}`;
  const invoices = createInvoiceRepository(database.db);
  const workers: { worker: Worker; stopped: Promise<void>; connection: NativeConnection }[] = [];

  const pipeline: Pipeline = {
    database, client, taskQueue, invoices,
    service: createInvoiceService({ client, invoices, taskQueue }),
    async startWorker() {
      const native = await NativeConnection.connect({ address });
      const worker = await createWorker({ connection: native, taskQueue, deps: dependenciesFrom(database) });
      const stopped = worker.run();
      workers.push({ worker, stopped, connection: native });
      return { worker, stopped };
    },
    async close() {
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
