// npm run bench:pipeline — the pipeline's speed on a private Temporal dev server:
//   latency: an invoice decided from submission (p50, p95), one at a time;
//   throughput: invoice workflows per second, against a one-no-op-activity workflow on the same server.
//   history: events and local-activity markers per invoice history (a paid one, one answered to the PS) against the
//   no-op workflow's — a cost proxy (Temporal Cloud bills per action).
// Database: DATABASE_URL when set, else an in-memory PGlite. BENCH_SERVER_DEFAULTS=1: the dev server with its own
// dynamic configuration (no eager activity dispatch, four partitions per task queue) instead of DEV_DYNAMIC_CONFIG.
// Figures are printed, never asserted. bench/README.md: how to profile it.

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createInvoiceService } from '../api/invoice-service.js';
import { openDatabase } from '../db/client.js';
import { seedReference } from '../db/seed.js';
import { exampleUniverse, loadExampleCases } from '../examples/universe.js';
import { DEV_DYNAMIC_CONFIG, ensureTemporalCli, freePort, startDevServer } from '../scripts/temporal-cli.js';
import { loadConfig } from '../config.js';
import { createWorker, dependenciesFrom } from '../worker.js';
import { ephemeralKeyring } from '../activities/encryption.js';
import { dataConverterFromEnv, temporalClient } from '../temporal.js';

const LATENCY_N = Number(process.env.BENCH_LATENCY ?? 100);
const THROUGHPUT_N = Number(process.env.BENCH_THROUGHPUT ?? 500);
const CONCURRENCY = 50;

Runtime.install({ logger: new DefaultLogger('WARN') });
const binary = await ensureTemporalCli(undefined, loadConfig(process.env).tools);
if (!binary) throw new Error('the Temporal CLI is needed: npm run setup');
const serverDefaults = Boolean(process.env.BENCH_SERVER_DEFAULTS);
const server = await startDevServer({ binary, port: await freePort(), uiPort: false, dynamicConfig: serverDefaults ? {} : DEV_DYNAMIC_CONFIG });
// Statements sent to PostgreSQL (DATABASE_URL only), kept while one claim is measured below; BENCH_SQL=1 lists them.
let statements: string[] | null = null;
const database = await openDatabase(process.env.DATABASE_URL ?? '', { pgliteDir: 'memory://', onQuery: (s) => statements?.push(s) });
// Claims that run to their end without a person: paid, or answered to the PS (a manager's task waits for a human).
const cases = loadExampleCases().filter((c) => c.expected.route !== 'manager');
await seedReference(database.db, exampleUniverse());

const native = await NativeConnection.connect({ address: server.address });
const connection = await Connection.connect({ address: server.address });
const dataConverter = dataConverterFromEnv({ PAYLOAD_KEYS: ephemeralKeyring(), ...process.env });
const client = temporalClient(connection, { dataConverter });
const service = createInvoiceService({ client, db: database.db, taskQueue: 'bench-invoices' });
const dataDir = mkdtempSync(join(tmpdir(), 'bench-'));
// The worker sized as configured (WORKER_WORKFLOW_THREADS, WORKER_MAX_LOCAL_ACTIVITIES, WORKER_MAX_WORKFLOW_TASKS,
// WORKER_MAX_CACHED_WORKFLOWS): bench/README.md « Sizing the worker ».
const workerConfig = loadConfig({ ...process.env, DATA_DIR: dataDir, RESEND_API_KEY: '' });
const invoiceWorker = await createWorker({
  connection: native, taskQueue: 'bench-invoices', deps: dependenciesFrom(database, client, workerConfig),
  maxCachedWorkflows: workerConfig.maxCachedWorkflows, tuning: workerConfig.workerTuning, dataConverter,
});
const noopWorker = await Worker.create({
  connection: native,
  taskQueue: 'bench-noop',
  workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./noop-workflow.ts', import.meta.url)), logger: new DefaultLogger('WARN') }),
  activities: { async noop() {} },
  dataConverter, // the same encryption on both sides of the comparison
});

/** CPU time (ms) used so far by this process, the Temporal server and PostgreSQL's processes (Linux: /proc). */
function cpuNow(): Record<string, number> {
  const ticks = (pid: string) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, at 100 ticks a second
    } catch { return 0; }
  };
  const totals: Record<string, number> = { 'this process': ticks(String(process.pid)), 'Temporal server': 0, PostgreSQL: 0 };
  const read = (path: string) => { try { return readFileSync(path, 'utf8'); } catch { return ''; } };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const command = read(`/proc/${pid}/cmdline`);
    if (command.includes(server.address.split(':')[1]!) && command.includes('start-dev')) totals['Temporal server']! += ticks(pid);
    else if (command.startsWith('postgres')) totals.PostgreSQL! += ticks(pid);
  }
  return totals;
}
const cpuSince = (before: Record<string, number>) => {
  const now = cpuNow();
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - (before[k] ?? 0)]));
};

let serial = 0;
const nextKey = () => String(5_000_000_000 + serial++);
function claim(i: number) {
  const c = cases[i % cases.length].caseFile;
  return { invoice: { ...c.invoice, archiveKey: nextKey() }, receivedOn: c.receivedOn };
}
async function decide(i: number): Promise<number> {
  const start = performance.now();
  const { workflowId } = await service.submit(claim(i));
  await client.workflow.getHandle(workflowId).result();
  return performance.now() - start;
}
async function pool<T>(n: number, task: (i: number) => Promise<T>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await task(next++);
  }));
  return performance.now() - start;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

await Promise.all([invoiceWorker.runUntil(async () => {
  await noopWorker.runUntil(async () => {
    for (let i = 0; i < 20; i++) await decide(i); // warm-up
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_N; i++) latencies.push(await decide(i));

    let cpu = cpuNow();
    const invoiceMs = await pool(THROUGHPUT_N, (i) => decide(i));
    const invoiceCpu = cpuSince(cpu);
    cpu = cpuNow();
    const noopMs = await pool(THROUGHPUT_N, async (i) => client.workflow.execute('noopWorkflow', { taskQueue: 'bench-noop', workflowId: `noop-${i}-${Date.now()}` }));
    const noopCpu = cpuSince(cpu);

    // Each kind of history once: events and local-activity markers.
    const shape = async (workflowId: string) => {
      const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      return { events: events.length, markers: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length };
    };
    const paidIndex = cases.findIndex((c) => c.expected.outcome === 'paid');
    const replyIndex = cases.findIndex((c) => c.expected.route === 'practitioner');
    const kinds: [string, { events: number; markers: number }][] = [];
    const sqlPerClaim: [string, string[]][] = [];
    for (const [name, index] of [['paid', paidIndex], ['answered to the PS', replyIndex]] as const) {
      if (index < 0) continue;
      const sent: string[] = [];
      statements = sent;
      const { workflowId } = await service.submit(claim(index));
      await client.workflow.getHandle(workflowId).result();
      statements = null;
      sqlPerClaim.push([name, sent]);
      kinds.push([name, await shape(workflowId)]);
    }
    const noopId = `noop-shape-${Date.now()}`;
    await client.workflow.execute('noopWorkflow', { taskQueue: 'bench-noop', workflowId: noopId });
    kinds.push(['no-op workflow', await shape(noopId)]);

    const invoiceRate = THROUGHPUT_N / (invoiceMs / 1000);
    const noopRate = THROUGHPUT_N / (noopMs / 1000);
    console.log(`pipeline benchmark — Node ${process.version}, ${cpus().length} cores, ${database.kind}, Temporal dev server (in memory, ${serverDefaults ? 'its default dynamic configuration' : 'DEV_DYNAMIC_CONFIG'}), 1 worker`);
    console.log(`  ${cases.length} example claims (paid or answered to the PS by e-mail, written to files); worker: ${JSON.stringify({ maxCachedWorkflows: workerConfig.maxCachedWorkflows, ...workerConfig.workerTuning })}`);
    console.log(`  latency, submission → decision recorded and reply sent (${LATENCY_N} invoices, one at a time): p50 ${pct(latencies, 50).toFixed(0)} ms, p95 ${pct(latencies, 95).toFixed(0)} ms   target p50 ≤ 100 ms`);
    console.log(`  throughput (${THROUGHPUT_N} workflows, ${CONCURRENCY} in flight): invoices ${invoiceRate.toFixed(1)}/s, one-no-op-activity workflow ${noopRate.toFixed(1)}/s → ratio ${(invoiceRate / noopRate).toFixed(2)}   target ≥ 0.8`);
    for (const [name, k] of kinds) console.log(`  history of ${name}: ${k.events} events, ${k.markers} local-activity markers`);
    for (const [name, list] of sqlPerClaim) {
      if (database.kind !== 'postgres') break;
      console.log(`  SQL statements of one claim ${name}, submission included: ${list.length}`);
      if (process.env.BENCH_SQL) for (const s of list) console.log(`    ${s.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    const perWorkflow = (c: Record<string, number>) => Object.entries(c).map(([k, ms]) => `${k} ${(ms / THROUGHPUT_N).toFixed(1)}`).join(', ');
    console.log(`  CPU ms per workflow (Linux /proc) — invoices: ${perWorkflow(invoiceCpu)}; no-op: ${perWorkflow(noopCpu)}`);
  });
})]);
await connection.close();
await native.close();
await database.close();
await server.stop();
