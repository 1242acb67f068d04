// npm run histories:record — runs a few claims through the real pipeline (a private Temporal dev server, an
// in-memory PGlite database) and saves their event histories under test/histories/, where the test suite
// replays them with the current workflow code. Run it when a workflow change is meant to ship with new
// histories; keep the old files: running invoices still have them.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createInvoiceService } from '../api/invoice-service.js';
import { openDatabase } from '../db/client.js';
import { seedReference } from '../db/seed.js';
import { caseWith } from '../rules/testing/cases.js';
import { createWorker, dependenciesFrom } from '../worker.js';
import { ensureTemporalCli, REPO_ROOT, startDevServer } from './temporal-cli.js';

const OUT = join(REPO_ROOT, 'test', 'histories');
const version = process.argv[2] ?? 'v1';

/** One claim per kind of path through the workflow. */
const claims = [
  { name: 'paid', change: () => undefined },
  { name: 'practitioner-reply', change: (c: ReturnType<typeof caseWith>) => { c.invoice.flags!.addressedToInsured = true; } },
  { name: 'manager-task', change: (c: ReturnType<typeof caseWith>) => { c.invoice.adeliNumbers = ['691234567', '750044778']; } },
  { name: 'manque-consigne', change: (c: ReturnType<typeof caseWith>) => { c.invoice.acts![0].roRate = null; } },
];

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
});

Runtime.install({ logger: new DefaultLogger('WARN') });
const binary = await ensureTemporalCli();
if (!binary) throw new Error('the Temporal CLI is needed: npm run setup');
const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
const database = await openDatabase('', { pgliteDir: 'memory://' });
try {
  await seedReference(database.db, caseWith(() => undefined).reference);
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'record-histories';
  const worker = await createWorker({ connection: native, taskQueue, deps: dependenciesFrom(database) });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const { createInvoiceRepository } = await import('../db/invoices.js');
  const service = createInvoiceService({ client, invoices: createInvoiceRepository(database.db), taskQueue });
  await worker.runUntil(async () => {
    for (const [i, claim] of claims.entries()) {
      const c = caseWith((x) => { x.invoice.archiveKey = `30000000${String(i).padStart(2, '0')}`; claim.change(x); });
      const { workflowId } = await service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
      const handle = client.workflow.getHandle(workflowId);
      await handle.result();
      const file = join(OUT, `${workflowId}.${version}-${claim.name}.json`);
      await writeFile(file, `${historyToJSON(await handle.fetchHistory())}\n`);
      console.log(`saved ${file}`);
    }
  });
  await connection.close();
  await native.close();
} finally {
  await database.close();
  await server.stop();
}
