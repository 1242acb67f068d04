// The console live, in real Chromium on the full stack: two managers in two browser sessions on the same task page
// (the second one also has the inbox open in another tab). Claire takes the task; Julien's task page says she holds
// it and no longer offers « Prendre la tâche », and his inbox shows her as the assignee, without any reload, within
// two seconds (GET /api/events, api/live.ts). She releases it: his page offers it again.
//
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { ARTEFACTS, VIEWPORT, chromiumForTests, logInPage, openBrowser, readCase, startConsoleStack, type Browsing, type ConsoleStack, closeAll } from './console-stack.js';

const CASE_FILE = 'examples/cases/a_controler.json';
const LIVE_WITHIN_MS = 2000;

let stack: ConsoleStack;
let b: Browsing;
let other: BrowserContext;
const problems: string[] = [];

const chromium = chromiumForTests();

beforeAll(async () => {
  if (!chromium) return;
  const c = await readCase(CASE_FILE, '9450000001');
  stack = await startConsoleStack('console_live', c);
  b = await openBrowser();
  // A second browser session (its own cookies): another manager.
  other = await b.browser.newContext({ viewport: VIEWPORT, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
}, 180_000);

afterAll(() => closeAll(other, b, stack), 60_000);

async function login(page: Page, key: string, name: string): Promise<void> {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await logInPage(page, stack.base, key);
  await expect.poll(() => page.locator('.user-name').textContent()).toBe(name);
}

describe.skipIf(!chromium)('the console, live', () => {
  it('one manager takes the task: the other\'s task page and inbox show it without reload', async () => {
    const julien = { name: 'Julien Petit', key: (await stack.api.deps.keys.create({ role: 'manager', name: 'Julien Petit' })).key };
    const claire = stack.people.manager;
    const archiveKey = await stack.submit(await readCase(CASE_FILE, '9450000001'));
    const taskId = await stack.waitForOpenTask(archiveKey);
    const taskUrl = `${stack.base}/console/taches/${taskId}`;

    const pageA = b.page;
    await login(pageA, claire.key, claire.name);
    const pageB = await other.newPage();
    await login(pageB, julien.key, julien.name);
    const inboxB = await other.newPage();
    inboxB.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await inboxB.goto(`${stack.base}/console/taches`);
    const rowB = inboxB.locator(`tr[data-task-id="${taskId}"]`);
    await rowB.waitFor();
    expect(await rowB.textContent()).toContain('Non assignée');

    for (const page of [pageA, pageB]) {
      await page.goto(taskUrl);
      await page.getByRole('button', { name: 'Prendre la tâche' }).waitFor();
    }
    // Every page holds its stream: Claire's task page, Julien's task page and inbox.
    await expect.poll(() => stack.api.app.live.clients, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    // Whatever is in these windows survives only if they are not reloaded.
    for (const page of [pageB, inboxB]) await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });

    await pageA.getByRole('button', { name: 'Prendre la tâche' }).click();
    await pageA.locator('.holder-mine').waitFor();
    const claimedAt = Date.now();

    // Julien's task page: Claire holds it, nothing to take.
    const holder = pageB.locator('.holder-other');
    await holder.waitFor({ timeout: LIVE_WITHIN_MS });
    expect(Date.now() - claimedAt).toBeLessThan(LIVE_WITHIN_MS);
    expect((await holder.textContent())?.replace(/\s+/g, ' ')).toContain('Prise en charge par Claire Martin');
    expect(await pageB.getByRole('button', { name: 'Prendre la tâche' }).count()).toBe(0);
    await expect.poll(() => pageB.locator('#events').textContent()).toContain('Claire Martin');
    // His inbox: the row names her.
    await expect.poll(() => rowB.textContent(), { timeout: LIVE_WITHIN_MS }).toContain('Claire Martin');
    for (const page of [pageB, inboxB]) {
      expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    }
    await pageB.screenshot({ path: join(ARTEFACTS, 'live-task.png') });

    // She releases it: his page offers it again; hers did not reload on her own action's event (it reloaded itself).
    await pageA.getByRole('button', { name: 'Libérer' }).click();
    await pageB.getByRole('button', { name: 'Prendre la tâche' }).waitFor({ timeout: LIVE_WITHIN_MS });
    await expect.poll(() => rowB.textContent(), { timeout: LIVE_WITHIN_MS }).toContain('Non assignée');
    expect(await pageB.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    // Leaving the pages closes their streams.
    await pageB.close();
    await inboxB.close();
    await pageA.goto('about:blank');
    await expect.poll(() => stack.api.app.live.clients, { timeout: 10_000 }).toBe(0);
    expect([...problems, ...b.problems]).toEqual([]);
  });
});
