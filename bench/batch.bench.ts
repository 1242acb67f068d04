// npm run bench:batch [-- <invoices>] — a « document multi factures » (1 000 invoices by default) end to end on a
// private Temporal dev server: submission (in pages of 5 000 beyond that) → every invoice decided → each PS e-mailed
// (through the real Resend SDK, to a local stand-in for the Resend API) → the Trame written → « FIN OK ». Prints the
// time of each phase, the peak memory of the process, the batch's history length and how many workflow tasks took
// too long. Database: DATABASE_URL when set (use a database of its own), else an in-memory PGlite.
// With DATABASE_URL the worker is a process of its own (`worker.ts`, as deployed) and the peak RSS of each process is
// printed apart — this one (the API's side: submission, counts) and the worker (VmHWM, /proc); with PGlite the
// database lives in this process, so the worker does too and one figure covers all three.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createInvoiceService } from '../api/invoice-service.js';
import { openDatabase } from '../db/client.js';
import { cpus } from 'node:os';
import { createBatchRepository } from '../db/batches.js';
import { seedReference } from '../db/seed.js';
import { ensureTemporalCli, freePort, startDevServer } from '../scripts/temporal-cli.js';
import { mixedClaims } from '../test/datasets.js';
import { startFakeResend } from '../test/fake-resend.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { loadConfig } from '../config.js';
import { createWorker, dependenciesFrom } from '../worker.js';
import { ephemeralKeyring } from '../activities/encryption.js';
import { dataConverterFromEnv, temporalClient } from '../temporal.js';

const N = Number(process.argv[2] ?? process.env.BENCH_BATCH_SIZE ?? 1000);
if (!Number.isInteger(N) || N < 1) throw new Error(`usage: npm run bench:batch -- <number of invoices> (not « ${process.argv[2]} »)`);
/** One PS per ~33 invoices, as in the 1 000-invoice case (30 PS). */
const PRACTITIONERS = Math.max(30, Math.round(N / 33));
const PAGE = 5000;

// Workflow tasks that take too long are logged by the SDK: count them (a symptom of a worker overwhelmed).
let slowTasks = 0;
Runtime.install({
  logger: new DefaultLogger('WARN', (entry) => {
    if (/exceeded|took longer/i.test(entry.message)) slowTasks++;
    else console.error(`${entry.level} ${entry.message}`);
  }),
});
const binary = await ensureTemporalCli(undefined, loadConfig(process.env).tools);
if (!binary) throw new Error('the Temporal CLI is needed: npm run setup');
const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
const resend = await startFakeResend();
const database = await openDatabase(process.env.DATABASE_URL ?? '', { pgliteDir: 'memory://' });
const { reference, invoices } = mixedClaims({ count: N, firstKey: 8_000_000_000, practitioners: PRACTITIONERS, firstPractitioner: 712_000_000, label: 'B' });
await seedReference(database.db, reference);

const env = { PAYLOAD_KEYS: ephemeralKeyring(), ...process.env, RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url };
const native = await NativeConnection.connect({ address: server.address });
const connection = await Connection.connect({ address: server.address });
const dataConverter = dataConverterFromEnv(env);
const client = temporalClient(connection, { dataConverter });
const WORKER_NODE_OPTIONS = process.env.BENCH_WORKER_NODE_OPTIONS ?? '--max-old-space-size=512';
const separate = database.kind !== 'pglite';
const worker = separate
  ? await workerProcess()
  : await createWorker({ connection: native, taskQueue: 'bench-batch', deps: dependenciesFrom(database, client, loadConfig(env)), dataConverter });

/** `worker.ts` in a process of its own on the same server, database and keys; resolves once it polls. */
async function workerProcess(): Promise<{ child: ChildProcess; runUntil<T>(f: () => Promise<T>): Promise<T> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'worker.ts')], {
    // Its heap bounded as deployed (docker-compose.yml); BENCH_WORKER_NODE_OPTIONS to try another bound.
    env: { ...env, TEMPORAL_ADDRESS: server.address, TASK_QUEUE: 'bench-batch', LOG_LEVEL: 'warn', NODE_OPTIONS: WORKER_NODE_OPTIONS },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Polling once the bench-batch queue has a poller.
  for (let i = 0; ; i++) {
    const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: 'bench-batch' }, taskQueueType: 1 });
    if ((pollers ?? []).length > 0) break;
    if (child.exitCode !== null || i > 600) throw new Error('the worker process did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    async runUntil(f) {
      try { return await f(); } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

/** A process' peak resident memory (VmHWM), in MB, while it is alive. */
function peakRssOf(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1000);
}
const service = createInvoiceService({ client, db: database.db, taskQueue: 'bench-batch' });
const batches = createBatchRepository(database.db);

let peakRss = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
await worker.runUntil(async () => {
  const t0 = performance.now();
  // Pages of 5 000 (the API's bound per request): opened with the first, closed after the last.
  for (let i = 0; i < N; i += PAGE) {
    const page = invoices.slice(i, i + PAGE);
    if (i === 0) await service.submitBatch({ batchId: 'bench', receivedOn: '2016-02-23', invoices: page, complete: N <= PAGE });
    else await service.appendToBatch('bench', page);
  }
  if (N > PAGE) await service.completeBatch('bench');
  const submitted = performance.now();
  const handle = client.workflow.getHandle<typeof batchWorkflow>('batch-bench');
  let decidedAt = 0;
  let lastReport = 0;
  for (;;) {
    const counts = await batches.counts('bench');
    if (!decidedAt && counts.decided >= N) decidedAt = performance.now();
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      console.error(`  … ${((lastReport - t0) / 1000).toFixed(0)} s: ${counts.decided} decided, ${counts.emailed} e-mailed, RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
    }
    if ((await batches.get('bench'))!.status === 'closed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const closed = performance.now();
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const state = await handle.result();
  const history = await handle.fetchHistory();
  console.log(`batch benchmark — Node ${process.version}, ${database.kind}, Temporal dev server (in memory), 1 worker${separate ? ' process' : ' in this process'}, ${cpus().length} cores`);
  console.log(`  ${N} invoices, ${PRACTITIONERS} PS: ${state.routedToPractitioner} replies in ${resend.deliveries.length} e-mails, ${state.trameRows} Trame rows, ${state.gtoClosure}`);
  console.log(`  submitted ${s(submitted - t0)} · all decided ${s(decidedAt - t0)} · e-mailed, written and closed ${s(closed - t0)}`);
  if (separate) {
    const { child } = worker as Awaited<ReturnType<typeof workerProcess>>;
    console.log(`  peak RSS: API side (this process: submission, counts) ${Math.round(peakRss / 1e6)} MB · worker process (${WORKER_NODE_OPTIONS}) ${peakRssOf(child.pid)} MB`);
  } else {
    console.log(`  peak RSS of the process (API side + worker + PGlite: set DATABASE_URL for one figure per process): ${Math.round(peakRss / 1e6)} MB`);
  }
  console.log(`  batch history: ${history.events?.length ?? 0} events in its last run (continue-as-new beyond ~10 000); workflow tasks over their time: ${slowTasks}`);
});
clearInterval(sampler);
await connection.close();
await native.close();
await database.close();
await resend.close();
await server.stop();
