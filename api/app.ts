// The HTTP API (fastify): plugins in order — OpenAPI → error handling → routes. Every route declares its
// schemas (api/schemas.ts); bad input is answered 400 naming each bad field, before anything reaches Temporal.
// Every value of a body, query string or path is checked beyond its schema (rules/schema.ts textErrors): no
// control character, lone surrogate, endless string or infinite number is ever stored.

import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TSchema } from '@sinclair/typebox';
import { createValidator, textProblem, type FieldError } from '../rules/schema.js';
import multipart from '@fastify/multipart';
import { authPlugin } from './auth.js';
import { externalServices, repositories, settingsOf, type AppDependencies } from './dependencies.js';
import { CONSOLE_CSP, consoleRoutes } from './console/routes.js';
import { REQUEST_TIMEOUT_MS, NOT_ANSWERING } from './deadlines.js';
import { badRequest, HttpError, PROBLEM_CONTENT_TYPE, sendProblem, toHttpError } from './errors.js';
import { sanitizeError } from '../logging.js';
import { apiLoggerOptions } from './logging.js';
import { auditRoutes } from './routes/audit.js';
import { batchRoutes } from './routes/batches.js';
import { codecRoutes } from './routes/codec.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { DEFAULT_TASK_SLA_MS } from '../activities/index.js';
import { temporalUiRoutes } from './routes/temporal-ui.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { invoiceRoutes, invoiceTimelineRoutes } from './routes/invoices.js';
import { keyRoutes } from './routes/keys.js';
import { outputRoutes } from './routes/outputs.js';
import { referenceRoutes } from './routes/reference.js';
import { rulesRoutes } from './routes/rules.js';
import { sessionRoutes } from './routes/session.js';
import { taskRoutes } from './routes/tasks.js';
import { eventRoutes } from './routes/events.js';
import { webhookDocumentation, webhookRoutes } from './routes/webhooks.js';
import { livePlugin } from './live.js';
import { documentRoute, publishedDocument } from './openapi.js';
import { idempotencyPlugin } from './idempotency.js';

export type { AppDependencies } from './dependencies.js';

const bodyValidator = createValidator();
const queryValidator = createValidator({ coerce: true });

const PERCENT_ENCODING = 'doit être un encodage-pourcent valide (UTF-8)';

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
    if (name === null) errors.push({ path: 'query', message: 'doit avoir des noms de paramètres en encodage-pourcent valide (UTF-8)' });
    else if (eq >= 0 && decodeComponent(pair.slice(eq + 1)) === null) {
      errors.push({ path: textProblem(name) ? 'query' : `query.${name}`, message: PERCENT_ENCODING });
    }
  }
  return errors;
}

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
    logger: deps.logger ? apiLoggerOptions(deps.logLevel) : false,
    // The serialiser picks a union's branch with ajv: the rules' own date format is a string there (a task's invoice).
    serializerOpts: { ajv: { formats: { 'iso-date': true } } },
    // A path that is not valid percent-encoding: the same 400 as any bad input (fastify's own has another shape).
    frameworkErrors: (error, _request, frameworkReply) => {
      const reply = frameworkReply as FastifyReply;
      const http = error.code === 'FST_ERR_BAD_URL'
        ? badRequest([{ path: 'params', message: PERCENT_ENCODING }])
        : toHttpError(error);
      return sendProblem(reply, http);
    },
  });

  // Before anything else (credentials included): a malformed query string, and the bound on every request.
  app.addHook('onRequest', async (request, reply) => {
    const bound = request.routeOptions.config?.answerWithinMs ?? deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const timer = setTimeout(() => {
      if (reply.sent) return;
      request.log.warn({ url: request.routeOptions.url, bound }, 'request not answered in time');
      // Whatever the route's response schemas say (/health's 503 has another shape).
      const http = new HttpError(503, NOT_ANSWERING, undefined, { code: 'not_answering' });
      void reply.status(503).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(http.body());
    }, bound);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
    const malformed = malformedQuery(request.url);
    if (malformed.length) throw badRequest(malformed);
  });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = httpPart === 'body' ? bodyValidator : queryValidator;
    const prefix = httpPart === 'body' ? '' : httpPart === 'querystring' ? 'query' : httpPart === 'headers' ? 'headers' : 'params';
    // Headers: only the ones the route declares (the others are not its input).
    const declared = httpPart === 'headers' ? Object.keys((schema as { properties?: object }).properties ?? {}) : null;
    return (data: unknown) => {
      const input = declared ? Object.fromEntries(declared.filter((h) => Object.hasOwn(data as object, h)).map((h) => [h, (data as Record<string, unknown>)[h]])) : data;
      const errors = validate(schema as TSchema, input, prefix);
      return errors.length ? { error: badRequest(errors) } : { value: data };
    };
  });

  // Every error, ours or not, answered the same way (api/errors.ts toHttpError).
  app.setErrorHandler((err, request, reply) => {
    const http = toHttpError(err);
    if (http.unexpected) {
      // sanitizeError: a failed query's parameters (a NIR, health data) never reach the log.
      if (http.statusCode < 500) request.log.warn({ err: sanitizeError(err) }, http.message);
      else request.log.error({ err: sanitizeError(err) }, http.message);
    }
    return sendProblem(reply, http);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new HttpError(404, `Aucune opération ${request.method} ${request.url.split('?')[0]}`, undefined, { code: 'route_not_found' })));

  // Security headers on every response (API, /docs, console, errors): a strict CSP, nosniff, no referrer, no framing,
  // HSTS… The console's pages set the same policy themselves (api/console/routes.ts); the OpenAPI UI works under it.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
  });
  app.addHook('onSend', async (request, reply) => {
    if (TEMPORAL_UI_PATH.test(request.url)) reply.header('content-security-policy', TEMPORAL_UI_CSP);
  });

  // Only JSON bodies (and multipart where a route says so): any other content type is a 415 problem, not a body
  // read as text and refused by the schema.
  app.removeContentTypeParser('text/plain');
  // Each documented route: its operationId and tags, its error responses as problem details (api/openapi.ts).
  app.addHook('onRoute', documentRoute);
  await app.register(swagger, {
    transformObject: publishedDocument,
    openapi: {
      openapi: '3.1.0',
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: npm run keys -- create <role>' } } },
      security: [{ bearer: [] }],
      info: {
        title: 'Rejets factures Tiers Payant Simple',
        description: 'Claims on rejected third-party-payment invoices: submission, analysis (G0–G8), decisions, histories. '
          + 'Every 4xx and 5xx is an RFC 9457 problem (application/problem+json; GET /problems/{code} for its kind); a body in another '
          + 'content type than the one documented is a 415. Idempotent writes: the critère d\'archivage for a claim, the GTO task id '
          + '(batchId) for a batch, an Idempotency-Key header on the task actions (the first response replayed, kept 24 h).',
        version: '0.1.0',
      },
      tags: [
        { name: 'invoices', description: 'One durable workflow per claim (critère d\'archivage)' },
        { name: 'batches', description: '« Documents multi factures »: progress, Trame SSTT' },
        { name: 'tasks', description: 'Manager tasks: inbox, claim, resolve' },
        { name: 'outputs', description: 'E-mails to practitioners, Trame SSTT exports and re-imports' },
        { name: 'access', description: 'API keys (roles submitter, manager, auditor, admin) and console sessions' },
        { name: 'system', description: 'Health, and what each problem type of the error responses means' },
        { name: 'rules', description: 'Versions of the rules that took the decisions; today\'s rules replayed on decided claims (back-test)' },
        { name: 'webhooks', description: 'Endpoints told of decisions, replies, tasks and closed batches (signed per Standard Webhooks), and their deliveries' },
      ],
      // What a registered endpoint receives (OpenAPI 3.1 `webhooks`).
      webhooks: webhookDocumentation(),
    },
  });

  await app.register(multipart);
  // The services and repositories the routes read from the instance (api/dependencies.ts).
  await app.register(externalServices, { client: deps.client, database: deps.database, settings: settingsOf(deps) });
  await app.register(repositories, deps);
  // Task changes announced by PostgreSQL, pushed to the console (GET /api/events).
  await app.register(livePlugin, { database: deps.database, options: deps.live });
  await app.register(authPlugin, {
    keys: deps.keys, sessionSecret: deps.sessionSecret, secureCookies: deps.secureCookies, publicUrl: deps.publicUrl,
    trustedOrigins: deps.trustedOrigins, failureLimit: deps.authFailureLimit,
  });
  // Idempotency-Key on the task actions (after authentication: keys are each caller's own).
  await app.register(idempotencyPlugin);
  // The OpenAPI UI and document: public.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
  // Every route registered from here on declares who may call it (`config.roles`, or `config.public`), checked by
  // authPlugin: 401 without credentials, 403 wrong role; a route declaring neither stops the app at startup.
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(sessionRoutes, {
    keys: deps.keys, sessionSecret: deps.sessionSecret, secureCookies: deps.secureCookies, publicUrl: deps.publicUrl, audit: deps.audit,
  });
  await app.register(keyRoutes, { keys: deps.keys, audit: deps.audit });
  await app.register(invoiceRoutes);
  await app.register(invoiceTimelineRoutes);
  await app.register(batchRoutes);
  await app.register(referenceRoutes);
  await app.register(taskRoutes);
  await app.register(eventRoutes);
  await app.register(outputRoutes);
  // Under a prefix: its CORS preflight route is /codec/*, nothing else.
  await app.register(codecRoutes, { prefix: '/codec', uiOrigins: deps.trustedOrigins ?? [] });
  await app.register(auditRoutes);
  await app.register(webhookRoutes, { audit: deps.audit });
  await app.register(rulesRoutes);
  await app.register(dashboardRoutes, { slaMs: app.settings.taskSlaMs ?? DEFAULT_TASK_SLA_MS });
  if (deps.temporalUiUrl) await app.register(temporalUiRoutes, { upstream: deps.temporalUiUrl });
  await app.register(consoleRoutes);
  app.get('/', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => reply.redirect('/console/'));
  return app;
}
