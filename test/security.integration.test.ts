// The API's defences over real HTTP, on the real app (api/app.ts) over a scratch database: security headers on every
// response (and the OpenAPI UI still working under its policy, in Chromium), server-side sessions (logout and key
// revocation end them), `Secure` with an https public URL, the CSRF check of cookie-authenticated unsafe requests,
// the throttling of failed authentications per client address, and the audit entries of sessions, keys and e-mails.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPORAL_UI_CSP } from '../api/app.js';
import { outbox } from '../db/schema.js';
import { chromiumAvailable, openBrowser } from './console-stack.js';
import { createPipeline, type Pipeline, type RunningApi } from './harness.js';

const PUBLIC_URL = 'https://tp.almerys.example/console/';
const PUBLIC_ORIGIN = 'https://tp.almerys.example';
const TEMPORAL_UI_ORIGIN = 'http://127.0.0.1:8233';
const EVIL = 'https://evil.example';
const MAX_FAILURES = 5;

let p: Pipeline;
/** PUBLIC_URL (https) and TEMPORAL_UI_ORIGIN set; MAX_FAILURES failed authentications per minute per address. */
let api: RunningApi;
/** No PUBLIC_URL: the console's origin is the request's Host. */
let local: RunningApi;

beforeAll(async () => {
  p = await createPipeline('security', {}, {
    worker: false,
    env: { PUBLIC_URL, TEMPORAL_UI_ORIGIN, AUTH_FAILURES_MAX: String(MAX_FAILURES), AUTH_FAILURES_WINDOW: '60' },
  });
  api = await p.startApi();
  local = await p.startApi({ publicUrl: undefined, trustedOrigins: [] });
}, 120_000);
afterAll(async () => p?.close());

interface Answer { status: number; headers: IncomingHttpHeaders; text: string; json(): any }

/** Real HTTP with full control of the headers (Origin, Referer, Cookie) and of the client's address (127.0.0.x). */
function call(target: RunningApi, method: string, path: string, options: { headers?: Record<string, string>; json?: unknown; from?: string } = {}): Promise<Answer> {
  const url = new URL(path, target.base);
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, localAddress: options.from ?? '127.0.0.1',
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (target: RunningApi, role: keyof RunningApi['keys']) => ({ authorization: `Bearer ${target.keys[role]}` });
const setCookie = (answer: Answer) => (answer.headers['set-cookie'] ?? []).find((c) => c.startsWith('tpr_session=')) ?? '';

async function login(target: RunningApi, key: string): Promise<string> {
  const res = await call(target, 'POST', '/api/session', { json: { key } });
  expect(res.status, res.text).toBe(200);
  return setCookie(res).split(';')[0]!;
}

describe('security headers (helmet) on every response', () => {
  it('API answers (200, 401, 404), /docs and the console pages', async () => {
    const answers = {
      'GET /api/tasks (200)': await call(api, 'GET', '/api/tasks', { headers: bearer(api, 'manager') }),
      'GET /api/tasks (401)': await call(api, 'GET', '/api/tasks'),
      'GET /api/nothing (404)': await call(api, 'GET', '/api/nothing', { headers: bearer(api, 'admin') }),
      'GET /docs/': await call(api, 'GET', '/docs/'),
      'GET /docs/json': await call(api, 'GET', '/docs/json'),
      'GET /console/': await call(api, 'GET', '/console/'),
      'GET /console/app.js': await call(api, 'GET', '/console/app.js'),
      'GET /health': await call(api, 'GET', '/health'),
    };
    for (const [what, res] of Object.entries(answers)) {
      expect(res.status, what).toBeLessThan(500);
      expect(res.headers['content-security-policy'], what).toMatch(/default-src 'self'.*frame-ancestors 'none'.*object-src 'none'/);
      expect(res.headers['x-content-type-options'], what).toBe('nosniff');
      expect(res.headers['x-frame-options'], what).toBe('DENY');
      expect(res.headers['referrer-policy'], what).toBe('no-referrer');
      expect(res.headers['strict-transport-security'], what).toMatch(/^max-age=\d+/);
      expect(res.headers['cross-origin-opener-policy'], what).toBe('same-origin');
      expect(res.headers['x-powered-by'], what).toBeUndefined();
    }
    expect(answers['GET /docs/'].text).toContain('swagger-ui');
    // The Temporal UI proxied under /temporal/ bootstraps with inline scripts: allowed there only, from this origin.
    const ui = await call(api, 'GET', '/temporal/namespaces/default/workflows');
    expect(ui.headers['content-security-policy']).toBe(TEMPORAL_UI_CSP);
    expect(ui.headers['x-frame-options']).toBe('DENY');
    for (const res of Object.values(answers)) expect(res.headers['content-security-policy']).toContain("script-src 'self';");
  });

  it.runIf(chromiumAvailable())('the OpenAPI UI renders under its policy in Chromium, without a CSP violation', async () => {
    const browsing = await openBrowser();
    try {
      const violations: string[] = [];
      browsing.page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
      await browsing.page.goto(`${api.base}/docs/`);
      await browsing.page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
      expect(await browsing.page.textContent('.swagger-ui .info .title')).toContain('Rejets factures Tiers Payant Simple');
      await browsing.page.waitForSelector('.opblock-tag-section', { timeout: 30_000 });
      expect(violations).toEqual([]);
      expect(browsing.problems).toEqual([]);
    } finally {
      await browsing.close();
    }
  }, 60_000);
});

describe('sessions kept server-side', () => {
  it('login sets Secure when PUBLIC_URL is https, not otherwise', async () => {
    const secure = await call(api, 'POST', '/api/session', { json: { key: api.keys.auditor } });
    expect(setCookie(secure)).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
    const plain = await call(local, 'POST', '/api/session', { json: { key: local.keys.auditor } });
    expect(setCookie(plain)).toMatch(/; HttpOnly; SameSite=Strict$/);
  });

  it('logout, then the old cookie replayed → 401', async () => {
    const cookie = await login(api, api.keys.manager);
    expect((await call(api, 'GET', '/api/tasks', { headers: { cookie } })).status).toBe(200);
    const out = await call(api, 'DELETE', '/api/session', { headers: { cookie, origin: PUBLIC_ORIGIN } });
    expect(out.status).toBe(204);
    const replay = await call(api, 'GET', '/api/tasks', { headers: { cookie } });
    expect(replay.status).toBe(401);
    expect(replay.json().message).toMatch(/^Identifiants refusés : /);
    // Another API replica over the same database agrees.
    expect((await call(local, 'GET', '/api/tasks', { headers: { cookie } })).status).toBe(401);
  });

  it('revoking a key (DELETE /api/keys/:id) ends its sessions; creation and revocation are audited', async () => {
    const created = await call(api, 'POST', '/api/keys', { headers: bearer(api, 'admin'), json: { role: 'auditor', name: 'leaving soon' } });
    expect(created.status).toBe(201);
    const { id, key } = created.json();
    const cookie = await login(api, key);
    expect((await call(api, 'GET', '/api/tasks', { headers: { cookie } })).status).toBe(200);
    expect((await call(api, 'DELETE', `/api/keys/${id}`, { headers: bearer(api, 'admin') })).status).toBe(204);
    expect((await call(api, 'GET', '/api/tasks', { headers: { cookie } })).status).toBe(401);

    const entries = await api.deps.audit.list({ target: id, order: 'oldest' });
    expect(entries.map((e) => [e.action, e.actorName, e.actorRole])).toEqual([
      ['key.create', 'admin-security', 'admin'], ['session.login', 'leaving soon', 'auditor'], ['key.revoke', 'admin-security', 'admin'],
    ]);
    expect(entries[0]!.details).toEqual({ role: 'auditor', name: 'leaving soon' });
    expect(entries.every((e) => e.ip === '127.0.0.1')).toBe(true);
  });
});

describe('CSRF: a cookie-authenticated POST/PUT/PATCH/DELETE comes from the console or a trusted origin', () => {
  // A task that does not exist: past the CSRF check, the route answers 404.
  const claim = '/api/tasks/9999999999-1/claim';

  it('foreign Origin, Origin null, no Origin nor Referer → 403 in French; PUBLIC_URL and TEMPORAL_UI_ORIGIN → through', async () => {
    const cookie = await login(api, api.keys.manager);
    const post = (headers: Record<string, string>) => call(api, 'POST', claim, { headers: { cookie, ...headers }, json: {} });

    const foreign = await post({ origin: EVIL });
    expect(foreign.status).toBe(403);
    expect(foreign.json().message).toBe("Requête refusée : l'origine « https://evil.example » n'est pas celle de la console (protection CSRF)");
    expect((await post({ origin: 'null' })).status).toBe(403);
    expect((await post({ referer: `${EVIL}/page` })).status).toBe(403);
    // The API's own address is not the console's when PUBLIC_URL says where the console is.
    expect((await post({ origin: api.base })).status).toBe(403);
    const none = await post({});
    expect(none.status).toBe(403);
    expect(none.json().message).toMatch(/^Requête refusée : ni Origin ni Referer/);

    expect((await post({ origin: PUBLIC_ORIGIN })).status).toBe(404);
    expect((await post({ referer: `${PUBLIC_URL}taches/9999999999-1` })).status).toBe(404);
    expect((await post({ origin: TEMPORAL_UI_ORIGIN })).status).toBe(404);
    // Origin wins over Referer.
    expect((await post({ origin: EVIL, referer: PUBLIC_URL })).status).toBe(403);
    // Reading is not affected; nor is logging out without a session, nor anything with a Bearer key.
    expect((await call(api, 'GET', '/api/tasks', { headers: { cookie, origin: EVIL } })).status).toBe(200);
    expect((await call(api, 'POST', claim, { headers: { ...bearer(api, 'manager'), origin: EVIL }, json: {} })).status).toBe(404);
    expect((await call(api, 'POST', claim, { headers: { ...bearer(api, 'manager') }, json: {} })).status).toBe(404);
    // The session itself is still valid: a refused request does not end it.
    expect((await call(api, 'DELETE', '/api/session', { headers: { cookie, origin: EVIL } })).status).toBe(403);
    expect((await call(api, 'GET', '/api/session', { headers: { cookie } })).status).toBe(200);
  });

  it('without PUBLIC_URL the console is the request\'s own Host', async () => {
    const cookie = await login(local, local.keys.manager);
    const post = (headers: Record<string, string>) => call(local, 'POST', claim, { headers: { cookie, ...headers }, json: {} });
    expect((await post({ origin: local.base })).status).toBe(404);
    expect((await post({ referer: `${local.base}/console/taches` })).status).toBe(404);
    expect((await post({ origin: EVIL })).status).toBe(403);
    expect((await post({ origin: TEMPORAL_UI_ORIGIN })).status).toBe(403); // not trusted on this replica
    expect((await post({ origin: local.base.replace('127.0.0.1', 'localhost') })).status).toBe(403);
  });
});

describe('failed authentications throttled per client address', () => {
  const badKey = `tpr_abcdefgh_${'A'.repeat(43)}`;

  it(`after ${MAX_FAILURES} bad keys from one address: 429 with Retry-After, even for a right key; other addresses unaffected`, async () => {
    const from = '127.0.0.2';
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect((await call(api, 'GET', '/api/tasks', { from, headers: { authorization: `Bearer ${badKey}` } })).status).toBe(401);
    }
    const throttled = await call(api, 'GET', '/api/tasks', { from, headers: { authorization: `Bearer ${badKey}` } });
    expect(throttled.status).toBe(429);
    const retryAfter = Number(throttled.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(throttled.json().message).toMatch(/^Trop d'échecs d'authentification depuis cette adresse : réessayez dans \d+ s$/);
    expect(throttled.headers['content-security-policy']).toBeTruthy();
    // Over the limit, keys are not even verified: the right one is refused too, until the window ends.
    expect((await call(api, 'GET', '/api/tasks', { from, headers: bearer(api, 'manager') })).status).toBe(429);
    expect((await call(api, 'POST', '/api/session', { from, json: { key: api.keys.manager } })).status).toBe(429);
    // Without credentials nothing is verified: the usual 401.
    expect((await call(api, 'GET', '/api/tasks', { from })).status).toBe(401);
    // Another address is not affected.
    expect((await call(api, 'GET', '/api/tasks', { from: '127.0.0.1', headers: bearer(api, 'manager') })).status).toBe(200);
  });

  it('bad logins and bad cookies count too', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect((await call(api, 'POST', '/api/session', { from: '127.0.0.3', json: { key: badKey } })).status).toBe(401);
    }
    const login429 = await call(api, 'POST', '/api/session', { from: '127.0.0.3', json: { key: badKey } });
    expect(login429.status).toBe(429);
    expect(login429.headers['retry-after']).toMatch(/^\d+$/);

    for (let i = 0; i < MAX_FAILURES; i++) {
      expect((await call(api, 'GET', '/api/session', { from: '127.0.0.4', headers: { cookie: `tpr_session=forged${i}.mac` } })).status).toBe(401);
    }
    expect((await call(api, 'GET', '/api/session', { from: '127.0.0.4', headers: { cookie: 'tpr_session=forged.mac' } })).status).toBe(429);
  });

  it('valid requests are not counted', async () => {
    const cookie = await login(api, api.keys.auditor);
    for (let i = 0; i < 3 * MAX_FAILURES; i++) {
      expect((await call(api, 'GET', '/api/tasks', { from: '127.0.0.5', headers: i % 2 ? bearer(api, 'auditor') : { cookie } })).status).toBe(200);
    }
  });
});

describe('audit', () => {
  it('POST /api/outbox/:id/retry is recorded', async () => {
    const id = 'escalation:9000000001-1';
    await p.database.db.insert(outbox).values({
      id, kind: 'escalation', from: 'tp@almerys.example', to: ['chefs@almerys.example'], subject: 'Tâche en retard', html: '<p>x</p>', text: 'x',
      archiveKeys: ['9000000001'], status: 'failed', error: 'Invalid `to` field', errorKind: 'address',
    });
    const retry = await call(api, 'POST', `/api/outbox/${encodeURIComponent(id)}/retry`, { headers: bearer(api, 'manager'), json: { to: ['direction@almerys.example'] } });
    expect(retry.status, retry.text).toBe(202);
    const [entry] = await api.deps.audit.list({ action: 'outbox.retry', target: id });
    expect(entry).toMatchObject({
      actorName: 'manager-security', actorRole: 'manager', ip: '127.0.0.1',
      details: { kind: 'escalation', to: ['direction@almerys.example'], retries: 1 },
    });
  });
});
