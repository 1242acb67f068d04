// The Trame SSTT round trip in the console, in real Chromium on the full stack: a batch with rows returned to
// managers; a manager downloads its Trame from the batch page, fills « Gestionnaire Almerys » / « Almerys – traité
// le » (exceljs standing in for Excel) and uploads it from the Trame page. A file that is not the Trame, and one with
// an edited locked cell and a bad date, are refused in French, nothing applied; the filled one closes the free rows'
// tasks and reports, in French, row by row, the rows it skipped and why (claimed by a colleague, already treated, a
// decision that needs the console). « Lignes ouvertes » then holds only what is still open.
// Screenshots in test-results/console/ (trame-report.png).

import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrame } from '../activities/trame/read.js';
import { MAIN_SHEET, TRAME_COLUMNS } from '../activities/trame/write.js';
import type { CaseFile } from '../rules/types.js';
import { chromiumForTests, openBrowser, PHONE_VIEWPORT, readCase, startConsoleStack, VIEWPORT, type Browsing, type ConsoleStack, closeAll, logIn } from './console-stack.js';

const chromium = chromiumForTests();

const BATCH = 'lot-trame-console';
/** Returned to a manager (« Document non exploitable »): closed by the Trame when their task is free. */
const FREE = ['9500000001', '9500000004'];
/** Claimed beforehand by a colleague: skipped, left to them. */
const CLAIMED = '9500000002';
/** Closed beforehand in the console: skipped, already treated. */
const TREATED = '9500000003';
/** « Manque Consigne »: needs a decision in the console, skipped. */
const DECISION = '9500000005';
/** Answered to the PS: a row of the Trame the manager leaves empty. */
const REPLIED = '9500000006';
const MANAGER_ROWS = [...FREE, CLAIMED, TREATED, DECISION];

const col = (key: string) => TRAME_COLUMNS.findIndex((c) => c.key === key) + 1;

let stack: ConsoleStack;
let b: Browsing;
let colleague: { name: string; key: string };
const taskOf = new Map<string, string>();

beforeAll(async () => {
  if (!chromium) return;
  const unreadable = await Promise.all([FREE[0], CLAIMED, TREATED, FREE[1]].map(async (key, i) => {
    const c = await readCase('examples/cases/document_non_exploitable.json', key);
    c.invoice.invoiceNumber = `F-T${i}`;
    return c;
  }));
  const cases: CaseFile[] = [
    ...unreadable,
    await readCase('examples/cases/manque_consigne.json', DECISION),
    await readCase('examples/cases/parcours_soins.json', REPLIED),
  ];
  stack = await startConsoleStack('consoletrame', cases[0]!);
  for (const c of cases.slice(1)) await stack.seed(c.reference);
  colleague = { name: 'Paul Durand', key: (await stack.api.deps.keys.create({ role: 'manager', name: 'Paul Durand' })).key };

  await stack.submitBatch(BATCH, cases);
  await stack.waitForBatch(BATCH, (x) => x.status === 'closed', 120_000);
  for (const key of MANAGER_ROWS) taskOf.set(key, await stack.waitForOpenTask(key));

  // A colleague takes one task; another is closed in the console before the Trame comes back.
  const claimed = await stack.api.fetch(`/api/tasks/${taskOf.get(CLAIMED)}/claim`, {
    method: 'POST', role: null, headers: { authorization: `Bearer ${colleague.key}` },
  });
  expect(claimed.status).toBe(200);
  const closed = await stack.api.fetch(`/api/tasks/${taskOf.get(TREATED)}/resolve`, {
    method: 'POST', role: 'manager', json: { action: 'close', comment: 'Traité dans les outils Almerys' },
  });
  expect([200, 202]).toContain(closed.status);
  for (let i = 0; (await taskState(taskOf.get(TREATED)!)).status !== 'resolved'; i++) {
    if (i > 100) throw new Error(`task ${taskOf.get(TREATED)} never resolved`);
    await new Promise((r) => setTimeout(r, 100));
  }

  b = await openBrowser();
  await logIn(b, stack.base, stack.people.manager.key);
  await b.page.locator('.table-tasks, .empty').first().waitFor();
}, 240_000);

afterAll(() => closeAll(b, stack), 60_000);

/** Clicks what downloads a file; its name and content. */
async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; content: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]) as [Download, void];
  return { name: download.suggestedFilename(), content: await readFile((await download.path())!) };
}

async function workbookOf(content: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(content as never);
  return workbook;
}

/** The sheet's Excel row number of each critère d'archivage. */
function rowsByKey(sheet: ExcelJS.Worksheet): Map<string, number> {
  const rows = new Map<string, number>();
  sheet.eachRow((row, n) => {
    if (n > 1) rows.set(String(row.getCell(col('archiveKey')).value), n);
  });
  return rows;
}

/** Chooses the file and sends it from the page, from the keyboard. */
async function uploadFromPage(page: Page, name: string, content: Buffer): Promise<void> {
  await page.getByLabel('Trame remplie (.xlsx)').setInputFiles({
    name, mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: content,
  });
  await page.getByRole('button', { name: 'Importer la Trame' }).focus();
  await page.keyboard.press('Enter');
}

async function taskState(id: string): Promise<{ status: string; assignee: string | null; resolvedBy?: string; resolution?: { action: string; comment: string } }> {
  return (await stack.api.fetch(`/api/tasks/${id}`, { role: 'manager' })).json();
}

describe.skipIf(!chromium)('the Trame SSTT in the console', () => {
  let filled: ExcelJS.Workbook;
  let rowOf: Map<string, number>;

  it('the batch page downloads the Trame; the manager fills it as in Excel', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Lots' }).click();
    await page.getByRole('link', { name: new RegExp(BATCH) }).click();
    await page.locator('.meter').waitFor();
    const { name, content } = await downloaded(page, () => page.getByRole('link', { name: 'Télécharger la Trame' }).click());
    expect(name).toBe(`trame-sstt-${BATCH}.xlsx`);

    filled = await workbookOf(content);
    const sheet = filled.getWorksheet(MAIN_SHEET)!;
    rowOf = rowsByKey(sheet);
    expect([...rowOf.keys()].sort()).toEqual([...MANAGER_ROWS, REPLIED].sort());
    for (const key of MANAGER_ROWS) {
      sheet.getCell(rowOf.get(key)!, col('manager')).value = 'C. Martin';
      sheet.getCell(rowOf.get(key)!, col('managerTreatedOn')).value = new Date(Date.UTC(2016, 2, 1));
    }
  }, 60_000);

  it('a file that is not the Trame, then one with a locked cell edited and a bad date: refused in French, nothing applied', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Importer la Trame remplie' }).click();
    await page.getByRole('heading', { level: 1, name: 'Trame SSTT' }).waitFor();
    expect(new URL(page.url()).searchParams.get('lot')).toBe(BATCH);

    // Any workbook but the Trame.
    const other = new ExcelJS.Workbook();
    other.addWorksheet('Feuil1').addRow(['CRITERE D\'ARCHIVAGE', 'GESTIONNAIRE ALMERYS']);
    await uploadFromPage(page, 'budget.xlsx', Buffer.from(await other.xlsx.writeBuffer()));
    const refusal = page.getByRole('alert').filter({ hasText: 'Trame refusée' });
    await refusal.waitFor();
    expect((await refusal.textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      'Trame refusée : rien n’a été appliqué'
      + 'Le classeur n\'a pas de feuille « Motifs externalisés » : ce n\'est pas une Trame SSTT.',
    );
    expect(await refusal.locator('[data-code]').getAttribute('data-code')).toBe('sheet_missing');
    // The focus goes to what happened.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Trame refusée : rien n’a été appliqué');

    // The filled Trame, with a grey cell changed and a date Excel would not take.
    const tampered = await workbookOf(Buffer.from(await filled.xlsx.writeBuffer()));
    const sheet = tampered.getWorksheet(MAIN_SHEET)!;
    sheet.getCell(rowOf.get(FREE[0]!)!, col('reply')).value = 'Une autre réponse';
    sheet.getCell(rowOf.get(FREE[1]!)!, col('managerTreatedOn')).value = '31/02/2016';
    await uploadFromPage(page, 'trame-modifiee.xlsx', Buffer.from(await tampered.xlsx.writeBuffer()));
    const errors = page.locator('table.trame-errors tbody tr');
    await errors.first().waitFor();
    const cells = await errors.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-code'), ...Array.from(tr.querySelectorAll('td'), (td) => td.textContent)]));
    expect(cells).toEqual([
      ['locked_cell_changed', String(rowOf.get(FREE[0]!)), 'REPONSE A VOTRE RECLAMATION',
        'Cellule verrouillée modifiée : seules « GESTIONNAIRE ALMERYS » et « ALMERYS – TRAITÉ LE » sont à remplir'],
      ['bad_date', String(rowOf.get(FREE[1]!)), 'ALMERYS – TRAITÉ LE', 'Doit être une date (jj/mm/aaaa)'],
    ].sort((x, y) => Number(x[1]) - Number(y[1])));
    expect(await page.getByRole('alert').filter({ hasText: 'Trame refusée' }).textContent()).toContain('rien n’a été appliqué');
    await b.shot('trame-refused', { fullPage: true });

    // Nothing applied: every manager task as it was.
    for (const key of [...FREE, DECISION]) expect(await taskState(taskOf.get(key)!)).toMatchObject({ status: 'open', assignee: null });
    expect(await taskState(taskOf.get(CLAIMED)!)).toMatchObject({ status: 'open', assignee: 'Paul Durand' });
  }, 60_000);

  it('the filled Trame, uploaded from the page: the free rows applied, the others skipped with why, in French', async () => {
    const { page } = b;
    // The answer held back a moment, to see the form while it is sending.
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let passed!: () => void;
    const handled = new Promise<void>((resolve) => { passed = resolve; });
    await page.route('**/api/trames', async (route) => {
      await held;
      await route.continue();
      passed();
    });
    await uploadFromPage(page, 'trame-remplie.xlsx', Buffer.from(await filled.xlsx.writeBuffer()));
    const busy = page.locator('form.trame-upload button[type="submit"]');
    await expect.poll(() => busy.getAttribute('aria-busy')).toBe('true');
    expect(await busy.isDisabled()).toBe(true);
    expect(await busy.textContent()).toBe('Import en cours…');
    expect(await page.getByLabel('Trame remplie (.xlsx)').isDisabled()).toBe(true);
    expect(await page.locator('.upload-state').isVisible()).toBe(true);
    release();
    await handled;
    await page.unroute('**/api/trames');

    const report = page.locator('table.trame-rows tbody tr');
    await report.first().waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Trame importée' }).locator('.alert-title').textContent())
      .toBe('Trame importée : 2 lignes appliquées, 3 ignorées');
    const rows = await report.evaluateAll((trs) => trs.map((tr) => ({
      code: tr.getAttribute('data-code'), cells: Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.replace(/\s+/g, ' ').trim()),
    })));
    const expected = [
      ...FREE.map((key) => ({
        key, code: 'closed', outcome: 'appliquée',
        detail: `Clôturée en votre nom (tâche ${taskOf.get(key)}) : Gestionnaire Almerys « C. Martin », traité le 01/03/2016`,
      })),
      {
        key: CLAIMED, code: 'claimed_by_other', outcome: 'ignorée · prise par un collègue',
        detail: `Tâche prise en charge par Paul Durand : seule cette personne peut la clôturer (ou la libérer) · Ouvrir la tâche`,
      },
      { key: TREATED, code: 'already_treated', outcome: 'ignorée · déjà traitée', detail: 'Aucune tâche ouverte : la facture est déjà traitée' },
      {
        key: DECISION, code: 'needs_console_decision', outcome: 'ignorée · décision dans la console',
        detail: `« Manque Consigne » demande une décision dans la console : ouvrez la tâche ${taskOf.get(DECISION)} pour la prendre · Ouvrir la tâche`,
      },
    ].sort((x, y) => rowOf.get(x.key)! - rowOf.get(y.key)!);
    expect(rows).toEqual(expected.map((e) => ({ code: e.code, cells: [String(rowOf.get(e.key)), e.key, e.outcome, e.detail] })));
    expect(await page.getByRole('link', { name: `Ouvrir la tâche ${taskOf.get(DECISION)}` }).getAttribute('href'))
      .toBe(`/console/taches/${taskOf.get(DECISION)}`);
    expect(await page.locator('details.trame-blank summary').textContent()).toBe('1 ligne non remplie : laissée ouverte');
    await b.shot('trame-report', { fullPage: true });
    // On a phone: the report as one card per row, nothing wider than the screen.
    await page.setViewportSize(PHONE_VIEWPORT);
    await expect.poll(() => page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)))
      .toBeLessThanOrEqual(PHONE_VIEWPORT.width);
    expect(await page.locator('table.trame-rows.table-stack').count()).toBe(1);
    await b.shot('trame-report-phone', { fullPage: true });
    await page.setViewportSize(VIEWPORT);

    // The tasks: closed in the name of the manager who sent the file; the others as they were.
    for (const key of FREE) {
      expect(await taskState(taskOf.get(key)!)).toMatchObject({ status: 'resolved', resolvedBy: 'Claire Martin', resolution: { action: 'close' } });
      expect((await taskState(taskOf.get(key)!)).resolution!.comment)
        .toBe('GESTIONNAIRE ALMERYS : C. Martin ; Almerys – traité le 01/03/2016 (Trame SSTT importée par Claire Martin)');
    }
    expect(await taskState(taskOf.get(CLAIMED)!)).toMatchObject({ status: 'open', assignee: 'Paul Durand' });
    expect(await taskState(taskOf.get(DECISION)!)).toMatchObject({ status: 'open', assignee: null });
    expect(await taskState(taskOf.get(TREATED)!)).toMatchObject({ status: 'resolved', resolvedBy: 'manager-consoletrame' });
    for (const key of FREE) await stack.waitForInvoice(key, (inv) => inv.status === 'closed');
  }, 90_000);

  it('« Lignes ouvertes » downloads what is still open for managers, from the Trame page and from the inbox', async () => {
    const { page } = b;
    const { name, content } = await downloaded(page, () => page.locator('.page-actions').getByRole('link', { name: 'Lignes ouvertes' }).click());
    expect(name).toMatch(/^trame-sstt-ouvertes-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const open = await readTrame(content);
    expect(open.errors).toEqual([]);
    expect(open.rows.map((r) => r.archiveKey).sort()).toEqual([CLAIMED, DECISION].sort());

    await page.getByRole('link', { name: 'Tâches' }).first().click();
    await page.locator('.table-tasks').waitFor();
    const fromInbox = await downloaded(page, () => page.locator('.page-actions').getByRole('link', { name: 'Lignes ouvertes' }).click());
    expect((await readTrame(fromInbox.content)).rows).toHaveLength(2);
    // The inbox leads to the import as well.
    await page.locator('.page-actions').getByRole('link', { name: 'Importer une Trame' }).click();
    await page.getByLabel('Trame remplie (.xlsx)').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/trame');

    // The 422s of the refused files were expected (and said on the page); nothing else went wrong.
    expect(b.problems.filter((p) => !/status of 422/.test(p))).toEqual([]);
  }, 60_000);
});
