// npm run bench:trame — writes a 10 000-row Trame SSTT (26 columns, plus the « Réponse au PS » bordereau) to a temp
// file with the streaming writer; prints the time and the peak memory (RSS sampled during the run, and heap used).
// Targets: < 1.5 s and < 200 MB. BENCH_TRAME_ROWS changes the row count.
//
// Then reads Trames of 10 000, 20 000 and 40 000 rows back as an upload is (readTramePages: streamed, checked a page
// at a time, nothing kept), printing the time and the peak RSS of each: both should grow linearly with the rows, the
// RSS hardly at all. And the time a zip bomb (1.2 GB once inflated, its sizes lied about) and a million-row Trame take
// to be refused with the default limits. Targets: 40 000 rows read in < 2.5 × the time of 20 000 (linear, not
// quadratic); each refusal < 3 s; peak RSS growth < 200 MB each.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrameRow } from '../activities/trame/rows.js';
import { readTramePages } from '../activities/trame/read.js';
import { writeTrame } from '../activities/trame/write.js';
import { manyRows, zipBomb } from '../test/crafted-xlsx.js';
import { MOTIFS } from '../rules/motifs.js';

const N = Number(process.env.BENCH_TRAME_ROWS ?? 10_000);
const REPLY =
  "Nous sommes au regret de vous informer que nous ne pouvons donner une suite favorable à votre demande de " +
  "remboursement. En effet, tout ou partie des actes figurant sur la facture a fait l'objet d'un règlement en date " +
  'du 01/01/2016 sur la facture n° 123. Nous vous remercions de bien vouloir nous préciser : - s\'il s\'agit d\'une ' +
  'erreur ou de deux factures différentes : dans ce cas, nous vous remercions de nous fournir les 2 factures pour ' +
  "justificatif. - S'il s'agit d'une demande de complément : dans ce cas, nous vous remercions de nous indiquer sur " +
  'la facture la mention « complément de facture ».';

/** Realistic rows, generated lazily (as a database cursor would hand them over). */
function* rows(n: number): Generator<TrameRow> {
  for (let i = 0; i < n; i++) {
    const motif = MOTIFS[i % MOTIFS.length].code;
    yield {
      operator: 'sstt-automate',
      treatedOn: '2016-02-23',
      manager: null,
      managerTreatedOn: null,
      archiveKey: String(2870000000 + i),
      practitionerNumber: String(750000000 + (i % 500)).padStart(9, '0'),
      nir: `2670499${String(324070 + i).slice(-6)}`,
      invoiceNumber: `F-${100000 + i}`,
      reply: `${REPLY} (${i})`,
      motif,
      missingDetail: motif === 'manque_detail' ? 'part_rc' : null,
      date: i % 3 === 0 ? '2016-01-01' : null,
      error: motif === 'erreur_contenu_facture' ? 'soins_a_cheval' : null,
      calculatedAmount: 100 + (i % 1000) / 100,
      calculatedRc: 40 + (i % 100) / 100,
      comment: i % 4 === 0 ? 'montant total de la dépense' : null,
      practitionerName: `cabinet infirmier ${i % 500}`,
      practitionerEmail: `ps${i % 500}@example.org`,
      fax: '0473000000',
      streetNumber: String(1 + (i % 120)),
      streetNumberComplement: i % 10 === 0 ? 'bis' : null,
      streetType: 'rue',
      streetName: 'du ressort',
      addressComplement: null,
      postalCode: '63000',
      city: 'Clermont-Ferrand',
      route: i % 2 === 0 ? 'practitioner' : 'manager',
    };
  }
}

const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

/**
 * Time and peak RSS (sampled every 5 ms) of `work`. No collection forced before: after one, V8 shrinks its heap and
 * the run that follows spends twice the time collecting, which would measure V8's sizing, not the reader.
 */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; peakRss: number; growth: number }> {
  const baseline = process.memoryUsage().rss;
  let peakRss = baseline;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 5);
  const start = process.hrtime.bigint();
  const value = await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { value, seconds, peakRss, growth: peakRss - baseline };
}

const dir = mkdtempSync(join(tmpdir(), 'trame-bench-'));
const file = join(dir, 'trame.xlsx');
try {
  // Warm-up (JIT, module loading) on a small file, so the run measures the writer and not the first import.
  await writeTrame(rows(200), join(dir, 'warm-up.xlsx'));
  globalThis.gc?.();

  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 5);

  const start = process.hrtime.bigint();
  const { rowCount } = await writeTrame(rows(N), file, { title: 'Trame SSTT — benchmark' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  sample();

  console.log(`Trame SSTT benchmark — Node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(`  ${rowCount.toLocaleString('en-US')} rows × 26 columns (+ Réponse au PS), ${mb(statSync(file).size)} file`);
  console.log(`  time: ${seconds.toFixed(2)} s  (target < 1.5 s)`);
  console.log(`  peak RSS: ${mb(peakRss)}  (baseline ${mb(baseline.rss)}; target < 200 MB)`);
  console.log(`  peak heap used: ${mb(peakHeap)}  (baseline ${mb(baseline.heapUsed)})`);
  if (seconds >= 1.5 || peakRss >= 200e6) process.exitCode = 1;

  console.log('');
  console.log('Trame SSTT upload — read and checked as an upload is (streamed, a page of 500 rows at a time)');
  const times = new Map<number, number>();
  for (const n of [10_000, 20_000, 40_000]) {
    const trame = join(dir, `trame-${n}.xlsx`);
    await writeTrame(rows(n), trame);
    const run = await measured(() => readTramePages(trame, { onPage: () => undefined }));
    times.set(n, run.seconds);
    console.log(`  ${n.toLocaleString('en-US').padStart(6)} rows (${mb(statSync(trame).size)} file): ${run.seconds.toFixed(2)} s, `
      + `${Math.round(n / run.seconds).toLocaleString('en-US')} rows/s, peak RSS ${mb(run.peakRss)} (+${mb(run.growth)}); `
      + `${run.value.rowCount} rows, ${run.value.errors.total} errors`);
    if (run.growth >= 200e6) process.exitCode = 1;
  }
  const ratio = times.get(40_000)! / times.get(20_000)!;
  console.log(`  40 000 / 20 000 rows: × ${ratio.toFixed(2)} the time (linear: ≈ 2; target < 2.5)`);
  if (ratio >= 2.5) process.exitCode = 1;

  const refusals: [string, () => Promise<Buffer>][] = [
    ['zip bomb, 1.2 GB inflated, sizes lied about', () => zipBomb(1.2e9, { lie: true })],
    ['zip bomb, 1.2 GB inflated, sizes declared', () => zipBomb(1.2e9)],
    ['1 000 000 rows', () => manyRows(1_000_000)],
  ];
  for (const [what, build] of refusals) {
    const file = await build();
    const run = await measured(() => readTramePages(file, { onPage: () => undefined }).then(() => 'accepted', (e: Error) => e.name));
    console.log(`  ${what} (${mb(file.length)} file): ${run.value} in ${run.seconds.toFixed(2)} s, peak RSS ${mb(run.peakRss)} (+${mb(run.growth)})`);
    if (run.seconds >= 3 || run.growth >= 200e6 || run.value !== 'TrameTooLarge') process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
