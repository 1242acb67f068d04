// The console's session: log in with an API key (→ a session row and a signed HttpOnly cookie carrying its id, see
// api/auth.ts), who am I, log out (the row is deleted: the cookie is worth nothing after, wherever it was copied).
// Needs authPlugin registered first (it resolves request.principal from the cookie on later requests and counts
// failed logins with the other failed authentications).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiKeyRepository } from '../../db/api-keys.js';
import { ROLES } from '../../db/api-keys.js';
import { actorOf, type AuditLog } from '../../db/audit.js';
import { AUTHENTICATION_REQUIRED, clearSessionCookie, secureCookiesFor, setSessionCookie, SESSION_TTL_SECONDS } from '../auth.js';
import { ErrorBody } from '../schemas.js';
import { HttpError, sendProblem } from '../errors.js';

export interface SessionRouteOptions {
  keys: ApiKeyRepository;
  sessionSecret: string;
  /** Adds `Secure` to the cookie (HTTPS); implied by an https `publicUrl`. */
  secureCookies?: boolean;
  publicUrl?: string;
  /** session.login, session.logout. */
  audit: AuditLog;
}

export const RoleSchema = { ...Type.Union(ROLES.map((role) => Type.Literal(role))), errorMessage: `doit être l'une des valeurs ${ROLES.join(', ')}` };

const LoginBody = Type.Object({ key: Type.String({ minLength: 1, maxLength: 200, description: 'An API key, tpr_…' }) }, { additionalProperties: false });
const LoginResult = Type.Object({ name: Type.String(), role: RoleSchema });
const PrincipalView = Type.Object({ keyId: Type.String(), name: Type.String(), role: RoleSchema });

/** One message whatever the reason (malformed, unknown, revoked): nothing to learn from it. */
export const INVALID_KEY = 'Clé d\'API refusée : inconnue ou révoquée';

export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRouteOptions> = async (app, options) => {
  if (!app.hasRequestDecorator('principal')) throw new Error('sessionRoutes: register authPlugin first');
  const secure = secureCookiesFor(options);
  const { audit, keys } = options;

  // Public: logging in is how one gets credentials; the two others answer from the principal, if any.
  app.post('/api/session', {
    config: { public: true },
    schema: {
      tags: ['access'], operationId: 'logIn',
      summary: 'Console login: exchanges an API key for a 12-hour session cookie (tpr_session)',
      body: LoginBody,
      response: { 200: LoginResult, 401: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    // Over the limit of failed authentications from this address: not even verified.
    const wait = await app.authThrottle.blocked(request);
    if (wait !== null) return app.authThrottle.refuse(reply, wait);
    const principal = await keys.verify(request.body.key);
    const session = principal ? await keys.openSession(principal.keyId, SESSION_TTL_SECONDS) : null;
    if (!principal || !session) {
      await app.authThrottle.failed(request);
      return sendProblem(reply, new HttpError(401, INVALID_KEY, undefined, { code: 'invalid_credentials' }));
    }
    await audit.record({ actor: actorOf(principal), action: 'session.login', target: principal.keyId, ip: request.ip });
    setSessionCookie(reply, session.id, { secret: options.sessionSecret, secure });
    return { name: principal.name, role: principal.role };
  });

  app.get('/api/session', {
    config: { public: true },
    schema: {
      tags: ['access'], operationId: 'getSession',
      summary: 'The caller (session cookie or Bearer key)',
      response: { 200: PrincipalView, 401: ErrorBody },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const principal = request.principal;
    if (!principal) return sendProblem(reply.header('www-authenticate', 'Bearer'), new HttpError(401, AUTHENTICATION_REQUIRED, undefined, { code: 'authentication_required' }));
    return { keyId: principal.keyId, name: principal.name, role: principal.role };
  });

  app.delete('/api/session', {
    config: { public: true },
    schema: { tags: ['access'], operationId: 'logOut', summary: 'Console logout: ends the session (its cookie is refused from then on) and deletes the cookie', response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const ended = request.sessionId ? await keys.endSession(request.sessionId) : null;
    if (ended) await audit.record({ actor: actorOf(ended), action: 'session.logout', target: ended.keyId, ip: request.ip });
    clearSessionCookie(reply, { secure });
    return reply.code(204).send(null);
  });
};
