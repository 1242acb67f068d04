// Uploads that cannot hurt: POST /api/trames over real HTTP, against the real app (Temporal, PostgreSQL, a worker).
// A zip bomb (its sizes declared or lied about), a million rows, an upload past its size, four bombs at once: each
// refused with its status and a French message naming the limit, while /health answers and the process's memory
// stays where it was. And the re-import's identity: the tasks are closed by the manager who sends the file, never
// one another manager has claimed.

import ExcelJS from 'exceljs';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRow, trameBuffer } from '../activities/trame/testing.js';
import { TRAME_COLUMNS } from '../activities/trame/write.js';
import { DEFAULT_TRAME_LIMITS } from '../config.js';
import { seedReference } from '../db/seed.js';
import type { CaseFile } from '../rules/types.js';
import { manyRows, zipBomb } from './crafted-xlsx.js';
import { createPipeline, type Pipeline, type RunningApi } from './harness.js';

let p: Pipeline;
let api: RunningApi;
const example = JSON.parse(readFileSync(new URL('../examples/cases/document_non_exploitable.json', import.meta.url), 'utf8')).case as CaseFile;

beforeAll(async () => {
  p = await createPipeline('uploads', example.reference);
  api = await p.startApi();
}, 120_000);
afterAll(async () => p?.close());

const upload = (content: Buffer, target: RunningApi = api) => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(content)]), 'trame.xlsx');
  return target.fetch('/api/trames', { method: 'POST', role: 'manager', body: form });
};

/** Samples the process's RSS (the API runs in it) and /health while `work` runs. */
async function watched<T>(work: () => Promise<T>): Promise<{ result: T; rssGrowth: number; health: number[] }> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  const health: number[] = [];
  let done = false;
  const prober = (async () => {
    while (!done) {
      health.push((await fetch(`${api.base}/health`)).status);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const result = await work();
    return { result, rssGrowth: peak - baseline, health };
  } finally {
    done = true;
    clearInterval(sampler);
    await prober;
  }
}

const MB = 1024 * 1024;

describe('POST /api/trames: files past the limits', () => {
  it('a zip bomb whose sizes are declared: 413, before inflating anything', async () => {
    const bomb = await zipBomb(1.2e9);
    expect(bomb.length).toBeLessThan(4 * MB);
    const res = await upload(bomb);
    expect(res.status).toBe(413);
    expect((await res.json()).message).toMatch(/^Trame refusée : une fois décompressé, le classeur annonce plus de 128 Mo \(limite TRAME_MAX_UNCOMPRESSED_BYTES = 134217728 octets\)/);
    const [entry] = await api.deps.audit.list({ action: 'trame.import', limit: 1 });
    expect(entry).toMatchObject({ actorName: 'manager-uploads', target: null, details: { rows: 0, errors: 1, status: 413 } });
  }, 60_000);

  it('a zip bomb whose central directory lies about its sizes: 413 from the bytes inflated, the memory untouched', async () => {
    const bomb = await zipBomb(1.2e9, { lie: true });
    const { result: res, rssGrowth } = await watched(() => upload(bomb));
    expect(res.status).toBe(413);
    expect((await res.json()).message).toMatch(/^Trame refusée : une fois décompressé, le classeur dépasse 128 Mo \(limite TRAME_MAX_UNCOMPRESSED_BYTES/);
    expect(rssGrowth).toBeLessThan(400 * MB);
  }, 60_000);

  it('a million rows: 422 naming TRAME_MAX_ROWS, having read no more than the limit', async () => {
    const file = await manyRows(1_000_000);
    const { result: res, rssGrowth, health } = await watched(() => upload(file));
    console.log(`uploads: 1 000 000 rows → ${res.status}; peak RSS +${Math.round(rssGrowth / MB)} MB; /health ${health.length}× ${[...new Set(health)].join('/')}`);
    expect(health.every((s) => s === 200)).toBe(true);
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body).toEqual({
      message: `Trame refusée : la feuille « Motifs externalisés » a plus de ${(50_000).toLocaleString('fr-FR')} lignes (limite TRAME_MAX_ROWS = 50000). Découpez-la en plusieurs fichiers.`,
    });
    expect(rssGrowth).toBeLessThan(400 * MB);
  }, 120_000);

  it('a Trame of 20 000 rows is within the default limits (read to its end: its rows are unknown here, 422)', async () => {
    const file = await trameBuffer(Array.from({ length: 20_000 }, (_, i) => sampleRow({ archiveKey: String(2870000000 + i) })));
    const res = await upload(file);
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.rows).toBe(20_000);
    expect(body.errorCount).toBe(20_000);
    expect(body.errors).toHaveLength(1001);
    expect(body.message).toBe("Trame refusée : 20000 erreur(s), rien n'a été appliqué (les 1000 premières détaillées par ligne dans « errors »).");
    expect(body.errors[0]).toEqual({ row: 2, column: "CRITERE D'ARCHIVAGE", code: 'unknown_invoice', message: "Critère d'archivage inconnu : 2870000000" });
  }, 120_000);

  it('an upload past TRAME_MAX_UPLOAD_BYTES: 413', async () => {
    const small = await p.startApi({ trameLimits: { ...DEFAULT_TRAME_LIMITS, maxUploadBytes: 1_000_000 } });
    const res = await upload(await zipBomb(1.2e9), small);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Fichier refusé : il dépasse 1 Mo (limite TRAME_MAX_UPLOAD_BYTES = 1000000 octets).' });
  }, 60_000);

  it('four bombs at once: two refused 413, two 503 with Retry-After; /health answers throughout, the memory stays put', async () => {
    const bombs = await Promise.all([1, 2, 3, 4].map(() => zipBomb(1.2e9, { lie: true })));
    const { result, rssGrowth, health } = await watched(() => Promise.all(bombs.map(async (bomb) => {
      const res = await upload(bomb);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    })));
    console.log(`uploads: 4 lying bombs at once → ${result.map((r) => r.status).join(', ')}; peak RSS +${Math.round(rssGrowth / MB)} MB; /health ${health.length}× ${[...new Set(health)].join('/')}`);
    const statuses = result.map((r) => r.status).sort();
    expect(statuses).toEqual([413, 413, 503, 503]);
    for (const busy of result.filter((r) => r.status === 503)) {
      expect(busy.retryAfter).toBe('10');
      expect(busy.body.message).toBe("Import refusé pour l'instant : 2 imports de Trame sont déjà en cours (limite TRAME_MAX_CONCURRENT_IMPORTS = 2). Réessayez dans 10 secondes.");
    }
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((s) => s === 200)).toBe(true);
    expect(rssGrowth).toBeLessThan(400 * MB);
    // The slots are given back: the next import is not refused as busy.
    expect((await upload(bombs[0])).status).toBe(413);
  }, 120_000);
});

describe('POST /api/trames: a file with errors', () => {
  it('422 { message, errors } naming each row, nothing applied; the import audited', async () => {
    const res = await upload(await trameBuffer([sampleRow({ archiveKey: '2901139999' })]));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      message: "Trame refusée : 1 erreur(s), rien n'a été appliqué (détaillée(s) par ligne dans « errors »).",
      errors: [{ row: 2, column: "CRITERE D'ARCHIVAGE", code: 'unknown_invoice', message: "Critère d'archivage inconnu : 2901139999" }],
      rows: 1, errorCount: 1, closed: [], refused: [],
    });
    const [entry] = await api.deps.audit.list({ action: 'trame.import', limit: 1 });
    expect(entry).toMatchObject({ actorName: 'manager-uploads', details: { rows: 1, closed: 0, refused: 0, errors: 1 } });
  });
});

describe('POST /api/trames: who closes the tasks', () => {
  const col = (key: string) => TRAME_COLUMNS.findIndex((c) => c.key === key) + 1;

  async function taskOf(archiveKey: string): Promise<string> {
    const c = structuredClone(example);
    c.invoice.archiveKey = archiveKey;
    await seedReference(p.database.db, c.reference);
    expect((await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } })).status).toBe(202);
    for (let i = 0; i < 1200; i++) {
      const list = await (await api.fetch(`/api/tasks?q=${archiveKey}&status=open`, { role: 'manager' })).json();
      if (list.items.length) return list.items[0].id;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no task for ${archiveKey}`);
  }

  it('the authenticated manager resolves (the cell kept in the comment); a task another manager claimed is refused, not closed', async () => {
    const [free, mine, theirs] = await Promise.all(['2901130001', '2901130002', '2901130003'].map(taskOf));
    expect((await api.fetch(`/api/tasks/${mine}/claim`, { method: 'POST', role: 'manager' })).status).toBe(200);
    expect((await api.fetch(`/api/tasks/${theirs}/claim`, { method: 'POST', role: 'admin' })).status).toBe(200);

    const open = Buffer.from(await (await api.fetch('/api/trames/open.xlsx', { role: 'manager' })).arrayBuffer());
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(open as never);
    const sheet = workbook.getWorksheet('Motifs externalisés')!;
    const filled: string[] = [];
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      row.getCell(col('manager')).value = 'Quelqu’un d’autre';
      row.getCell(col('managerTreatedOn')).value = new Date(Date.UTC(2016, 2, 1));
      filled.push(String(row.getCell(col('archiveKey')).value));
    });
    expect(filled.sort()).toEqual(['2901130001', '2901130002', '2901130003']);

    const res = await upload(Buffer.from(await workbook.xlsx.writeBuffer()));
    expect(res.status).toBe(200);
    const report = await res.json();
    expect(report.errors).toEqual([]);
    expect(report.closed.map((c: { taskId: string }) => c.taskId).sort()).toEqual([free, mine].sort());
    for (const closed of report.closed) {
      expect(closed).toMatchObject({ row: expect.any(Number), by: 'manager-uploads', manager: 'Quelqu’un d’autre', treatedOn: '2016-03-01', code: 'closed' });
    }
    expect(report.refused).toEqual([{
      row: expect.any(Number), archiveKey: '2901130003', taskId: theirs, assignee: 'admin-uploads', code: 'claimed_by_other',
      reason: 'Tâche prise en charge par admin-uploads : seule cette personne peut la clôturer (ou la libérer)',
    }]);

    for (const id of [free, mine]) {
      const task = await (await api.fetch(`/api/tasks/${id}`, { role: 'manager' })).json();
      expect(task).toMatchObject({ status: 'resolved', resolvedBy: 'manager-uploads', resolution: { action: 'close' } });
      expect(task.resolution.comment).toBe('GESTIONNAIRE ALMERYS : Quelqu’un d’autre ; Almerys – traité le 01/03/2016 (Trame SSTT importée par manager-uploads)');
    }
    expect(await p.tasks.summary(theirs)).toMatchObject({ status: 'open', assignee: 'admin-uploads' });

    const [entry] = await api.deps.audit.list({ action: 'trame.import', limit: 1 });
    expect(entry).toMatchObject({
      actorName: 'manager-uploads', actorRole: 'manager', action: 'trame.import', target: null,
      details: { rows: 3, closed: 2, refused: 1, errors: 0 },
    });
    expect(entry.ip).toBeTruthy();
  }, 120_000);
});
