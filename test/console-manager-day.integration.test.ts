// A manager's day in real Chromium, on the full stack (Temporal dev server, PostgreSQL, worker, API) with a short
// SLA (TASK_SLA=20s): the SLA as configured in the inbox's wording and overdue durations (in seconds, never
// « 0 min »), the list sorted, three tasks closed at once (each reported, each workflow closed), a view saved by name
// and found again after a reload; then an auditor on an invoice (no « Mes tâches », history exported, link to the
// Temporal UI) and an admin reading the access log, where that export is.
// Screenshots in test-results/console/ (manager-bulk, auditor-invoice, access-log).
//
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumForTests, logIn, openBrowser, readCase, startConsoleStack, type Browsing, type ConsoleStack } from './console-stack.js';

const CASE_FILE = 'examples/cases/a_controler.json';
const KEYS = ['9200000001', '9200000002', '9200000003', '9200000004'];

let stack: ConsoleStack;
let b: Browsing;
const taskIds: string[] = [];

const chromium = chromiumForTests();

beforeAll(async () => {
  if (!chromium) return;
  const first = await readCase(CASE_FILE, KEYS[0]!);
  stack = await startConsoleStack('managerday', first, { env: { TASK_SLA: '20s' } });
  // One after the other: their deadlines (and ages) in that order.
  for (const key of KEYS) {
    await stack.submit(await readCase(CASE_FILE, key));
    taskIds.push(await stack.waitForOpenTask(key));
  }
  b = await openBrowser();
}, 180_000);

// The browser first, then the stack (whose close() drops the connections the browser kept).
afterAll(async () => { await b?.close(); await stack?.close(); }, 60_000);

async function login(page: Page, key: string): Promise<void> {
  await logIn(b, stack.base, key);
  await page.locator('#page-title').waitFor();
}

const rowOrder = (page: Page) => page.locator('tr[data-task-id]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.taskId));

describe.skipIf(!chromium)('a manager\'s day, an auditor and an admin', () => {
  it('the SLA as configured; sorted; three tasks closed at once, each reported and its workflow closed', async () => {
    const { page } = b;
    await login(page, stack.people.manager.key);
    await page.locator('.table-tasks').waitFor();
    // The configured SLA (20 s), not the default 48 h.
    expect(await page.locator('.page-header .sla').textContent()).toBe('Délai de traitement : 20 s');
    expect(await page.locator('.tiles').textContent()).toContain('en retard (plus de 20 s)');
    expect(await page.locator('.page-inbox').textContent()).not.toContain('48 h');

    // Sorted: by deadline (default), then the most recent first.
    await expect.poll(() => rowOrder(page)).toEqual(taskIds);
    await page.getByLabel('Trier par').selectOption({ label: 'Les plus récentes' });
    await expect.poll(() => rowOrder(page)).toEqual([...taskIds].reverse());
    expect(new URL(page.url()).searchParams.get('sort')).toBe('age');
    await page.getByLabel('Trier par').selectOption({ label: 'Échéance la plus proche' });
    await expect.poll(() => rowOrder(page)).toEqual(taskIds);

    // « Tout sélectionner », then three tasks only.
    const selectAll = page.locator('thead').getByLabel('Tout sélectionner');
    expect(await page.locator('.bulk-bar').getByLabel('Tout sélectionner').isVisible()).toBe(false); // a phone's only
    await selectAll.check();
    expect(await page.locator('.bulk-count').textContent()).toBe('4 tâches sélectionnées');
    await selectAll.uncheck();
    expect(await page.locator('.bulk-count').textContent()).toBe('Aucune tâche sélectionnée');
    expect(await page.locator('[data-bulk="close"]').isDisabled()).toBe(true);
    const closing = taskIds.slice(0, 3);
    for (const key of KEYS.slice(0, 3)) await page.getByLabel(`Sélectionner ${key}`).check();
    expect(await page.locator('.bulk-count').textContent()).toBe('3 tâches sélectionnées');

    // « Clôturer »: asked once more, naming the count; nothing sent before.
    await page.locator('[data-bulk="close"]').click();
    const confirm = page.getByRole('dialog', { name: 'Clôturer 3 tâches ?' });
    await confirm.waitFor();
    for (const key of KEYS.slice(0, 3)) expect(await confirm.textContent()).toContain(key);
    expect((await (await stack.api.fetch(`/api/tasks/${closing[0]}`, { role: 'manager' })).json()).status).toBe('open');
    await confirm.getByRole('button', { name: 'Clôturer les 3 tâches' }).click();

    // One result per task.
    const report = page.locator('#bulk-report');
    await report.waitFor({ timeout: 30_000 });
    expect(await report.locator('.alert-title').textContent()).toBe('Clôturer : 3 sur 3 tâches traitées');
    const results = await report.locator('li.bulk-result').evaluateAll((lis) => lis.map((li) => [(li as HTMLElement).dataset.taskId, (li as HTMLElement).dataset.ok, li.textContent]));
    expect(results.map(([id, ok]) => [id, ok])).toEqual(closing.map((id) => [id, 'true']));
    for (const [, , text] of results) expect(text).toMatch(/Clôturée|accepté/);
    // The list now has the fourth task only.
    await expect.poll(() => rowOrder(page)).toEqual([taskIds[3]]);
    await page.keyboard.press('Escape');
    await b.shot('manager-bulk', { fullPage: true });

    // Each closing was an Update on its own workflow: each invoice closed, each task resolved by the manager.
    for (const [i, key] of KEYS.slice(0, 3).entries()) {
      expect((await stack.waitForInvoice(key, (inv) => inv.status === 'closed')).status).toBe('closed');
      const task = await (await stack.api.fetch(`/api/tasks/${closing[i]}`, { role: 'manager' })).json();
      expect(task).toMatchObject({ status: 'resolved', resolvedBy: 'Claire Martin', resolution: { action: 'close' } });
    }
    expect(b.problems).toEqual([]);
  }, 120_000);

  it('an overdue task is late by seconds with a 20 s SLA, never « 0 min »', async () => {
    const { page } = b;
    await expect.poll(async () => {
      await page.getByRole('button', { name: 'Actualiser' }).click();
      return page.locator(`tr[data-task-id="${taskIds[3]}"] .badge-solid`).count();
    }, { timeout: 40_000, interval: 2000 }).toBe(1);
    const late = await page.locator(`tr[data-task-id="${taskIds[3]}"] .badge-solid`).textContent();
    expect(late).toMatch(/^En retard de \d+ s$/);
    expect(late).not.toContain('0 min');
  }, 60_000);

  it('a view saved by name (filters and sort) is there after a reload, and can be deleted', async () => {
    const { page } = b;
    await page.getByLabel('Trier par').selectOption({ label: 'Motif (A → Z)' });
    await page.getByRole('button', { name: /^Résolues$/ }).click();
    await page.getByLabel('Nom de la vue').fill('Clôtures du jour');
    await page.getByRole('button', { name: 'Enregistrer la vue' }).click();
    await page.locator('[data-view="Clôtures du jour"]').waitFor();

    await page.goto(`${stack.base}/console/taches`);
    const view = page.getByRole('link', { name: 'Clôtures du jour' });
    await view.waitFor();
    await expect.poll(() => rowOrder(page)).toEqual([taskIds[3]]);
    await view.click();
    await expect.poll(() => new URL(page.url()).search).toBe('?status=resolved&sort=motif');
    expect(await page.getByLabel('Trier par').inputValue()).toBe('motif:asc');
    await expect.poll(async () => (await rowOrder(page)).sort()).toEqual(taskIds.slice(0, 3).sort());
    expect(await page.locator('[data-view="Clôtures du jour"]').getAttribute('class')).toContain('view-active');

    await page.getByRole('button', { name: 'Supprimer la vue Clôtures du jour' }).click();
    await page.locator('[data-view="Clôtures du jour"]').waitFor({ state: 'detached' });
    await page.reload();
    await page.locator('.views').getByText('Aucune vue enregistrée').waitFor();
    expect(b.problems).toEqual([]);
  }, 60_000);

  it('a resolution started on the task page survives its redraw when the SLA escalates the task', async () => {
    const { page } = b;
    const key = '9200000005';
    await stack.submit(await readCase(CASE_FILE, key));
    const taskId = await stack.waitForOpenTask(key);
    await page.goto(`${stack.base}/console/taches/${taskId}`);
    await page.getByRole('button', { name: 'Prendre la tâche' }).click();
    await page.locator('.holder-mine').waitFor();
    expect(await page.locator('.page-header .badge', { hasText: 'Escaladée' }).count()).toBe(0);

    // A decision half-made: an action, a motif, a comment being typed.
    await page.getByLabel('Répondre au PS avec un motif').check();
    const motif = page.getByLabel('Motif de la réponse');
    const code = await motif.locator('option').nth(1).getAttribute('value');
    await motif.selectOption(code!);
    const comment = page.getByLabel(/^Commentaire/);
    await comment.fill('Vu avec le PS au téléphone');

    // The SLA (20 s) passes: the workflow escalates the task, the page redraws on the live event.
    await page.locator('.page-header .badge', { hasText: 'Escaladée' }).waitFor({ timeout: 45_000 });
    expect(await page.getByLabel('Répondre au PS avec un motif').isChecked()).toBe(true);
    expect(await motif.inputValue()).toBe(code);
    expect(await motif.isVisible()).toBe(true);
    expect(await comment.inputValue()).toBe('Vu avec le PS au téléphone');
    expect(await comment.evaluate((el) => el === document.activeElement)).toBe(true);
    // And it is sent as it stands.
    const submit = page.locator('form.resolve-form button[type="submit"]');
    expect(await submit.isEnabled()).toBe(true);
    await submit.click();
    await expect.poll(async () => (await (await stack.api.fetch(`/api/tasks/${taskId}`, { role: 'manager' })).json()).resolution, { timeout: 20_000 })
      .toMatchObject({ action: 'reply', motif: code, comment: 'Vu avec le PS au téléphone' });
    expect(b.problems).toEqual([]);
  }, 90_000);

  it('an auditor: no « Mes tâches »; the invoice\'s history exported (encrypted, decoded) and its workflow in the Temporal UI', async () => {
    const { page } = b;
    await login(page, stack.people.auditor.key);
    await page.locator('.table-tasks, .empty').first().waitFor();
    const nav = page.locator('#nav-list');
    expect(await nav.getByRole('link', { name: /Tâches/ }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: /Mes tâches/ }).count()).toBe(0);
    expect(await page.locator('.tiles').textContent()).not.toContain('qui me sont assignées');
    expect(await page.getByLabel('Tout sélectionner').count()).toBe(0);
    expect(await page.locator('.bulk-bar').isHidden()).toBe(true);
    // « Mes tâches » by its address: the whole list, under its own name.
    await page.goto(`${stack.base}/console/taches?assignee=moi`);
    await page.locator('.table-tasks, .empty').first().waitFor();
    expect(await page.locator('#page-title').textContent()).toBe('Tâches');

    await page.goto(`${stack.base}/console/factures/${KEYS[0]}`);
    await page.locator('#invoice-status[data-status="closed"]').waitFor();
    const temporal = page.getByRole('link', { name: 'Ouvrir dans Temporal' });
    expect(await temporal.getAttribute('href')).toBe(`/temporal/namespaces/default/workflows/invoice-${KEYS[0]}`);
    expect(await temporal.getAttribute('target')).toBe('_blank');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Exporter l’historique', exact: true }).click()]);
    expect(download.suggestedFilename()).toBe(`invoice-${KEYS[0]}.json`);
    const history = await readFile((await download.path())!, 'utf8');
    const events = JSON.parse(history).events as { eventType: string }[];
    expect(events[0]!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(events.at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    // Encrypted as stored: the payloads say so, and the beneficiary is nowhere in clear.
    expect(history).toContain(Buffer.from('binary/encrypted').toString('base64'));
    expect(history).not.toContain('ROCHE');

    const [decoded] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Exporter l’historique déchiffré' }).click()]);
    expect(decoded.suggestedFilename()).toBe(`invoice-${KEYS[0]}.decoded.json`);
    expect(await readFile((await decoded.path())!, 'utf8')).not.toContain(Buffer.from('binary/encrypted').toString('base64'));
    await page.keyboard.press('Escape');
    await b.shot('auditor-invoice');
    expect(b.problems).toEqual([]);
  }, 60_000);

  it('an admin: the « Accès » page lists the decoded export, who made it and on which invoice', async () => {
    const { page } = b;
    await login(page, stack.api.keys.admin);
    await page.locator('#nav-list').getByRole('link', { name: 'Accès' }).click();
    await page.locator('.table-access').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/acces');
    const decoded = page.locator('tr[data-action="history.export.decoded"]');
    expect(await decoded.count()).toBe(1);
    expect(await decoded.textContent()).toContain('Sophie Bernard');
    expect(await decoded.textContent()).toContain(KEYS[0]);
    expect(await decoded.textContent()).toContain('Historique exporté déchiffré');
    await b.shot('access-log');
    // Every entry, the encrypted export among them.
    await page.getByLabel('Action').selectOption({ label: 'Toutes les entrées' });
    await page.locator('tr[data-action="history.export"]').first().waitFor();
    expect(await page.locator('tr[data-action="task.resolve"]').count()).toBeGreaterThanOrEqual(3);
    expect(b.problems).toEqual([]);
  }, 60_000);
});
