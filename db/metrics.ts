// The product's figures for Prometheus (GET /metrics, api/routes/metrics.ts): claims, decisions, manager tasks,
// e-mails and the last `npm run doctor`, read in one go at scrape time. Every label value is from a bounded set
// (statuses, motif codes, routes, age buckets, finding kinds): no critère, no NIR, no name ever leaves here.

import { desc, sql } from 'drizzle-orm';
import { MAIL_KINDS, MAIL_STATUSES } from './outbox.js';
import { MOTIF_CODES } from '../rules/motifs.js';
import { INVOICE_STATUSES } from '../rules/claims.js';
import type { Database } from './client.js';
import { doctorRuns, invoices, managerTasks, outbox } from './schema.js';

/** Ages of the open manager tasks, since they were opened. */
export const TASK_AGE_BUCKETS = ['0-1h', '1-24h', '24-48h', '48h+'] as const;
export type TaskAgeBucket = (typeof TASK_AGE_BUCKETS)[number];

/** An e-mail still `sending` this long after its last attempt took it is stuck (the same bound as npm run doctor). */
export const STUCK_SENDING_MS = 10 * 60_000;

/** What a label takes instead of a value outside its set (a row written by hand, a kind this code does not know). */
export const OTHER = 'other';
/** A decision without a motif (paid) or without a route. */
export const NONE = 'none';

export interface ProductFigures {
  /** Claims received, by status (every known status, 0 included). */
  claimsByStatus: Record<string, number>;
  /** Claims with a decision, by motif (`none`: paid), route and who took the decision now recorded. */
  decided: { motif: string; route: string; decidedBy: 'analysis' | 'manager'; count: number }[];
  tasks: {
    /** Open manager tasks by age (every bucket, 0 included). */
    openByAge: Record<TaskAgeBucket, number>;
    /** Open tasks past their due time (opened + the SLA, TASK_SLA). */
    overdue: number;
    /** Tasks escalated to the managers' address, by their status now (open, resolved). */
    escalated: { open: number; resolved: number };
  };
  emails: {
    /** Outbox rows by kind and status (every known pair, 0 included). */
    byKindAndStatus: { kind: string; status: string; count: number }[];
    /** `sending` for longer than STUCK_SENDING_MS since their last attempt. */
    stuckSending: number;
    /** Pending or sending, last refused for reasons of ours (API key, sender): an alert until someone fixes it. */
    accountRefusals: number;
  };
  /** The last `npm run doctor` run (table doctor_runs), or null when it never ran. */
  doctor: { ranAt: Date; repaired: number; findingsByKind: Record<string, number> } | null;
}

const within = (value: string | null, known: readonly string[]) => (value === null ? NONE : known.includes(value) ? value : OTHER);
/** Finding kinds are code identifiers (row_without_workflow…): anything else is `other`. */
const findingKind = (value: unknown) => (typeof value === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(value) ? value : OTHER);
const count = (n: unknown) => Number(n ?? 0);

function add<K extends string>(into: Record<K, number>, key: K, n: number) {
  into[key] = (into[key] ?? 0) + n;
}

export function createMetricsRepository(db: Database) {
  return {
    /** Every figure, in five queries run side by side. */
    async figures(): Promise<ProductFigures> {
      const resolvedTask = sql`exists (select 1 from ${managerTasks} where ${managerTasks.archiveKey} = ${invoices.archiveKey} and ${managerTasks.status} = 'resolved')`;
      const age = sql`now() - ${managerTasks.createdAt}`;
      const open = sql`${managerTasks.status} = 'open'`;
      const [claims, decided, tasks, emails, doctor] = await Promise.all([
        db.select({ status: invoices.status, n: sql<number>`count(*)::int` }).from(invoices).groupBy(invoices.status),
        db.select({
          motif: invoices.motif, route: invoices.route, byManager: sql<boolean>`${resolvedTask}`, n: sql<number>`count(*)::int`,
        }).from(invoices).where(sql`${invoices.decision} is not null`).groupBy(invoices.motif, invoices.route, resolvedTask),
        db.select({
          age0: sql<number>`count(*) filter (where ${open} and ${age} < interval '1 hour')::int`,
          age1: sql<number>`count(*) filter (where ${open} and ${age} >= interval '1 hour' and ${age} < interval '24 hours')::int`,
          age24: sql<number>`count(*) filter (where ${open} and ${age} >= interval '24 hours' and ${age} < interval '48 hours')::int`,
          age48: sql<number>`count(*) filter (where ${open} and ${age} >= interval '48 hours')::int`,
          overdue: sql<number>`count(*) filter (where ${open} and ${managerTasks.dueAt} < now())::int`,
          escalatedOpen: sql<number>`count(*) filter (where ${open} and ${managerTasks.escalatedAt} is not null)::int`,
          escalatedResolved: sql<number>`count(*) filter (where ${managerTasks.status} = 'resolved' and ${managerTasks.escalatedAt} is not null)::int`,
        }).from(managerTasks),
        db.select({
          kind: outbox.kind, status: outbox.status, n: sql<number>`count(*)::int`,
          stuck: sql<number>`count(*) filter (where ${outbox.status} = 'sending' and coalesce(${outbox.lastAttemptAt}, ${outbox.createdAt}) < now() - ${`${STUCK_SENDING_MS} milliseconds`}::interval)::int`,
          account: sql<number>`count(*) filter (where ${outbox.status} in ('pending', 'sending') and ${outbox.errorKind} = 'account')::int`,
        }).from(outbox).groupBy(outbox.kind, outbox.status),
        // The findings' kinds counted in the database: their subjects and details stay there.
        db.select({
          ranAt: doctorRuns.ranAt, repaired: doctorRuns.repaired,
          kinds: sql<Record<string, number> | null>`(select jsonb_object_agg(k, n) from (select f->>'kind' as k, count(*) as n from jsonb_array_elements(${doctorRuns.findings}) as f group by 1) as s)`,
        }).from(doctorRuns).orderBy(desc(doctorRuns.id)).limit(1),
      ]);

      const claimsByStatus: Record<string, number> = Object.fromEntries(INVOICE_STATUSES.map((s) => [s, 0]));
      for (const r of claims) add(claimsByStatus, within(r.status, INVOICE_STATUSES), count(r.n));

      const decidedBy = new Map<string, ProductFigures['decided'][number]>();
      for (const r of decided) {
        const row = {
          motif: within(r.motif, MOTIF_CODES), route: within(r.route, ['practitioner', 'manager']),
          decidedBy: r.byManager ? 'manager' as const : 'analysis' as const,
        };
        const key = `${row.motif}|${row.route}|${row.decidedBy}`;
        const seen = decidedBy.get(key);
        if (seen) seen.count += count(r.n);
        else decidedBy.set(key, { ...row, count: count(r.n) });
      }

      const t = tasks[0];
      const emailCounts = new Map<string, number>(MAIL_KINDS.flatMap((k) => MAIL_STATUSES.map((s) => [`${k}|${s}`, 0] as [string, number])));
      let stuckSending = 0;
      let accountRefusals = 0;
      for (const r of emails) {
        const key = `${within(r.kind, MAIL_KINDS)}|${within(r.status, MAIL_STATUSES)}`;
        emailCounts.set(key, (emailCounts.get(key) ?? 0) + count(r.n));
        stuckSending += count(r.stuck);
        accountRefusals += count(r.account);
      }

      const last = doctor[0];
      const findingsByKind: Record<string, number> = {};
      for (const [kind, n] of Object.entries(last?.kinds ?? {})) add(findingsByKind, findingKind(kind), count(n));

      return {
        claimsByStatus,
        decided: [...decidedBy.values()],
        tasks: {
          openByAge: { '0-1h': count(t?.age0), '1-24h': count(t?.age1), '24-48h': count(t?.age24), '48h+': count(t?.age48) },
          overdue: count(t?.overdue),
          escalated: { open: count(t?.escalatedOpen), resolved: count(t?.escalatedResolved) },
        },
        emails: {
          byKindAndStatus: [...emailCounts].map(([key, n]) => {
            const [kind, status] = key.split('|') as [string, string];
            return { kind, status, count: n };
          }),
          stuckSending,
          accountRefusals,
        },
        doctor: last ? { ranAt: new Date(last.ranAt), repaired: last.repaired, findingsByKind } : null,
      };
    },
  };
}

export type MetricsRepository = ReturnType<typeof createMetricsRepository>;
