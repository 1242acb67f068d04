// The HTTP API (fastify): plugins in order — OpenAPI → error handling → routes. Every route declares its
// schemas (api/schemas.ts); bad input is answered 400 naming each bad field, before anything reaches Temporal.

import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import type { TSchema } from '@sinclair/typebox';
import { createValidator } from '../rules/schema.js';
import multipart from '@fastify/multipart';
import type { createMailer } from '../activities/mail/mailer.js';
import type { ApiKeyRepository } from '../db/api-keys.js';
import type { BatchRepository } from '../db/batches.js';
import type { InvoiceRepository } from '../db/invoices.js';
import type { OpenDatabase } from '../db/client.js';
import type { OutputRepository } from '../db/outputs.js';
import type { TaskRepository } from '../db/tasks.js';
import { authPlugin, guardRoutes } from './auth.js';
import { consoleRoutes } from './console/routes.js';
import { badRequest, classifyError, HttpError } from './errors.js';
import type { InvoiceService } from './invoice-service.js';
import { batchRoutes } from './routes/batches.js';
import { healthRoutes } from './routes/health.js';
import { invoiceRoutes, invoiceTimelineRoutes } from './routes/invoices.js';
import { keyRoutes } from './routes/keys.js';
import { outputRoutes } from './routes/outputs.js';
import { sessionRoutes } from './routes/session.js';
import { taskRoutes } from './routes/tasks.js';

export interface AppDependencies {
  client: Client;
  database: Pick<OpenDatabase, 'execute' | 'db'>;
  invoices: InvoiceRepository;
  service: InvoiceService;
  tasks: TaskRepository;
  outputs: OutputRepository;
  batches: BatchRepository;
  mailer: ReturnType<typeof createMailer>;
  keys: ApiKeyRepository;
  /** Signs the console's session cookies (api/session-secret.ts). */
  sessionSecret: string;
  secureCookies?: boolean;
  /** « OPERATEUR SSTT » in the Trame exports. */
  operatorName: string;
  /** Where escalations go (MANAGERS_EMAIL): a refused escalation sent again goes there. */
  managersEmail: string[];
  /** The workers' task queue (workflows the API starts: e-mails sent again). */
  taskQueue: string;
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
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: npm run keys -- create <role>' } } },
      security: [{ bearer: [] }],
      info: {
        title: 'Rejets factures Tiers Payant Simple',
        description: 'Claims on rejected third-party-payment invoices: submission, analysis (G0–G8), decisions, histories.',
        version: '0.1.0',
      },
      tags: [
        { name: 'invoices', description: 'One durable workflow per claim (critère d\'archivage)' },
        { name: 'batches', description: '« Documents multi factures »: progress, Trame SSTT' },
        { name: 'tasks', description: 'Manager tasks: inbox, claim, resolve' },
        { name: 'outputs', description: 'E-mails to practitioners, Trame SSTT exports and re-imports' },
        { name: 'access', description: 'API keys (roles submitter, manager, auditor, admin) and console sessions' },
        { name: 'system', description: 'Health' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(multipart);
  await app.register(authPlugin, { keys: deps.keys, sessionSecret: deps.sessionSecret, secureCookies: deps.secureCookies });
  // Every route registered from here on checks its role (api/auth.ts ROUTE_ROLES): 401 without credentials, 403 wrong role.
  guardRoutes(app);
  await app.register(healthRoutes, { deps });
  await app.register(sessionRoutes, { keys: deps.keys, sessionSecret: deps.sessionSecret, secureCookies: deps.secureCookies });
  await app.register(keyRoutes, { keys: deps.keys });
  await app.register(invoiceRoutes, { deps });
  await app.register(invoiceTimelineRoutes, { deps });
  await app.register(batchRoutes, { deps });
  await app.register(taskRoutes, { deps });
  await app.register(outputRoutes, { deps });
  await app.register(consoleRoutes);
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
  return app;
}
