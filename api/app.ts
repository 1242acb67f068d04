// The HTTP API (fastify): plugins in order — OpenAPI → error handling → routes. Every route declares its
// schemas (api/schemas.ts); bad input is answered 400 naming each bad field, before anything reaches Temporal.

import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import type { TSchema } from '@sinclair/typebox';
import { createValidator } from '../rules/schema.js';
import type { InvoiceRepository } from '../db/invoices.js';
import type { OpenDatabase } from '../db/client.js';
import { badRequest, classifyError, HttpError } from './errors.js';
import type { InvoiceService } from './invoice-service.js';
import { invoiceRoutes } from './routes/invoices.js';
import { healthRoutes } from './routes/health.js';

export interface AppDependencies {
  client: Client;
  database: Pick<OpenDatabase, 'execute'>;
  invoices: InvoiceRepository;
  service: InvoiceService;
  /** Deadline of each Temporal call made for a request (ms). */
  temporalTimeoutMs?: number;
  logger?: boolean;
}

const bodyValidator = createValidator();
const queryValidator = createValidator({ coerce: true });

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ? { level: 'info', redact: ['req.headers.authorization'] } : false,
  });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = httpPart === 'body' ? bodyValidator : queryValidator;
    const prefix = httpPart === 'body' ? '' : httpPart === 'querystring' ? 'query' : 'params';
    return (data: unknown) => {
      const errors = validate(schema as TSchema, data, prefix);
      return errors.length ? { error: badRequest(errors) } : { value: data };
    };
  });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.statusCode).send({ message: err.message, ...(err.errors ? { errors: err.errors } : {}) });
    }
    const e = err as { statusCode?: number; message: string; code?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // fastify's own 4xx: malformed JSON, unsupported media type, body too large…
      return reply.status(e.statusCode).send({ message: e.message });
    }
    const { statusCode, message } = classifyError(err);
    request.log.error({ err }, message);
    return reply.status(statusCode).send({ message });
  });

  app.setNotFoundHandler((request, reply) => reply.status(404).send({ message: `No route ${request.method} ${request.url}` }));

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Rejets factures Tiers Payant Simple',
        description: 'Claims on rejected third-party-payment invoices: submission, analysis (G0–G8), decisions, histories.',
        version: '0.1.0',
      },
      tags: [
        { name: 'invoices', description: 'One durable workflow per claim (critère d\'archivage)' },
        { name: 'system', description: 'Health' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { deps });
  await app.register(invoiceRoutes, { deps });
  return app;
}
