// `Idempotency-Key` on the task actions (routes with `config.idempotent`): the first request under a key is acted on
// and its response kept (db/idempotency.ts, IDEMPOTENCY_TTL_MS); the same request again (same caller, key, method,
// path and body) gets that response back, status and body, with `Idempotent-Replayed: true`, and nothing is done
// twice. Another request under the same key is a 422 problem `idempotency_key_reused`; the same one while the first
// is still being answered, a 409 `idempotency_key_in_use`. A 5xx is not kept: the same request again acts.

import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { createIdempotencyRepository } from '../db/idempotency.js';
import { HttpError, sanitizeError } from './errors.js';

/** How long a key's response is kept and replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1, maxLength: 255,
    description: 'Any unique text (a UUID): the same request again with it answers the first response without acting twice (kept 24 h)',
  })),
});

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours `Idempotency-Key` (api/idempotency.ts). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** The key this request holds, until its response is kept. */
    idempotencyKey: { actor: string; key: string } | null;
  }
}

/** JSON with the keys of every object sorted: the same body whatever the order its fields came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export const REUSED = 'Clé d\'idempotence déjà utilisée pour une autre requête : envoyez une nouvelle clé pour une nouvelle requête';
export const IN_USE = 'Une requête avec cette clé d\'idempotence est encore en cours : réessayez dans un instant';

export const idempotencyPlugin = fp<{ ttlMs?: number }>(async (app, options) => {
  const repository = createIdempotencyRepository(app.database.db);
  const ttlMs = options.ttlMs ?? IDEMPOTENCY_TTL_MS;
  let lastSweep = 0;
  app.decorateRequest('idempotencyKey', null);

  // After authentication and validation: the caller is known, the body read.
  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (!request.routeOptions.config?.idempotent || typeof key !== 'string') return undefined;
    const actor = request.principal?.keyId ?? 'anonymous';
    const hash = createHash('sha256').update(canonical([request.method, request.url.split('?')[0], request.body ?? null])).digest('hex');
    if (Date.now() - lastSweep > 3600_000) {
      lastSweep = Date.now();
      void repository.sweep().catch((err: unknown) => request.log.warn({ err: sanitizeError(err) }, 'idempotency: expired keys not swept'));
    }
    const claim = await repository.claim(actor, key, hash, ttlMs);
    switch (claim.kind) {
      case 'new':
        request.idempotencyKey = { actor, key };
        return undefined;
      case 'replay': {
        const { status, contentType, body } = claim.response;
        reply.code(status).header('idempotent-replayed', 'true');
        if (contentType) reply.type(contentType);
        return reply.serializer((payload) => payload as string).send(body);
      }
      case 'reused':
        throw new HttpError(422, REUSED, [{ path: 'headers.idempotency-key', message: 'was used for another request' }], { code: 'idempotency_key_reused' });
      case 'in_progress':
        throw new HttpError(409, IN_USE, undefined, { code: 'idempotency_key_in_use' });
    }
  });

  // The response as sent, kept for the key (a 5xx frees it).
  app.addHook('onSend', async (request, reply, payload) => {
    const held = request.idempotencyKey;
    if (!held) return payload;
    request.idempotencyKey = null;
    try {
      if (reply.statusCode >= 500 || typeof payload !== 'string') await repository.release(held.actor, held.key);
      else await repository.complete(held.actor, held.key, { status: reply.statusCode, contentType: String(reply.getHeader('content-type') ?? '') || null, body: payload });
    } catch (err) {
      request.log.error({ err: sanitizeError(err) }, 'idempotency: the response could not be kept for its key');
      await repository.release(held.actor, held.key).catch(() => undefined);
    }
    return payload;
  });
}, { fastify: '5.x', name: 'tpr-idempotency', dependencies: ['tpr-external-services'] });
