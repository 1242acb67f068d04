// The managers' and auditors' dashboard (GET /api/dashboard, console « Tableau de bord »): what happened over a
// period [from, to), computed in SQL over invoices and manager_tasks — one function per group of figures, each
// returning plain data. The service level is the operator's commitment: 99 % of requests treated within the SLA
// (TASK_SLA, 48 h by default; seed almerys-fiche-organisme.txt). Days are counted in Europe/Paris.
//
// What each figure counts:
// - received: claims whose row was created in the period (created_at: the submission reached the API);
// - decided: claims first decided in the period (decided_at: paid, answered, closed — db/invoices.ts), by a manager
//   when one of their tasks was resolved, automatically otherwise; paid / replied / closed by their status now;
// - routed: claims that got a manager task created in the period;
// - per motif and per PS: claims received in the period (motif: the analysis' or the manager's, as recorded);
// - durations: receipt → decision for the claims decided in the period, task creation → resolution for the tasks
//   resolved in it (median and 90th percentile, interpolated: percentile_cont);
// - SLA: tasks created in the period, treated in time (resolved by their due time: created + SLA) against late
//   (resolved after it, or still open past it); tasks still open and not yet due are left out of the share;
// - backlog: tasks open at the end of the period (or now, if sooner), by age in fractions of the SLA;
// - escalations: tasks escalated in the period, and how many of them are resolved now.

import { sql, type SQL } from 'drizzle-orm';
import { motifLabel } from '../rules/motifs.js';
import { isMotifCode } from '../rules/motifs.js';
import { rowsOf, type Database, type Row } from './client.js';

/** The operator's commitment: this share of requests treated within the SLA. */
export const SLA_TARGET = 0.99;
/** The time zone of the dashboard's days. */
export const DASHBOARD_TIME_ZONE = 'Europe/Paris';
/** The longest period the dashboard computes (days per day: one row each). */
export const MAX_PERIOD_DAYS = 366;
/** How many practitioners the « per PS » figure lists. */
export const TOP_PRACTITIONERS = 10;

export interface DashboardPeriod {
  from: Date;
  to: Date;
  /** TASK_SLA, in ms. */
  slaMs: number;
  /** « Now » (tests): the backlog's instant when the period ends later; open tasks past due. Default: the clock. */
  now?: Date;
}

export interface ClaimFigures {
  received: number;
  decided: number;
  decidedAuto: number;
  decidedByManager: number;
  paid: number;
  replied: number;
  closed: number;
  /** Claims that got a manager task created in the period. */
  routed: number;
}

export interface DayFigures {
  /** YYYY-MM-DD, Europe/Paris. */
  day: string;
  received: number;
  decided: number;
  tasksCreated: number;
  escalated: number;
}

export interface MotifFigures { motif: string; label: string; count: number }

export interface PractitionerFigures {
  practitionerNumber: string | null;
  name: string | null;
  received: number;
  paid: number;
  /** Not paid, with a motif: answered, with a manager, or closed. The rest of `received` is still being analysed. */
  rejected: number;
}

export interface DurationFigures {
  /** How many durations the figures are over. */
  count: number;
  /** Seconds; null when there is none. */
  medianSeconds: number | null;
  p90Seconds: number | null;
  /** Within the SLA. */
  withinSla: number;
}

export interface SlaFigures {
  slaMs: number;
  target: number;
  /** Tasks created in the period. */
  tasks: number;
  withinSla: number;
  late: number;
  /** Open, not yet due: left out of the share. */
  pending: number;
  /** withinSla / (withinSla + late); null when there is neither. */
  share: number | null;
  met: boolean | null;
}

export interface BacklogBucket { label: string; fromMs: number; toMs: number | null; count: number }

export interface BacklogFigures {
  /** The instant it is measured at: the end of the period, or now if sooner. */
  at: string;
  total: number;
  overdue: number;
  buckets: BacklogBucket[];
}

export interface EscalationFigures { escalated: number; resolved: number; open: number }

export interface Dashboard {
  from: string;
  to: string;
  slaMs: number;
  slaTarget: number;
  claims: ClaimFigures;
  days: DayFigures[];
  motifs: MotifFigures[];
  practitioners: PractitionerFigures[];
  durations: { decision: DurationFigures; resolution: DurationFigures };
  sla: SlaFigures;
  backlog: BacklogFigures;
  escalations: EscalationFigures;
}

const n = (value: unknown) => Number(value ?? 0);
const seconds = (value: unknown) => (value === null || value === undefined ? null : Math.round(Number(value) * 10) / 10);
const ts = (date: Date) => sql`${date.toISOString()}::timestamptz`;

/** « 12 h », « 1,5 h », « 4 j »: a bucket's bound. */
export function formatHours(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours >= 72 && hours % 24 === 0) return `${hours / 24} j`;
  return `${String(Math.round(hours * 10) / 10).replace('.', ',')} h`;
}

/** The backlog's age buckets, in fractions of the SLA: ¼, ½, 1, 2. */
export function backlogBounds(slaMs: number): { label: string; fromMs: number; toMs: number | null }[] {
  const edges = [0, slaMs / 4, slaMs / 2, slaMs, 2 * slaMs];
  return edges.map((fromMs, i) => {
    const toMs = edges[i + 1] ?? null;
    const label = toMs === null ? `> ${formatHours(fromMs)}` : fromMs === 0 ? `< ${formatHours(toMs)}` : `${formatHours(fromMs)} – ${formatHours(toMs)}`;
    return { label, fromMs, toMs };
  });
}

export function createDashboardRepository(db: Database) {
  const rows = async (query: SQL): Promise<Row[]> => rowsOf(await db.execute(query));
  const received = (p: DashboardPeriod) => sql`i.created_at >= ${ts(p.from)} and i.created_at < ${ts(p.to)}`;
  const decided = (p: DashboardPeriod) => sql`i.decided_at >= ${ts(p.from)} and i.decided_at < ${ts(p.to)}`;
  const now = (p: DashboardPeriod) => p.now ?? new Date();

  return {
    /** By a manager: one of its tasks is resolved (`in`, not `exists`: one hashed set rather than a lookup per claim). */
    async claims(p: DashboardPeriod): Promise<ClaimFigures> {
      // Received and decided apart: each over its own index.
      const [receivedRows, claims, routed] = await Promise.all([
        rows(sql`select count(*) as received from invoices i where ${received(p)}`),
        rows(sql`
          select count(*) as decided,
                 count(*) filter (where i.archive_key in (
                   select t.archive_key from manager_tasks t where t.status = 'resolved')) as by_manager,
                 count(*) filter (where i.status = 'paid') as paid,
                 count(*) filter (where i.status in ('awaiting_reply', 'replied')) as replied,
                 count(*) filter (where i.status = 'closed') as closed
          from invoices i
          where ${decided(p)}`),
        rows(sql`select count(distinct archive_key) as routed from manager_tasks where created_at >= ${ts(p.from)} and created_at < ${ts(p.to)}`),
      ]);
      const c: Row = { ...claims[0], received: receivedRows[0]?.received };
      return {
        received: n(c.received), decided: n(c.decided), decidedAuto: n(c.decided) - n(c.by_manager), decidedByManager: n(c.by_manager),
        paid: n(c.paid), replied: n(c.replied), closed: n(c.closed), routed: n(routed[0]?.routed),
      };
    },

    /**
     * One row per day of the period (Europe/Paris), zeros included: the days, and the counts per kind and day, in two
     * queries merged here (joined in SQL, the days' unknown row count makes the planner expect millions of rows).
     */
    async days(p: DashboardPeriod): Promise<DayFigures[]> {
      const tz = DASHBOARD_TIME_ZONE;
      const day = (column: SQL) => sql`to_char(${column} at time zone ${tz}, 'YYYY-MM-DD')`;
      const within = (column: SQL) => sql`${column} >= ${ts(p.from)} and ${column} < ${ts(p.to)}`;
      const [days, counts] = await Promise.all([
        rows(sql`select to_char(d, 'YYYY-MM-DD') as day from generate_series(
          (${ts(p.from)} at time zone ${tz})::date, ((${ts(p.to)} - interval '1 microsecond') at time zone ${tz})::date, interval '1 day') d`),
        rows(sql`
          select 'received' as kind, ${day(sql`i.created_at`)} as day, count(*) as n from invoices i where ${received(p)} group by 2
          union all
          select 'decided', ${day(sql`i.decided_at`)}, count(*) from invoices i where ${decided(p)} group by 2
          union all
          select 'tasksCreated', ${day(sql`created_at`)}, count(*) from manager_tasks where ${within(sql`created_at`)} group by 2
          union all
          select 'escalated', ${day(sql`escalated_at`)}, count(*) from manager_tasks where ${within(sql`escalated_at`)} group by 2`),
      ]);
      const byDay = new Map(days.map((r) => [String(r.day), { day: String(r.day), received: 0, decided: 0, tasksCreated: 0, escalated: 0 }]));
      for (const r of counts) {
        const figures = byDay.get(String(r.day));
        if (figures) figures[r.kind as 'received' | 'decided' | 'tasksCreated' | 'escalated'] = n(r.n);
      }
      return [...byDay.values()];
    },

    /** Claims received in the period, per motif (paid claims have none), most frequent first. */
    async motifs(p: DashboardPeriod): Promise<MotifFigures[]> {
      const result = await rows(sql`
        select i.motif, count(*) as n from invoices i where ${received(p)} and i.motif is not null
        group by i.motif order by count(*) desc, i.motif`);
      return result.map((r) => {
        const motif = String(r.motif);
        return { motif, label: isMotifCode(motif) ? motifLabel(motif) : motif, count: n(r.n) };
      });
    },

    /** The practitioners with the most claims received in the period (TOP_PRACTITIONERS). */
    async practitioners(p: DashboardPeriod, limit = TOP_PRACTITIONERS): Promise<PractitionerFigures[]> {
      const result = await rows(sql`
        select c.practitioner_number, ps.name, c.received, c.paid, c.rejected
        from (
          select i.practitioner_number, count(*) as received, count(*) filter (where i.status = 'paid') as paid,
                 count(*) filter (where i.motif is not null and i.status <> 'paid') as rejected
          from invoices i where ${received(p)}
          group by i.practitioner_number
          order by count(*) desc, i.practitioner_number nulls last
          limit ${limit}
        ) c left join practitioners ps on ps.number = c.practitioner_number
        order by c.received desc, c.practitioner_number nulls last`);
      return result.map((r) => ({
        practitionerNumber: (r.practitioner_number as string | null) ?? null, name: (r.name as string | null) ?? null,
        received: n(r.received), paid: n(r.paid), rejected: n(r.rejected),
      }));
    },

    async durations(p: DashboardPeriod): Promise<{ decision: DurationFigures; resolution: DurationFigures }> {
      const stats = (from: SQL, to: SQL) => sql`
        count(*) as n,
        percentile_cont(0.5) within group (order by extract(epoch from ${to} - ${from})) as median,
        percentile_cont(0.9) within group (order by extract(epoch from ${to} - ${from})) as p90,
        count(*) filter (where ${to} - ${from} <= ${p.slaMs} * interval '1 millisecond') as within`;
      const [decision, resolution] = await Promise.all([
        rows(sql`select ${stats(sql`i.created_at`, sql`i.decided_at`)} from invoices i where ${decided(p)}`),
        rows(sql`select ${stats(sql`created_at`, sql`resolved_at`)} from manager_tasks
                 where resolved_at >= ${ts(p.from)} and resolved_at < ${ts(p.to)}`),
      ]);
      const figures = (r: Row = {}): DurationFigures => ({
        count: n(r.n), medianSeconds: seconds(r.median), p90Seconds: seconds(r.p90), withinSla: n(r.within),
      });
      return { decision: figures(decision[0]), resolution: figures(resolution[0]) };
    },

    /** Tasks created in the period: treated within the SLA (by their due time) against the commitment. */
    async sla(p: DashboardPeriod): Promise<SlaFigures> {
      const [r = {}] = await rows(sql`
        select count(*) as tasks,
               count(*) filter (where resolved_at is not null and resolved_at <= due_at) as within,
               count(*) filter (where (resolved_at is not null and resolved_at > due_at) or (resolved_at is null and due_at < ${ts(now(p))})) as late,
               count(*) filter (where resolved_at is null and due_at >= ${ts(now(p))}) as pending
        from manager_tasks where created_at >= ${ts(p.from)} and created_at < ${ts(p.to)}`);
      const within = n(r.within);
      const late = n(r.late);
      const share = within + late ? within / (within + late) : null;
      return {
        slaMs: p.slaMs, target: SLA_TARGET, tasks: n(r.tasks), withinSla: within, late, pending: n(r.pending),
        share, met: share === null ? null : share >= SLA_TARGET,
      };
    },

    /** Tasks open at the end of the period (or now, if sooner), by age. */
    async backlog(p: DashboardPeriod): Promise<BacklogFigures> {
      const at = new Date(Math.min(p.to.getTime(), now(p).getTime()));
      const bounds = backlogBounds(p.slaMs);
      const age = sql`${ts(at)} - created_at`;
      const ms = (value: number) => sql`${value} * interval '1 millisecond'`;
      const filters = bounds.map((b, i) => sql`count(*) filter (where ${age} >= ${ms(b.fromMs)}${b.toMs === null ? sql`` : sql` and ${age} < ${ms(b.toMs)}`}) as ${sql.raw(`b${i}`)}`);
      const [r = {}] = await rows(sql`
        select count(*) as total, count(*) filter (where due_at < ${ts(at)}) as overdue, ${sql.join(filters, sql`, `)}
        from manager_tasks where created_at < ${ts(at)} and (resolved_at is null or resolved_at > ${ts(at)})`);
      return {
        at: at.toISOString(), total: n(r.total), overdue: n(r.overdue),
        buckets: bounds.map((b, i) => ({ ...b, count: n(r[`b${i}`]) })),
      };
    },

    async escalations(p: DashboardPeriod): Promise<EscalationFigures> {
      const [r = {}] = await rows(sql`
        select count(*) as escalated, count(*) filter (where status = 'resolved') as resolved
        from manager_tasks where escalated_at >= ${ts(p.from)} and escalated_at < ${ts(p.to)}`);
      return { escalated: n(r.escalated), resolved: n(r.resolved), open: n(r.escalated) - n(r.resolved) };
    },

    /** Every figure of the period, the groups queried side by side. */
    async dashboard(p: DashboardPeriod): Promise<Dashboard> {
      const [claims, days, motifs, practitioners, durations, slaFigures, backlog, escalations] = await Promise.all([
        this.claims(p), this.days(p), this.motifs(p), this.practitioners(p), this.durations(p), this.sla(p), this.backlog(p), this.escalations(p),
      ]);
      return {
        from: p.from.toISOString(), to: p.to.toISOString(), slaMs: p.slaMs, slaTarget: SLA_TARGET,
        claims, days, motifs, practitioners, durations, sla: slaFigures, backlog, escalations,
      };
    },
  };
}

export type DashboardRepository = ReturnType<typeof createDashboardRepository>;
