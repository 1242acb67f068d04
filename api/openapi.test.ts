// What every documented route must declare (api/openapi.ts), and the document as published.

import type { RouteOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { documentRoute, PROBLEM_MEDIA_TYPE, publishedDocument } from './openapi.js';
import { ErrorBody } from './schemas.js';

const route = (schema: Record<string, unknown> | undefined, config: Record<string, unknown> = { roles: ['manager'] }, method = 'POST') =>
  ({ method, url: '/api/x', handler: () => undefined, schema, config }) as unknown as RouteOptions;

describe('documentRoute', () => {
  it('refuses a documented route without an operationId or tags', () => {
    expect(() => documentRoute(route({ tags: ['tasks'] }))).toThrow(/operationId and tags/);
    expect(() => documentRoute(route({ operationId: 'x' }))).toThrow(/operationId and tags/);
  });

  it('leaves a route without a schema out of the document, and a hidden one as it is', () => {
    const bare = route(undefined);
    documentRoute(bare);
    expect(bare.schema).toEqual({ hide: true });
    const hidden = route({ hide: true });
    documentRoute(hidden);
    expect(hidden.schema).toEqual({ hide: true });
  });

  it('declares every error a route may answer as problem details, its own ones included', () => {
    const r = route({ operationId: 'x', tags: ['tasks'], body: Type.Object({}), response: { 200: Type.Object({}), 404: ErrorBody } });
    documentRoute(r);
    const response = r.schema!.response as Record<string, { content?: Record<string, { schema: unknown }> }>;
    expect(Object.keys(response).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '429', '500', '503']);
    for (const code of ['400', '404', '415', '503']) expect(response[code]!.content![PROBLEM_MEDIA_TYPE]!.schema).toBe(ErrorBody);
    const open = route({ operationId: 'y', tags: ['system'] }, { public: true }, 'GET');
    documentRoute(open);
    expect(Object.keys(open.schema!.response as object).sort()).toEqual(['429', '500', '503']);
  });
});

describe('publishedDocument', () => {
  it('leaves out the validator\'s errorMessage, keeps the rest, adds the examples of examples/cases/', () => {
    const source = {
      openapi: '3.1.0',
      paths: {
        '/api/invoices': {
          post: {
            operationId: 'submitInvoice',
            requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { a: { type: 'string', errorMessage: 'must be', 'x-multiline': true } } } } } },
            responses: {},
          },
        },
      },
    };
    const document = publishedDocument({ openapiObject: source as never }) as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown; examples: Record<string, { value: unknown }> }> } } }> };
    const media = document.paths['/api/invoices']!.post.requestBody.content['application/json']!;
    expect(media.schema).toEqual({ type: 'object', properties: { a: { type: 'string', 'x-multiline': true } } });
    expect(media.examples.paid!.value).toMatchObject({ invoice: { archiveKey: expect.stringMatching(/^\d{10}$/) }, receivedOn: expect.any(String) });
  });
});
