// Authentication and roles on a small fastify app over a scratch PostgreSQL database: Bearer keys, the console's
// server-side sessions and their cookie, the roles each route declares, the session and key routes, the route → roles
// matrix of the application, the session secret. (test/security.integration.test.ts covers the same over real HTTP: CSRF, throttling, headers.)

import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createApiKeyRepository, hashSessionId, type ApiKeyRepository, type Role } from '../db/api-keys.js';
import { createAuditLog, type AuditLog } from '../db/audit.js';
import { createScratchDatabase, type ScratchDatabase } from '../test/databases.js';
import { createValidator } from '../rules/schema.js';
import {
  authPlugin, AUTHENTICATION_REQUIRED, cookieValue, readSession, requireRole, SESSION_COOKIE, signSession, type RouteAccess,
} from './auth.js';
import { buildApp, type AppDependencies } from './app.js';
import { badRequest } from './errors.js';
import { keyRoutes } from './routes/keys.js';
import { sessionRoutes } from './routes/session.js';
import { loadSessionSecret } from './session-secret.js';

const SECRET = 'test-session-secret-0123456789abcdef';

let database: ScratchDatabase;
let keys: ApiKeyRepository;
let audit: AuditLog;
let app: FastifyInstance;
const key: Record<Role, string> = { submitter: '', manager: '', auditor: '', admin: '' };
const keyId: Record<Role, string> = { submitter: '', manager: '', auditor: '', admin: '' };

async function buildTestApp(options: { guard?: boolean; secureCookies?: boolean; publicUrl?: string } = {}): Promise<FastifyInstance> {
  const instance = Fastify();
  // Bodies validated as api/app.ts does (its validator knows the schemas' `errorMessage`).
  const validate = createValidator();
  instance.setValidatorCompiler(({ schema }) => (data: unknown) => {
    const errors = validate(schema as TSchema, data, '');
    return errors.length ? { error: badRequest(errors) } : { value: data };
  });
  // Failed authentications are throttled in test/security.integration.test.ts; not here.
  await instance.register(authPlugin, {
    keys, sessionSecret: SECRET, secureCookies: options.secureCookies, publicUrl: options.publicUrl, failureLimit: { max: 10_000, windowMs: 60_000 },
  });
  if (options.guard) {
    const ok = async () => ({ ok: true });
    const readers = { roles: ['manager', 'auditor'] } as const;
    instance.post('/api/invoices', { config: { roles: ['submitter'] } }, ok);
    instance.get('/api/invoices', { config: readers }, ok);
    instance.get('/api/invoices/:id', { config: { roles: ['submitter', 'manager', 'auditor'] } }, ok);
    instance.get('/api/invoices/:id/history', { config: readers }, ok);
    instance.get('/api/invoices/search', { config: readers }, ok);
    instance.post('/api/tasks/:id/claim', { config: { roles: ['manager'] } }, ok);
    instance.get('/api/tasks', { config: readers }, ok);
    instance.get('/api/trames', { config: readers }, ok);
    instance.post('/api/trames', { config: { roles: ['manager'] } }, ok);
    instance.get('/api/admin-only', { config: { roles: ['admin'] } }, ok);
    instance.get('/health', { config: { public: true } }, ok);
    instance.get('/console/*', { config: { public: true } }, ok);
    await instance.register(sessionRoutes, { keys, sessionSecret: SECRET, audit });
  } else {
    await instance.register(sessionRoutes, { keys, sessionSecret: SECRET, secureCookies: options.secureCookies, publicUrl: options.publicUrl, audit });
    await instance.register(keyRoutes, { keys, audit });
    instance.get('/submit-only', { config: { roles: ['submitter'] } }, async () => ({ ok: true }));
    instance.get('/read', { config: { roles: ['manager', 'auditor'] } }, async () => ({ ok: true }));
    instance.get('/admin-only', { config: { roles: ['admin'] } }, async () => ({ ok: true }));
    instance.get('/whoami', { config: { public: true } }, async (request) => ({ principal: request.principal }));
  }
  await instance.ready();
  return instance;
}

beforeAll(async () => {
  database = await createScratchDatabase(inject('databaseUrl'), 'auth');
  keys = createApiKeyRepository(database.db);
  audit = createAuditLog(database.db);
  for (const role of ['submitter', 'manager', 'auditor', 'admin'] as Role[]) {
    const created = await keys.create({ role, name: `test-${role}` });
    key[role] = created.key;
    keyId[role] = created.id;
  }
  app = await buildTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
  await database?.drop();
});

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
const setCookieOf = (res: LightMyRequestResponse) => {
  const header = res.headers['set-cookie'];
  return (Array.isArray(header) ? header : [header ?? '']).find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
};
const cookieFrom = (setCookie: string) => setCookie.split(';')[0]!; // `tpr_session=<value>`
async function login(k: string, instance = app): Promise<LightMyRequestResponse> {
  return instance.inject({ method: 'POST', url: '/api/session', payload: { key: k } });
}

describe('requireRole with Bearer keys', () => {
  it('no credentials → 401 asking for a Bearer key, with WWW-Authenticate: Bearer', async () => {
    const res = await get('/read');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toEqual({
      type: '/problems/authentication_required', title: 'Authentification requise', status: 401, code: 'authentication_required',
      detail: 'Authentification requise : connectez-vous à la console, ou envoyez Authorization: Bearer <clé d\'API>',
      message: 'Authentification requise : connectez-vous à la console, ou envoyez Authorization: Bearer <clé d\'API>',
    });
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json().message).toBe(AUTHENTICATION_REQUIRED);
  });

  it('a bad, malformed, non-Bearer or revoked key → 401', async () => {
    const revoked = await keys.create({ role: 'manager', name: 'revoked' });
    await keys.revoke(revoked.id);
    const tampered = key.manager.slice(0, -2) + (key.manager.endsWith('AA') ? 'BB' : 'AA');
    for (const headers of [
      bearer(tampered), bearer('tpr_nothing'), bearer(revoked.key), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      { authorization: 'Bearer' }, { authorization: key.manager },
    ]) {
      const res = await get('/read', headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(res.json()).toMatchObject({ code: 'invalid_credentials', detail: expect.stringMatching(/^Identifiants refusés : /) });
    }
    expect((await get('/whoami', bearer(revoked.key))).json()).toEqual({ principal: null });
  });

  it('the wrong role → 403 naming the role needed; the right role → 200', async () => {
    const res = await get('/read', bearer(key.submitter));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: 403, code: 'forbidden', title: 'Accès refusé', detail: 'Accès refusé : il faut le rôle gestionnaire ou auditeur (la clé « test-submitter » a le rôle déposant)' });
    expect((await get('/submit-only', bearer(key.manager))).json().message).toMatch(/^Accès refusé : il faut le rôle déposant /);
    expect((await get('/admin-only', bearer(key.auditor))).json().message).toMatch(/^Accès refusé : il faut le rôle administrateur /);

    expect((await get('/read', bearer(key.manager))).statusCode).toBe(200);
    expect((await get('/read', bearer(key.auditor))).statusCode).toBe(200);
    expect((await get('/submit-only', bearer(key.submitter))).statusCode).toBe(200);
    expect((await get('/read', { authorization: `bearer  ${key.auditor}` })).statusCode).toBe(200); // scheme is case-insensitive
  });

  it('admin passes everything', async () => {
    for (const url of ['/read', '/submit-only', '/admin-only', '/api/keys']) {
      expect((await get(url, bearer(key.admin))).statusCode, url).toBe(200);
    }
  });

  it('request.principal on an unguarded route', async () => {
    expect((await get('/whoami')).json()).toEqual({ principal: null });
    expect((await get('/whoami', bearer(key.auditor))).json()).toEqual({
      principal: { keyId: keyId.auditor, name: 'test-auditor', role: 'auditor' },
    });
  });

  it('requireRole refuses an unknown role at definition time', () => {
    expect(() => requireRole('root' as Role)).toThrow(/unknown role/);
  });
});

describe('console session', () => {
  it('login → a session row and an HttpOnly SameSite=Strict 12 h cookie carrying its signed id → access with the cookie alone', async () => {
    const res = await login(key.manager);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'test-manager', role: 'manager' });
    expect(res.headers['cache-control']).toBe('no-store');
    const setCookie = setCookieOf(res);
    expect(setCookie).toMatch(/^tpr_session=[^;]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);

    const cookie = cookieFrom(setCookie);
    const value = cookie.slice(SESSION_COOKIE.length + 1);
    // A random id and its MAC: nothing of the key, its role or its name.
    const sessionId = readSession(value, SECRET)!;
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(value).not.toContain(keyId.manager);
    const [row] = await database.execute(sql`select key_id, expires_at - created_at as ttl from sessions where id_hash = ${hashSessionId(sessionId)}`);
    expect(row).toMatchObject({ key_id: keyId.manager });
    expect(JSON.stringify(await database.execute('select * from sessions'))).not.toContain(sessionId);

    expect((await get('/read', { cookie })).statusCode).toBe(200);
    expect((await get('/read', { cookie: `other=1; ${cookie}; more=2` })).statusCode).toBe(200);
    expect((await get('/submit-only', { cookie })).statusCode).toBe(403);
    expect((await get('/api/session', { cookie })).json()).toEqual({ keyId: keyId.manager, name: 'test-manager', role: 'manager' });
  });

  it('a bad key → 401 with the same message whatever the reason; no cookie', async () => {
    const revoked = await keys.create({ role: 'auditor', name: 'gone' });
    await keys.revoke(revoked.id);
    const messages = new Set<string>();
    for (const k of ['nonsense', `tpr_${keyId.admin}_${'A'.repeat(43)}`, revoked.key]) {
      const res = await login(k);
      expect(res.statusCode).toBe(401);
      expect(setCookieOf(res)).toBe('');
      messages.add(res.json().message);
    }
    expect([...messages]).toEqual(['Clé d\'API refusée : inconnue ou révoquée']);
    expect((await app.inject({ method: 'POST', url: '/api/session', payload: {} })).statusCode).toBe(400);
  });

  it('a tampered, forged, expired, ended or old-format cookie → 401, and the browser is told to forget it', async () => {
    const value = cookieFrom(setCookieOf(await login(key.submitter))).slice(SESSION_COOKIE.length + 1);
    const sessionId = readSession(value, SECRET)!;
    const expired = readSession(cookieFrom(setCookieOf(await login(key.submitter))).slice(SESSION_COOKIE.length + 1), SECRET)!;
    await database.execute(sql`update sessions set expires_at = now() - interval '1 second' where id_hash = ${hashSessionId(expired)}`);
    const now = Math.floor(Date.now() / 1000);
    const bad = {
      'mac altered': `${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`,
      'mac dropped': sessionId,
      'another secret': signSession(sessionId, 'another-secret-another-secret-another'),
      'signed, but no such session': signSession('A'.repeat(43), SECRET),
      expired: signSession(expired, SECRET),
      'the former stateless format': [keyId.submitter, String(now + 3600), 'admin', Buffer.from('x').toString('base64url'), 'mac'].join('.'),
      empty: '',
    };
    for (const [why, v] of Object.entries(bad)) {
      const res = await get('/submit-only', { cookie: `${SESSION_COOKIE}=${v}` });
      expect(res.statusCode, why).toBe(401);
      expect(res.json().message, why).toMatch(/^Identifiants refusés : /);
      expect(setCookieOf(res), why).toMatch(/^tpr_session=; Max-Age=0;/);
    }
    // The genuine one still works.
    expect((await get('/submit-only', { cookie: `${SESSION_COOKIE}=${value}` })).statusCode).toBe(200);
    // Expired rows are purged.
    expect(await keys.purgeExpiredSessions()).toBeGreaterThanOrEqual(1);
    expect(await database.execute(sql`select 1 from sessions where id_hash = ${hashSessionId(expired)}`)).toHaveLength(0);
  });

  it('logout ends the session: the same cookie replayed afterwards → 401; both are in the audit log', async () => {
    const k = await keys.create({ role: 'auditor', name: 'logging-out' });
    const cookie = cookieFrom(setCookieOf(await login(k.key)));
    expect((await get('/read', { cookie })).statusCode).toBe(200);
    // A cookie-authenticated DELETE: from the console's own origin (the request's Host when no public URL is set).
    const out = await app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie, origin: 'http://localhost:80' } });
    expect(out.statusCode).toBe(204);
    expect(setCookieOf(out)).toMatch(/^tpr_session=; Max-Age=0;/);
    expect((await get('/read', { cookie })).statusCode).toBe(401);
    expect((await get('/api/session', { cookie })).statusCode).toBe(401);
    const entries = await audit.list({ actorKeyId: k.id, order: 'oldest' });
    expect(entries.map((e) => [e.action, e.actorName, e.actorRole, e.target])).toEqual([
      ['session.login', 'logging-out', 'auditor', k.id], ['session.logout', 'logging-out', 'auditor', k.id],
    ]);
    expect(entries[0]!.ip).toBe('127.0.0.1');
  });

  it('revoking the key ends its sessions', async () => {
    const k = await keys.create({ role: 'auditor', name: 'short-lived' });
    const cookie = cookieFrom(setCookieOf(await login(k.key)));
    await login(k.key);
    expect((await get('/read', { cookie })).statusCode).toBe(200);
    expect(await database.execute(sql`select 1 from sessions where key_id = ${k.id}`)).toHaveLength(2);
    await keys.revoke(k.id);
    expect((await get('/read', { cookie })).statusCode).toBe(401);
    expect(await database.execute(sql`select 1 from sessions where key_id = ${k.id}`)).toHaveLength(0);
  });

  it('a Bearer header wins over the cookie, and a bad one does not fall back to it', async () => {
    const cookie = cookieFrom(setCookieOf(await login(key.manager)));
    expect((await get('/submit-only', { cookie, ...bearer(key.submitter) })).statusCode).toBe(200);
    expect((await get('/read', { cookie, ...bearer('tpr_bad') })).statusCode).toBe(401);
  });

  it('logout → 204 and a cookie deleted with the same attributes', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/api/session' });
    expect(res.statusCode).toBe(204);
    expect(setCookieOf(res)).toMatch(/^tpr_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict$/);
  });

  it('GET /api/session without credentials → 401', async () => {
    const res = await get('/api/session');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ status: 401, code: 'authentication_required', detail: AUTHENTICATION_REQUIRED, message: AUTHENTICATION_REQUIRED });
    expect((await get('/api/session', bearer(key.submitter))).json()).toMatchObject({ role: 'submitter' });
  });

  it('secureCookies adds Secure, and so does an https public URL', async () => {
    for (const options of [{ secureCookies: true }, { publicUrl: 'https://tp.almerys.example/console/' }]) {
      const secure = await buildTestApp(options);
      try {
        expect(setCookieOf(await login(key.auditor, secure))).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
        expect(setCookieOf(await secure.inject({ method: 'DELETE', url: '/api/session' }))).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
      } finally {
        await secure.close();
      }
    }
    const plain = await buildTestApp({ publicUrl: 'http://localhost:3000' });
    try {
      expect(setCookieOf(await login(key.auditor, plain))).not.toMatch(/Secure/);
    } finally {
      await plain.close();
    }
  });

  it('cookie helpers', () => {
    expect(cookieValue('a=1; tpr_session="x.y"; b=2', SESSION_COOKIE)).toBe('x.y');
    expect(cookieValue('xtpr_session=1', SESSION_COOKIE)).toBeUndefined();
    expect(cookieValue(undefined, SESSION_COOKIE)).toBeUndefined();
    const id = 'x'.repeat(43);
    expect(readSession(signSession(id, SECRET), SECRET)).toBe(id);
    expect(readSession(signSession(id, SECRET), `${SECRET}!`)).toBeNull();
    expect(readSession(signSession('short', SECRET), SECRET)).toBeNull();
  });

  it('authPlugin refuses a short session secret', async () => {
    const instance = Fastify();
    await expect(instance.register(authPlugin, { keys, sessionSecret: 'short' }).ready()).rejects.toThrow(/at least 32 characters/);
    await instance.close();
  });
});

describe('/api/keys (admin only)', () => {
  it('401 without credentials, 403 for every other role', async () => {
    expect((await get('/api/keys')).statusCode).toBe(401);
    for (const role of ['submitter', 'manager', 'auditor'] as Role[]) {
      expect((await get('/api/keys', bearer(key[role]))).statusCode).toBe(403);
      const post = await app.inject({ method: 'POST', url: '/api/keys', headers: bearer(key[role]), payload: { role: 'admin', name: 'escalation' } });
      expect(post.statusCode).toBe(403);
    }
    expect((await keys.list()).some((k) => k.name === 'escalation')).toBe(false);
  });

  it('create → 201 with the key once; it works; list never shows it nor its hash; revoke → 204 then 401; unknown → 404', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/keys', headers: bearer(key.admin), payload: { role: 'submitter', name: 'GTO scanner' } });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json();
    expect(body).toMatchObject({ role: 'submitter', name: 'GTO scanner', id: expect.stringMatching(/^[a-z0-9]{8}$/) });
    expect(body.key).toMatch(new RegExp(`^tpr_${body.id}_`));
    expect((await get('/submit-only', bearer(body.key))).statusCode).toBe(200);

    const list = await get('/api/keys', bearer(key.admin));
    expect(list.statusCode).toBe(200);
    const item = list.json().items.find((k: { id: string }) => k.id === body.id);
    expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'role']);
    expect(item.lastUsedAt).not.toBeNull();
    expect(list.body).not.toContain(body.key.slice(13));
    expect(list.body).not.toMatch(/key_?hash/i);

    const del = await app.inject({ method: 'DELETE', url: `/api/keys/${body.id}`, headers: bearer(key.admin) });
    expect(del.statusCode).toBe(204);
    expect((await get('/submit-only', bearer(body.key))).statusCode).toBe(401);
    expect((await get('/api/keys', bearer(key.admin))).json().items.find((k: { id: string }) => k.id === body.id).revokedAt).not.toBeNull();

    const unknown = await app.inject({ method: 'DELETE', url: '/api/keys/nosuchid', headers: bearer(key.admin) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ status: 404, code: 'not_found', detail: 'La clé d\'API nosuchid : introuvable' });
  });

  it('a bad body → 400', async () => {
    for (const payload of [{ role: 'root', name: 'x' }, { role: 'admin' }, { role: 'admin', name: '' }, { role: 'admin', name: '   ' }]) {
      const res = await app.inject({ method: 'POST', url: '/api/keys', headers: bearer(key.admin), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const res = await app.inject({ method: 'POST', url: '/api/keys', headers: bearer(key.admin), payload: { role: 'root', name: 'x' } });
    expect(res.json().message).toMatch(/role doit être l'une des valeurs submitter, manager, auditor, admin/);
  });
});

/** The application's routes as buildApp registers them, over stand-ins (nothing is called at registration). */
async function applicationRoutes(): Promise<RouteAccess[]> {
  const deps = {
    keys, audit, sessionSecret: SECRET, database: { db: database.db, execute: async () => [] },
    client: { options: { loadedDataConverter: { payloadCodecs: [] } } },
  } as unknown as AppDependencies;
  const real = await buildApp(deps);
  try {
    await real.ready();
    return real.routeAccess;
  } finally {
    await real.close();
  }
}

describe('roles declared on each route', () => {
  it('the matrix', async () => {
    const table = await applicationRoutes();
    const roles = (method: string, url: string) => table.find((r) => r.method === method && r.url === url)?.roles;
    expect(roles('POST', '/api/invoices')).toEqual(['submitter']);
    expect(roles('POST', '/api/batches')).toEqual(['submitter']);
    expect(roles('GET', '/api/invoices/:id')).toEqual(['submitter', 'manager', 'auditor']);
    expect(roles('HEAD', '/api/batches/:id')).toEqual(['submitter', 'manager', 'auditor']);
    expect(roles('GET', '/api/invoices')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/invoices/:id/history')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/invoices/:id/timeline')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/tasks')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/events')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/dashboard')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/dashboard.csv')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/backtest')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/invoices/:id/backtest')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/rules/versions')).toEqual(['manager', 'auditor']);
    expect(roles('POST', '/api/tasks/:id/resolve')).toEqual(['manager']);
    expect(roles('POST', '/api/tasks/bulk')).toEqual(['manager']);
    expect(roles('GET', '/api/outbox')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/motifs')).toEqual(['submitter', 'manager', 'auditor']);
    expect(roles('GET', '/api/batches/:id/trame.xlsx')).toEqual(['manager', 'auditor']);
    expect(roles('GET', '/api/trames/open.xlsx')).toEqual(['manager', 'auditor']);
    expect(roles('POST', '/api/trames')).toEqual(['manager']);
    expect(roles('DELETE', '/api/keys/:id')).toEqual(['admin']);
    expect(roles('POST', '/api/session')).toBe('public');
    expect(roles('GET', '/docs/json')).toBe('public');
    expect(roles('DELETE', '/api/invoices/:id')).toBeUndefined();
    // Each of the application's routes is in the table, once per method.
    expect(table.length).toBeGreaterThan(30);
  });

  it('a route that declares no roles stops the application at startup', async () => {
    const instance = Fastify();
    await instance.register(authPlugin, { keys, sessionSecret: SECRET });
    instance.get('/api/forgotten', async () => ({ ok: true }));
    await expect(instance.ready()).rejects.toThrow(/no roles declared on GET \/api\/forgotten/);
    await instance.close().catch(() => undefined);
    const unknown = Fastify();
    await unknown.register(authPlugin, { keys, sessionSecret: SECRET });
    unknown.get('/api/root', { config: { roles: ['root' as Role] } }, async () => ({ ok: true }));
    await expect(unknown.ready()).rejects.toThrow(/unknown role/);
    await unknown.close().catch(() => undefined);
  });

  it('guards each route by its declared roles; public routes stay public', async () => {
    const guarded = await buildTestApp({ guard: true });
    try {
      const status = async (method: 'GET' | 'POST' | 'HEAD', url: string, role?: Role) =>
        (await guarded.inject({ method, url, headers: role ? bearer(key[role]) : {} })).statusCode;
      const expected: [method: 'GET' | 'POST' | 'HEAD', url: string, role: Role | undefined, status: number][] = [
        ['POST', '/api/invoices', undefined, 401],
        ['POST', '/api/invoices', 'submitter', 200],
        ['POST', '/api/invoices', 'manager', 403],
        ['POST', '/api/invoices', 'admin', 200],
        ['GET', '/api/invoices/1234567890', 'submitter', 200],
        ['HEAD', '/api/invoices/1234567890', 'submitter', 200],
        ['GET', '/api/invoices/1234567890', 'auditor', 200],
        ['GET', '/api/invoices/1234567890/history', 'submitter', 403],
        ['GET', '/api/invoices/1234567890/history', 'auditor', 200],
        ['GET', '/api/invoices/search', 'submitter', 403],
        ['GET', '/api/invoices', 'manager', 200],
        ['GET', '/api/invoices', 'submitter', 403],
        ['POST', '/api/tasks/t1/claim', 'manager', 200],
        ['POST', '/api/tasks/t1/claim', 'auditor', 403],
        ['GET', '/api/tasks', 'auditor', 200],
        ['GET', '/api/trames', 'auditor', 200],
        ['POST', '/api/trames', 'auditor', 403],
        ['POST', '/api/trames', 'manager', 200],
        ['GET', '/api/admin-only', 'manager', 403],
        ['GET', '/api/admin-only', 'admin', 200],
        ['GET', '/health', undefined, 200],
        ['GET', '/console/index.html', undefined, 200],
        ['GET', '/api/session', 'auditor', 200],
        ['GET', '/api/session', undefined, 401],
      ];
      for (const [method, url, role, code] of expected) expect(await status(method, url, role), `${method} ${url} as ${role}`).toBe(code);
      expect((await guarded.inject({ method: 'POST', url: '/api/session', payload: { key: key.manager } })).statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('loadSessionSecret', () => {
  it('SESSION_SECRET when set (at least 32 characters)', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'secret-'));
    expect(loadSessionSecret({ env: { SESSION_SECRET: 'x'.repeat(32) }, dataDir })).toBe('x'.repeat(32));
    expect(() => loadSessionSecret({ env: { SESSION_SECRET: 'short' }, dataDir })).toThrow(/at least 32/);
  });

  it('else a random secret persisted with mode 0600, the same on the next start', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'secret-')), 'nested', '.data');
    const first = loadSessionSecret({ env: {}, dataDir });
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, 'session-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(loadSessionSecret({ env: { SESSION_SECRET: '' }, dataDir })).toBe(first);
    expect(loadSessionSecret({ env: {}, dataDir: mkdtempSync(join(tmpdir(), 'secret-')) })).not.toBe(first);
    writeFileSync(file, 'tiny');
    expect(() => loadSessionSecret({ env: {}, dataDir })).toThrow(/shorter than 32/);
  });
});
