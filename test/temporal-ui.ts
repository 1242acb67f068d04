// The Temporal Web UI in a real Chromium, as `npm start` serves it: under the console's origin (/temporal/), a
// manager logged into the console reads the claim's decoded input (the codec server gets the session cookie); the
// same browser on the UI server's own origin, or anyone without a session, sees no personal data.

import type { Browser } from 'playwright-core';

export interface TemporalUiProbe {
  /** The API's base URL (console, codec, /temporal/). */
  base: string;
  /** The UI server's own URL, e.g. http://127.0.0.1:8233/temporal */
  direct: string;
  managerKey: string;
  submitterKey: string;
  workflowId: string;
  /** A value of the workflow's input that must show decoded only to the manager through the console's origin. */
  secret: string;
}

async function textOf(page: import('playwright-core').Page, until: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await page.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    if (until(text) || Date.now() > deadline) return text;
    await page.waitForTimeout(250);
  }
}

export async function probeTemporalUi(browser: Browser, probe: TemporalUiProbe): Promise<{
  redirectedToLogin: boolean; decodedForManager: boolean; directShowsSecret: boolean; directShowsWorkflow: boolean;
  codecStatuses: { proxied: number[]; direct: number[] }; submitterStatus: number; anonymousStatus: number;
}> {
  const path = `/namespaces/default/workflows/${probe.workflowId}`;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const proxied: number[] = [];
    const direct: number[] = [];
    page.on('response', (r) => {
      if (!r.url().startsWith(`${probe.base}/codec/`)) return;
      (page.url().startsWith(probe.base) ? proxied : direct).push(r.status());
    });

    // No session: the UI sends the browser to the console's login, which sends it back once logged in.
    await page.goto(`${probe.base}/temporal${path}`, { waitUntil: 'domcontentloaded' });
    await page.getByLabel('Clé d’accès').waitFor({ timeout: 20_000 });
    const redirectedToLogin = page.url().startsWith(`${probe.base}/console/`);
    await page.getByLabel('Clé d’accès').fill(probe.managerKey);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${probe.base}/temporal${path}`, { timeout: 20_000 });
    const proxiedText = await textOf(page, (t) => t.includes(probe.secret));

    // The same logged-in browser on the UI server's own origin: the codec call carries no cookie (cross-origin).
    await page.goto(`${probe.direct}${path}`, { waitUntil: 'domcontentloaded' });
    const directText = await textOf(page, (t) => t.includes(probe.workflowId) && direct.length > 0);
    await page.waitForTimeout(1000);
    const directAfter = await textOf(page, () => true, 0);

    const anonymous = await fetch(`${probe.base}/temporal/api/v1/settings`);
    const session = await fetch(`${probe.base}/api/session`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: probe.base }, body: JSON.stringify({ key: probe.submitterKey }),
    });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0]!;
    const submitter = await fetch(`${probe.base}/temporal/api/v1/settings`, { headers: { cookie } });
    return {
      redirectedToLogin,
      decodedForManager: proxiedText.includes(probe.secret),
      directShowsSecret: directText.includes(probe.secret) || directAfter.includes(probe.secret),
      directShowsWorkflow: directText.includes(probe.workflowId),
      codecStatuses: { proxied, direct },
      submitterStatus: submitter.status,
      anonymousStatus: anonymous.status,
    };
  } finally {
    await context.close();
  }
}
