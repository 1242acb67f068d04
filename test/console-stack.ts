// The full stack behind the console, for browser tests: the real pipeline of test/harness.ts (Temporal dev server of
// the run, PostgreSQL, a worker), the real API (api/app.ts buildApp, which serves the console at /console/), real
// API keys, and real Chromium driven by playwright-core.

import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { seedReference } from '../db/seed.js';
import type { CaseFile, ReferenceData } from '../rules/types.js';
import { createPipeline, type Pipeline, type RunningApi } from './harness.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots kept as artefacts of the run (git-ignored). */
export const ARTEFACTS = join(process.cwd(), 'test-results', 'console');
/** A laptop screen. */
export const VIEWPORT = { width: 1440, height: 900 };
/** A phone held upright (CSS pixels). */
export const PHONE_VIEWPORT = { width: 390, height: 844 };

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * Whether a browser test file runs: Chromium is here. CI installs it (.ci/run): there a missing browser is a failure,
 * never a silent skip; elsewhere the file warns and its tests are skipped.
 */
export function chromiumForTests(): boolean {
  const available = chromiumAvailable();
  if (!available && process.env.CI) throw new Error('Chromium is required for the console tests in CI: apt-get install -y chromium');
  if (!available) console.warn(`console tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  return available;
}

/**
 * A case file, under its own critère d'archivage: test files share one Temporal server, where a workflow id
 * (`invoice-<critère>`) already used by another file's examples would be that file's workflow.
 */
export async function readCase(path: string, archiveKey: string): Promise<CaseFile> {
  const json = JSON.parse(await readFile(path, 'utf8'));
  const c = (json.case ?? json) as CaseFile;
  c.invoice.archiveKey = archiveKey;
  return c;
}

export interface ConsoleStack {
  pipeline: Pipeline;
  api: RunningApi;
  /** The console's address: `<base>/console/`. */
  base: string;
  /** Keys with a person's name (what the console shows as « assignée à », « résolue par »). */
  people: { manager: { key: string; name: string }; auditor: { key: string; name: string } };
  /** Submits a claim as the submitter role; returns its id (the critère d'archivage). */
  submit(c: CaseFile): Promise<string>;
  /** Adds reference data (AGAPS, PROTIPS…) for further cases. */
  seed(reference: ReferenceData | undefined): Promise<void>;
  /** Submits a « multi factures » document (one receivedOn for all, the first case's). */
  submitBatch(batchId: string, cases: CaseFile[]): Promise<void>;
  /** Polls GET /api/batches/:id until `check` accepts it. */
  waitForBatch(id: string, check: (batch: { status: string }) => boolean, timeoutMs?: number): Promise<{ status: string }>;
  /** Polls the API until `check` accepts the invoice (or times out). */
  waitForInvoice(id: string, check: (invoice: { status: string }) => boolean, timeoutMs?: number): Promise<{ status: string }>;
  /** Polls the API until the claim has an open task; returns its id. */
  waitForOpenTask(archiveKey: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startConsoleStack(label: string, c: CaseFile, options: { env?: NodeJS.ProcessEnv } = {}): Promise<ConsoleStack> {
  const pipeline = await createPipeline(label, c.reference ?? {}, { env: options.env });
  try {
    const api = await pipeline.startApi();
    const manager = { name: 'Claire Martin', key: (await api.deps.keys.create({ role: 'manager', name: 'Claire Martin' })).key };
    const auditor = { name: 'Sophie Bernard', key: (await api.deps.keys.create({ role: 'auditor', name: 'Sophie Bernard' })).key };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const stack: ConsoleStack = {
      pipeline, api, base: api.base, people: { manager, auditor },
      async submit(caseFile) {
        const res = await api.fetch('/api/invoices', {
          method: 'POST', role: 'submitter', json: { invoice: caseFile.invoice, receivedOn: caseFile.receivedOn },
        });
        if (res.status !== 202) throw new Error(`submission refused: ${res.status} ${await res.text()}`);
        return (await res.json()).id;
      },
      async seed(reference) {
        if (reference) await seedReference(pipeline.database.db, reference);
      },
      async submitBatch(batchId, cases) {
        const res = await api.fetch('/api/batches', {
          method: 'POST', role: 'submitter', json: { batchId, receivedOn: cases[0]!.receivedOn, invoices: cases.map((x) => x.invoice) },
        });
        if (res.status !== 202) throw new Error(`batch refused: ${res.status} ${await res.text()}`);
      },
      async waitForBatch(id, check, timeoutMs = 60_000) {
        const end = Date.now() + timeoutMs;
        let last: { status: string } | null = null;
        while (Date.now() < end) {
          const res = await api.fetch(`/api/batches/${id}`, { role: 'auditor' });
          if (res.ok) {
            last = await res.json();
            if (check(last!)) return last!;
          }
          await sleep(200);
        }
        throw new Error(`batch ${id}: still ${last?.status ?? 'unknown'} after ${timeoutMs} ms`);
      },
      async waitForInvoice(id, check, timeoutMs = 30_000) {
        const end = Date.now() + timeoutMs;
        let last: { status: string } | null = null;
        while (Date.now() < end) {
          const res = await api.fetch(`/api/invoices/${id}`, { role: 'auditor' });
          if (res.ok) {
            last = await res.json();
            if (check(last!)) return last!;
          }
          await sleep(100);
        }
        throw new Error(`invoice ${id}: still ${last?.status ?? 'unknown'} after ${timeoutMs} ms`);
      },
      async waitForOpenTask(archiveKey, timeoutMs = 30_000) {
        const end = Date.now() + timeoutMs;
        while (Date.now() < end) {
          const list = await (await api.fetch(`/api/tasks?status=open&q=${archiveKey}`, { role: 'manager' })).json();
          const task = list.items?.find((t: { archiveKey: string }) => t.archiveKey === archiveKey);
          if (task) return task.id as string;
          await sleep(100);
        }
        throw new Error(`no open task for ${archiveKey} after ${timeoutMs} ms`);
      },
      async close() {
        // The browser is gone: close every connection at once rather than waiting for an idle keep-alive one to time
        // out (fastify only closes the connections idle at the moment close() is called).
        const closing = api.app.close();
        api.app.server.closeAllConnections();
        await closing;
        await pipeline.close();
      },
    };
    return stack;
  } catch (error) {
    await pipeline.close();
    throw error;
  }
}

export interface Browsing {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** What went wrong in the page: uncaught errors, console errors other than expected HTTP statuses. */
  problems: string[];
  shot(name: string, options?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** `phone`: a touch screen of PHONE_VIEWPORT (mobile viewport rules, 2 device pixels per CSS pixel). */
export async function openBrowser(options: { phone?: boolean } = {}): Promise<Browsing> {
  await mkdir(ARTEFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const screen = options.phone
    ? { viewport: PHONE_VIEWPORT, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
    : { viewport: VIEWPORT };
  const context = await browser.newContext({ ...screen, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // A failed request is logged by Chromium as a console error; the console expects some (401 before login,
    // 404 when probing optional endpoints) and handles them. Anything else is a problem.
    if (/Failed to load resource: the server responded with a status of (401|404)/.test(text)) return;
    // The e-mail preview's sandbox blocking a script is the sandbox doing its job.
    if (/Blocked script execution in 'about:srcdoc'/.test(text)) return;
    problems.push(`console error: ${text}`);
  });
  return {
    browser, context, page, problems,
    async shot(name, options = {}) {
      const path = join(ARTEFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: options.fullPage ?? false });
      return path;
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}

/** Logs into the console at `base` with `key`, from a fresh session (whatever a previous test left). */
export async function logIn(b: Browsing, base: string, key: string): Promise<void> {
  await b.context.clearCookies();
  await logInPage(b.page, base, key);
}

/** Logs in from the console's login page, in the page's own browser context (another session than `Browsing`'s). */
export async function logInPage(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.getByLabel('Clé d’accès').fill(key);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

/** Closes what a test file opened, in order (its browser before its stack), skipping what was never opened. */
export async function closeAll(...opened: ({ close(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const thing of opened) await thing?.close();
}
