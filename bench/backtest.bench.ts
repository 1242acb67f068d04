// npm run bench:backtest — the back-test (npm run backtest: db/backtest.ts streaming, rules/backtest.ts replaying) on
// 100 000 decided claims in a scratch PostgreSQL database (DATABASE_URL, default the local server; created, then
// dropped). Prints claims per second of rules time (target ≥ 20 000) and end to end (reading from PostgreSQL
// included), and the peak RSS. BENCH_BACKTEST_CLAIMS changes the claim count.
//
// The claims are the example cases (examples/cases/, every motif and paid) under critères of their own, decided by
// today's rules against the demo reference data with the facts they read recorded — as the worker's analyseClaim
// records them — and written as the invoice repository writes a decided claim (status, motif, route, decision,
// rules version, analysis), received over 90 days.

import { cpus, loadavg } from 'node:os';
import { rulesVersion } from '../activities/rules-version.js';
import { decidedClaims } from '../db/backtest.js';
import { createPostgresPorts } from '../db/ports.js';
import { invoices } from '../db/schema.js';
import { seedReference } from '../db/seed.js';
import { exampleUniverse, loadExampleCases } from '../examples/universe.js';
import { analyzeInvoice } from '../rules/analyze.js';
import { backtest } from '../rules/backtest.js';
import { createMemoryPorts } from '../rules/memory-ports.js';
import { recordingPorts } from '../rules/references.js';
import { createScratchDatabase } from '../test/databases.js';

const N = Number(process.env.BENCH_BACKTEST_CLAIMS ?? 100_000);
const CHUNK = 1000;
const DAYS = 90;
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const end = Date.parse('2026-06-01T00:00:00Z');
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

async function main() {
  const database = await createScratchDatabase(url, 'benchbt');
  try {
    const universe = exampleUniverse();
    const cases = loadExampleCases();
    await seedReference(database.db, universe);
    const ports = createMemoryPorts(universe);
    const version = rulesVersion();

    // Generate and insert in chunks: claim g is example g % cases, critère 3100000000 + g.
    const t0 = performance.now();
    for (let from = 0; from < N; from += CHUNK) {
      const rows: (typeof invoices.$inferInsert)[] = [];
      for (let g = from; g < Math.min(N, from + CHUNK); g++) {
        const { caseFile } = cases[g % cases.length]!;
        const archiveKey = String(3_100_000_000 + g);
        const invoice = { ...caseFile.invoice, archiveKey };
        const recorder = recordingPorts(ports);
        const { result: analysed } = await analyzeInvoice(invoice, caseFile.receivedOn, recorder.ports);
        const result = { ...analysed, rulesVersion: version };
        const createdAt = new Date(end - DAYS * 86_400_000 + Math.floor((g * DAYS * 86_400_000) / N));
        const { outcome, motif, error, route, trace } = result;
        rows.push({
          id: archiveKey, archiveKey, workflowId: `invoice-${archiveKey}`, practitionerNumber: invoice.practitionerNumber ?? null,
          status: outcome === 'paid' ? 'paid' : route === 'manager' ? 'awaiting_manager' : 'replied',
          motif, route, invoice, receivedOn: caseFile.receivedOn, decision: result, rulesVersion: version,
          analysis: { rulesVersion: version, result: { outcome, motif, error, route, trace }, references: recorder.recording() },
          createdAt, updatedAt: createdAt, decidedAt: route === 'manager' ? null : new Date(createdAt.getTime() + 5000),
        });
      }
      await database.db.insert(invoices).values(rows);
    }
    await database.execute('vacuum analyze invoices');
    const [{ size }] = (await database.execute(`select pg_size_pretty(pg_total_relation_size('invoices')) as size`)) as [{ size: string }];
    console.log(`backtest benchmark — Node ${process.version}, ${process.arch}, ${cpus().length} cores; PostgreSQL at ${new URL(url).host}`);
    console.log(`  ${fmt(N)} decided claims (${cases.length} example cases, recorded facts) generated and inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s; table ${size}`);

    // The back-test as npm run backtest runs it: streamed in keyset pages, replayed on the recorded facts.
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const report = await backtest(decidedClaims(database.db), version, { current: createPostgresPorts(database.db), keepMoved: 1000, ownedRecordings: true });
    const elapsed = performance.now() - started;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);

    console.log(`  back-test: ${fmt(report.total)} claims, ${fmt(report.moved)} moved, ${Object.keys(report.matrix).length} outcomes;`
      + ` facts: ${fmt(report.facts.calls.recorded)} calls recorded, ${fmt(report.facts.calls.current)} to today's data, ${fmt(report.facts.calls.missing)} missing`);
    console.log(`  rules time:  ${(report.rulesMs / 1000).toFixed(2)} s → ${fmt(report.total / (report.rulesMs / 1000))} claims/s  (target ≥ 20,000)`);
    console.log(`  end to end:  ${(elapsed / 1000).toFixed(2)} s → ${fmt(report.total / (elapsed / 1000))} claims/s  (reading from PostgreSQL included)`);
    // Other processes on the machine slow the figures down: the load says how busy it was.
    console.log(`  load average (1 min) at the end: ${loadavg()[0]!.toFixed(1)}`);
    console.log(`  peak RSS during the back-test: ${mb(peakRss)} (before it: ${mb(rssBefore)}); process max RSS: ${mb(process.resourceUsage().maxRSS * 1024)}`);
  } finally {
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
