// npm run bench:batch — a 1 000-invoice « document multi factures » end to end on a private Temporal dev server:
// submission → every invoice decided → each PS e-mailed (through the real Resend SDK, to a local stand-in for the
// Resend API) → the Trame written → « FIN OK ». Prints the time of each phase and the peak memory of the process.
// Database: DATABASE_URL when set, else an in-memory PGlite. BENCH_BATCH_SIZE changes the size. Target < 60 s.

import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createInvoiceService } from '../api/invoice-service.js';
import { openDatabase } from '../db/client.js';
import { createInvoiceRepository } from '../db/invoices.js';
import { seedReference } from '../db/seed.js';
import { baseCase } from '../rules/testing/cases.js';
import { ensureTemporalCli, freePort, startDevServer } from '../scripts/temporal-cli.js';
import { startFakeResend } from '../test/fake-resend.js';
import { batchStatusQuery } from '../workflows/contract.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { createWorker, dependenciesFrom } from '../worker.js';

const N = Number(process.env.BENCH_BATCH_SIZE ?? 1000);
const PRACTITIONERS = 30;

Runtime.install({ logger: new DefaultLogger('WARN') });
const binary = await ensureTemporalCli();
if (!binary) throw new Error('the Temporal CLI is needed: npm run setup');
const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
const resend = await startFakeResend();
const database = await openDatabase(process.env.DATABASE_URL ?? '', { pgliteDir: 'memory://' });
const base = baseCase();
const practitioners = Array.from({ length: PRACTITIONERS }, (_, i) => ({
  number: String(712_000_000 + i), name: `Cabinet ${i}`, headerEmail: `ps${i}@cabinets.example.org`, returnEmails: [],
}));
await seedReference(database.db, { ...base.reference, practitioners });
const invoices = Array.from({ length: N }, (_, i) => {
  const invoice = structuredClone(base.invoice);
  invoice.archiveKey = String(8_000_000_000 + i);
  invoice.invoiceNumber = `B-${i}`;
  invoice.practitionerNumber = practitioners[i % PRACTITIONERS].number;
  invoice.adeliNumbers = [invoice.practitionerNumber];
  if (i % 4 === 1) invoice.flags!.addressedToInsured = true;
  if (i % 4 === 2) invoice.flags!.carePathRespected = false;
  if (i % 4 === 3) invoice.adeliNumbers = [invoice.practitionerNumber, '750044778'];
  return invoice;
});

const env = { ...process.env, RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url };
const native = await NativeConnection.connect({ address: server.address });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const worker = await createWorker({ connection: native, taskQueue: 'bench-batch', deps: dependenciesFrom(database, client, env) });
const service = createInvoiceService({ client, db: database.db, taskQueue: 'bench-batch' });

let peakRss = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
await worker.runUntil(async () => {
  const t0 = performance.now();
  await service.submitBatch({ batchId: 'bench', receivedOn: '2016-02-23', invoices });
  const submitted = performance.now();
  const handle = client.workflow.getHandle<typeof batchWorkflow>('batch-bench');
  let decidedAt = 0;
  for (;;) {
    const state = await handle.query(batchStatusQuery);
    if (!decidedAt && state.decided >= N) decidedAt = performance.now();
    if (state.phase === 'closed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const closed = performance.now();
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const state = await handle.query(batchStatusQuery);
  console.log(`batch benchmark — Node ${process.version}, ${database.kind}, Temporal dev server (in memory), 1 worker`);
  console.log(`  ${N} invoices, ${PRACTITIONERS} PS: ${state.routedToPractitioner} replies in ${resend.deliveries.length} e-mails, ${state.trameRows} Trame rows, ${state.gtoClosure}`);
  console.log(`  submitted ${s(submitted - t0)} · all decided ${s(decidedAt - t0)} · e-mailed, written and closed ${s(closed - t0)}   target < 60 s`);
  console.log(`  peak RSS of the process (API side + worker + PGlite): ${Math.round(peakRss / 1e6)} MB`);
});
clearInterval(sampler);
await connection.close();
await native.close();
await database.close();
await resend.close();
await server.stop();
