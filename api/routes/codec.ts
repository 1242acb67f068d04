// The codec server (Temporal's remote codec protocol): POST /codec/decode and /codec/encode, each taking and
// returning `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }`. The Temporal UI calls it from the
// browser (TEMPORAL_UI_ORIGIN, with the console's session cookie: same site), the CLI with a Bearer key:
//   temporal workflow show -w invoice-… --codec-endpoint http://127.0.0.1:3000/codec --codec-auth "Bearer $KEY"
// Managers, auditors and admins only (each route's `config.roles`); every call is audited (who, when, how many).
// CORS: only the configured Temporal UI origin, credentials allowed.

import cors from '@fastify/cors';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { Payload } from '@temporalio/common';
import { decode, encode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import { PayloadDecryptionError } from '../../activities/encryption.js';
import { actorOf } from '../auth.js';
import { HttpError } from '../errors.js';
import { ErrorBody } from '../schemas.js';

const MAX_PAYLOADS = 10_000;

const JsonPayload = Type.Object({
  metadata: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 4096 }))),
  data: Type.Optional(Type.String({ maxLength: 8 * 1024 * 1024 })),
});
const CodecBody = Type.Object({ payloads: Type.Array(JsonPayload, { maxItems: MAX_PAYLOADS }) });
type JsonPayloadT = Static<typeof JsonPayload>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
function bytes(value: string, where: string): Uint8Array {
  if (!BASE64.test(value)) throw new HttpError(400, `Requête invalide : ${where} doit être en base64`, [{ path: where, message: 'doit être en base64' }], { code: 'invalid_request' });
  return Buffer.from(value, 'base64');
}

function fromJson(payloads: JsonPayloadT[]): Payload[] {
  return payloads.map((p, i) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, bytes(v, `payloads[${i}].metadata.${k}`)])),
    data: bytes(p.data ?? '', `payloads[${i}].data`),
  }));
}

function toJson(payloads: Payload[]): JsonPayloadT[] {
  return payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  }));
}

export interface CodecRouteOptions {
  /** The Temporal UI's origins (TEMPORAL_UI_ORIGIN), allowed to call with credentials; none: no cross-origin call. */
  uiOrigins: readonly string[];
}

export const codecRoutes: FastifyPluginAsyncTypebox<CodecRouteOptions> = async (app, { uiOrigins }) => {
  const codecs = app.temporal.options.loadedDataConverter.payloadCodecs;
  // The CORS preflight route (@fastify/cors: OPTIONS /codec/*) needs no credentials: browsers send none with it.
  app.addHook('onRoute', (route) => {
    if (route.method === 'OPTIONS') route.config = { ...route.config, public: true };
  });
  // The role check (authPlugin, on request) answers 401 / 403 before @fastify/cors's own hook runs: such an answer
  // gets the CORS headers here, so that a browser on the UI's origin reads the refusal instead of a network error.
  app.addHook('onSend', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && uiOrigins.includes(origin) && !reply.hasHeader('access-control-allow-origin')) {
      reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true').header('vary', 'Origin');
    }
  });
  await app.register(cors, {
    origin: uiOrigins.length ? [...uiOrigins] : false,
    credentials: true,
    methods: ['POST'],
    allowedHeaders: ['content-type', 'authorization', 'x-namespace'],
    maxAge: 600,
  });

  for (const direction of ['decode', 'encode'] as const) {
    app.post(`/${direction}`, {
      schema: {
        tags: ['access'],
        operationId: direction === 'decode' ? 'decodePayloads' : 'encodePayloads',
        summary: direction === 'decode'
          ? 'Codec server: decrypts payloads (Temporal UI, temporal CLI --codec-endpoint); audited'
          : 'Codec server: encrypts payloads with the active key; audited',
        body: CodecBody,
        response: { 200: CodecBody, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 422: ErrorBody },
      },
      bodyLimit: 64 * 1024 * 1024,
      config: { roles: ['manager', 'auditor'] },
    }, async (request) => {
      let payloads = fromJson(request.body.payloads);
      try {
        payloads = await (direction === 'decode' ? decode : encode)(codecs, payloads);
      } catch (error) {
        if (error instanceof PayloadDecryptionError) throw new HttpError(422, `Une donnée ne peut pas être déchiffrée : ${error.message}`, undefined, { code: 'payload_undecryptable' });
        throw error;
      }
      await app.audit.record({
        actor: actorOf(request), action: `codec.${direction}`, ip: request.ip,
        target: typeof request.headers['x-namespace'] === 'string' ? request.headers['x-namespace'].slice(0, 100) : null,
        details: { payloads: payloads.length, origin: request.headers.origin ?? null },
      });
      return { payloads: toJson(payloads) };
    });
  }
};
