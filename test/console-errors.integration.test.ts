// The API's refusals as a manager reads them in the console, in real Chromium on the full stack: in French, from the
// API's problem details (api/errors.ts) — a 409 when a colleague took the task first, a 404 for an invoice that does
// not exist. The task page's live stream is cut for the 409 (page.route), so that the page still offers the task when
// the click reaches the API: the refusal itself is what is shown.
//
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTEFACTS, chromiumForTests, logIn, openBrowser, readCase, startConsoleStack, type Browsing, type ConsoleStack, closeAll } from './console-stack.js';

const CASE_FILE = 'examples/cases/a_controler.json';
const ARCHIVE_KEY = '9460000001';

let stack: ConsoleStack;
let b: Browsing;
const chromium = chromiumForTests();

beforeAll(async () => {
  if (!chromium) return;
  stack = await startConsoleStack('console_errors', await readCase(CASE_FILE, ARCHIVE_KEY));
  b = await openBrowser();
}, 180_000);

afterAll(() => closeAll(b, stack), 60_000);

/** No English sentence of the API's old messages. */
const ENGLISH = /\b(not found|is claimed by|already resolved|Invalid request|Forbidden|No route|must be|is required|must not)\b/i;

describe.skipIf(!chromium)('the console: the API\'s refusals in French', () => {
  it('a 409 (a colleague took the task first) and a 404 (no such invoice) are said in French', async () => {
    const archiveKey = await stack.submit(await readCase(CASE_FILE, ARCHIVE_KEY));
    const taskId = await stack.waitForOpenTask(archiveKey);
    const page = b.page;
    await logIn(b, stack.base, stack.people.manager.key);
    await expect.poll(() => page.locator('.user-name').textContent()).toBe(stack.people.manager.name);

    // 409: the page is open, its live stream cut; a colleague takes the task through the API; the click is refused.
    await page.route('**/api/events', (route) => route.abort());
    await page.goto(`${stack.base}/console/taches/${taskId}`);
    const take = page.getByRole('button', { name: 'Prendre la tâche' });
    await take.waitFor();
    const colleague = await stack.api.deps.keys.create({ role: 'manager', name: 'Paul Durand' });
    const taken = await fetch(`${stack.base}/api/tasks/${taskId}/claim`, { method: 'POST', headers: { authorization: `Bearer ${colleague.key}` } });
    expect(taken.status).toBe(200);
    await take.click();
    const alert = page.getByRole('alert').filter({ hasText: 'La tâche a changé entre-temps' });
    await alert.waitFor();
    const said = await alert.textContent();
    expect(said).toContain(`La tâche ${taskId} est prise par Paul Durand`);
    expect(said).not.toMatch(ENGLISH);
    await page.screenshot({ path: join(ARTEFACTS, 'refusal-409.png') });
    await page.unroute('**/api/events');

    // 404: an invoice that does not exist.
    await page.goto(`${stack.base}/console/factures/2999999999`);
    const heading = page.getByRole('heading', { name: 'Introuvable' });
    await heading.waitFor();
    const main = await page.locator('main').textContent();
    expect(main).toContain('La facture 2999999999 : introuvable');
    expect(main).not.toMatch(ENGLISH);
    await page.screenshot({ path: join(ARTEFACTS, 'refusal-404.png') });
  }, 120_000);
});
