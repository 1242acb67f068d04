// The API's defences over real HTTP, on the real app (api/app.ts) over a scratch database: security headers on every
// response (and the OpenAPI UI still working under its policy, in Chromium).

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, openBrowser } from './console-stack.js';
import { createPipeline, type Pipeline, type RunningApi } from './harness.js';

let p: Pipeline;
let api: RunningApi;

beforeAll(async () => {
  p = await createPipeline('security', {}, { worker: false });
  api = await p.startApi();
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
