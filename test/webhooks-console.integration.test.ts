// The console's « Webhooks » page in real Chromium on the full stack (pipeline, API, the worker's dispatcher, a local
// receiver): an admin adds an endpoint (its secret shown once), a claim decided reaches the receiver, the page lists the
// delivery as delivered, the endpoint is disabled from the page. Managers have no « Webhooks » entry. Screenshot:
// test-results/console/webhooks.png.
//
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDispatcher } from '../activities/webhook-dispatcher.js';
import { loadConfig } from '../config.js';
import type { CaseFile } from '../rules/types.js';
import { startWebhookDispatcher } from '../worker.js';
import { chromiumForTests, closeAll, logIn, openBrowser, readCase, startConsoleStack, type Browsing, type ConsoleStack } from './console-stack.js';
import { until } from './harness.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const chromium = chromiumForTests();
let stack: ConsoleStack;
let b: Browsing;
let receiver: WebhookReceiver;
let dispatcher: WebhookDispatcher;
let paid: CaseFile;

beforeAll(async () => {
  if (!chromium) return;
  paid = await readCase('examples/cases/paid.json', '9700000001');
  stack = await startConsoleStack('webhookconsole', paid);
  receiver = await startWebhookReceiver();
  const config = loadConfig({ ...process.env, TASK_QUEUE: stack.pipeline.taskQueue, WEBHOOK_SWEEP_INTERVAL: '1s' });
  dispatcher = await startWebhookDispatcher(stack.pipeline.database, stack.pipeline.client, config, { warn: () => undefined, info: () => undefined });
  b = await openBrowser();
}, 240_000);

afterAll(async () => {
  await dispatcher?.stop();
  await closeAll(b, stack, receiver);
}, 60_000);

describe.skipIf(!chromium)('the « Webhooks » page', () => {
  it('an admin adds an endpoint, sees its deliveries and disables it', async () => {
    const { page } = b;
    const admin = await stack.api.deps.keys.create({ role: 'admin', name: 'Camille Durand' });
    await logIn(b, stack.base, admin.key);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(/\/console\/webhooks/);
    await page.getByLabel('Adresse (URL)').fill(receiver.url('console'));
    await page.getByLabel('Description').fill('Récepteur de test');
    await page.getByRole('button', { name: 'Ajouter' }).click();
    const secret = await page.locator('.webhook-secret').textContent();
    expect(secret).toMatch(/^whsec_/);
    await page.locator('.table-webhooks tbody tr').first().waitFor();

    await stack.submit(paid);
    await until('the webhook', async () => receiver.received('console').length > 0, 60_000);
    await page.getByRole('link', { name: 'Envois' }).click();
    const row = page.locator('.table-deliveries tbody tr').first();
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('delivered');
    expect(await row.textContent()).toContain('9700000001');
    await b.shot('webhooks', { fullPage: true });
    // Nothing scrolls sideways, the admin's longer navigation bar included.
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);

    await page.getByRole('button', { name: 'Désactiver' }).click();
    await page.getByRole('button', { name: 'Réactiver' }).waitFor();
    const [endpoint] = (await (await stack.api.fetch('/api/webhooks')).json()).items;
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: 'manual', description: 'Récepteur de test' });
    expect(b.problems).toEqual([]);
  }, 120_000);

  it('managers have no « Webhooks » entry', async () => {
    const { page } = b;
    await logIn(b, stack.base, stack.people.manager.key);
    await page.locator('#nav-list a').first().waitFor();
    expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
  });
});
