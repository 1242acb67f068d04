// API keys, admin only: list (never a key nor its hash), create (the key is in the answer, once), revoke.
// Needs authPlugin registered first.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiKeyRepository } from '../../db/api-keys.js';
import type { AuditLog } from '../../db/audit.js';
import { actorOf } from '../auth.js';
import { ErrorBody } from '../schemas.js';
import { notFound, sendProblem } from '../errors.js';
import { RoleSchema } from './session.js';

export interface KeyRouteOptions {
  keys: ApiKeyRepository;
  /** key.create, key.revoke. */
  audit: AuditLog;
}

const Timestamp = Type.String({ format: 'date-time' });
const KeyInfo = Type.Object({
  id: Type.String({ description: 'Public part of the key (tpr_<id>_…)' }),
  name: Type.String(),
  role: RoleSchema,
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});
const KeyList = Type.Object({ items: Type.Array(KeyInfo) });
const CreateKeyBody = Type.Object({
  role: RoleSchema,
  name: { ...Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'Who or what uses the key' }), errorMessage: 'doit comporter 1 à 100 caractères, pas tous blancs' },
}, { additionalProperties: false });
const CreatedKey = Type.Object({
  key: Type.String({ description: 'The key itself: shown once, only its hash is stored' }),
  id: Type.String(),
  role: RoleSchema,
  name: Type.String(),
  createdAt: Timestamp,
});
const KeyIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const denied = { 401: ErrorBody, 403: ErrorBody };

export const keyRoutes: FastifyPluginAsyncTypebox<KeyRouteOptions> = async (app, { keys, audit }) => {
  if (!app.hasRequestDecorator('principal')) throw new Error('keyRoutes: register authPlugin first');
  const admins = { roles: ['admin'] } as const;

  app.get('/api/keys', {
    config: admins,
    schema: { tags: ['access'], operationId: 'listKeys', summary: 'Every API key, revoked ones included', response: { 200: KeyList, ...denied } },
  }, async () => ({ items: await keys.list() }));

  app.post('/api/keys', {
    config: admins,
    schema: {
      tags: ['access'], operationId: 'createKey',
      summary: 'Creates an API key; the answer holds the key, shown this once',
      body: CreateKeyBody,
      response: { 201: CreatedKey, ...denied },
    },
  }, async (request, reply) => {
    const created = await keys.create({ role: request.body.role, name: request.body.name });
    await audit.record({
      actor: actorOf(request), action: 'key.create', target: created.id, details: { role: created.role, name: created.name }, ip: request.ip,
    });
    request.log.info({ keyId: created.id, role: created.role, by: request.principal?.keyId }, 'API key created');
    return reply.code(201).header('cache-control', 'no-store').send(created);
  });

  app.delete('/api/keys/:id', {
    config: admins,
    schema: {
      tags: ['access'], operationId: 'revokeKey',
      summary: 'Revokes an API key (its sessions end too)',
      params: KeyIdParams,
      response: { 204: Type.Null(), 404: ErrorBody, ...denied },
    },
  }, async (request, reply) => {
    if (!(await keys.revoke(request.params.id))) return sendProblem(reply, notFound(`La clé d'API ${request.params.id}`));
    await audit.record({ actor: actorOf(request), action: 'key.revoke', target: request.params.id, ip: request.ip });
    request.log.info({ keyId: request.params.id, by: request.principal?.keyId }, 'API key revoked');
    return reply.code(204).send(null);
  });
};
