// A 1 000-invoice « document multi factures » end to end, with a worker killed (SIGKILL) in the middle of the
// e-mails: every PS gets one e-mail per 10 rows — none twice — with the MO's subject, Bcc and body; the Trame reads
// back with its sheets, columns, drop-downs, protection and formats; the GTO task is closed « FIN OK »; and the
// re-imported workbook, filled by a manager, closes its tasks.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readTrame } from '../activities/trame/read.js';
import { TRAME_COLUMNS } from '../activities/trame/write.js';
import { batchStatusQuery } from '../workflows/contract.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { mixedClaims } from './datasets.js';
import { startFakeResend, type FakeResend } from './fake-resend.js';
import { createPipeline, type Pipeline, type RunningApi } from './harness.js';

const N = 1000;
const PRACTITIONERS = 30;

function dataSet() {
  return mixedClaims({ count: N, firstKey: 8_000_000_000, practitioners: PRACTITIONERS, firstPractitioner: 712_000_000, label: 'B' });
}

let p: Pipeline;
let api: RunningApi;
let resend: FakeResend;
const { reference, invoices } = dataSet();

beforeAll(async () => {
  resend = await startFakeResend({ latencyMs: 100 });
  p = await createPipeline('batch', reference, { worker: false, env: { RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url } });
  api = await p.startApi();
}, 120_000);
afterAll(async () => {
  await p?.close();
  await resend?.close();
});

describe(`a ${N}-invoice batch`, () => {
  it('is analysed, e-mailed per PS (≤ 10 rows a mail, none twice despite a killed worker), written and closed « FIN OK »', async () => {
    // A worker in its own process, to be killed while the batch sends its e-mails.
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'slow-worker.ts')], {
      cwd: join(import.meta.dirname, '..'),
      env: {
        ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: p.database.url, TASK_QUEUE: p.taskQueue,
        LOOKUP_DELAY_MS: '0', RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url, SESSION_SECRET: 'x'.repeat(40),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });

    const t0 = Date.now();
    const res = await api.fetch('/api/batches', { method: 'POST', role: 'submitter', json: { batchId: 'gto-1000', receivedOn: '2016-02-23', invoices } });
    console.log(`batch: submitted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(res.status).toBe(202);
    const handle = p.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-1000');

    // Progress is visible while it runs; kill the worker once a few e-mails are out.
    let progress;
    for (let i = 0; ; i++) {
      progress = await (await api.fetch('/api/batches/gto-1000', { role: 'manager' })).json();
      if (resend.deliveries.length >= 5) break;
      if (i > 2400) throw new Error(`the batch never reached its e-mails: ${JSON.stringify(progress)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(progress.decided).toBe(N);
    console.log(`batch: ${N} decided and ${resend.deliveries.length} e-mails out after ${((Date.now() - t0) / 1000).toFixed(1)} s; killing the worker`);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const beforeKill = resend.deliveries.length;
    expect(beforeKill).toBeLessThan(60);

    await p.startWorker();
    const state = await handle.result();
    console.log(`batch: closed after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(state).toMatchObject({ phase: 'closed', started: N, decided: N, paid: 250, routedToPractitioner: 500, routedToManager: 250, gtoClosure: 'FIN OK', trameRows: 750 });

    // One e-mail per PS per 10 rows: 500 practitioner rows over 30 PS (16 or 17 each) → 2 e-mails each.
    expect(state.emails).toBe(60);
    expect(resend.deliveries).toHaveLength(60);
    const keys = resend.deliveries.map((d) => d.idempotencyKey);
    expect(new Set(keys).size).toBe(60);
    for (const d of resend.deliveries) {
      const email = d.email as { to: string[]; bcc: string[]; cc?: unknown; subject: string; html: string; text: string };
      const ps = /PS (\d{9})$/.exec(email.subject)![1];
      expect(email.subject).toBe(`Traitement de vos réclamations PS ${ps}`);
      expect(email.bcc).toEqual(['service.azur@almerys.com']);
      expect(email.cc).toBeUndefined();
      expect(email.text).toContain("Vous trouverez ci-joint le bordereau récapitulatif de l'analyse apportée par nos services.");
      expect(email.text).toContain('ALMERYS Service Prestations 46 rue du Ressort 63967 CLERMONT-FERRAND CEDEX 9');
      expect(email.html).toContain('BORDEREAU RECAPITULATIF');
      expect(((email.text.match(/^\d{10} \|/gm) ?? []).length)).toBeLessThanOrEqual(10);
    }

    const progressAfter = await (await api.fetch('/api/batches/gto-1000', { role: 'manager' })).json();
    expect(progressAfter).toMatchObject({ status: 'closed', gtoClosure: 'FIN OK', emailed: 500, decided: N, trame: { rowCount: 750 } });
    const replied = await (await api.fetch('/api/invoices?batchId=gto-1000&status=replied&limit=1', { role: 'manager' })).json();
    expect(replied.total).toBe(500);
    // An invoice shows its e-mail (id, time, recipient) and its Trame.
    const one = await (await api.fetch(`/api/invoices/${replied.items[0].id}`, { role: 'submitter' })).json();
    expect(one.email).toMatchObject({ id: expect.stringMatching(/^ps-reply:gto-1000:\d{9}:[12]$/), to: expect.stringMatching(/@cabinets\.example\.org$/) });
    expect(one.email.sentAt).toBeTruthy();
    expect(one.trame).toEqual({ id: 'trame-gto-1000', batchId: 'gto-1000' });
    expect((await handle.query(batchStatusQuery)).emailed).toBe(500);
  }, 600_000);

  it('its Trame reads back with the MO\'s sheets, columns, drop-downs, protection and formats', async () => {
    const res = await api.fetch('/api/batches/gto-1000/trame.xlsx', { role: 'manager' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    const content = Buffer.from(await res.arrayBuffer());
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(content as never);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(expect.arrayContaining(['Motifs externalisés', 'Réponse au PS']));
    const sheet = workbook.getWorksheet('Motifs externalisés')!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(TRAME_COLUMNS.map((c) => c.header));
    expect(sheet.rowCount).toBe(751);
    expect((sheet as unknown as { sheetProtection?: { sheet?: boolean } }).sheetProtection?.sheet).toBe(true);
    const motifCol = TRAME_COLUMNS.findIndex((c) => c.key === 'motif') + 1;
    const validation = sheet.getCell(2, motifCol).dataValidation;
    expect(validation).toMatchObject({ type: 'list' });
    const archive = sheet.getCell(2, TRAME_COLUMNS.findIndex((c) => c.key === 'archiveKey') + 1);
    expect(archive.value).toMatch(/^\d{10}$/);
    expect(archive.numFmt).toBe('@');
    // White (operator) cells editable, grey (manager's address) cells locked; the sheet is protected.
    expect(archive.protection?.locked).toBe(false);
    expect(sheet.getCell(2, TRAME_COLUMNS.findIndex((c) => c.key === 'city') + 1).protection?.locked).not.toBe(false);
    const reply = workbook.getWorksheet('Réponse au PS')!;
    expect(reply.rowCount).toBe(2 + 500);
    const parsed = await readTrame(content);
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows).toHaveLength(750);
  }, 120_000);

  it('re-imported with « Gestionnaire Almerys » filled, it closes those tasks; with an edited locked cell, nothing', async () => {
    const content = Buffer.from(await (await api.fetch('/api/batches/gto-1000/trame.xlsx', { role: 'manager' })).arrayBuffer());
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(content as never);
    const sheet = workbook.getWorksheet('Motifs externalisés')!;
    const col = (key: string) => TRAME_COLUMNS.findIndex((c) => c.key === key) + 1;
    const managerRows: number[] = [];
    sheet.eachRow((row, n) => {
      if (n > 1 && row.getCell(col('motif')).value === 'Erreur contenu facture' && managerRows.length < 3) {
        const err = row.getCell(col('error')).value;
        if (typeof err === 'string' && err.startsWith('Présence de plusieurs')) managerRows.push(n);
      }
    });
    expect(managerRows).toHaveLength(3);
    for (const n of managerRows) {
      sheet.getCell(n, col('manager')).value = 'Claire Dupuis';
      sheet.getCell(n, col('managerTreatedOn')).value = new Date(Date.UTC(2016, 2, 1));
    }
    const keys = managerRows.map((n) => String(sheet.getCell(n, col('archiveKey')).value));
    const upload = async (buffer: Buffer) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(buffer)]), 'trame.xlsx');
      return api.fetch('/api/trames', { method: 'POST', role: 'manager', body: form });
    };

    // An edited locked (grey) cell: the whole file is refused, per row.
    const tampered = new ExcelJS.Workbook();
    await tampered.xlsx.load((await workbook.xlsx.writeBuffer()) as never);
    tampered.getWorksheet('Motifs externalisés')!.getCell(managerRows[0], col('reply')).value = 'autre chose';
    const refused = await upload(Buffer.from(await tampered.xlsx.writeBuffer()));
    expect(refused.status).toBe(422);
    const report = await refused.json();
    expect(report.errors).toEqual([{
      row: managerRows[0], column: 'REPONSE A VOTRE RECLAMATION', code: 'locked_cell_changed',
      message: 'Cellule verrouillée modifiée : seules « GESTIONNAIRE ALMERYS » et « ALMERYS – TRAITÉ LE » sont à remplir',
    }]);
    expect(report.closed).toEqual([]);
    for (const k of keys) expect((await p.tasks.summary(`${k}-1`))!.status).toBe('open');

    const ok = await upload(Buffer.from(await workbook.xlsx.writeBuffer()));
    expect(ok.status).toBe(200);
    const done = await ok.json();
    // The report says why a row was not applied: kept in the failure's message.
    expect(done.closed.map((c: { archiveKey: string }) => c.archiveKey).sort(), JSON.stringify(done).slice(0, 3000)).toEqual([...keys].sort());
    for (const k of keys) {
      const task = await (await api.fetch(`/api/tasks/${k}-1`, { role: 'manager' })).json();
      // Closed in the name of the manager who uploaded the file; the cell's name is kept in the comment.
      expect(task).toMatchObject({ status: 'resolved', resolvedBy: 'manager-batch', resolution: { action: 'close' } });
      expect(task.resolution.comment).toContain('01/03/2016');
      expect(task.resolution.comment).toContain('Claire Dupuis');
      expect((await p.client.workflow.getHandle(`invoice-${k}`).result()).status).toBe('closed');
    }

    // The export of every row still open for managers: the batch's 250 manager rows but the 3 just closed.
    const open = await api.fetch('/api/trames/open.xlsx', { role: 'auditor' });
    expect(open.status).toBe(200);
    const openRows = await readTrame(Buffer.from(await open.arrayBuffer()));
    expect(openRows.errors).toEqual([]);
    expect(openRows.rows).toHaveLength(247);
    expect(openRows.rows.map((r) => r.archiveKey)).not.toContain(keys[0]);
  }, 120_000);
});
