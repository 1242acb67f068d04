// Webhooks, admin only: the endpoints that are told of decisions, replies, tasks and closed batches (register, list,
// change, enable or disable, delete, rotate the secret, send a test event), and each endpoint's deliveries with their
// outcome. The events themselves are written by the database (migration 0008) and delivered by the workers
// (activities/webhooks.ts); `webhookDocumentation` describes them in the OpenAPI document's `webhooks` section.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OpenAPIV3_1 } from 'openapi-types';
import { Type, type TSchema } from '@sinclair/typebox';
import type { AuditLog } from '../../db/audit.js';
import {
  createWebhookRepository, DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT, type WebhookEventType,
} from '../../db/webhooks.js';
import { actorOf, actorName } from '../auth.js';
import { badRequest, HttpError, notFound, sendProblem } from '../errors.js';
import { ErrorBody, limitSchema } from '../schemas.js';

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const EventType = {
  ...Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t))),
  errorMessage: `doit être l'une des valeurs ${WEBHOOK_EVENT_TYPES.join(', ')}`,
};
const Url = {
  ...Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://\\S+$', description: 'Where events are POSTed (http or https)' }),
  errorMessage: 'doit être une adresse http ou https',
};
const Events = Type.Array(EventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true, description: 'The events wanted' });
const Description = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);
const PersonalData = Type.Boolean({
  description: 'Payloads carry the beneficiary (NIR, name, birth date) and free texts under data.personal only when true',
});

export const WebhookEndpointSchema = Type.Object({
  id: Type.String({ description: 'ep_…' }),
  url: Type.String(),
  description: Description,
  events: Type.Array(EventType),
  personalData: Type.Boolean(),
  enabled: Type.Boolean(),
  consecutiveFailures: Type.Integer({ description: 'Failed attempts in a row (a success resets it)' }),
  failingSince: NullableTimestamp,
  disabledAt: NullableTimestamp,
  disabledReason: Type.Union([Type.String({ description: '`manual`, or why it was disabled automatically' }), Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const EndpointList = Type.Object({ items: Type.Array(WebhookEndpointSchema) });
const Secret = Type.String({ description: 'whsec_<base64>: the signing secret (HMAC-SHA256 key, base64 after the prefix). Shown on creation and rotation only' });
const CreatedEndpoint = Type.Object({ endpoint: WebhookEndpointSchema, secret: Secret });
const CreateBody = Type.Object({
  url: Url,
  events: Events,
  description: Type.Optional(Description),
  personalData: Type.Optional(PersonalData),
}, { additionalProperties: false });
const PatchBody = Type.Object({
  url: Type.Optional(Url),
  events: Type.Optional(Events),
  description: Type.Optional(Description),
  personalData: Type.Optional(PersonalData),
  enabled: Type.Optional(Type.Boolean({ description: 'false: stops its deliveries at once; true: enabled again, failures forgotten' })),
}, { additionalProperties: false, minProperties: 1 });
const EndpointParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'ep_…' }) });
const DeliveryStatus = { ...Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s))), errorMessage: `doit être l'une des valeurs ${DELIVERY_STATUSES.join(', ')}` };
const Delivery = Type.Object({
  id: Type.Integer(),
  eventId: Type.String({ description: 'msg_…: the webhook-id header' }),
  eventType: Type.String(),
  sequence: Type.Integer(),
  archiveKey: Type.Union([Type.String(), Type.Null()]),
  taskId: Type.Union([Type.String(), Type.Null()]),
  batchId: Type.Union([Type.String(), Type.Null()]),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  lastStatus: Type.Union([Type.Integer({ description: 'The receiver\'s last HTTP status' }), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastAttemptAt: NullableTimestamp,
  deliveredAt: NullableTimestamp,
  createdAt: Timestamp,
});
const DeliveryList = Type.Object({ items: Type.Array(Delivery) });
const DeliveryQuery = Type.Object({
  status: Type.Optional(DeliveryStatus),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Deliveries older than this delivery id (the next page)' })),
  limit: limitSchema(200),
});
const TestSent = Type.Object({ eventId: Type.String() });
const denied = { 401: ErrorBody, 403: ErrorBody };

/** Titles and details of this file's refusals (api/errors.ts PROBLEM_TITLES holds the titles). */
const endpointNotFound = (id: string) => notFound(`Le point de réception ${id}`);
const endpointDisabled = (id: string) => new HttpError(409, `Le point de réception ${id} est désactivé : réactivez-le avant de lui envoyer un test`, undefined, { code: 'webhook_disabled' });

function checkedUrl(url: string | undefined): void {
  if (url === undefined) return;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return;
  } catch {
    // below
  }
  throw badRequest([{ path: 'url', message: 'doit être une adresse http ou https' }]);
}

export const webhookRoutes: FastifyPluginAsyncTypebox<{ audit: AuditLog }> = async (app, { audit }) => {
  if (!app.hasRequestDecorator('principal')) throw new Error('webhookRoutes: register authPlugin first');
  const webhooks = createWebhookRepository(app.database.db);
  const admins = { roles: ['admin'] } as const;
  const tags = ['webhooks'];

  app.get('/api/webhooks', {
    config: admins,
    schema: { operationId: 'listWebhookEndpoints', tags, summary: 'Every webhook endpoint (never a secret)', response: { 200: EndpointList, ...denied } },
  }, async () => ({ items: await webhooks.list() }));

  app.post('/api/webhooks', {
    config: admins,
    schema: {
      operationId: 'createWebhookEndpoint', tags,
      summary: 'Registers an endpoint; the answer holds its signing secret, shown this once',
      body: CreateBody,
      response: { 201: CreatedEndpoint, 400: ErrorBody, ...denied },
    },
  }, async (request, reply) => {
    checkedUrl(request.body.url);
    const created = await webhooks.create({ ...request.body, events: request.body.events as WebhookEventType[], createdBy: actorName(request) });
    await audit.record({
      actor: actorOf(request), action: 'webhook.create', target: created.endpoint.id,
      details: { url: created.endpoint.url, events: created.endpoint.events, personalData: created.endpoint.personalData }, ip: request.ip,
    });
    return reply.code(201).header('cache-control', 'no-store').send(created);
  });

  app.get('/api/webhooks/:id', {
    config: admins,
    schema: { operationId: 'getWebhookEndpoint', tags, summary: 'One endpoint', params: EndpointParams, response: { 200: WebhookEndpointSchema, 404: ErrorBody, ...denied } },
  }, async (request, reply) => {
    const endpoint = await webhooks.get(request.params.id);
    return endpoint ?? sendProblem(reply, endpointNotFound(request.params.id));
  });

  app.patch('/api/webhooks/:id', {
    config: admins,
    schema: {
      operationId: 'updateWebhookEndpoint', tags,
      summary: 'Changes an endpoint: URL, events, personal data, enabled (disabling stops its pending deliveries)',
      params: EndpointParams, body: PatchBody,
      response: { 200: WebhookEndpointSchema, 400: ErrorBody, 404: ErrorBody, ...denied },
    },
  }, async (request, reply) => {
    checkedUrl(request.body.url);
    const endpoint = await webhooks.update(request.params.id, { ...request.body, events: request.body.events as WebhookEventType[] | undefined });
    if (!endpoint) return sendProblem(reply, endpointNotFound(request.params.id));
    await audit.record({ actor: actorOf(request), action: 'webhook.update', target: endpoint.id, details: { ...request.body }, ip: request.ip });
    return endpoint;
  });

  app.delete('/api/webhooks/:id', {
    config: admins,
    schema: {
      operationId: 'deleteWebhookEndpoint', tags, summary: 'Deletes an endpoint and its deliveries',
      params: EndpointParams, response: { 204: Type.Null(), 404: ErrorBody, ...denied },
    },
  }, async (request, reply) => {
    if (!(await webhooks.remove(request.params.id))) return sendProblem(reply, endpointNotFound(request.params.id));
    await audit.record({ actor: actorOf(request), action: 'webhook.delete', target: request.params.id, ip: request.ip });
    return reply.code(204).send(null);
  });

  app.post('/api/webhooks/:id/secret', {
    config: admins,
    schema: {
      operationId: 'rotateWebhookSecret', tags, summary: 'A new signing secret, at once (shown this once); the old one signs no more',
      params: EndpointParams, response: { 200: Type.Object({ secret: Secret }), 404: ErrorBody, ...denied },
    },
  }, async (request, reply) => {
    const secret = await webhooks.rotateSecret(request.params.id);
    if (!secret) return sendProblem(reply, endpointNotFound(request.params.id));
    await audit.record({ actor: actorOf(request), action: 'webhook.secret', target: request.params.id, ip: request.ip });
    return reply.header('cache-control', 'no-store').send({ secret });
  });

  app.post('/api/webhooks/:id/test', {
    config: admins,
    schema: {
      operationId: 'testWebhookEndpoint', tags,
      summary: `Sends a ${WEBHOOK_TEST_EVENT} event to this endpoint (delivered, signed and retried like any other)`,
      params: EndpointParams, response: { 202: TestSent, 404: ErrorBody, 409: ErrorBody, ...denied },
    },
  }, async (request, reply) => {
    const sent = await webhooks.ping(request.params.id);
    if (!sent) {
      const endpoint = await webhooks.get(request.params.id);
      return sendProblem(reply, endpoint ? endpointDisabled(endpoint.id) : endpointNotFound(request.params.id));
    }
    return reply.code(202).send(sent);
  });

  app.get('/api/webhooks/:id/deliveries', {
    config: admins,
    schema: {
      operationId: 'listWebhookDeliveries', tags, summary: 'The endpoint\'s deliveries, newest first, with their attempts and outcome',
      params: EndpointParams, querystring: DeliveryQuery, response: { 200: DeliveryList, 404: ErrorBody, ...denied },
    },
  }, async (request, reply) => {
    if (!(await webhooks.get(request.params.id))) return sendProblem(reply, endpointNotFound(request.params.id));
    return { items: await webhooks.deliveries(request.params.id, request.query) };
  });
};

// ---- The OpenAPI document's `webhooks` section (OpenAPI 3.1): what a receiver gets ----

const nullable = (schema: TSchema) => Type.Union([schema, Type.Null()]);
const InvoiceData = Type.Object({
  archiveKey: Type.String({ description: 'Critère d\'archivage' }),
  status: Type.String({ description: 'paid, awaiting_reply, replied or closed' }),
  outcome: nullable(Type.String({ description: 'paid or rejected' })),
  motif: nullable(Type.String({ description: 'The motif de traitement' })),
  route: nullable(Type.String({ description: 'practitioner or manager' })),
  batchId: nullable(Type.String()),
  practitionerNumber: nullable(Type.String({ description: 'N° PS' })),
  decidedAt: nullable(Timestamp),
  receivedOn: Type.String({ format: 'date' }),
  emailId: Type.Optional(nullable(Type.String({ description: 'invoice.replied: the e-mail that carried the reply' }))),
  emailedAt: Type.Optional(nullable(Timestamp)),
});
const TaskData = Type.Object({
  taskId: Type.String(),
  archiveKey: Type.String(),
  motif: Type.String(),
  status: Type.String({ description: 'open or resolved' }),
  batchId: nullable(Type.String()),
  practitionerNumber: nullable(Type.String()),
  createdAt: Timestamp,
  dueAt: Timestamp,
  resolution: Type.Optional(Type.Object({ action: Type.String({ description: 'pay, reply, reanalyze or close' }), motif: nullable(Type.String()) })),
  resolvedAt: Type.Optional(nullable(Timestamp)),
});
const BatchData = Type.Object({
  batchId: Type.String(),
  invoiceCount: Type.Integer(),
  receivedOn: nullable(Type.String({ format: 'date' })),
  gtoClosure: nullable(Type.String({ description: '« FIN OK »' })),
  closedAt: nullable(Timestamp),
});
const PersonalPart = Type.Optional(Type.Object({
  beneficiary: nullable(Type.Object({ nir: nullable(Type.String()), lastName: nullable(Type.String()), firstName: nullable(Type.String()), birthDate: nullable(Type.String()) })),
  invoiceNumber: nullable(Type.String()),
  reply: nullable(Type.String()),
  comment: nullable(Type.String()),
  resolvedBy: Type.Optional(nullable(Type.String())),
}, { description: 'Only for an endpoint registered with personalData: true' }));

function eventPayload(type: string, data: TSchema) {
  return Type.Object({
    id: Type.String({ description: 'msg_…: the same as webhook-id, the same on every attempt (de-duplicate on it)' }),
    type: Type.Literal(type),
    timestamp: Type.String({ format: 'date-time', description: 'When it happened' }),
    subject: Type.String({ description: 'invoice:<critère d\'archivage> (batch:<id> for batch.closed)' }),
    sequence: Type.Integer({ minimum: 1, description: '1, 2, 3… per subject in the order of the changes: order an invoice\'s events with it' }),
    data,
  });
}

const SIGNATURE_HEADERS = {
  'webhook-id': { required: true, schema: { type: 'string' }, description: 'The event id (msg_…), stable across attempts' },
  'webhook-timestamp': { required: true, schema: { type: 'string' }, description: 'Seconds since the epoch, when this attempt was signed' },
  'webhook-signature': {
    required: true, schema: { type: 'string' },
    description: 'v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" keyed with the base64-decoded part of the whsec_ secret> (Standard Webhooks)',
  },
};

const WEBHOOK_DESCRIPTIONS: Record<string, { summary: string; data: TSchema }> = {
  'invoice.decided': { summary: 'A claim was decided: paid, answered (a reply to the PS) or closed, by the analysis or a manager', data: InvoiceData },
  'invoice.replied': { summary: 'The reply to the PS was e-mailed', data: InvoiceData },
  'task.created': { summary: 'A manager task was opened', data: TaskData },
  'task.resolved': { summary: 'A manager resolved a task', data: TaskData },
  'batch.closed': { summary: 'A « document multi factures » was closed « FIN OK »', data: BatchData },
};

/** `openapi.webhooks`: one POST per event type, its body and signature headers, what the receiver answers. */
export function webhookDocumentation(): Record<string, OpenAPIV3_1.PathItemObject> {
  return Object.fromEntries(WEBHOOK_EVENT_TYPES.map((type) => {
    const { summary, data } = WEBHOOK_DESCRIPTIONS[type]!;
    const withPersonal = type === 'batch.closed' ? data : Type.Composite([data as never, Type.Object({ personal: PersonalPart })]);
    return [type, {
      post: {
        operationId: `webhook_${type.replace('.', '_')}`,
        tags: ['webhooks'],
        summary,
        description: 'Signed per Standard Webhooks; delivered at least once, retried with backoff for hours until the receiver answers 2xx.',
        parameters: Object.entries(SIGNATURE_HEADERS).map(([name, h]) => ({ name, in: 'header', ...h })),
        requestBody: { required: true, content: { 'application/json': { schema: eventPayload(type, withPersonal) } } },
        responses: { '2XX': { description: 'Taken: not sent again' }, default: { description: 'Anything else (or no answer in time): sent again later, same webhook-id' } },
      },
    } as OpenAPIV3_1.PathItemObject];
  }));
}
