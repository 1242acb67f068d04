// GET /metrics: Prometheus text format, for admins (API key or console session) or `Authorization: Bearer
// <METRICS_TOKEN>` when the variable is set (the route's `config.roles` and `routeToken`).
//
// The registry is this app's own (never prom-client's global one): the process' default metrics, the duration of
// every request by method, route pattern and status, and the product's figures read from the database at scrape
// time (db/metrics.ts), at most once every FIGURES_TTL_MS whatever the number of scrapers. Labels are bounded sets:
// a route's pattern (`/api/invoices/:id`, never the URL), statuses, motif codes, age buckets, finding kinds.

import fp from 'fastify-plugin';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { createMetricsRepository, TASK_AGE_BUCKETS, STUCK_SENDING_MS, type ProductFigures } from '../../db/metrics.js';
import { sanitizeError } from '../errors.js';

/** The figures are read from the database at most this often (a fast scraper gets the last ones). */
export const FIGURES_TTL_MS = 5000;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** The route label of a request no route matched (404): its URL is never a label. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The last figures (or null when reading them failed), read again once they are older than `ttlMs`. */
export function cachedFigures(read: () => Promise<ProductFigures>, ttlMs = FIGURES_TTL_MS, onError: (error: unknown) => void = () => undefined) {
  let last: { at: number; figures: Promise<ProductFigures | null> } | null = null;
  return (): Promise<ProductFigures | null> => {
    const now = Date.now();
    if (!last || now - last.at >= ttlMs) {
      last = { at: now, figures: read().catch((error: unknown) => { onError(error); return null; }) };
    }
    return last.figures;
  };
}

/** The product's gauges on `registry`, each set from `figures()` when scraped (to be scraped only when there are figures). */
export function registerProductGauges(registry: Registry, figures: () => Promise<ProductFigures | null>): void {
  const gauge = <L extends string>(
    name: string, help: string, labelNames: readonly L[], set: (g: Gauge<L>, f: ProductFigures) => void,
  ) => new Gauge<L>({
    name, help, labelNames, registers: [registry],
    async collect() {
      const f = await figures();
      this.reset();
      if (f) set(this, f);
    },
  });

  gauge('tprejects_claims_received', 'Claims received (one per critère d\'archivage), whatever their status', [], (g, f) => {
    g.set(Object.values(f.claimsByStatus).reduce((a, b) => a + b, 0));
  });
  gauge('tprejects_claims', 'Claims received, by status (analyzing, paid, awaiting_manager, awaiting_reply, replied, closed)', ['status'], (g, f) => {
    for (const [status, n] of Object.entries(f.claimsByStatus)) g.set({ status }, n);
  });
  gauge('tprejects_claims_decided',
    'Claims with a decision, by motif code (none: paid), route (practitioner, manager, none) and who took the decision recorded (analysis, or manager: a task of the claim was resolved)',
    ['motif', 'route', 'decided_by'], (g, f) => {
      for (const d of f.decided) g.set({ motif: d.motif, route: d.route, decided_by: d.decidedBy }, d.count);
    });
  gauge('tprejects_tasks_open', `Open manager tasks, by age since they were opened (${TASK_AGE_BUCKETS.join(', ')})`, ['age'], (g, f) => {
    for (const age of TASK_AGE_BUCKETS) g.set({ age }, f.tasks.openByAge[age]);
  });
  gauge('tprejects_tasks_overdue', 'Open manager tasks past their due time (opened + TASK_SLA)', [], (g, f) => g.set(f.tasks.overdue));
  gauge('tprejects_tasks_escalated', 'Manager tasks escalated to the managers\' address (overdue), by task status (open, resolved)', ['task_status'], (g, f) => {
    g.set({ task_status: 'open' }, f.tasks.escalated.open);
    g.set({ task_status: 'resolved' }, f.tasks.escalated.resolved);
  });
  gauge('tprejects_emails', 'E-mails in the outbox, by kind (ps_reply, escalation) and status (pending, sending, sent, failed: refused for good)', ['kind', 'status'], (g, f) => {
    for (const e of f.emails.byKindAndStatus) g.set({ kind: e.kind, status: e.status }, e.count);
  });
  gauge('tprejects_emails_stuck_sending', `E-mails left « sending » for over ${STUCK_SENDING_MS / 60_000} minutes since their last attempt (an attempt that died: npm run doctor)`, [], (g, f) => {
    g.set(f.emails.stuckSending);
  });
  gauge('tprejects_emails_account_refusals', 'E-mails the provider refuses for reasons of ours (API key, sender), retried until someone fixes it', [], (g, f) => {
    g.set(f.emails.accountRefusals);
  });
  gauge('tprejects_doctor_last_run_timestamp_seconds', 'When the last `npm run doctor` ran (Unix time; 0: it never ran)', [], (g, f) => {
    g.set(f.doctor ? f.doctor.ranAt.getTime() / 1000 : 0);
  });
  gauge('tprejects_doctor_last_run_repaired', 'Findings the last `npm run doctor` repaired', [], (g, f) => {
    g.set(f.doctor?.repaired ?? 0);
  });
  gauge('tprejects_doctor_findings', 'Findings of the last `npm run doctor`, by kind (row_without_workflow, mail_stuck_sending…)', ['kind'], (g, f) => {
    for (const [kind, n] of Object.entries(f.doctor?.findingsByKind ?? {})) g.set({ kind }, n);
  });
}

/**
 * GET /metrics and the request-duration histogram. Wrapped with fastify-plugin: the histogram's hook sees every
 * route of the app, not only this plugin's.
 */
export const metricsRoutes = fp(async (app) => {
  // Also accepted as `Authorization: Bearer <token>` (METRICS_TOKEN); unset: admins only.
  const token = app.settings.metricsToken;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tprejects_api_' });

  const duration = new Histogram({
    name: 'tprejects_api_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern (unmatched: no route) and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe({
      method: METHODS.has(request.method) ? request.method : 'other',
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    }, reply.elapsedTime / 1000);
  });

  // The product's gauges: a registry of their own, left out of a scrape when the database could not be read (rather
  // than zeros that look like figures).
  const repository = createMetricsRepository(app.database.db);
  const figures = cachedFigures(() => repository.figures(), FIGURES_TTL_MS, (error) => {
    app.log.error({ err: sanitizeError(error) }, 'metrics: the figures could not be read');
  });
  const product = new Registry();
  registerProductGauges(product, figures);
  const figuresUp = new Gauge({
    name: 'tprejects_figures_up',
    help: 'Whether the product\'s figures (tprejects_claims*, tprejects_tasks*, tprejects_emails*, tprejects_doctor*) could be read from the database for this scrape (1), or are left out (0)',
    registers: [registry],
  });

  app.get('/metrics', {
    schema: { hide: true },
    config: { roles: ['admin'], routeToken: token || undefined },
  }, async (_request, reply) => {
    const read = await figures();
    figuresUp.set(read ? 1 : 0);
    const text = `${await registry.metrics()}\n${read ? await product.metrics() : ''}`;
    return reply.type(registry.contentType).send(text);
  });
}, { fastify: '5.x', name: 'tpr-metrics', dependencies: ['tpr-external-services'] });
