// npm run histories:record — runs a few claims through the real pipeline (a private Temporal dev server, an
// in-memory PGlite database) and saves their event histories under test/histories/, where the test suite
// replays them with the current workflow code. Run it when a workflow change is meant to ship with new
// histories; keep the old files: running invoices still have them.

import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createInvoiceService } from '../api/invoice-service.js';
import { openDatabase } from '../db/client.js';
import { seedReference } from '../db/seed.js';
import { caseWith } from '../rules/testing/cases.js';
import type { MotifCode } from '../rules/types.js';
import { resolveTaskUpdate, statusQuery, type TaskAction } from '../workflows/contract.js';
import { createWorker, dependenciesFrom } from '../worker.js';
import { ensureTemporalCli, REPO_ROOT, startDevServer } from './temporal-cli.js';

const OUT = join(REPO_ROOT, 'test', 'histories');
const version = process.argv[2] ?? 'v2';

type Case = ReturnType<typeof caseWith>;
type Resolve = (workflowId: string, what: string, afterEscalation?: boolean) => Promise<void>;

/** One claim per kind of path through the workflows. */
const claims: { name: string; change: (c: Case) => void; manager?: (resolve: Resolve, workflowId: string) => Promise<void> }[] = [
  { name: 'paid', change: () => undefined },
  { name: 'practitioner-reply', change: (c) => { c.invoice.flags!.addressedToInsured = true; } },
  {
    name: 'task-paid', change: (c) => { c.invoice.adeliNumbers = ['691234567', '750044778']; },
    manager: (resolve, id) => resolve(id, 'pay'),
  },
  {
    name: 'task-reply-then-email', change: (c) => { c.invoice.acts![0].roRate = null; },
    manager: (resolve, id) => resolve(id, 'reply:beneficiaire_non_couvert'),
  },
  {
    name: 'task-escalated-then-closed', change: (c) => { c.invoice.adeliNumbers = ['691234567', '750044778']; },
    manager: (resolve, id) => resolve(id, 'close', true),
  },
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
  const dataDir = mkdtempSync(join(tmpdir(), 'histories-'));
  const env = { ...process.env, DATA_DIR: dataDir, RESEND_API_KEY: '', TASK_SLA: '2s' };
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const worker = await createWorker({ connection: native, taskQueue, deps: dependenciesFrom(database, client, env) });
  const { createInvoiceRepository } = await import('../db/invoices.js');
  const service = createInvoiceService({ client, db: database.db, taskQueue });
  const resolve = async (workflowId: string, what: string, afterEscalation = false) => {
    const handle = client.workflow.getHandle(workflowId);
    let state = await handle.query(statusQuery);
    while (!state.task || (afterEscalation && !state.task.escalated)) {
      await new Promise((r) => setTimeout(r, 100));
      state = await handle.query(statusQuery);
    }
    const [action, motif] = what.split(':') as [TaskAction, MotifCode | undefined];
    await handle.executeUpdate(resolveTaskUpdate, { args: [{ taskId: state.task.id, action, motif: motif ?? null, comment: null, by: 'histories' }] });
  };
  await worker.runUntil(async () => {
    for (const [i, claim] of claims.entries()) {
      const c = caseWith((x) => { x.invoice.archiveKey = `30000001${String(i).padStart(2, '0')}`; claim.change(x); });
      const { workflowId } = await service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
      const handle = client.workflow.getHandle(workflowId);
      if (claim.manager) await claim.manager(resolve, workflowId);
      await handle.result();
      const file = join(OUT, `${workflowId}.${version}-${claim.name}.json`);
      await writeFile(file, `${historyToJSON(await handle.fetchHistory())}\n`);
      console.log(`saved ${file}`);
    }
    // A small batch: its workflow and one of its invoices.
    const batch = ['3000000200', '3000000201', '3000000202'].map((k, i) => caseWith((x) => {
      x.invoice.archiveKey = k;
      if (i === 1) x.invoice.flags!.carePathRespected = false;
    }).invoice);
    await service.submitBatch({ batchId: 'histories', receivedOn: '2016-02-23', invoices: batch });
    const batchHandle = client.workflow.getHandle('batch-histories');
    await batchHandle.result();
    for (const [id, name] of [['batch-histories', 'batch'], ['invoice-3000000201', 'batch-invoice-reply']] as const) {
      const h = client.workflow.getHandle(id);
      await h.result();
      const file = join(OUT, `${id}.${version}-${name}.json`);
      await writeFile(file, `${historyToJSON(await h.fetchHistory())}\n`);
      console.log(`saved ${file}`);
    }
  });
  await connection.close();
  await native.close();
} finally {
  await database.close();
  await server.stop();
}
