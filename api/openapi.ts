// The OpenAPI 3.1 document at /docs/json, built by @fastify/swagger from the routes' own schemas (the ones fastify
// validates and serialises with). Every documented route has an operationId and tags (checked at startup), and each
// of its error responses is declared as RFC 9457 problem details (`application/problem+json`, ErrorBody): the ones it
// declares itself and the ones every route of its kind may answer (bad input, credentials, a wrong content type,
// throttling, an internal error, a dependency unavailable). Published only: the `errorMessage` keyword of the
// validation schemas (rules/schema.ts) is not in the document; examples come from examples/cases/.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RouteOptions } from 'fastify';
import type { SwaggerTransformObject } from '@fastify/swagger';
import type { TSchema } from '@sinclair/typebox';
import { ErrorBody } from './schemas.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** What an error status means, whatever the route. */
const STATUS_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid request: each bad field named in `errors` (problem `invalid_request`, `invalid_json`…)',
  401: 'No credentials, or credentials refused (`authentication_required`, `invalid_credentials`)',
  403: 'The caller\'s role may not do this (`forbidden`), or a cookie-authenticated request from another origin (`csrf_refused`)',
  404: 'Not found (`not_found`)',
  409: 'Conflict with the current state (the problem\'s `code` says which)',
  413: 'Request body too large (`payload_too_large`)',
  415: 'Unsupported content type (`unsupported_media_type`): send the media type the operation documents (application/json)',
  422: 'Unprocessable (the problem\'s `code` says why)',
  429: 'Too many failed authentications from this address (`too_many_requests`, with Retry-After)',
  500: 'Internal error (`internal_error`)',
  503: 'Temporal or PostgreSQL unavailable, or no answer in time (`temporal_unavailable`, `database_unavailable`, `not_answering`): retry later',
};

/** An error response: problem details as application/problem+json (`schema`: ErrorBody, or one with more fields). */
export function problemResponse(status: number, schema: TSchema = ErrorBody, description = STATUS_DESCRIPTIONS[status] ?? 'Error') {
  return { description, content: { [PROBLEM_MEDIA_TYPE]: { schema } } };
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The error statuses a route may answer whatever its handler does. */
function implicitErrors(route: RouteOptions): number[] {
  const schema = route.schema ?? {};
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const codes = [429, 500, 503];
  if (schema.body || schema.querystring || schema.params) codes.push(400);
  if (schema.body || schema.consumes) codes.push(413, 415);
  if (!route.config?.public) codes.push(401, 403);
  else if (methods.some((m) => UNSAFE_METHODS.has(m))) codes.push(403);
  return codes;
}

/**
 * onRoute: a route without a schema is left out of the document; a documented one must have an operationId and tags,
 * and gets every error response it may answer as problem details.
 */
export function documentRoute(route: RouteOptions): void {
  if (!route.schema) {
    route.schema = { hide: true };
    return;
  }
  const schema = route.schema as RouteOptions['schema'] & { hide?: boolean; operationId?: string; tags?: string[] };
  if (schema.hide) return;
  if (!schema.operationId || !schema.tags?.length) {
    throw new Error(`${String(route.method)} ${route.url}: a documented route needs an operationId and tags (api/openapi.ts)`);
  }
  const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) };
  for (const code of implicitErrors(route)) if (!(code in response)) response[code] = ErrorBody;
  for (const [code, declared] of Object.entries(response)) {
    if (Number(code) >= 400 && declared === ErrorBody) response[code] = problemResponse(Number(code));
  }
  route.schema = { ...schema, response };
}

// ---- The published document ----

/** Keywords of the validation schemas that are not OpenAPI's (the messages of api/app.ts's validator). */
const VALIDATION_ONLY = new Set(['errorMessage']);

function withoutValidationKeywords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutValidationKeywords);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !VALIDATION_ONLY.has(key)).map(([key, v]) => [key, withoutValidationKeywords(v)]));
}

interface CaseFile { title: string; case: { receivedOn: string; invoice: Record<string, unknown> } }

const CASES_DIR = fileURLToPath(new URL('../examples/cases/', import.meta.url));
/** A few cases of examples/cases/, by file name: the examples of the submissions. */
const EXAMPLE_CASES = ['paid', 'a_controler', 'facture_assure', 'parcours_soins'];

function exampleCases(): { name: string; title: string; receivedOn: string; invoice: Record<string, unknown> }[] {
  const files = new Set(readdirSync(CASES_DIR));
  return EXAMPLE_CASES.filter((name) => files.has(`${name}.json`)).map((name) => {
    const file = JSON.parse(readFileSync(`${CASES_DIR}${name}.json`, 'utf8')) as CaseFile;
    return { name, title: file.title, receivedOn: file.case.receivedOn, invoice: file.case.invoice };
  });
}

type Operation = { operationId?: string; requestBody?: { content?: Record<string, { examples?: unknown }> } };

/** Request examples, by operationId: from examples/cases/. */
function requestExamples(): Record<string, Record<string, { summary: string; value: unknown }>> {
  const cases = exampleCases();
  return {
    submitInvoice: Object.fromEntries(cases.map((c) => [c.name, { summary: c.title, value: { invoice: c.invoice, receivedOn: c.receivedOn } }])),
    submitBatch: {
      batch: {
        summary: 'A « multi factures » document: its GTO task id and its invoices',
        value: { batchId: 'gto-1', receivedOn: cases[0]?.receivedOn, invoices: cases.map((c) => c.invoice) },
      },
    },
    resolveTask: {
      pay: { summary: 'Force the payment', value: { action: 'pay', comment: 'contrôle fait' } },
      reply: { summary: 'Reply to the PS with a motif', value: { action: 'reply', motif: 'facture_assure' } },
    },
    actOnTasks: {
      claim: { summary: 'Claim several tasks', value: { action: 'claim', taskIds: ['2901122401-1'] } },
      close: { summary: 'Close several tasks', value: { action: 'resolve', taskIds: ['2901122401-1'], resolution: { action: 'close' } } },
    },
  };
}

/** Request bodies fastify does not validate (multipart: read by the route itself), documented by operationId. */
const UNVALIDATED_BODIES: Readonly<Record<string, unknown>> = {
  importTrame: {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object', required: ['file'],
          properties: { file: { type: 'string', format: 'binary', description: 'The Trame SSTT workbook (.xlsx)' } },
        },
      },
    },
  },
};

/** @fastify/swagger's transformObject: the document as published. */
export const publishedDocument: SwaggerTransformObject = (input) => {
  const source = 'openapiObject' in input ? input.openapiObject : input.swaggerObject;
  const document = withoutValidationKeywords(source) as { paths?: Record<string, Record<string, Operation>> };
  const examples = requestExamples();
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const body = operation.operationId ? UNVALIDATED_BODIES[operation.operationId] : undefined;
      if (body && !operation.requestBody) operation.requestBody = structuredClone(body) as Operation['requestBody'];
      const wanted = operation.operationId ? examples[operation.operationId] : undefined;
      const media = operation.requestBody?.content?.['application/json'];
      if (wanted && media) media.examples = wanted;
    }
  }
  return document as typeof source;
};
