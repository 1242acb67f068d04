// Refused e-mails in the console, in real Chromium: the task of a claim whose PS address the provider refused says
// why it came back; the managers' escalation refused is listed among the refused e-mails, explained, and sent again
// to a fixed address from its page. Screenshots in test-results/console/.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWith } from '../rules/testing/cases.js';
import { chromiumAvailable, openBrowser, startConsoleStack, type Browsing, type ConsoleStack, closeAll, logIn } from './console-stack.js';
import { startFakeResend, type FakeResend } from './fake-resend.js';

const chromium = chromiumAvailable();
if (!chromium && process.env.CI) throw new Error('Chromium is required for the console tests in CI: apt-get install -y chromium');

let resend: FakeResend;
let stack: ConsoleStack;
let b: Browsing;

const aControler = caseWith((x) => { x.invoice.archiveKey = '9300000001'; x.reference.insurers = [{ name: 'MGEN', controlThreshold: 1 }]; });
const toPractitioner = caseWith((x) => { x.invoice.archiveKey = '9300000002'; x.invoice.flags!.addressedToInsured = true; });

beforeAll(async () => {
  if (!chromium) return;
  resend = await startFakeResend();
  resend.refuse('chefs@almerys.example');
  resend.refuse('contact@ide-parc.example.org');
  stack = await startConsoleStack('consolerefusals', aControler, {
    env: { RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url, TASK_SLA: '1s', MANAGERS_EMAIL: 'chefs@almerys.example' },
  });
  b = await openBrowser();
  await logIn(b, stack.base, stack.people.manager.key);
  await b.page.getByRole('heading', { level: 1 }).first().waitFor();
}, 180_000);

afterAll(() => closeAll(b, stack, resend), 60_000);

describe.skipIf(!chromium)('refused e-mails in the console', () => {
  it('a task handed back because the PS address was refused says so, with the provider\'s reason', async () => {
    await stack.submit(toPractitioner);
    const taskId = await stack.waitForOpenTask('9300000002');
    await b.page.goto(`${stack.base}/console/taches/${taskId}`);
    const alert = b.page.locator('.alert', { hasText: 'La réponse au PS n’a pas pu être envoyée' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('adresse e-mail refusée par le prestataire');
    await b.shot('task-address-refused', { fullPage: true });
    expect(b.problems).toEqual([]);
  }, 60_000);

  it('the refused escalation: listed as refused, explained, sent again to a fixed address from its page', async () => {
    await stack.submit(aControler);
    const taskId = await stack.waitForOpenTask('9300000001');
    const id = `escalation:${taskId}`;
    for (let i = 0; ; i++) {
      const mail = await (await stack.api.fetch(`/api/outbox/${encodeURIComponent(id)}`, { role: 'manager' })).json();
      if (mail.status === 'failed') break;
      if (i > 300) throw new Error('the escalation was never refused');
      await new Promise((r) => setTimeout(r, 100));
    }
    await b.page.goto(`${stack.base}/console/emails`);
    await b.page.getByLabel('Statut').selectOption('failed');
    await b.page.getByRole('button', { name: 'Filtrer' }).click();
    await b.page.waitForURL(/status=failed/);
    const row = b.page.getByRole('link', { name: /retard/i }).first();
    await row.waitFor();
    await row.click();
    const alert = b.page.locator('.alert', { hasText: 'Adresse refusée par le prestataire d’envoi' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Invalid `to` field');
    await b.shot('email-refused', { fullPage: true });

    await b.page.getByLabel('Destinataire(s), séparés par des virgules').fill('direction@almerys.example');
    await b.page.getByRole('button', { name: 'Renvoyer' }).click();
    await b.page.getByText('E-mail renvoyé').waitFor();
    for (let i = 0; ; i++) {
      await b.page.reload();
      const badge = await b.page.locator('.page-header .badge').first().textContent();
      if (badge?.includes('envoyé')) break;
      if (i > 50) throw new Error(`still « ${badge} »`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await b.page.getByText('direction@almerys.example').count()).toBeGreaterThan(0);
    expect(resend.deliveries.filter((d) => d.idempotencyKey === `${id}:retry-1`)).toHaveLength(1);
    await b.shot('email-sent-again');
    expect(b.problems).toEqual([]);
  }, 90_000);
});
