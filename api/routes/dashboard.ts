// The dashboard (db/dashboard.ts), for managers, auditors and admins: every figure of a period as JSON, and each
// chart's data as CSV for Excel in French (`;` separator, decimal comma, UTF-8 with a BOM, CRLF).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { createDashboardRepository, MAX_PERIOD_DAYS, type Dashboard, type DashboardPeriod } from '../../db/dashboard.js';
import { csvCell } from '../csv.js';
import { badRequest } from '../errors.js';
import { ErrorBody, FileResponse } from '../schemas.js';

const Instant = Type.String({ format: 'date-time', description: 'ISO 8601 instant' });
const Period = { from: { ...Instant, description: 'Start of the period (included)' }, to: { ...Instant, description: 'End of the period (excluded)' } };
const DashboardQuery = Type.Object(Period, { additionalProperties: false });

/** The CSV exports, one per chart (and the tiles: `synthese`). */
export const CSV_FIGURES = ['synthese', 'jours', 'motifs', 'ps', 'anciennete', 'durees'] as const;
export type CsvFigure = (typeof CSV_FIGURES)[number];
const CsvQuery = Type.Object({
  ...Period,
  figure: { ...Type.Union(CSV_FIGURES.map((f) => Type.Literal(f))), errorMessage: `doit être l'une des valeurs ${CSV_FIGURES.join(', ')}` },
}, { additionalProperties: false });

const Count = Type.Integer({ minimum: 0 });
const Seconds = Type.Union([Type.Number(), Type.Null()]);
const Durations = Type.Object({ count: Count, medianSeconds: Seconds, p90Seconds: Seconds, withinSla: Count });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const DashboardSchema = Type.Object({
  from: Type.String(), to: Type.String(),
  slaMs: Type.Integer({ description: 'TASK_SLA, in ms' }),
  slaTarget: Type.Number({ description: 'The commitment: this share of requests treated within the SLA (0.99)' }),
  claims: Type.Object({
    received: Count, decided: Count, decidedAuto: Count, decidedByManager: Count, paid: Count, replied: Count, closed: Count, routed: Count,
  }),
  days: Type.Array(Type.Object({ day: Type.String(), received: Count, decided: Count, tasksCreated: Count, escalated: Count })),
  motifs: Type.Array(Type.Object({ motif: Type.String(), label: Type.String(), count: Count })),
  practitioners: Type.Array(Type.Object({
    practitionerNumber: Nullable(Type.String()), name: Nullable(Type.String()), received: Count, paid: Count, rejected: Count,
  })),
  durations: Type.Object({ decision: Durations, resolution: Durations }),
  sla: Type.Object({
    slaMs: Type.Integer(), target: Type.Number(), tasks: Count, withinSla: Count, late: Count, pending: Count,
    share: Type.Union([Type.Number(), Type.Null()]), met: Type.Union([Type.Boolean(), Type.Null()]),
  }),
  backlog: Type.Object({
    at: Type.String(), total: Count, overdue: Count,
    buckets: Type.Array(Type.Object({ label: Type.String(), fromMs: Type.Number(), toMs: Type.Union([Type.Number(), Type.Null()]), count: Count })),
  }),
  escalations: Type.Object({ escalated: Count, resolved: Count, open: Count }),
});

// Static<typeof DashboardSchema> and Dashboard are the same shape: a change to one that the other lacks fails here.
const sameShape: Static<typeof DashboardSchema> = {} as Dashboard;
void sameShape;

/** A number as Excel in French reads it (decimal comma). */
const frenchNumber = (value: number | null) => (value === null ? '' : String(Math.round(value * 1000) / 1000).replace('.', ','));
const hours = (seconds: number | null) => frenchNumber(seconds === null ? null : seconds / 3600);

/** One chart's data as rows, the first one its French headers. */
export function dashboardTable(figure: CsvFigure, d: Dashboard): (string | number)[][] {
  const slaHours = frenchNumber(d.slaMs / 3_600_000);
  switch (figure) {
    case 'synthese': {
      const c = d.claims;
      return [
        ['Indicateur', 'Valeur'],
        ['Début de période', d.from], ['Fin de période (exclue)', d.to],
        ['Demandes reçues', c.received], ['Demandes décidées', c.decided],
        ['Décidées automatiquement', c.decidedAuto], ['Décidées par un gestionnaire', c.decidedByManager],
        ['Payées', c.paid], ['Réponses au PS', c.replied], ['Clôturées', c.closed], ['Orientées vers un gestionnaire', c.routed],
        [`Délai de traitement (h)`, slaHours], ['Engagement (part dans le délai)', frenchNumber(d.slaTarget)],
        ['Tâches créées', d.sla.tasks], ['Tâches traitées dans le délai', d.sla.withinSla], ['Tâches hors délai', d.sla.late],
        ['Tâches en cours dans le délai', d.sla.pending], ['Part dans le délai', frenchNumber(d.sla.share)],
        ['Tâches en stock', d.backlog.total], ['Tâches en stock hors délai', d.backlog.overdue],
        ['Escalades', d.escalations.escalated], ['Escalades résolues', d.escalations.resolved],
      ];
    }
    case 'jours':
      return [['Jour', 'Reçues', 'Décidées', 'Tâches créées', 'Escalades'],
        ...d.days.map((r) => [r.day, r.received, r.decided, r.tasksCreated, r.escalated])];
    case 'motifs':
      return [['Code motif', 'Motif de traitement', 'Demandes'], ...d.motifs.map((m) => [m.motif, m.label, m.count])];
    case 'ps':
      return [['N° PS', 'Nom', 'Reçues', 'Payées', 'Non payées (avec motif)'],
        ...d.practitioners.map((p) => [p.practitionerNumber ?? '', p.name ?? '', p.received, p.paid, p.rejected])];
    case 'anciennete':
      return [['Ancienneté', 'Tâches ouvertes'], ...d.backlog.buckets.map((b) => [b.label, b.count])];
    case 'durees': {
      const row = (label: string, x: Dashboard['durations']['decision']) =>
        [label, x.count, hours(x.medianSeconds), hours(x.p90Seconds), x.withinSla];
      return [['Délai', 'Nombre', 'Médiane (h)', '90e centile (h)', `Dans le délai de ${slaHours} h`],
        row('Réception → décision', d.durations.decision), row('Création de la tâche → résolution', d.durations.resolution)];
    }
  }
}

/** The rows as CSV for Excel in French: BOM, `;`, CRLF. */
export function frenchCsv(rows: (string | number)[][]): string {
  return `\uFEFF${rows.map((r) => r.map(csvCell).join(';')).join('\r\n')}\r\n`;
}

export const dashboardRoutes: FastifyPluginAsyncTypebox<{ slaMs: number }> = async (app, options) => {
  const repository = createDashboardRepository(app.database.db);
  const periodOf = (query: { from: string; to: string }): DashboardPeriod => {
    const from = new Date(query.from);
    const to = new Date(query.to);
    if (!(to > from)) throw badRequest([{ path: 'query.to', message: 'doit être postérieure à from' }]);
    if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) {
      throw badRequest([{ path: 'query.to', message: `doit suivre from de ${MAX_PERIOD_DAYS} jours au plus` }]);
    }
    return { from, to, slaMs: options.slaMs };
  };

  app.get('/api/dashboard', {
    config: { roles: ['manager', 'auditor'] },
    schema: {
      tags: ['tasks'], operationId: 'getDashboard',
      summary: 'The dashboard of a period [from, to): claims received and decided, motifs, PS, durations, share within the SLA, backlog, escalations',
      querystring: DashboardQuery,
      response: { 200: DashboardSchema, 400: ErrorBody },
    },
  }, async (request) => repository.dashboard(periodOf(request.query)));

  app.get('/api/dashboard.csv', {
    config: { roles: ['manager', 'auditor'] },
    schema: {
      tags: ['tasks'], operationId: 'getDashboardCsv',
      summary: "One chart's data of the dashboard as CSV (Excel in French: `;`, decimal comma, UTF-8 with BOM)",
      querystring: CsvQuery,
      response: { 200: FileResponse<string>('CSV', 'text/csv'), 400: ErrorBody },
    },
  }, async (request, reply) => {
    const period = periodOf(request.query);
    const figure = request.query.figure;
    const d = await repository.dashboard(period);
    const day = (date: Date) => date.toISOString().slice(0, 10);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="tableau-de-bord-${figure}-${day(period.from)}-${day(period.to)}.csv"`)
      .send(frenchCsv(dashboardTable(figure, d)));
  });
};
