// Manager tasks: written by the invoice workflows' activities (idempotent), read and claimed through the API.
// The workflow is the source of truth for resolutions; the row mirrors it, and the events say who did what, when.

import { and, asc, count, desc, eq, ilike, inArray, isNull, lt, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { AppError } from '../rules/errors.js';
import { MOTIFS, motifDefinition } from '../rules/motifs.js';
import { normalizeName } from '../rules/text.js';
import type { AnalysisResult, Invoice, MotifCode, Practitioner } from '../rules/types.js';
import type { TaskResolution } from '../rules/claims.js';
import type { Database } from './client.js';
import { invoices, managerTasks, practitioners, taskEvents } from './schema.js';

export type TaskStatus = 'open' | 'resolved';
export type TaskEventKind = 'created' | 'claimed' | 'released' | 'escalated' | 'notice_failed' | 'resolved';

export interface TaskSummary {
  id: string;
  archiveKey: string;
  workflowId: string;
  batchId: string | null;
  practitionerNumber: string | null;
  motif: MotifCode;
  motifLabel: string;
  status: TaskStatus;
  createdAt: string;
  dueAt: string;
  overdue: boolean;
  escalatedAt: string | null;
  assignee: string | null;
  claimedAt: string | null;
  resolution: { action: string; motif?: string | null; comment?: string | null } | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  waitsForDecision: boolean;
}

export interface TaskEvent {
  kind: TaskEventKind;
  actor: string | null;
  at: string;
  details: Record<string, unknown> | null;
}

export interface TaskDetail extends TaskSummary {
  decision: AnalysisResult;
  invoice: Invoice;
  practitioner: Pick<Practitioner, 'number' | 'name' | 'headerEmail'> | null;
  events: TaskEvent[];
}

export interface TaskFilter {
  status?: TaskStatus;
  motif?: MotifCode;
  assignee?: string;
  overdue?: boolean;
  practitionerNumber?: string;
  /** Critère d'archivage, N° PS or words of the motif label. */
  q?: string;
  /** One of TASK_SORTS (default `due`), `asc` by default. */
  sort?: TaskSort;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

/**
 * How the inbox may be sorted, ascending: `due` the nearest deadline first (overdue first), `age` the most recent
 * first (the youngest task), `motif` by the motif's label (A → Z). Descending reverses each. Ties: deadline, then id.
 */
export const TASK_SORTS = ['due', 'age', 'motif'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];

/** The motifs' labels in French alphabetical order, as a rank SQL sorts on. */
const motifRank = sql.join([
  sql`case ${managerTasks.motif}`,
  ...[...MOTIFS].sort((a, b) => a.label.localeCompare(b.label, 'fr')).map((m, i) => sql`when ${m.code} then ${i}`),
  sql`else ${MOTIFS.length} end`,
], sql` `);

/** The ORDER BY of a sort: only these expressions reach the SQL (the sort key is never interpolated). */
function orderOf(sort: TaskSort = 'due', order: 'asc' | 'desc' = 'asc'): SQL[] {
  const dir = order === 'desc' ? desc : asc;
  const key = {
    due: [dir(managerTasks.dueAt)],
    // Age ascending: the youngest first.
    age: [order === 'desc' ? asc(managerTasks.createdAt) : desc(managerTasks.createdAt)],
    motif: [dir(motifRank)],
  }[sort];
  if (!key) throw new TypeError(`unknown task sort ${String(sort)}`);
  // Open before resolved whatever the sort; then the key; then the nearest deadline and the newest id.
  return [asc(managerTasks.status), ...key, asc(managerTasks.dueAt), desc(managerTasks.id)];
}

/** Why a claim or release was refused. */
export class TaskConflict extends AppError {
  override readonly name = 'TaskConflict';
  readonly code = 'task_conflict';
  constructor(readonly reason: 'not_found' | 'resolved' | 'claimed_by_other' | 'not_assignee', message: string) {
    super(message);
  }
}

type Row = typeof managerTasks.$inferSelect;
const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());

function summary(row: Row, now = Date.now()): TaskSummary {
  const def = motifDefinition(row.motif as MotifCode);
  return {
    id: row.id,
    archiveKey: row.archiveKey,
    workflowId: row.workflowId,
    batchId: row.batchId,
    practitionerNumber: row.practitionerNumber,
    motif: def.code,
    motifLabel: def.label,
    status: row.status as TaskStatus,
    createdAt: iso(row.createdAt)!,
    dueAt: iso(row.dueAt)!,
    overdue: row.status === 'open' && new Date(row.dueAt).getTime() < now,
    escalatedAt: iso(row.escalatedAt),
    assignee: row.assignee,
    claimedAt: iso(row.claimedAt),
    resolution: (row.resolution as TaskSummary['resolution']) ?? null,
    resolvedBy: row.resolvedBy,
    resolvedAt: iso(row.resolvedAt),
    waitsForDecision: def.waitsForDecision,
  };
}

export function taskId(archiveKey: string, seq: number): string {
  return `${archiveKey}-${seq}`;
}

/** How far a claim's tasks went: how many it has had, the one still open, the last one's resolution. */
export interface TaskProgress { count: number; openSeq: number | null; lastResolved: TaskResolution | null }

/** What `taskProgress` reads of each of a claim's tasks. */
export interface TaskProgressRow { id: string; status: string; resolution: unknown; resolvedBy: string | null }

/**
 * A claim's tasks as one JSON array (`TaskProgressRow`s), for a query of the claim's own row to read them in the
 * same statement (db/invoices.ts `opening`).
 */
export function taskProgressRows(archiveKey: SQLWrapper): SQL<unknown> {
  return sql`coalesce((select json_agg(json_build_object('id', t.id, 'status', t.status, 'resolution', t.resolution,
    'resolvedBy', t.resolved_by)) from ${managerTasks} t where t.archive_key = ${archiveKey}), '[]'::json)`;
}

/**
 * How many tasks the claim has had, the number of the one still open (the claim's workflow waits on it), and the
 * last one's resolution (a run that died right after recording it has yet to apply it).
 */
export function taskProgress(rows: TaskProgressRow[]): TaskProgress {
  const seqOf = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));
  const open = rows.filter((r) => r.status === 'open').map((r) => seqOf(r.id));
  const last = rows.reduce<TaskProgressRow | null>((a, r) => (!a || seqOf(r.id) > seqOf(a.id) ? r : a), null);
  const resolution = last?.status === 'resolved' ? (last.resolution as TaskSummary['resolution']) : null;
  return {
    count: last ? seqOf(last.id) : 0,
    openSeq: open.length ? Math.max(...open) : null,
    lastResolved: resolution ? {
      taskId: last!.id, action: resolution.action as TaskResolution['action'], motif: (resolution.motif ?? null) as TaskResolution['motif'],
      comment: resolution.comment ?? null, by: last!.resolvedBy ?? 'unknown',
    } : null,
  };
}

export function createTaskRepository(db: Database) {
  async function event(taskId: string, kind: TaskEventKind, actor: string | null, details?: Record<string, unknown>) {
    await db.insert(taskEvents).values({ taskId, kind, actor, details: details ?? null });
  }

  async function row(id: string): Promise<Row | null> {
    const rows = await db.select().from(managerTasks).where(eq(managerTasks.id, id)).limit(1);
    return rows[0] ?? null;
  }

  /**
   * Takes the task for `actor` when nobody holds it (atomically: of two managers claiming at once, one gets it).
   * `claimed` is false when `actor` already held it (nothing written); a conflict when someone else does, or when
   * it is resolved or unknown.
   */
  async function acquire(id: string, actor: string): Promise<{ task: TaskSummary; claimed: boolean }> {
    const updated = await db.update(managerTasks).set({ assignee: actor, claimedAt: sql`now()` })
      .where(and(eq(managerTasks.id, id), eq(managerTasks.status, 'open'), isNull(managerTasks.assignee)))
      .returning();
    if (updated.length) {
      await event(id, 'claimed', actor);
      return { task: summary(updated[0]!), claimed: true };
    }
    const current = await row(id);
    if (!current) throw new TaskConflict('not_found', `La tâche ${id} : introuvable`);
    if (current.status !== 'open') throw new TaskConflict('resolved', `La tâche ${id} est déjà résolue`);
    if (current.assignee === actor) return { task: summary(current), claimed: false };
    throw new TaskConflict('claimed_by_other', `La tâche ${id} est prise par ${current.assignee}`);
  }

  function conditions(filter: TaskFilter, withMotif = true): SQL[] {
    const where: SQL[] = [];
    if (filter.status) where.push(eq(managerTasks.status, filter.status));
    if (withMotif && filter.motif) where.push(eq(managerTasks.motif, filter.motif));
    if (filter.assignee) where.push(eq(managerTasks.assignee, filter.assignee));
    if (filter.overdue) where.push(eq(managerTasks.status, 'open'), lt(managerTasks.dueAt, sql`now()`));
    if (filter.practitionerNumber) where.push(eq(managerTasks.practitionerNumber, filter.practitionerNumber));
    const q = filter.q?.trim();
    if (q) {
      const words = normalizeName(q);
      const motifs = MOTIFS.filter((m) => normalizeName(m.label).includes(words) || m.code.includes(q.toLowerCase())).map((m) => m.code);
      const like = `%${q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
      where.push(or(ilike(managerTasks.archiveKey, like), ilike(managerTasks.practitionerNumber, like),
        ...(motifs.length ? [inArray(managerTasks.motif, motifs)] : []))!);
    }
    return where;
  }

  return {
    /** Opens the task (idempotent: a retried activity finds the same row). Returns the time left before its SLA. */
    async open(input: {
      archiveKey: string; workflowId: string; seq: number; decision: AnalysisResult; batchId: string | null;
      practitionerNumber: string | null; slaMs: number;
    }): Promise<{ taskId: string; dueAt: string; slaMs: number }> {
      const id = taskId(input.archiveKey, input.seq);
      const inserted = await db.insert(managerTasks).values({
        id,
        archiveKey: input.archiveKey,
        workflowId: input.workflowId,
        batchId: input.batchId,
        practitionerNumber: input.practitionerNumber,
        motif: input.decision.motif!,
        status: 'open',
        decision: input.decision,
        dueAt: sql`now() + ${`${Math.max(0, Math.round(input.slaMs))} milliseconds`}::interval`,
      }).onConflictDoNothing().returning({ id: managerTasks.id });
      if (inserted.length) await event(id, 'created', null, { motif: input.decision.motif, dueInMs: input.slaMs });
      const r = (await row(id))!;
      return { taskId: id, dueAt: iso(r.dueAt)!, slaMs: Math.max(0, new Date(r.dueAt).getTime() - Date.now()) };
    },

    /**
     * Something that happened to a task once (e.g. its escalation notice could not be sent), in its audit trail: a
     * second call (a retried activity) adds nothing.
     */
    async recordEventOnce(id: string, kind: TaskEventKind, details?: Record<string, unknown>): Promise<void> {
      const [existing] = await db.select({ id: taskEvents.id }).from(taskEvents)
        .where(and(eq(taskEvents.taskId, id), eq(taskEvents.kind, kind))).limit(1);
      if (!existing) await event(id, kind, null, details);
    },

    /** Flags an overdue task; true the first time only (so that its notification goes out once). */
    async escalate(id: string): Promise<boolean> {
      const updated = await db.update(managerTasks).set({ escalatedAt: sql`now()` })
        .where(and(eq(managerTasks.id, id), isNull(managerTasks.escalatedAt))).returning({ id: managerTasks.id });
      if (updated.length) await event(id, 'escalated', null);
      return updated.length > 0;
    },

    /** Records the resolution the workflow applied (idempotent). */
    async resolve(r: TaskResolution): Promise<void> {
      const updated = await db.update(managerTasks).set({
        status: 'resolved',
        resolution: { action: r.action, motif: r.motif ?? null, comment: r.comment ?? null },
        resolvedBy: r.by,
        resolvedAt: sql`now()`,
      }).where(and(eq(managerTasks.id, r.taskId), eq(managerTasks.status, 'open'))).returning({ id: managerTasks.id });
      if (updated.length) await event(r.taskId, 'resolved', r.by, { action: r.action, motif: r.motif ?? null, comment: r.comment ?? null });
    },

    acquire,

    /** Takes the task (see acquire): the task as it is now, held by `actor`. */
    async claim(id: string, actor: string): Promise<TaskSummary> {
      return (await acquire(id, actor)).task;
    },

    /** Releases a claimed task: by its assignee, or by anyone when `force` (an admin). */
    async release(id: string, actor: string, force = false): Promise<TaskSummary> {
      const updated = await db.update(managerTasks).set({ assignee: null, claimedAt: null })
        .where(and(eq(managerTasks.id, id), eq(managerTasks.status, 'open'), force ? sql`true` : eq(managerTasks.assignee, actor)))
        .returning();
      if (updated.length) {
        await event(id, 'released', actor);
        return summary(updated[0]);
      }
      const current = await row(id);
      if (!current) throw new TaskConflict('not_found', `La tâche ${id} : introuvable`);
      if (current.status !== 'open') throw new TaskConflict('resolved', `La tâche ${id} est déjà résolue`);
      throw new TaskConflict('not_assignee', `La tâche ${id} n'est pas prise par ${actor}`);
    },

    async summary(id: string): Promise<TaskSummary | null> {
      const r = await row(id);
      return r ? summary(r) : null;
    },

    async get(id: string): Promise<TaskDetail | null> {
      const r = await row(id);
      if (!r) return null;
      const [events, invoiceRows, psRows] = await Promise.all([
        db.select().from(taskEvents).where(eq(taskEvents.taskId, id)).orderBy(asc(taskEvents.at), asc(taskEvents.id)),
        db.select({ invoice: invoices.invoice }).from(invoices).where(eq(invoices.archiveKey, r.archiveKey)).limit(1),
        r.practitionerNumber
          ? db.select({ number: practitioners.number, name: practitioners.name, headerEmail: practitioners.headerEmail })
            .from(practitioners).where(eq(practitioners.number, r.practitionerNumber)).limit(1)
          : Promise.resolve([]),
      ]);
      return {
        ...summary(r),
        decision: r.decision as AnalysisResult,
        invoice: invoiceRows[0]?.invoice,
        practitioner: psRows[0] ?? null,
        events: events.map((e) => ({ kind: e.kind as TaskEventKind, actor: e.actor, at: iso(e.at)!, details: (e.details as Record<string, unknown>) ?? null })),
      };
    },

    /** Tasks of an invoice, oldest first, with their events (the invoice timeline). */
    async ofInvoice(archiveKey: string): Promise<(TaskSummary & { events: TaskEvent[] })[]> {
      const rows = await db.select().from(managerTasks).where(eq(managerTasks.archiveKey, archiveKey)).orderBy(asc(managerTasks.createdAt));
      const events = rows.length
        ? await db.select().from(taskEvents).where(inArray(taskEvents.taskId, rows.map((r) => r.id))).orderBy(asc(taskEvents.at), asc(taskEvents.id))
        : [];
      return rows.map((r) => ({
        ...summary(r),
        events: events.filter((e) => e.taskId === r.id)
          .map((e) => ({ kind: e.kind as TaskEventKind, actor: e.actor, at: iso(e.at)!, details: (e.details as Record<string, unknown>) ?? null })),
      }));
    },

    async list(filter: TaskFilter = {}) {
      const where = conditions(filter);
      const whereAll = where.length ? and(...where) : undefined;
      const withoutMotif = conditions(filter, false);
      const [rows, [{ total }], counts, [{ overdue }]] = await Promise.all([
        db.select().from(managerTasks).where(whereAll)
          // By default overdue first, then the oldest due: the order a manager works in.
          .orderBy(...orderOf(filter.sort, filter.order))
          .limit(filter.limit ?? 50).offset(filter.offset ?? 0),
        db.select({ total: count() }).from(managerTasks).where(whereAll),
        db.select({ motif: managerTasks.motif, n: count() }).from(managerTasks)
          .where(withoutMotif.length ? and(...withoutMotif) : undefined).groupBy(managerTasks.motif),
        db.select({ overdue: count() }).from(managerTasks)
          .where(and(...withoutMotif, eq(managerTasks.status, 'open'), lt(managerTasks.dueAt, sql`now()`))),
      ]);
      const now = Date.now();
      return {
        items: rows.map((r) => summary(r, now)),
        total: Number(total),
        countsByMotif: Object.fromEntries(counts.map((c) => [c.motif, Number(c.n)])) as Record<string, number>,
        overdueCount: Number(overdue),
      };
    },
  };
}

export type TaskRepository = ReturnType<typeof createTaskRepository>;
