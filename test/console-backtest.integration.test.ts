// The rules' versions and « Rejeu des règles » in real Chromium on the full stack (pipeline, API, console): an invoice
// and a task name the version of the rules that decided them (the whole version in the title, a link to the invoices
// it decided, which the invoice list then filters by); the back-test page replays the claims of a period, draws the
// from → to chart, and lists a claim whose recorded analysis was altered in the database as moved, with its two
// traces side by side, and its link leads to the invoice page showing them too. Screenshots:
// test-results/console/backtest.png, backtest-invoice.png.
//
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH.

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoices } from '../db/schema.js';
import { chromiumForTests, logIn, openBrowser, readCase, startConsoleStack, type Browsing, type ConsoleStack, closeAll } from './console-stack.js';
import type { CaseFile } from '../rules/types.js';

const ALTERED_TO = 'facture_assure';

let stack: ConsoleStack;
let b: Browsing;
let routed: CaseFile; // « A contrôler »: a manager task
let answered: CaseFile; // care path not respected: answered to the PS; its recorded analysis is altered
let version: string;
let changedStep: string;

const chromium = chromiumForTests();

beforeAll(async () => {
  if (!chromium) return;
  routed = await readCase('examples/cases/a_controler.json', '5800000101');
  answered = await readCase('examples/cases/parcours_soins.json', '5800000102');
  stack = await startConsoleStack('consolebacktest', routed);
  await stack.seed(answered.reference);
  await stack.submit(routed);
  await stack.submit(answered);
  await Promise.all([
    stack.waitForOpenTask(routed.invoice.archiveKey),
    stack.waitForInvoice(answered.invoice.archiveKey, (x) => x.status === 'replied' || x.status === 'awaiting_reply'),
  ]);
  version = (await (await stack.api.fetch('/api/rules/versions', { role: 'manager' })).json()).current;

  // The recorded analysis of `answered` as if older rules had found « Facture Assuré » at the step that fired.
  const db = stack.pipeline.database.db;
  const [row] = await db.select({ analysis: invoices.analysis }).from(invoices).where(eq(invoices.archiveKey, answered.invoice.archiveKey));
  const analysis = structuredClone(row!.analysis!);
  const fired = analysis.result.trace.findIndex((l) => l.result === 'parcours_soins');
  if (fired < 0) throw new Error('no step fired parcours_soins');
  changedStep = analysis.result.trace[fired]!.step;
  analysis.result.motif = ALTERED_TO;
  analysis.result.trace[fired]!.result = ALTERED_TO;
  await db.update(invoices).set({ analysis }).where(eq(invoices.archiveKey, answered.invoice.archiveKey));
  b = await openBrowser();
}, 240_000);

afterAll(() => closeAll(b, stack), 60_000);

const today = () => new Date().toISOString().slice(0, 10);

describe.skipIf(!chromium)('rules versions and the back-test, end to end', () => {
  it('an invoice and a task name the version of the rules; its link filters the invoice list by it', async () => {
    const { page } = b;
    expect(version).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
    await logIn(b, stack.base, stack.people.manager.key);
    await page.locator('#nav-list a').first().waitFor();

    await page.goto(`${stack.base}/console/factures/${answered.invoice.archiveKey}`);
    const tag = page.locator('#decision .rules-version');
    await tag.waitFor();
    expect((await tag.textContent())?.replace(/\s+/g, ' ').trim()).toBe(`Règles ${version.slice(0, version.indexOf('+') + 5)}…`);
    expect(await tag.getAttribute('title')).toContain(version);

    await page.goto(`${stack.base}/console/taches/${routed.invoice.archiveKey}-1`);
    await page.locator('#decision .rules-version').waitFor();
    expect(await page.locator('#decision .rules-version').getAttribute('data-rules-version')).toBe(version);

    await page.locator('#decision .rules-version').click();
    await page.waitForURL(/\/console\/factures\?regles=/);
    expect(new URL(page.url()).searchParams.get('regles')).toBe(version);
    await page.getByRole('link', { name: answered.invoice.archiveKey }).waitFor();
    await page.getByRole('link', { name: routed.invoice.archiveKey }).waitFor();
    expect(await page.getByLabel('Version des règles').inputValue()).toBe(version);
    expect(await page.locator('.card-title').first().textContent()).toContain('2 factures trouvées');
    expect(await page.locator('#current-rules-version').getAttribute('title')).toBe(version);
    expect(b.problems).toEqual([]);
  });

  it('the back-test page replays the period: the chart, the matrix, the moved invoice and its traces side by side', async () => {
    const { page } = b;
    await page.locator('#nav-list').getByRole('link', { name: 'Rejeu' }).click();
    await page.waitForURL(/\/console\/rejeu/);
    await page.getByLabel('Reçues du').fill(today());
    await page.getByLabel('au (inclus)').fill(today());
    await page.getByRole('button', { name: 'Lancer le rejeu' }).click();
    await page.waitForURL(/du=/);
    await page.locator('[data-chart="matrix"] canvas').waitFor();
    await page.waitForTimeout(300); // Chart.js paints on the next frame
    const drawn = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-chart="matrix"] canvas')!;
      const { width, height } = canvas.getBoundingClientRect();
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = false;
      for (let i = 3; i < pixels.length && !painted; i += 4) painted = pixels[i]! > 0;
      return { width, height, painted };
    });
    expect(drawn.width).toBeGreaterThan(100);
    expect(drawn.height).toBeGreaterThan(100);
    expect(drawn.painted).toBe(true);

    const digits = async (selector: string) => ((await page.locator(selector).textContent()) ?? '').replace(/\D/g, '');
    expect(await digits('[data-figure="total"] .tile-value')).toBe('2');
    expect(await digits('[data-figure="moved"] .tile-value')).toBe('1');
    expect(await digits('[data-figure="stayed"] .tile-value')).toBe('1');
    expect(await page.locator(`#backtest-matrix tr[data-from="${ALTERED_TO}"] td[data-to="parcours_soins"]`).textContent()).toBe('1');
    expect(await page.locator(`#backtest-matrix tr[data-from="${ALTERED_TO}"] td[data-to="parcours_soins"]`).getAttribute('class')).toBe('cell-move');
    expect(await page.locator('#backtest-matrix tr[data-from="a_controler"] td[data-to="a_controler"]').getAttribute('class')).toBe('cell-stay');
    expect(await page.locator(`#backtest-per-motif tr[data-motif="${ALTERED_TO}"]`).textContent()).toContain('Facture Assuré');

    const item = page.locator(`#backtest-moved li[data-archive-key="${answered.invoice.archiveKey}"]`);
    expect(await page.locator('#backtest-moved li').count()).toBe(1);
    const head = ((await item.locator('.bt-moved-head').textContent()) ?? '').replace(/\s+/g, ' ');
    expect(head).toContain('Facture Assuré');
    expect(head).toContain('Parcours de soins non respecté');
    expect(head).toContain(`dès ${changedStep}`);
    await item.getByText('Voir les traces côte à côte').click();
    const inline = item.locator('.trace-compare');
    await inline.waitFor();
    expect(await inline.locator('[data-side="before"] .step-changed').getAttribute('data-step')).toBe(changedStep);
    expect(await inline.locator('[data-side="after"] .step-changed').getAttribute('data-step')).toBe(changedStep);
    expect(await inline.locator('[data-side="before"] .step-changed').textContent()).toContain('Facture Assuré');
    expect(await inline.locator('[data-side="after"] .step-changed').textContent()).toContain('Parcours de soins non respecté');
    await b.shot('backtest', { fullPage: true });
    expect(b.problems).toEqual([]);
  });

  it('the moved invoice\'s link leads to its page with the recorded and today\'s traces side by side', async () => {
    const { page } = b;
    await page.locator(`#backtest-moved li[data-archive-key="${answered.invoice.archiveKey}"] .bt-moved-head a.mono`).click();
    await page.waitForURL(new RegExp(`/console/factures/${answered.invoice.archiveKey}\\?rejeu=1$`));
    const traces = page.locator('#replay-traces');
    await traces.waitFor();
    expect(await page.locator('#replay .replay-summary').getAttribute('data-moved')).toBe('true');
    expect(await traces.locator('[data-side="before"] .step-changed').getAttribute('data-step')).toBe(changedStep);
    expect(await traces.locator('[data-side="after"] .step-changed').getAttribute('data-step')).toBe(changedStep);
    expect(await traces.locator('[data-side="before"] .step-changed').textContent()).toContain('Facture Assuré');
    expect(await traces.locator('[data-side="after"] .step-changed').textContent()).toContain('Parcours de soins non respecté');
    // Side by side on a laptop screen: the two columns share a line.
    const [left, right] = await Promise.all(['before', 'after'].map((side) => traces.locator(`[data-side="${side}"]`).boundingBox()));
    expect(Math.abs(left!.y - right!.y)).toBeLessThan(2);
    expect(right!.x).toBeGreaterThan(left!.x + left!.width - 1);
    await b.shot('backtest-invoice', { fullPage: true });

    // An invoice that did not move: « Même décision », from its own page.
    await page.goto(`${stack.base}/console/factures/${routed.invoice.archiveKey}`);
    await page.getByRole('button', { name: 'Rejouer avec les règles actuelles' }).click();
    await page.locator('#replay-traces').waitFor();
    expect(await page.locator('#replay .replay-summary').getAttribute('data-moved')).toBe('false');
    expect(await page.locator('#replay-traces .step-changed').count()).toBe(0);
    await page.waitForURL(/\?rejeu=1$/);

    // An auditor has the page too; the replays were audited.
    await logIn(b, stack.base, stack.people.auditor.key);
    await page.locator('#nav-list').getByRole('link', { name: 'Rejeu' }).waitFor();
    const audit = await (await stack.api.fetch('/api/audit?action=invoice.backtest', { role: 'auditor' })).json();
    expect(audit.entries.map((e: { target: string }) => e.target).sort()).toEqual([routed.invoice.archiveKey, answered.invoice.archiveKey].sort());
    expect(b.problems).toEqual([]);
  });

  it('with « Rejeu », the navigation bar of a manager and of an admin fits laptop and desktop widths', async () => {
    const { page } = b;
    for (const [who, key] of [['manager', stack.people.manager.key], ['admin', stack.api.keys.admin]] as const) {
      await logIn(b, stack.base, key);
      await page.locator('#nav-list').getByRole('link', { name: 'Rejeu' }).click();
      await page.locator('#page-title').waitFor();
      for (const width of [800, 1101, 1200, 1300, 1301, 1440, 1600, 1700, 1701, 1920]) {
        await page.setViewportSize({ width, height: 900 });
        await page.waitForTimeout(50); // the bar is fitted on `resize`
        const overflow = await page.evaluate(() => {
          const bar = document.querySelector('.topbar-inner')!;
          return { page: document.documentElement.scrollWidth - window.innerWidth, bar: bar.scrollWidth - bar.clientWidth };
        });
        expect(overflow, `${who} at ${width} px`).toEqual({ page: 0, bar: 0 });
        // Every entry is still there, named.
        expect(await page.locator('#nav-list .nav-label').allTextContents(), `${who} at ${width} px`)
          .toEqual(expect.arrayContaining(['Tâches', 'Factures', 'Tableau de bord', 'Rejeu']));
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.problems).toEqual([]);
  });
});
