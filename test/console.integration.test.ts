// The managers' console in real Chromium, on the full stack (Temporal dev server, PostgreSQL, worker, API):
// an « A contrôler » claim is submitted, a manager logs in, finds the task in the inbox (with its motif count),
// opens it, reads the trace G0…G8, takes it, forces the payment (and confirms it), and follows the invoice to « payée ».
// Screenshots are kept in test-results/console/ (login, inbox, task, invoice timeline).
//
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumForTests, logIn, openBrowser, readCase, startConsoleStack, type Browsing, type ConsoleStack, closeAll } from './console-stack.js';
import type { CaseFile } from '../rules/types.js';

const CASE_FILE = 'examples/cases/a_controler.json';
const STEP_TITLES = [
  'G0 Document', 'G1 État de la facture dans AGICA', 'G2 PS dans AGAPS', 'G3 Éléments manquants', 'G4 Analyse de la facture globale',
  'G5 Bénéficiaire dans PROTIPS', 'G6 Droits à la date des soins', 'G7 Contenu de la facture', 'G8 Saisie et valorisation VALERYS',
];

let stack: ConsoleStack;
let b: Browsing;
let c: CaseFile;
let archiveKey: string;

const chromium = chromiumForTests();

beforeAll(async () => {
  if (!chromium) return;
  c = await readCase(CASE_FILE, '9100000001');
  stack = await startConsoleStack('console', c);
  b = await openBrowser();
}, 180_000);

afterAll(() => closeAll(b, stack), 60_000);

/** Logs in from a fresh session (whatever the previous test left). */
const login = (_page: Page, key: string) => logIn(b, stack.base, key);

async function logout(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.getByLabel('Clé d’accès').waitFor();
}

describe.skipIf(!chromium)('the console, end to end', () => {
  it('serves the console: index.html for deep links (UTF-8, CSP), the modules, never the TypeScript sources', async () => {
    const deep = await fetch(`${stack.base}/console/taches/2901122401-1`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(deep.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await deep.text()).toContain('<html lang="fr">');
    for (const path of ['/console', '/console/']) {
      expect((await fetch(`${stack.base}${path}`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
    }
    const js = await fetch(`${stack.base}/console/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect((await fetch(`${stack.base}/console/styles.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${stack.base}/console/routes.ts`)).status).toBe(404);
    expect((await fetch(`${stack.base}/console/lib/missing.js`)).status).toBe(404);
    expect((await fetch(`${stack.base}/console/%2e%2e/app.ts`)).status).toBe(404);
  });

  it('the login page: a labelled key field; a wrong key is refused and said so', async () => {
    const { page } = b;
    await page.goto(`${stack.base}/console/taches`);
    // Not logged in: the login page, wherever one lands.
    const key = page.getByLabel('Clé d’accès');
    await key.waitFor();
    expect(await page.title()).toContain('Connexion');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('login-key');
    await b.shot('login');

    await key.fill('tpr_aaaaaaaa_wrongwrongwrongwrongwrongwrongwrongwrongwro');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').filter({ hasText: 'Clé inconnue' }).waitFor();
    expect(await key.getAttribute('aria-invalid')).toBe('true');
    await b.shot('login-refused');
  });

  it('« A contrôler »: inbox with its motif count → task with its trace → « Forcer le paiement » → invoice payée', async () => {
    const { page } = b;
    archiveKey = await stack.submit(c);
    expect(archiveKey).toBe(c.invoice.archiveKey);
    const taskId = await stack.waitForOpenTask(archiveKey);

    // ---- Login as a manager → the inbox ----
    await login(page, stack.people.manager.key);
    await page.locator('.table-tasks').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/taches');
    expect(await page.title()).toBe('Tâches · Rejets TP');
    await expect.poll(() => page.locator('.user-name').textContent()).toBe('Claire Martin');
    const chip = page.locator('[data-motif="a_controler"]');
    await chip.waitFor();
    expect(await chip.getAttribute('aria-pressed')).toBe('false');
    expect((await chip.textContent())?.replace(/\s+/g, ' ')).toMatch(/A contrôler\s*1 tâche$/);
    const row = page.locator(`tr[data-task-id="${taskId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('A contrôler');
    expect(await row.textContent()).toContain('Décision requise');
    expect(await row.textContent()).toContain(c.invoice.practitionerNumber!);
    await b.shot('inbox');

    // The motif chip filters the list (and says so).
    await chip.click();
    await expect.poll(() => chip.getAttribute('aria-pressed')).toBe('true');
    expect(new URL(page.url()).searchParams.get('motif')).toBe('a_controler');

    // ---- The task page ----
    await row.getByRole('link').click();
    await page.locator('ol.trace').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/taches/${taskId}`);
    expect(await page.title()).toBe(`Tâche ${taskId} · Rejets TP`);
    const steps = page.locator('ol.trace > li');
    const titles = (await steps.evaluateAll((els) => els.map((el) => `${el.querySelector('.step-code')?.textContent} ${el.querySelector('.step-title')?.textContent}`)));
    expect(titles.slice(0, 9)).toEqual(STEP_TITLES);
    // G8 found the motif: highlighted, with its facts; the steps before it passed.
    const fired = page.locator('ol.trace > li[aria-current="step"]');
    expect(await fired.count()).toBe(1);
    expect(await fired.getAttribute('data-step')).toBe('G8');
    expect(await fired.textContent()).toContain('A contrôler');
    expect(await fired.textContent()).toContain('seuil de contrôle');
    expect(await page.locator('ol.trace > li.step-done').count()).toBe(8);
    // The suggested motif, the decision it waits for, the reply, the claim's key fields (the NIR in full, here only).
    const decision = page.locator('#decision');
    expect(await decision.textContent()).toContain('« A contrôler » attend votre décision');
    expect(await page.locator('.reply-preview blockquote').textContent()).toContain('en cours de contrôle');
    const invoiceCard = page.locator('#invoice');
    expect(await invoiceCard.textContent()).toContain(c.invoice.beneficiary!.nir!);
    expect(await invoiceCard.textContent()).toContain('ROCHE Xavier');
    expect(page.url()).not.toContain(c.invoice.beneficiary!.nir!);
    expect(await page.title()).not.toContain(c.invoice.beneficiary!.nir!);
    await b.shot('task', { fullPage: true });

    // ---- Take it, then force the payment ----
    await page.getByRole('button', { name: 'Prendre la tâche' }).click();
    await page.locator('.holder-mine').waitFor();
    await page.locator('.choice-label', { hasText: 'Forcer le paiement' }).click();
    expect(await page.getByRole('radio', { name: /Forcer le paiement/ }).isChecked()).toBe(true);
    await page.getByLabel(/Commentaire/).fill('Contrôle effectué : montant conforme');
    const submit = page.locator('form.resolve-form button[type="submit"]');
    expect(await submit.textContent()).toBe('Forcer le paiement');
    await submit.click();
    // Asked once more, saying what will happen; nothing is sent before the confirmation.
    const confirm = page.getByRole('dialog', { name: 'Forcer le paiement ?' });
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(archiveKey);
    expect(await confirm.textContent()).toContain('Aucune réponse ne sera envoyée au PS');
    expect(await page.locator('#resolution').count()).toBe(0);
    await confirm.getByRole('button', { name: 'Confirmer le paiement' }).click();
    await page.locator('#resolution').waitFor();
    expect(await page.locator('.alert-success').textContent()).toContain('Décision enregistrée : Forcer le paiement');
    // The audit trail: who took it and who resolved it, when.
    const events = await page.locator('#events li .event-title').allTextContents();
    expect(events.map((e) => e.replace(/\s+/g, ' ').trim())).toEqual([
      'Tâche créée', 'Prise en charge · Claire Martin', 'Résolue · Claire Martin',
    ]);
    expect(await page.locator('#events').textContent()).toContain('Contrôle effectué : montant conforme');
    await page.keyboard.press('Escape'); // the toasts go (they would hide part of the screenshot)
    await page.locator('.toast').first().waitFor({ state: 'detached' });
    await b.shot('task-resolved', { fullPage: true });

    // ---- The invoice: its workflow finishes, paid ----
    await page.getByRole('link', { name: 'Suivre la facture' }).click();
    await page.locator('ol.timeline').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/factures/${archiveKey}`);
    await page.locator('#invoice-status[data-status="paid"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#invoice-status').textContent()).toBe('payée');
    await page.locator('.tl-item[data-kind="finished"]').waitFor({ timeout: 30_000 });
    const timeline = (await page.locator('ol.timeline').textContent()) ?? '';
    expect(timeline).toContain('Réclamation reçue');
    expect(timeline).toContain('Tâche prise en charge');
    expect(timeline).toContain('Tâche résolue');
    expect(timeline).toContain('Traitement terminé');
    expect(await page.locator('#claim').textContent()).toContain(c.invoice.beneficiary!.nir!);
    expect(await page.locator('ol.timeline .step-pill').count()).toBe(9);
    expect(await page.locator('#trace .step-pill').count()).toBe(9);
    await page.keyboard.press('Escape');
    await page.locator('.toast').first().waitFor({ state: 'detached' });
    await b.shot('invoice-timeline', { fullPage: true });

    const state = await stack.waitForInvoice(archiveKey, (inv) => inv.status === 'paid');
    expect(state.status).toBe('paid');
    expect(b.problems).toEqual([]);
    await logout(page);
  }, 120_000);

  it('an auditor reads the same task without any action button; a submitter is refused the console pages', async () => {
    const { page } = b;
    await login(page, stack.people.auditor.key);
    await page.locator('.table-tasks, .empty').first().waitFor();
    await page.goto(`${stack.base}/console/taches?status=resolved`);
    const row = page.locator(`tr[data-task-id="${archiveKey}-1"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Forcer le paiement');
    expect(await row.textContent()).toContain('Claire Martin');
    await row.getByRole('link').click();
    await page.locator('ol.trace').waitFor();
    expect(await page.getByRole('button', { name: /Prendre la tâche|Libérer|Forcer le paiement/ }).count()).toBe(0);
    expect(await page.locator('form.resolve-form').count()).toBe(0);
    await logout(page);

    await login(page, stack.api.keys.submitter);
    await page.getByRole('heading', { name: 'Accès refusé' }).waitFor();
    await logout(page);
  }, 60_000);

  it('invoice search by NIR: the NIR stays out of the address bar and the title', async () => {
    const { page } = b;
    b.problems.length = 0; // the submitter's 403s above were expected
    await login(page, stack.people.manager.key);
    await page.locator('.table-tasks, .empty').first().waitFor();
    await page.getByRole('link', { name: 'Factures' }).click();
    const search = page.getByLabel('Rechercher une facture');
    await search.fill(c.invoice.beneficiary!.nir!);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const link = page.getByRole('link', { name: archiveKey });
    await link.waitFor();
    expect(page.url()).not.toContain(c.invoice.beneficiary!.nir!);
    expect(await page.title()).not.toContain(c.invoice.beneficiary!.nir!);
    await link.click();
    await page.locator('#invoice-status[data-status="paid"]').waitFor();
    // Back: the search comes back from the page's history state, not from the URL.
    await page.goBack();
    await page.getByRole('link', { name: archiveKey }).waitFor();
    expect(await page.getByLabel('Rechercher une facture').inputValue()).toBe(c.invoice.beneficiary!.nir!);
    expect(page.url()).toBe(`${stack.base}/console/factures`);
    expect(b.problems).toEqual([]);
  }, 60_000);

  it('a batch: its progress to « FIN OK », then its e-mail to the PS, shown sandboxed with the NIR masked', async () => {
    const { page } = b;
    b.problems.length = 0;
    const ps = await readCase('examples/cases/parcours_soins.json', '9100000002');
    await stack.seed(ps.reference);
    const nir = ps.invoice.beneficiary!.nir!;
    const batchId = 'lot-console-1';
    await stack.submitBatch(batchId, [ps]);
    await stack.waitForBatch(batchId, (x) => x.status === 'closed');

    await login(page, stack.people.manager.key);
    await page.locator('.table-tasks, .empty').first().waitFor();
    await page.getByRole('link', { name: 'Lots' }).click();
    await page.getByRole('link', { name: new RegExp(batchId) }).click();
    await page.locator('.meter').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/lots/${batchId}`);
    expect(await page.locator('.big-number').textContent()).toBe('100 %');
    expect(await page.locator('.page-header').textContent()).toContain('GTO : FIN OK');
    expect(await page.locator('.progress-step.progress-done').count()).toBe(4);
    await b.shot('batch', { fullPage: true });

    await page.getByRole('link', { name: 'E-mails du lot' }).click();
    const mail = page.locator('table a.row-link').first();
    await mail.waitFor();
    expect(new URL(page.url()).searchParams.get('batchId')).toBe(batchId);
    expect(await mail.textContent()).toBe(`Traitement de vos réclamations PS ${ps.invoice.practitionerNumber}`);
    await b.shot('outbox');
    await mail.click();
    const frame = page.locator('iframe.email-frame');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).toBe('');
    const srcdoc = (await frame.getAttribute('srcdoc')) ?? '';
    expect(srcdoc).toContain('BORDEREAU');
    expect(srcdoc).not.toContain(nir);
    expect(srcdoc).toContain(`•••••••••${nir.slice(-4)}`);
    expect(await page.locator('.page-email').textContent()).toContain('service.azur@almerys.com');
    await page.getByRole('tab', { name: 'Version texte' }).click();
    expect(await page.locator('.email-text').textContent()).not.toContain(nir);
    await page.getByRole('tab', { name: 'Aperçu HTML' }).click();
    await b.shot('email', { fullPage: true });

    // The invoice: replied, with its e-mail and its Trame.
    await page.getByRole('link', { name: ps.invoice.archiveKey }).click();
    await page.locator('#invoice-status[data-status="replied"]').waitFor();
    const outputs = page.locator('#outputs');
    await outputs.getByRole('link', { name: 'Voir l’e-mail' }).waitFor();
    const trame = outputs.getByRole('link', { name: /Télécharger/ });
    const download = await page.request.get(`${stack.base}${await trame.getAttribute('href')}`);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-type']).toContain('spreadsheetml');
    expect(b.problems).toEqual([]);
  }, 120_000);
});
