// npm run bench:cluster — the pipeline's speed on the production topology (scripts/cluster.ts: two Temporal server
// nodes on PostgreSQL behind HAProxy), with one worker process, then two:
//   latency: a claim decided from submission (p50, p95), one at a time;
//   throughput: invoice workflows per second against a one-no-op-activity workflow's, side by side in the same run,
//   each with as many worker processes as the other.
// Its databases have names of their own and are dropped at the end. Figures are printed, never asserted.
// Environment: BENCH_LATENCY (100), BENCH_THROUGHPUT (500), BENCH_CONCURRENCY (50), TEMPORAL_DATABASE_URL.

import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { createInvoiceService } from '../api/invoice-service.js';
import { dataConverterFromEnv, temporalClient } from '../temporal.js';
import { openDatabase } from '../db/client.js';
import { seedReference } from '../db/seed.js';
import { exampleUniverse, loadExampleCases } from '../examples/universe.js';
import { loadConfig } from '../config.js';
import { Service, startCluster } from '../scripts/cluster.js';
import { TEMPORAL_SERVER_VERSION } from '../scripts/temporal-server.js';
import { REPO_ROOT } from '../scripts/temporal-cli.js';

const LATENCY_N = Number(process.env.BENCH_LATENCY ?? 100);
const THROUGHPUT_N = Number(process.env.BENCH_THROUGHPUT ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

const dataDir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
const cluster = await startCluster({
  config: loadConfig(process.env),
  dataDir, temporalDb: `temporal_bench_${process.pid}`, apis: 0, ui: false, env: { RESEND_API_KEY: '' }, log: () => undefined,
});
const noopWorkers = [1, 2].map((i) => new Service(`noop-worker-${i}`, join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'bench', 'noop-worker.ts')],
  { ...cluster.env, TASK_QUEUE: 'bench-noop' }, join(dataDir, 'logs', `noop-worker-${i}.log`), (s) => s.waitForOutput(/^ready/, 120_000)));

const database = await openDatabase(cluster.databaseUrl);
await seedReference(database.db, exampleUniverse());
// Claims that run to their end without a person: paid, or answered to the PS (written to files).
const cases = loadExampleCases().filter((c) => c.expected.route !== 'manager');
const connection = await Connection.connect({ address: cluster.temporalAddress });
const client = temporalClient(connection, { dataConverter: dataConverterFromEnv(cluster.env) });
const service = createInvoiceService({ client, db: database.db, taskQueue: cluster.env.TASK_QUEUE ?? 'tp-rejects' });

let serial = 0;
async function decide(i: number): Promise<number> {
  const c = cases[i % cases.length]!.caseFile;
  const start = performance.now();
  const { workflowId } = await service.submit({ invoice: { ...c.invoice, archiveKey: String(5_100_000_000 + serial++) }, receivedOn: c.receivedOn });
  await client.workflow.getHandle(workflowId).result();
  return performance.now() - start;
}
async function pool(n: number, task: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await task(next++);
  }));
  return performance.now() - start;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
let noopSerial = 0;
const noop = () => client.workflow.execute('noopWorkflow', { taskQueue: 'bench-noop', workflowId: `noop-${process.pid}-${noopSerial++}` });

try {
  console.log(`cluster benchmark — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), Temporal server v${TEMPORAL_SERVER_VERSION} ×2 on PostgreSQL behind HAProxy`);
  const results: { workers: number; invoiceRate: number; noopRate: number }[] = [];
  for (const workers of [1, 2]) {
    // One worker process of each kind, then two.
    if (workers === 1) await cluster.workers[1]!.stop();
    else await cluster.workers[1]!.start();
    await noopWorkers[workers - 1]!.start();
    for (let i = 0; i < 20; i++) await decide(i); // warm-up
    for (let i = 0; i < 20; i++) await noop();
    if (workers === 1) {
      const latencies: number[] = [];
      for (let i = 0; i < LATENCY_N; i++) latencies.push(await decide(i));
      console.log(`  latency, submission → decision recorded and reply sent (${LATENCY_N} claims, one at a time, 1 worker): p50 ${pct(latencies, 50).toFixed(0)} ms, p95 ${pct(latencies, 95).toFixed(0)} ms`);
    }
    const invoiceRate = THROUGHPUT_N / ((await pool(THROUGHPUT_N, decide)) / 1000);
    const noopRate = THROUGHPUT_N / ((await pool(THROUGHPUT_N, noop)) / 1000);
    results.push({ workers, invoiceRate, noopRate });
    console.log(`  ${workers} worker${workers > 1 ? 's' : ''} (${THROUGHPUT_N} workflows, ${CONCURRENCY} in flight): invoices ${invoiceRate.toFixed(1)}/s, one-no-op-activity workflow ${noopRate.toFixed(1)}/s → ratio ${(invoiceRate / noopRate).toFixed(2)}`);
  }
  const [one, two] = results as [typeof results[0], typeof results[0]];
  console.log(`  two workers vs one: invoices ×${(two.invoiceRate / one.invoiceRate).toFixed(2)}, no-op ×${(two.noopRate / one.noopRate).toFixed(2)}`);
} finally {
  await connection.close();
  await database.close();
  for (const w of noopWorkers) await w.stop();
  await cluster.stop();
  await cluster.dropDatabases();
}
