// The console's session: log in with an API key (→ a signed HttpOnly cookie, see api/auth.ts), who am I, log out.
// Needs authPlugin registered first (it resolves request.principal from the cookie on later requests).

import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ApiKeyRepository } from '../../db/api-keys.js';
import { ROLES } from '../../db/api-keys.js';
import { AUTHENTICATION_REQUIRED, clearSessionCookieHeader, sessionCookieHeader } from '../auth.js';
import { ErrorBody } from '../schemas.js';

export interface SessionRouteOptions {
  keys: ApiKeyRepository;
  sessionSecret: string;
  /** Adds `Secure` to the cookie (HTTPS). */
  secureCookies?: boolean;
}

export const RoleSchema = { ...Type.Union(ROLES.map((role) => Type.Literal(role))), errorMessage: `must be one of ${ROLES.join(', ')}` };

const LoginBody = Type.Object({ key: Type.String({ minLength: 1, maxLength: 200, description: 'An API key, tpr_…' }) }, { additionalProperties: false });
const LoginResult = Type.Object({ name: Type.String(), role: RoleSchema });
const PrincipalView = Type.Object({ keyId: Type.String(), name: Type.String(), role: RoleSchema });

/** One message whatever the reason (malformed, unknown, revoked): nothing to learn from it. */
export const INVALID_KEY = 'Invalid API key';

export const sessionRoutes: FastifyPluginAsync<SessionRouteOptions> = async (app, options) => {
  if (!app.hasRequestDecorator('principal')) throw new Error('sessionRoutes: register authPlugin first');
  const secure = options.secureCookies ?? false;

  app.post<{ Body: Static<typeof LoginBody> }>('/api/session', {
    schema: {
      tags: ['access'],
      summary: 'Console login: exchanges an API key for a 12-hour session cookie (tpr_session)',
      body: LoginBody,
      response: { 200: LoginResult, 401: ErrorBody },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const principal = await options.keys.verify(request.body.key);
    if (!principal) return reply.code(401).send({ message: INVALID_KEY });
    reply.header('set-cookie', sessionCookieHeader(principal, { secret: options.sessionSecret, secure }));
    return { name: principal.name, role: principal.role };
  });

  app.get('/api/session', {
    schema: {
      tags: ['access'],
      summary: 'The caller (session cookie or Bearer key)',
      response: { 200: PrincipalView, 401: ErrorBody },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const principal = request.principal;
    if (!principal) return reply.code(401).header('www-authenticate', 'Bearer').send({ message: AUTHENTICATION_REQUIRED });
    return { keyId: principal.keyId, name: principal.name, role: principal.role };
  });

  app.delete('/api/session', {
    schema: { tags: ['access'], summary: 'Console logout: deletes the session cookie', response: { 204: Type.Null() } },
  }, async (_request, reply) => {
    return reply.code(204).header('set-cookie', clearSessionCookieHeader({ secure })).send();
  });
};
