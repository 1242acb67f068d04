// npm run bench:rules — analyses per second on one core over a mixed set of cases (every motif: examples/cases/).
// Ports are the in-memory ones, built once per case as a real adapter would be built once per worker.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeInvoice } from '../rules/analyze.js';
import { readCaseFile } from '../rules/case-file.js';
import { createMemoryPorts } from '../rules/memory-ports.js';
import type { MotifCode } from '../rules/types.js';

const dir = join(import.meta.dirname, '..', 'examples', 'cases');
const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => {
  const reading = readCaseFile(JSON.parse(readFileSync(join(dir, f), 'utf8')));
  if (!reading.ok) throw new Error(`${f}: invalid case file`);
  return { ...reading.caseFile, ports: createMemoryPorts(reading.caseFile.reference) };
});

const motifs = new Set<MotifCode | 'paid'>();
async function round(n: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const c = cases[i % cases.length];
    const { result } = await analyzeInvoice(c.invoice, c.receivedOn, c.ports);
    motifs.add(result.motif ?? 'paid');
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const N = Number(process.env.BENCH_ANALYSES ?? 200_000);
await round(20_000); // warm-up (JIT)
const rates: number[] = [];
for (let r = 0; r < 5; r++) rates.push(N / (await round(N)));
rates.sort((a, b) => a - b);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`rules benchmark — Node ${process.version}, ${process.arch}, one core (single thread)`);
console.log(`  ${cases.length} cases covering ${motifs.size - 1} motifs + paid, ${N.toLocaleString('en-US')} analyses per round, 5 rounds`);
console.log(`  analyses/s: median ${fmt(rates[2])}  (min ${fmt(rates[0])}, max ${fmt(rates[4])})  target ≥ 50,000`);
console.log(`  heap used: ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB`);
