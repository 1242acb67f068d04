// The console on a phone (390 × 844, touch), in real Chromium on the full stack: every page — login, inbox, a task,
// an invoice, the invoice search, the batches, a batch, the outbox, an e-mail, « Rejeu » and an invoice replayed —
// with real data fits the screen's width (no horizontal scrolling), every menu entry and « Se déconnecter » are on
// screen and clickable; a toast leaves the submit button alone; « Forcer le paiement » asks for a confirmation that
// Annuler (or Escape) leaves unanswered and that pays once confirmed. Screenshots: test-results/console/phone-<page>.png.
//
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumForTests, logIn, openBrowser, PHONE_VIEWPORT, readCase, startConsoleStack, type Browsing, type ConsoleStack, closeAll } from './console-stack.js';
import type { CaseFile } from '../rules/types.js';

const CASE_FILE = 'examples/cases/a_controler.json';
const WIDTH = PHONE_VIEWPORT.width;
const BATCH = 'lot-phone-1';

let stack: ConsoleStack;
let b: Browsing;
let looked: CaseFile; // an « A contrôler » claim whose task stays open (the pages are read)
let paid: CaseFile; // another one, whose payment is forced through the confirmation
let batched: CaseFile; // a claim answered to its PS within a batch (the batch, its e-mail)

const chromium = chromiumForTests();

beforeAll(async () => {
  if (!chromium) return;
  looked = await readCase(CASE_FILE, '9400000001');
  paid = await readCase(CASE_FILE, '9400000002');
  batched = await readCase('examples/cases/parcours_soins.json', '9400000003');
  stack = await startConsoleStack('consolephone', looked);
  await stack.seed(batched.reference);
  await stack.submit(looked);
  await stack.submit(paid);
  await stack.submitBatch(BATCH, [batched]);
  await Promise.all([
    stack.waitForOpenTask(looked.invoice.archiveKey),
    stack.waitForOpenTask(paid.invoice.archiveKey),
    stack.waitForBatch(BATCH, (x) => x.status === 'closed'),
  ]);
  b = await openBrowser({ phone: true });
}, 240_000);

afterAll(() => closeAll(b, stack), 60_000);

/** Fits the screen: the page never scrolls sideways. */
async function pageWidth(): Promise<number> {
  return b.page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
}

/** On screen horizontally, and the element a tap there would reach (Playwright's actionability checks, no click). */
async function reachable(name: string, locator: ReturnType<Browsing['page']['locator']>): Promise<void> {
  expect(await locator.isVisible(), `${name}: visible`).toBe(true);
  const box = (await locator.boundingBox())!;
  expect(box.x, `${name}: left edge on screen`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${name}: right edge on screen`).toBeLessThanOrEqual(WIDTH);
  await locator.click({ trial: true, timeout: 5_000 });
}

const MANAGER_MENU = ['Tâches', 'Mes tâches', 'Factures', 'E-mails', 'Lots', 'Tableau de bord', 'Rejeu'];
const ADMIN_MENU = [...MANAGER_MENU, 'Accès', 'Webhooks'];

/** Its screenshot (phone-<name>.png), then the checks every page passes. */
async function checkPage(name: string, options: { chrome?: boolean; fullPage?: boolean; menu?: string[] } = {}): Promise<void> {
  const { page } = b;
  await b.shot(`phone-${name}`, { fullPage: options.fullPage ?? true });
  expect(await pageWidth(), `${name}: document.documentElement.scrollWidth`).toBeLessThanOrEqual(WIDTH);
  if (options.chrome !== false) {
    await page.locator('#nav-list a').first().waitFor();
    await reachable(`${name} « Se déconnecter »`, page.getByRole('button', { name: 'Se déconnecter' }));
    const links = page.locator('#nav-list a');
    const labels = await page.locator('#nav-list .nav-label').allTextContents();
    expect(labels).toEqual(options.menu ?? MANAGER_MENU);
    const cut = await page.locator('#nav-list .nav-label').evaluateAll((els) => els.filter((el) => el.scrollWidth > el.clientWidth).map((el) => el.textContent));
    expect(cut, `${name}: menu labels cut short`).toEqual([]);
    for (let i = 0; i < labels.length; i++) await reachable(`${name} menu « ${labels[i]} »`, links.nth(i));
  }
}

/** Closes the toasts (Escape), so they hide nothing on a screenshot. */
async function dismissToasts(): Promise<void> {
  await b.page.keyboard.press('Escape');
  await b.page.locator('.toast').first().waitFor({ state: 'detached' });
}

describe.skipIf(!chromium)('the console on a phone (390 × 844)', () => {
  it('every page fits the width, with the whole menu and « Se déconnecter » within reach', async () => {
    const { page } = b;
    const { archiveKey } = looked.invoice;

    // ---- Login ----
    await page.goto(`${stack.base}/console/`);
    await page.getByLabel('Clé d’accès').waitFor();
    await checkPage('login', { chrome: false });
    await page.getByLabel('Clé d’accès').fill(stack.people.manager.key);
    await page.getByRole('button', { name: 'Se connecter' }).click();

    // ---- Inbox: each task a card, its values under their labels ----
    const row = page.locator(`tr[data-task-id="${archiveKey}-1"]`);
    await row.waitFor();
    await page.locator('.nav-count').first().waitFor();
    expect(await row.locator('td[data-label="Motif"]').textContent()).toContain('A contrôler');
    // The column header (and its « select all » box) is not shown on a phone: the bulk bar has its own.
    const selectAll = page.locator('.bulk-bar').getByLabel('Tout sélectionner');
    await reachable('inbox « Tout sélectionner »', selectAll);
    await selectAll.check();
    const boxes = page.locator('input.select-task');
    expect(await boxes.count()).toBeGreaterThan(0);
    expect(await boxes.evaluateAll((els) => els.every((el) => (el as HTMLInputElement).checked))).toBe(true);
    await expect.poll(() => page.locator('.bulk-count').textContent()).toMatch(/^\d+ tâches? sélectionnées?$/);
    await selectAll.uncheck();
    expect(await boxes.evaluateAll((els) => els.some((el) => (el as HTMLInputElement).checked))).toBe(false);
    await checkPage('inbox');

    // ---- A task ----
    await row.getByRole('link').click();
    await page.locator('ol.trace').waitFor();
    expect(await page.locator('ol.trace > li[aria-current="step"]').getAttribute('data-step')).toBe('G8');
    await reachable('task « Prendre la tâche »', page.getByRole('button', { name: 'Prendre la tâche' }));
    await checkPage('task');

    // ---- Its invoice ----
    await page.getByRole('link', { name: 'Voir la facture' }).click();
    await page.locator('#invoice-status[data-status="awaiting_manager"]').waitFor();
    await page.locator('ol.timeline').waitFor();
    await checkPage('invoice');

    // ---- The invoice search, with results ----
    await page.getByRole('link', { name: 'Factures', exact: true }).click();
    await page.getByLabel('Rechercher une facture').fill(archiveKey);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByRole('link', { name: archiveKey }).waitFor();
    await page.getByLabel('Rechercher une facture').fill('');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByRole('link', { name: batched.invoice.archiveKey }).waitFor();
    await checkPage('invoices');

    // ---- The batches, then one batch: its phases one under the other ----
    await page.getByRole('link', { name: 'Lots', exact: true }).click();
    await page.getByRole('link', { name: new RegExp(BATCH) }).waitFor();
    await checkPage('batches');
    await page.getByRole('link', { name: new RegExp(BATCH) }).click();
    await page.locator('.meter').waitFor();
    expect(await page.locator('.progress-step.progress-done').count()).toBe(4);
    const steps = await page.locator('.progress-step').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().top));
    expect(steps).toEqual([...steps].sort((x, y) => x - y));
    expect(new Set(steps).size).toBe(4); // one per line, none cut off to the right
    await checkPage('batch');

    // ---- The outbox, then an e-mail ----
    await page.getByRole('link', { name: 'E-mails', exact: true }).click();
    const mail = page.locator('table a.row-link').first();
    await mail.waitFor();
    await checkPage('outbox');
    await mail.click();
    await page.locator('iframe.email-frame').waitFor();
    await checkPage('email');

    // ---- « Rejeu »: today's claims replayed, its chart and tables within the width ----
    await page.locator('#nav-list').getByRole('link', { name: 'Rejeu' }).click();
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel('Reçues du').fill(today);
    await page.getByLabel('au (inclus)').fill(today);
    await page.getByRole('button', { name: 'Lancer le rejeu' }).click();
    await page.locator('[data-chart="matrix"] canvas').waitFor();
    await page.waitForTimeout(300);
    expect(((await page.locator('[data-figure="total"] .tile-value').textContent()) ?? '').replace(/\D/g, '')).toBe('3');
    await checkPage('backtest');

    // ---- An invoice replayed: the two traces one under the other ----
    await page.goto(`${stack.base}/console/factures/${batched.invoice.archiveKey}?rejeu=1`);
    const traces = page.locator('#replay-traces');
    await traces.waitFor();
    const [before, after] = await Promise.all(['before', 'after'].map((side) => traces.locator(`[data-side="${side}"]`).boundingBox()));
    expect(after!.y).toBeGreaterThan(before!.y + before!.height - 1);
    await checkPage('invoice-replay');

    expect(b.problems).toEqual([]);
  }, 180_000);

  it('« Forcer le paiement »: a confirmation first — Annuler or Escape keep the task open, « Confirmer le paiement » pays', async () => {
    const { page } = b;
    const { archiveKey } = paid.invoice;
    const taskId = `${archiveKey}-1`;
    const taskStatus = async () => (await (await stack.api.fetch(`/api/tasks/${taskId}`, { role: 'manager' })).json()).status;

    await page.goto(`${stack.base}/console/taches/${taskId}`);
    await page.getByRole('button', { name: 'Prendre la tâche' }).click();
    await page.locator('.holder-mine').waitFor();

    // A toast (« prise en charge ») is on screen: it stays clear of the submit button, wherever that button sits.
    const submit = page.locator('form.resolve-form button[type="submit"]');
    await page.locator('.choice-label', { hasText: 'Forcer le paiement' }).click();
    expect(await submit.textContent()).toBe('Forcer le paiement');
    await page.locator('.toast').first().waitFor();
    for (const block of ['end', 'center'] as const) {
      const overlap = await submit.evaluate((button, where) => {
        button.scrollIntoView({ block: where });
        const s = button.getBoundingClientRect();
        return Array.from(document.querySelectorAll('.toast')).some((toast) => {
          const t = toast.getBoundingClientRect();
          return t.left < s.right && s.left < t.right && t.top < s.bottom && s.top < t.bottom;
        });
      }, block);
      expect(overlap, `toast over the submit button (button scrolled to the ${block})`).toBe(false);
    }
    expect(await page.locator('.toast').count()).toBeGreaterThan(0);
    // As seen, the button in the middle of the screen. (The menu is not checked here: the toast, at the top, is over
    // it until it goes.)
    await checkPage('task-toast', { chrome: false, fullPage: false });
    await dismissToasts();

    // ---- Annuler: nothing is sent ----
    await submit.click();
    const dialog = page.getByRole('dialog', { name: 'Forcer le paiement ?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(archiveKey);
    expect(await dialog.textContent()).toContain('Aucune réponse ne sera envoyée au PS');
    // The harmless answer has the focus; the dialog fits the screen.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Annuler');
    const box = (await dialog.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(WIDTH);
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
    await b.shot('phone-task-confirm');
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.locator('#resolution').count()).toBe(0);
    expect(await taskStatus()).toBe('open');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Forcer le paiement');

    // ---- Escape: the same ----
    await page.keyboard.press('Enter'); // the submit button has the focus again
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await taskStatus()).toBe('open');
    expect(await page.locator('#resolution').count()).toBe(0);

    // ---- Keyboard only: Tab to « Confirmer le paiement », Enter: paid ----
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Confirmer le paiement');
    await page.keyboard.press('Enter');
    await page.locator('#resolution').waitFor();
    expect(await page.locator('.alert-success').textContent()).toContain('Décision enregistrée : Forcer le paiement');
    expect(await taskStatus()).toBe('resolved');
    expect((await stack.waitForInvoice(archiveKey, (inv) => inv.status === 'paid')).status).toBe('paid');
    await dismissToasts();
    await checkPage('task-resolved');

    // « Se déconnecter » does log out.
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByLabel('Clé d’accès').waitFor();
    expect(b.problems).toEqual([]);
  }, 120_000);

  it('an admin\'s pages too: « Accès » (the access log of decoded reads) and « Webhooks », with the longer menu', async () => {
    const { page } = b;
    await logIn(b, stack.base, stack.api.keys.admin);
    await page.locator('#nav-list').getByRole('link', { name: 'Accès' }).click();
    await page.locator('.table-access, .empty').first().waitFor();
    await checkPage('access', { menu: ADMIN_MENU });
    await page.locator('#nav-list').getByRole('link', { name: 'Webhooks' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/console/webhooks');
    await page.locator('#page-title').waitFor();
    await checkPage('webhooks', { menu: ADMIN_MENU });
    expect(b.problems).toEqual([]);
  }, 120_000);
});
