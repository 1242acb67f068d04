// Authentication and roles. Every request gets `request.principal` (or null) from `Authorization: Bearer <key>`,
// else from the console's session cookie `tpr_session`; routes are guarded with `requireRole(...)`.
//
// The session cookie is stateless: `<keyId>.<expiresAtEpochSeconds>.<role>.<name-base64url>.<hmac-sha256>`, signed
// with the session secret (api/session-secret.ts). It is still checked against the key on every request, so that
// revoking a key ends its sessions at once.
//
// ROUTE_ROLES is the route → roles matrix as data; `guardRoutes(app)` applies it to every route registered after it
// (any /api route it does not name is admin-only).

import { createHmac, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { isRole, ROLES, type ApiKeyRepository, type Principal, type Role } from '../db/api-keys.js';

export { ROLES, type Principal, type Role } from '../db/api-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, from a Bearer key or the session cookie; null when anonymous or the credentials are invalid. */
    principal: Principal | null;
  }
}

export interface AuthOptions {
  keys: ApiKeyRepository;
  /** At least 32 characters (see loadSessionSecret). */
  sessionSecret: string;
  /** Adds `Secure` to the session cookie: set it when the API is served over HTTPS. */
  secureCookies?: boolean;
}

export const SESSION_COOKIE = 'tpr_session';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;
export const MIN_SESSION_SECRET_LENGTH = 32;

export const AUTHENTICATION_REQUIRED = 'Authentication required: send Authorization: Bearer <key>';
export const INVALID_CREDENTIALS =
  'Invalid credentials: the API key is unknown or revoked, or the session has expired — send Authorization: Bearer <key> or log in again';

// ---- Session cookie ----

const hmac = (payload: string, secret: string) => createHmac('sha256', secret).update(payload, 'utf8').digest('base64url');

/** The cookie value for a principal, valid until `expiresAt` (epoch seconds). */
export function signSession(principal: Principal, secret: string, expiresAt: number): string {
  const payload = [principal.keyId, String(expiresAt), principal.role, Buffer.from(principal.name, 'utf8').toString('base64url')].join('.');
  return `${payload}.${hmac(payload, secret)}`;
}

/** The principal a cookie value was signed for; null when malformed, tampered with or expired. */
export function readSession(value: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): Principal | null {
  const parts = value.split('.');
  if (parts.length !== 5) return null;
  const [keyId, expires, role, name64, mac] = parts as [string, string, string, string, string];
  const expected = Buffer.from(hmac(parts.slice(0, 4).join('.'), secret));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (!/^[0-9]{1,12}$/.test(expires) || Number(expires) <= nowSeconds) return null;
  if (!isRole(role) || !keyId) return null;
  return { keyId, role, name: Buffer.from(name64, 'base64url').toString('utf8') };
}

const cookieAttributes = (secure: boolean) => `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

/** The Set-Cookie header opening a 12-hour session for this principal. */
export function sessionCookieHeader(principal: Principal, options: { secret: string; secure?: boolean; nowSeconds?: number }): string {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const value = signSession(principal, options.secret, now + SESSION_TTL_SECONDS);
  return `${SESSION_COOKIE}=${value}; Max-Age=${SESSION_TTL_SECONDS}; ${cookieAttributes(options.secure ?? false)}`;
}

/** The Set-Cookie header deleting the session cookie. */
export function clearSessionCookieHeader(options: { secure?: boolean } = {}): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${cookieAttributes(options.secure ?? false)}`;
}

/** The value of one cookie in a Cookie header (the first one of that name). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

function bearerOf(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined; // no header
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? match[1]! : null; // null: a header that is not a Bearer key
}

/** Whether the request carried credentials of any kind (to tell "log in" from "your credentials are bad"). */
export function hasCredentials(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined || cookieValue(request.headers.cookie, SESSION_COOKIE) !== undefined;
}

// ---- The plugin ----

async function resolvePrincipal(request: FastifyRequest, options: AuthOptions): Promise<Principal | null> {
  const bearer = bearerOf(request.headers.authorization);
  if (bearer !== undefined) return bearer === null ? null : options.keys.verify(bearer); // never falls back to the cookie
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (!cookie) return null;
  const session = readSession(cookie, options.sessionSecret);
  if (!session) return null;
  const key = await options.keys.findActive(session.keyId);
  return key && key.role === session.role ? key : null;
}

export const authPlugin = fp<AuthOptions>(
  async (app, options) => {
    if (!options.keys) throw new Error('authPlugin: the `keys` option (an ApiKeyRepository) is required');
    if (typeof options.sessionSecret !== 'string' || options.sessionSecret.length < MIN_SESSION_SECRET_LENGTH) {
      throw new Error(`authPlugin: the session secret must have at least ${MIN_SESSION_SECRET_LENGTH} characters`);
    }
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      request.principal = await resolvePrincipal(request, options);
    });
  },
  { fastify: '5.x', name: 'tpr-auth' },
);

// ---- Guards ----

export type RoleGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/**
 * A hook (use it as `preHandler` or, to answer before the body is read, `onRequest`) letting through the given
 * roles, and `admin` always. No credentials → 401 with `WWW-Authenticate: Bearer`; invalid ones → 401; a principal
 * without the role → 403. With no role given, admin only.
 */
export function requireRole(...roles: Role[]): RoleGuard {
  for (const role of roles) if (!isRole(role)) throw new Error(`requireRole: unknown role ${JSON.stringify(role)}`);
  const allowed = new Set<Role>([...roles, 'admin']);
  const needs = [...new Set(roles.length ? roles : (['admin'] as Role[]))].join(' or ');
  return async function guard(request, reply) {
    const principal = request.principal ?? null;
    if (!principal) {
      const presented = hasCredentials(request);
      reply
        .code(401)
        .header('www-authenticate', presented ? 'Bearer error="invalid_token"' : 'Bearer')
        .send({ message: presented ? INVALID_CREDENTIALS : AUTHENTICATION_REQUIRED });
      return reply;
    }
    if (!allowed.has(principal.role)) {
      reply.code(403).send({ message: `Forbidden: this needs the role ${needs} (key « ${principal.name} » has the role ${principal.role})` });
      return reply;
    }
    return undefined;
  };
}

// ---- The route → roles matrix ----

export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | '*';

export interface RouteRule {
  method: RouteMethod;
  /**
   * A fastify route path. `:param` matches a parameter of the route (not a literal segment: `/api/invoices/search`
   * does not match `/api/invoices/:id`); a final `*` matches one or more further segments.
   */
  url: string;
  /** Who may call it (`admin` always may), or 'public' for no authentication. */
  roles: readonly Role[] | 'public';
  what: string;
}

const READERS: readonly Role[] = ['manager', 'auditor'];

/** First match wins: specific rules come before general ones. Any other /api route is admin-only (guardRoutes). */
export const ROUTE_ROLES: readonly RouteRule[] = [
  // Public
  { method: 'GET', url: '/health', roles: 'public', what: 'health check' },
  { method: 'GET', url: '/docs', roles: 'public', what: 'OpenAPI UI' },
  { method: 'GET', url: '/docs/*', roles: 'public', what: 'OpenAPI UI and document' },
  { method: '*', url: '/api/session', roles: 'public', what: 'console login (POST), current principal (GET, 401 when none), logout (DELETE)' },

  // Submission and results
  { method: 'POST', url: '/api/invoices', roles: ['submitter'], what: 'submit an invoice claim' },
  { method: 'POST', url: '/api/batches', roles: ['submitter'], what: 'submit a batch' },
  { method: 'POST', url: '/api/batches/*', roles: ['submitter'], what: 'append a page of invoices to an open batch, close it' },
  { method: 'GET', url: '/api/invoices/:id', roles: ['submitter', 'manager', 'auditor'], what: 'one invoice and its decision' },
  { method: 'GET', url: '/api/batches/:id', roles: ['submitter', 'manager', 'auditor'], what: 'one batch and its results' },

  // Reading across invoices: list, search, timeline, histories
  { method: 'GET', url: '/api/invoices', roles: READERS, what: 'list and search invoices' },
  { method: 'GET', url: '/api/invoices/*', roles: READERS, what: 'search, timeline, workflow history (/history) of invoices' },
  { method: 'GET', url: '/api/batches', roles: READERS, what: 'list batches' },
  { method: 'GET', url: '/api/batches/*', roles: READERS, what: "a batch's details, Trame and e-mails" },
  { method: 'GET', url: '/api/histories', roles: READERS, what: 'workflow histories (export, replay)' },
  { method: 'GET', url: '/api/histories/*', roles: READERS, what: 'workflow histories (export, replay)' },

  // Reference read by every role: motif codes and their reply texts (a resolve form, a decision's motif)
  { method: 'GET', url: '/api/motifs', roles: ['submitter', 'manager', 'auditor'], what: 'motif codes and reply texts' },

  // Manager tasks
  { method: 'GET', url: '/api/tasks', roles: READERS, what: 'list manager tasks' },
  { method: 'GET', url: '/api/tasks/*', roles: READERS, what: 'one task and its events' },
  { method: 'POST', url: '/api/tasks/*', roles: ['manager'], what: 'claim, release, resolve a task' },

  // Outputs: e-mail outbox, Trame SSTT files
  { method: 'GET', url: '/api/outbox', roles: READERS, what: 'e-mail outbox' },
  { method: 'GET', url: '/api/outbox/*', roles: READERS, what: 'one e-mail' },
  { method: 'POST', url: '/api/outbox/*', roles: ['manager'], what: 'send a refused e-mail again (the address fixed)' },
  { method: 'GET', url: '/api/trames', roles: READERS, what: 'list Trame files' },
  { method: 'GET', url: '/api/trames/*', roles: READERS, what: 'download a Trame file' },
  { method: 'POST', url: '/api/trames', roles: ['manager'], what: 'upload a completed Trame' },
  { method: 'POST', url: '/api/trames/*', roles: ['manager'], what: 'upload a completed Trame' },

  // The Temporal Web UI under /temporal/: its own check (a console session of a manager, auditor or admin, else the
  // login page), api/routes/temporal-ui.ts
  { method: '*', url: '/temporal', roles: 'public', what: 'Temporal Web UI (checks the session itself)' },
  { method: '*', url: '/temporal/*', roles: 'public', what: 'Temporal Web UI (checks the session itself)' },

  // Codec server (Temporal UI, temporal CLI --codec-endpoint): reads and writes personal data, audited
  { method: 'POST', url: '/codec/*', roles: ['manager', 'auditor'], what: 'decode / encode payloads (Temporal codec server)' },

  // The audit log: read-only, for admins and auditors
  { method: 'GET', url: '/api/audit', roles: ['auditor'], what: 'the audit log (list)' },
  { method: 'GET', url: '/api/audit/*', roles: ['auditor'], what: 'the audit log (export)' },

  // Administration
  { method: '*', url: '/api/keys', roles: ['admin'], what: 'list and create API keys' },
  { method: '*', url: '/api/keys/*', roles: ['admin'], what: 'revoke an API key' },
  { method: '*', url: '/api/reference', roles: ['admin'], what: 'reference data' },
  { method: '*', url: '/api/reference/*', roles: ['admin'], what: 'reference data' },
];

const segmentsOf = (url: string) => url.split('?')[0]!.replace(/\/+$/, '').split('/').slice(1);
const isParam = (segment: string) => segment.startsWith(':') || segment === '*';

function urlMatches(pattern: string, url: string): boolean {
  const want = segmentsOf(pattern);
  const got = segmentsOf(url);
  const rest = want[want.length - 1] === '*';
  const fixed = rest ? want.length - 1 : want.length;
  if (rest ? got.length <= fixed : got.length !== fixed) return false;
  for (let i = 0; i < fixed; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':') ? !isParam(g) : w !== g) return false;
  }
  return true;
}

/** The first rule of the matrix matching a route (its declared path, e.g. `/api/invoices/:id`); HEAD counts as GET. */
export function ruleFor(method: string, url: string, rules: readonly RouteRule[] = ROUTE_ROLES): RouteRule | undefined {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return rules.find((rule) => (rule.method === '*' || rule.method === m) && urlMatches(rule.url, url));
}

/**
 * Applies the matrix to every route registered after this call, in this instance and its children: a guard is
 * prepended to the route's `onRequest` hooks (so that a caller without the role is answered before its body is read).
 * Routes under /api that no rule names are admin-only; other routes (static console pages) stay public.
 */
export function guardRoutes(app: FastifyInstance, rules: readonly RouteRule[] = ROUTE_ROLES): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url;
    const guards = new Map<string, RoleGuard>();
    for (const method of [route.method].flat().map((m) => m.toUpperCase())) {
      const rule = ruleFor(method, url, rules);
      if (rule?.roles === 'public') continue;
      if (!rule && !/^\/api(\/|$)/.test(url)) continue;
      if (!rule) app.log.warn(`auth: no ROUTE_ROLES rule for ${method} ${url}: admin only`);
      guards.set(method, rule ? requireRole(...(rule.roles as Role[])) : requireRole('admin'));
    }
    if (guards.size === 0) return;
    const methodOf = (request: FastifyRequest) => (request.method === 'HEAD' && !guards.has('HEAD') ? 'GET' : request.method);
    const guard: RoleGuard = async (request, reply) => guards.get(methodOf(request))?.(request, reply);
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [guard, ...existing] as RouteOptions['onRequest'];
  });
}
