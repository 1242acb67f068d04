// The HTTP API (fastify): plugins in order — OpenAPI → error handling → routes. Every route declares its
// schemas (api/schemas.ts); bad input is answered 400 naming each bad field, before anything reaches Temporal.
// Every value of a body, query string or path is checked beyond its schema (rules/schema.ts textErrors): no
// control character, lone surrogate, endless string or infinite number is ever stored.

import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import type { TSchema } from '@sinclair/typebox';
import { createValidator, textProblem, type FieldError } from '../rules/schema.js';
import multipart from '@fastify/multipart';
import type { createMailer } from '../activities/mail/mailer.js';
import type { ApiKeyRepository } from '../db/api-keys.js';
import type { TrameLimits } from '../config.js';
import type { ArchiveRepository } from '../db/archive.js';
import type { AuditLog } from '../db/audit.js';
import type { BatchRepository } from '../db/batches.js';
import type { InvoiceRepository } from '../db/invoices.js';
import type { OpenDatabase } from '../db/client.js';
import type { OutputRepository } from '../db/outputs.js';
import type { TaskRepository } from '../db/tasks.js';
import { authPlugin, guardRoutes } from './auth.js';
import { CONSOLE_CSP, consoleRoutes } from './console/routes.js';
import { REQUEST_TIMEOUT_MS, NOT_ANSWERING } from './deadlines.js';
import { badRequest, classifyError, HttpError, sanitizeError } from './errors.js';
import { apiLoggerOptions } from './logging.js';
import type { InvoiceService } from './invoice-service.js';
import { auditRoutes } from './routes/audit.js';
import { batchRoutes } from './routes/batches.js';
import { codecRoutes } from './routes/codec.js';
import { temporalUiRoutes } from './routes/temporal-ui.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { invoiceRoutes, invoiceTimelineRoutes } from './routes/invoices.js';
import { keyRoutes } from './routes/keys.js';
import { outputRoutes } from './routes/outputs.js';
import { sessionRoutes } from './routes/session.js';
import { taskRoutes } from './routes/tasks.js';

export interface AppDependencies {
  client: Client;
  /** `ping` (a probe on a connection of its own) is used by /health when given, else `execute('select 1')`. */
  database: Pick<OpenDatabase, 'execute' | 'db'> & Partial<Pick<OpenDatabase, 'ping'>>;
  invoices: InvoiceRepository;
  service: InvoiceService;
  tasks: TaskRepository;
  outputs: OutputRepository;
  batches: BatchRepository;
  mailer: ReturnType<typeof createMailer>;
  keys: ApiKeyRepository;
  /** The append-only audit log (db/audit.ts): state-changing actions and reads of personal data. */
  audit: AuditLog;
  /** Histories kept after Temporal's retention (db/archive.ts). */
  archive: ArchiveRepository;
  /** The Temporal UI server (TEMPORAL_UI_URL), served under /temporal/ from this origin (api/routes/temporal-ui.ts). */
  temporalUiUrl?: string;
  /** Signs the console's session cookies (api/session-secret.ts). */
  sessionSecret: string;
  /** `Secure` on the session cookie (SECURE_COOKIES=true; implied by an https PUBLIC_URL). */
  secureCookies?: boolean;
  /** The console's public URL (PUBLIC_URL): the origin its cookie-authenticated requests must come from. */
  publicUrl?: string;
  /**
   * Other origins allowed to send cookie-authenticated unsafe requests, and to call the codec server with credentials
   * (CORS): TEMPORAL_UI_ORIGIN, the Temporal UI's own origins.
   */
  trustedOrigins?: string[];
  /** Failed authentications allowed per client IP within the window, then 429 (AUTH_FAILURES_MAX, AUTH_FAILURES_WINDOW). */
  authFailureLimit?: { max: number; windowMs: number };
  /** « OPERATEUR SSTT » in the Trame exports. */
  operatorName: string;
  /** Where escalations go (MANAGERS_EMAIL): a refused escalation sent again goes there. */
  managersEmail: string[];
  /** The workers' task queue (workflows the API starts: e-mails sent again). */
  taskQueue: string;
  /** Deadline of each Temporal call made for a request (ms; default TEMPORAL_TIMEOUT_MS, api/deadlines.ts). */
  temporalTimeoutMs?: number;
  /** A request without an answer after this many ms is answered 503 (default REQUEST_TIMEOUT_MS, api/deadlines.ts). */
  requestTimeoutMs?: number;
  /** Also accepted on GET /metrics as `Authorization: Bearer <token>` (METRICS_TOKEN); unset: admins only. */
  metricsToken?: string;
  /** Bounds on a Trame upload (default: from the environment, config.ts loadTrameLimits). */
  trameLimits?: TrameLimits;
  logger?: boolean;
}

const bodyValidator = createValidator();
const queryValidator = createValidator({ coerce: true });

const PERCENT_ENCODING = 'must be valid percent-encoding (UTF-8)';

function decodeComponent(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** The query parameters of a URL that are not valid percent-encoding (the parser would keep them as they are). */
function malformedQuery(url: string): FieldError[] {
  const start = url.indexOf('?');
  if (start < 0) return [];
  const errors: FieldError[] = [];
  for (const pair of url.slice(start + 1).split('&')) {
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    if (name === null) errors.push({ path: 'query', message: 'must have parameter names in valid percent-encoding (UTF-8)' });
    else if (eq >= 0 && decodeComponent(pair.slice(eq + 1)) === null) {
      errors.push({ path: textProblem(name) ? 'query' : `query.${name}`, message: PERCENT_ENCODING });
    }
  }
  return errors;
}

const errorBody = (err: HttpError) => ({ message: err.message, ...(err.errors ? { errors: err.errors } : {}) });

export { loggedPath } from './logging.js';

/** The Content-Security-Policy of every response (the console's), as helmet's directives. */
const CSP_DIRECTIVES = Object.fromEntries(CONSOLE_CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));

/**
 * The Temporal UI proxied under /temporal/ (api/routes/temporal-ui.ts) is another application, whose pages bootstrap
 * with inline scripts and styles: those, still from this origin only, and nothing loaded or framed from elsewhere.
 */
const TEMPORAL_UI_PATH = /^\/temporal(\/|\?|$)/;
export const TEMPORAL_UI_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ? apiLoggerOptions('info') : false,
    // A path that is not valid percent-encoding: the same 400 as any bad input (fastify's own has another shape).
    frameworkErrors: (error, _request, frameworkReply) => {
      const reply = frameworkReply as FastifyReply;
      if (error.code === 'FST_ERR_BAD_URL') return reply.status(400).send(errorBody(badRequest([{ path: 'params', message: PERCENT_ENCODING }])));
      return reply.status(error.statusCode ?? 400).send({ message: error.message });
    },
  });

  // Before anything else (credentials included): a malformed query string, and the bound on every request.
  app.addHook('onRequest', async (request, reply) => {
    const bound = request.routeOptions.config?.answerWithinMs ?? deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const timer = setTimeout(() => {
      if (reply.sent) return;
      request.log.warn({ url: request.routeOptions.url, bound }, 'request not answered in time');
      // Whatever the route's response schemas say (/health's 503 has another shape).
      void reply.status(503).type('application/json; charset=utf-8').serializer(JSON.stringify).send({ message: NOT_ANSWERING });
    }, bound);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
    const malformed = malformedQuery(request.url);
    if (malformed.length) throw badRequest(malformed);
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
    if (err instanceof HttpError) return reply.status(err.statusCode).send(errorBody(err));
    const e = err as { statusCode?: number; message: string; code?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // fastify's own 4xx: malformed JSON, unsupported media type, body too large…
      return reply.status(e.statusCode).send({ message: e.message });
    }
    const { statusCode, message } = classifyError(err);
    // sanitizeError: a failed query's parameters (a NIR, health data) never reach the log.
    if (statusCode < 500) request.log.warn({ err: sanitizeError(err) }, message);
    else request.log.error({ err: sanitizeError(err) }, message);
    return reply.status(statusCode).send({ message });
  });

  app.setNotFoundHandler((request, reply) => reply.status(404).send({ message: `No route ${request.method} ${request.url}` }));

  // Security headers on every response (API, /docs, console, errors): a strict CSP, nosniff, no referrer, no framing,
  // HSTS… The console's pages set the same policy themselves (api/console/routes.ts); the OpenAPI UI works under it.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
  });
  app.addHook('onSend', async (request, reply) => {
    if (TEMPORAL_UI_PATH.test(request.url)) reply.header('content-security-policy', TEMPORAL_UI_CSP);
  });

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
  await app.register(authPlugin, {
    keys: deps.keys, sessionSecret: deps.sessionSecret, secureCookies: deps.secureCookies, publicUrl: deps.publicUrl,
    trustedOrigins: deps.trustedOrigins, failureLimit: deps.authFailureLimit,
  });
  // Every route registered from here on checks its role (api/auth.ts ROUTE_ROLES): 401 without credentials, 403 wrong role.
  guardRoutes(app);
  await app.register(healthRoutes, { deps });
  await app.register(metricsRoutes, { deps, token: deps.metricsToken });
  await app.register(sessionRoutes, {
    keys: deps.keys, sessionSecret: deps.sessionSecret, secureCookies: deps.secureCookies, publicUrl: deps.publicUrl, audit: deps.audit,
  });
  await app.register(keyRoutes, { keys: deps.keys, audit: deps.audit });
  await app.register(invoiceRoutes, { deps });
  await app.register(invoiceTimelineRoutes, { deps });
  await app.register(batchRoutes, { deps });
  await app.register(taskRoutes, { deps });
  await app.register(outputRoutes, { deps });
  // Under a prefix: its CORS preflight route is /codec/*, nothing else.
  await app.register(codecRoutes, { prefix: '/codec', deps, uiOrigins: deps.trustedOrigins ?? [] });
  await app.register(auditRoutes, { deps });
  if (deps.temporalUiUrl) await app.register(temporalUiRoutes, { upstream: deps.temporalUiUrl });
  await app.register(consoleRoutes);
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
  return app;
}
