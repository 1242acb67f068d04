// Authentication and roles. Every request gets `request.principal` (or null) from `Authorization: Bearer <key>`,
// else from the console's session cookie `tpr_session`. Every route declares who may call it, beside its schema:
// `config: { roles: ['manager', 'auditor'] }` (admins always may), or `config: { public: true }`; authPlugin checks it
// before the body is read, and refuses to start an application with a route that declares neither.
//
// Sessions are kept server-side (table `sessions`, db/api-keys.ts): the cookie carries a random session id, signed
// with the session secret (api/session-secret.ts; @fastify/cookie parses and signs) so that a forged one is refused
// without a query. Each request
// checks the row and its key: logging out or revoking the key ends the session at once, on every API replica.
//
// Around that: a cookie-authenticated POST/PUT/PATCH/DELETE must come from the console's own origin (or a trusted
// one, e.g. the Temporal UI's for the codec server): a CSRF defence on top of SameSite=Strict. Failed authentications
// (bad keys, bad cookies, bad logins) are counted per client IP: past the limit, every request presenting
// credentials from that IP is answered 429 before any of them is verified, until the window ends.

import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import fastifyCookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { HttpError, sendProblem } from './errors.js';
import { isRole, type ApiKeyRepository, type Principal, type Role } from '../db/api-keys.js';
import { actorOf as auditActorOf, type AuditActor } from '../db/audit.js';

export { ROLES, type Principal, type Role } from '../db/api-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, from a Bearer key or the session cookie; null when anonymous or the credentials are invalid. */
    principal: Principal | null;
    /** The id of the console session the request was authenticated by (null with a Bearer key or none). */
    sessionId: string | null;
  }
  interface FastifyInstance {
    /** Failed authentications per client IP (authPlugin): for routes that verify credentials themselves (login). */
    authThrottle: AuthThrottle;
    /** Who may call each route registered after authPlugin, as the routes declare it (the route → roles matrix). */
    routeAccess: RouteAccess[];
  }
  interface FastifyContextConfig {
    /**
     * Who may call the route (`admin` always may): no credentials → 401, another role → 403, answered before the
     * body is read. Every route declares `roles` or `public`.
     */
    roles?: readonly Role[];
    /** Anyone may call the route (it may still look at `request.principal` itself: /api/session, /temporal/). */
    public?: boolean;
    /**
     * A Bearer token this route accepts besides API keys and sessions (GET /metrics: METRICS_TOKEN), compared in
     * constant time. A request presenting it has no principal, passes the route's role guard and is no failed
     * authentication; a wrong one is verified as an API key (and counted as a failure).
     */
    routeToken?: string;
  }
}

export interface AuthThrottle {
  /** Seconds until this client may try again when it is over the limit of failures, else null. Counts nothing. */
  blocked(request: FastifyRequest): Promise<number | null>;
  /** Counts one failed authentication for this client. */
  failed(request: FastifyRequest): Promise<void>;
  /** Answers 429 with Retry-After. */
  refuse(reply: FastifyReply, retryAfterSeconds: number): FastifyReply;
}

export interface AuthOptions {
  keys: ApiKeyRepository;
  /** At least 32 characters (see loadSessionSecret). */
  sessionSecret: string;
  /** Adds `Secure` to the session cookie (SECURE_COOKIES=true); implied by an https `publicUrl`. */
  secureCookies?: boolean;
  /** The console's public URL (PUBLIC_URL): its origin is the console's own. Unset: the request's Host. */
  publicUrl?: string;
  /**
   * Other origins whose pages may send cookie-authenticated POST/PUT/PATCH/DELETE requests (TEMPORAL_UI_ORIGIN: the
   * Temporal UI calling the codec server).
   */
  trustedOrigins?: readonly string[];
  /** Failed authentications allowed per client IP within the window (AUTH_FAILURES_MAX / AUTH_FAILURES_WINDOW). */
  failureLimit?: { max: number; windowMs: number };
}

export const SESSION_COOKIE = 'tpr_session';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;
export const MIN_SESSION_SECRET_LENGTH = 32;
export const DEFAULT_FAILURE_LIMIT = { max: 20, windowMs: 60_000 } as const;

export const AUTHENTICATION_REQUIRED = 'Authentification requise : connectez-vous à la console, ou envoyez Authorization: Bearer <clé d\'API>';
export const INVALID_CREDENTIALS =
  'Identifiants refusés : la clé d\'API est inconnue ou révoquée, ou la session a expiré — reconnectez-vous, ou envoyez Authorization: Bearer <clé d\'API>';
/** The roles as a refusal names them. */
const ROLE_NAMES: Record<Role, string> = { manager: 'gestionnaire', auditor: 'auditeur', admin: 'administrateur', submitter: 'déposant' };
export const forbidden = (needs: Role[], principal: { name: string; role: Role }) =>
  `Accès refusé : il faut le rôle ${needs.map((r) => ROLE_NAMES[r]).join(' ou ')} (la clé « ${principal.name} » a le rôle ${ROLE_NAMES[principal.role]})`;
export const tooManyFailures = (seconds: number) =>
  `Trop d'échecs d'authentification depuis cette adresse : réessayez dans ${seconds} s`;
export const CSRF_NO_ORIGIN =
  'Requête refusée : ni Origin ni Referer. Une requête authentifiée par le cookie de session doit venir de la console (protection CSRF)';
export const csrfForeignOrigin = (origin: string) =>
  `Requête refusée : l'origine « ${origin} » n'est pas celle de la console (protection CSRF)`;

// ---- Session cookie ----

/** The cookie value for a session id: `<id>.<hmac-sha256>` (@fastify/cookie's signature). */
export function signSession(sessionId: string, secret: string): string {
  return fastifyCookie.sign(sessionId, secret);
}

/** The session id a cookie value was signed for; null when malformed or tampered with (the row says if it is alive). */
export function readSession(value: string, secret: string): string | null {
  const { valid, value: id } = fastifyCookie.unsign(value, secret);
  return valid && id !== null && /^[A-Za-z0-9_-]{43}$/.test(id) ? id : null;
}

/** Whether the session cookie gets `Secure`: asked for, or the console is served over https. */
export function secureCookiesFor(options: { secureCookies?: boolean; publicUrl?: string }): boolean {
  if (options.secureCookies) return true;
  if (!options.publicUrl) return false;
  try {
    return new URL(options.publicUrl).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The session cookie's attributes (reply.setCookie / reply.clearCookie of @fastify/cookie). */
export function sessionCookieOptions(secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'strict', secure } as const;
}

/** Sets the session cookie for a session opened for SESSION_TTL_SECONDS. */
export function setSessionCookie(reply: FastifyReply, sessionId: string, options: { secret: string; secure?: boolean }): void {
  reply.setCookie(SESSION_COOKIE, signSession(sessionId, options.secret), {
    ...sessionCookieOptions(options.secure ?? false), maxAge: SESSION_TTL_SECONDS,
  });
}

/** Tells the browser to forget the session cookie. */
export function clearSessionCookie(reply: FastifyReply, options: { secure?: boolean } = {}): void {
  reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(options.secure ?? false));
}

const unquoted = (value: string) => (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);

/** The value of one cookie in a Cookie header (the first one of that name). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const value = fastifyCookie.parse(header)[name];
  return value === undefined ? undefined : unquoted(value);
}

/** The request's session cookie (parsed by @fastify/cookie), if it sent one. */
const sessionCookieOf = (request: FastifyRequest): string | undefined => {
  const value = request.cookies?.[SESSION_COOKIE];
  return value === undefined ? undefined : unquoted(value);
};

function bearerOf(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined; // no header
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? match[1]! : null; // null: a header that is not a Bearer key
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Whether the request presents its route's own token (`config.routeToken`): digests compared in constant time. */
export function presentsRouteToken(request: FastifyRequest): boolean {
  const expected = request.routeOptions.config?.routeToken;
  const bearer = bearerOf(request.headers.authorization);
  return typeof expected === 'string' && expected !== '' && typeof bearer === 'string' && timingSafeEqual(sha256(bearer), sha256(expected));
}

/** Whether the request carried credentials of any kind (to tell "log in" from "your credentials are bad"). */
export function hasCredentials(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined || sessionCookieOf(request) !== undefined;
}

// ---- CSRF: where a cookie-authenticated unsafe request comes from ----

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function originOfUrl(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** The origin a request says it comes from: `Origin`, else `Referer`'s; undefined when it sends neither. */
function claimedOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== '') return origin;
  const referer = request.headers.referer;
  if (typeof referer === 'string' && referer !== '') return originOfUrl(referer) ?? referer;
  return undefined;
}

/** The console's own origins: PUBLIC_URL's, else the request's Host (over http as received, or https). */
function ownOrigins(request: FastifyRequest, publicOrigin: string | null): string[] {
  if (publicOrigin) return [publicOrigin];
  const host = request.host;
  return [originOfUrl(`${request.protocol}://${host}`), originOfUrl(`https://${host}`)].filter((o): o is string => o !== null);
}

// ---- The plugin ----

/** Static pages (the console's files, the OpenAPI UI) need no principal: their requests verify nothing. */
const STATIC_PATHS = /^\/(console|docs)(\/|$|\?)/;

export const authPlugin = fp<AuthOptions>(
  async (app, options) => {
    if (!options.keys) throw new Error('authPlugin: the `keys` option (an ApiKeyRepository) is required');
    if (typeof options.sessionSecret !== 'string' || options.sessionSecret.length < MIN_SESSION_SECRET_LENGTH) {
      throw new Error(`authPlugin: the session secret must have at least ${MIN_SESSION_SECRET_LENGTH} characters`);
    }
    const publicOrigin = options.publicUrl ? originOfUrl(options.publicUrl) : null;
    if (options.publicUrl && !publicOrigin) throw new Error(`authPlugin: publicUrl is not a URL: ${options.publicUrl}`);
    const trusted = new Set((options.trustedOrigins ?? []).map((o) => {
      const origin = originOfUrl(o);
      if (!origin) throw new Error(`authPlugin: trusted origin is not a URL: ${o}`);
      return origin;
    }));
    const secure = secureCookiesFor(options);
    const limit = options.failureLimit ?? DEFAULT_FAILURE_LIMIT;

    if (!app.hasDecorator('createRateLimit')) await app.register(rateLimit, { global: false });
    // Cookies parsed before the principal is looked for (its hook comes first). Signatures are checked with the
    // session secret given here (readSession), whatever secret another registration may have.
    if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie, { hook: 'onRequest' });
    const failures = app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs });
    const throttle: AuthThrottle = {
      async blocked(request) {
        const state = await failures(request, { increment: false });
        if (state.isAllowed || state.remaining > 0) return null;
        return Math.max(1, state.ttlInSeconds);
      },
      async failed(request) {
        await failures(request);
      },
      refuse(reply, retryAfterSeconds) {
        return sendProblem(reply.header('retry-after', String(retryAfterSeconds)), new HttpError(429, tooManyFailures(retryAfterSeconds), undefined, { code: 'too_many_requests' }));
      },
    };
    app.decorate('authThrottle', throttle);

    app.decorateRequest('principal', null);
    app.decorateRequest('sessionId', null);
    app.addHook('onRequest', async (request, reply) => {
      if (STATIC_PATHS.test(request.url)) return;
      const bearer = bearerOf(request.headers.authorization);
      const cookie = bearer === undefined ? sessionCookieOf(request) : undefined;
      if (bearer === undefined && cookie === undefined) return; // anonymous: nothing to verify

      // Over the limit of failures: refused before anything is verified, a right key included.
      const wait = await throttle.blocked(request);
      if (wait !== null) return throttle.refuse(reply, wait);

      if (bearer !== undefined && presentsRouteToken(request)) return undefined; // the route's own token: no principal

      if (bearer !== undefined) {
        // Never falls back to the cookie.
        request.principal = bearer === null ? null : await options.keys.verify(bearer);
      } else {
        const sessionId = readSession(cookie!, options.sessionSecret);
        request.principal = sessionId ? await options.keys.findSession(sessionId) : null;
        if (request.principal) request.sessionId = sessionId;
        // A session that ended (logout elsewhere, expiry, revoked key): the browser forgets it.
        else clearSessionCookie(reply, { secure });
      }
      if (!request.principal) {
        await throttle.failed(request);
        return undefined;
      }

      if (request.sessionId && UNSAFE_METHODS.has(request.method)) {
        const claimed = claimedOrigin(request);
        if (claimed === undefined) return sendProblem(reply, new HttpError(403, CSRF_NO_ORIGIN, undefined, { code: 'csrf_refused' }));
        const origin = originOfUrl(claimed);
        if (!origin || !(trusted.has(origin) || ownOrigins(request, publicOrigin).includes(origin))) {
          request.log.warn({ origin: claimed.slice(0, 200), method: request.method }, 'auth: cookie-authenticated request from another origin refused');
          return sendProblem(reply, new HttpError(403, csrfForeignOrigin(claimed.slice(0, 200)), undefined, { code: 'csrf_refused' }));
        }
      }
      return undefined;
    });

    // Roles: each route's own declaration, checked once the principal is known (the route's token stands in for it).
    const guards = new Map<readonly Role[], RoleGuard>();
    const guardOf = (roles: readonly Role[]) => {
      let guard = guards.get(roles);
      if (!guard) guards.set(roles, (guard = requireRole(...roles)));
      return guard;
    };
    app.addHook('onRequest', async (request, reply) => {
      const roles = request.routeOptions.config?.roles;
      if (!roles || presentsRouteToken(request)) return undefined;
      return guardOf(roles)(request, reply);
    });

    // Every route registered from here on says who may call it; one that forgets stops the application at startup.
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });
    const access: RouteAccess[] = [];
    app.decorate('routeAccess', access);
    app.addHook('onReady', async () => {
      const missing: string[] = [];
      for (const route of routes) {
        const { roles, public: open } = route.config ?? {};
        const name = `${[route.method].flat().join(',')} ${route.url}`;
        if (roles && open) throw new Error(`auth: ${name} declares both roles and public`);
        if (!roles && !open) {
          missing.push(name);
          continue;
        }
        if (roles) guardOf(roles); // an unknown role is refused here
        for (const method of [route.method].flat()) access.push({ method: method.toUpperCase(), url: route.url, roles: roles ?? 'public' });
      }
      if (missing.length) {
        throw new Error(`auth: no roles declared on ${missing.join(', ')}: add config: { roles: [...] } (or config: { public: true })`);
      }
    });
  },
  { fastify: '5.x', name: 'tpr-auth' },
);

/** Who may call a route: its roles (`admin` always may), or anyone. */
export interface RouteAccess {
  method: string;
  url: string;
  roles: readonly Role[] | 'public';
}

/** Roles that read across claims (lists, histories, tasks, outputs). */
export const READERS: readonly Role[] = ['manager', 'auditor'];
/** Every role but admin (who always may): a claim's submitter reads it too. */
export const ANY_ROLE: readonly Role[] = ['submitter', 'manager', 'auditor'];

/** Who is acting, for the audit log: the request's principal (a route with declared roles always has one). */
export function actorOf(request: FastifyRequest): AuditActor {
  if (!request.principal) throw new Error('actorOf: the request has no principal');
  return auditActorOf(request.principal);
}

/** The name of who is acting (a task's assignee): the principal's name (the API key's name), else `anonymous`. */
export function actorName(request: FastifyRequest): string {
  return request.principal?.name ?? 'anonymous';
}

// ---- Guards ----

export type RoleGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/**
 * A hook letting through the given roles, and `admin` always (authPlugin applies it from each route's `config.roles`). No credentials → 401 with `WWW-Authenticate: Bearer`; invalid ones → 401; a principal
 * without the role → 403. With no role given, admin only.
 */
export function requireRole(...roles: Role[]): RoleGuard {
  for (const role of roles) if (!isRole(role)) throw new Error(`requireRole: unknown role ${JSON.stringify(role)}`);
  const allowed = new Set<Role>([...roles, 'admin']);
  const needs = [...new Set(roles.length ? roles : (['admin'] as Role[]))];
  return async function guard(request, reply) {
    const principal = request.principal ?? null;
    if (!principal) {
      const presented = hasCredentials(request);
      reply.header('www-authenticate', presented ? 'Bearer error="invalid_token"' : 'Bearer');
      return sendProblem(reply, presented
        ? new HttpError(401, INVALID_CREDENTIALS, undefined, { code: 'invalid_credentials' })
        : new HttpError(401, AUTHENTICATION_REQUIRED, undefined, { code: 'authentication_required' }));
    }
    if (!allowed.has(principal.role)) {
      return sendProblem(reply, new HttpError(403, forbidden(needs, principal), undefined, { code: 'forbidden' }));
    }
    return undefined;
  };
}
