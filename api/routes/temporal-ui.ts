// The Temporal Web UI served from the console's own origin, under /temporal/ (TEMPORAL_UI_URL: the UI server,
// started with `--ui-public-path /temporal` and `--ui-codec-endpoint <this API>/codec`). Same origin, so the UI's
// calls to the codec server carry the console's session cookie: a manager, auditor or admin logged into the console
// reads decoded payloads; anyone reaching the UI server directly sees only ciphertext (the codec answers 401).
// Here the UI itself is for those roles: without a session, a browser is sent to the console's login.

import proxy from '@fastify/http-proxy';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, sendProblem } from '../errors.js';

export const TEMPORAL_UI_PREFIX = '/temporal';
const ALLOWED = new Set(['manager', 'auditor', 'admin']);

async function sessionGuard(request: FastifyRequest, reply: FastifyReply) {
  const role = request.principal?.role;
  if (role && ALLOWED.has(role)) return;
  if (!role && request.method === 'GET' && /text\/html/.test(String(request.headers.accept ?? ''))) {
    return reply.redirect(`/console/?next=${encodeURIComponent(request.url)}`);
  }
  return sendProblem(reply, role
    ? new HttpError(403, `Accès refusé : l'interface Temporal demande le rôle manager, auditor ou admin (cette session a le rôle ${role})`, undefined, { code: 'forbidden' })
    : new HttpError(401, 'Authentification requise : connectez-vous à la console (/console/) pour ouvrir l\'interface Temporal', undefined, { code: 'authentication_required' }));
}

export const temporalUiRoutes: FastifyPluginAsync<{ upstream: string }> = async (app, { upstream }) => {
  const origin = new URL(upstream).origin;
  await app.register(proxy, {
    upstream: origin,
    prefix: TEMPORAL_UI_PREFIX,
    rewritePrefix: TEMPORAL_UI_PREFIX,
    // Public as far as the route table goes: the guard checks the session itself and sends a browser to the login.
    config: { public: true },
    preHandler: sessionGuard,
    // Credentials stay here: the UI server needs none.
    replyOptions: { rewriteRequestHeaders: (_request, headers) => ({ ...headers, cookie: undefined, authorization: undefined }) },
  });
};
