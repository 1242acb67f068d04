// The API process: `npm run api` (PORT, DATABASE_URL, TEMPORAL_ADDRESS: see config.ts).
// It starts even when Temporal is not reachable yet (lazy connection): requests then get a 503.

import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DEFAULT_TEMPORAL_ADDRESS, loadConfig, type Config } from '../config.js';
import { openDatabase, type OpenDatabase } from '../db/client.js';
import { createInvoiceRepository } from '../db/invoices.js';
import { buildApp } from './app.js';
import { createInvoiceService } from './invoice-service.js';

export async function startApi(config: Config, database: OpenDatabase, options: { logger?: boolean } = {}) {
  const connection = Connection.lazy({ address: config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.temporalNamespace });
  const invoices = createInvoiceRepository(database.db);
  const service = createInvoiceService({ client, invoices, taskQueue: config.taskQueue });
  const app = await buildApp({ client, database, invoices, service, logger: options.logger });
  const address = await app.listen({ port: config.port, host: config.host });
  return {
    app,
    address,
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
  console.error(`api: listening on ${api.address} (OpenAPI at ${api.address}/docs)`);
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
