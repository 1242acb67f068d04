// The history archive (archived_histories): each closed invoice and batch workflow's history, as read from the
// Temporal server — its payloads still encrypted — so that exports and replays outlive the namespace's retention.
// Purged after ARCHIVE_RETENTION (activities/archive.ts, a Temporal Schedule).

import { and, count, desc, eq, inArray, lt, max, min, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { archivedHistories } from './schema.js';

export interface ArchivedRun {
  workflowId: string;
  runId: string;
  workflowType: string;
  closedAt: string;
  status: string;
  events: number;
  archivedAt: string;
}

export interface ArchiveEntry {
  workflowId: string;
  runId: string;
  workflowType: string;
  closedAt: Date;
  status: string;
  /** temporal.api.history.v1.History, protobuf-encoded. */
  history: Uint8Array;
  events: number;
}

export interface ArchiveRepository {
  /** The latest close time archived (where the next sweep starts from), or null when nothing is. */
  watermark(): Promise<Date | null>;
  /** Those of these runs that are not archived yet. */
  missing(runs: { workflowId: string; runId: string }[]): Promise<{ workflowId: string; runId: string }[]>;
  /** Idempotent: a run archived twice keeps its first copy. */
  store(entry: ArchiveEntry): Promise<void>;
  /** A workflow's runs, latest closed first. */
  runs(workflowId: string): Promise<ArchivedRun[]>;
  /** One run's history bytes (the latest run when runId is not given). */
  history(workflowId: string, runId?: string): Promise<{ run: ArchivedRun; history: Buffer } | null>;
  /** Deletes the runs closed before `before`; what went. */
  purge(before: Date): Promise<{ purged: number; oldestClosedAt: string | null; newestClosedAt: string | null }>;
  count(): Promise<number>;
}

type Row = typeof archivedHistories.$inferSelect;
const toRun = (row: Omit<Row, 'history'>): ArchivedRun => ({
  workflowId: row.workflowId,
  runId: row.runId,
  workflowType: row.workflowType,
  closedAt: row.closedAt.toISOString(),
  status: row.status,
  events: row.events,
  archivedAt: row.archivedAt.toISOString(),
});

const RUN_COLUMNS = {
  workflowId: archivedHistories.workflowId, runId: archivedHistories.runId, workflowType: archivedHistories.workflowType,
  closedAt: archivedHistories.closedAt, status: archivedHistories.status, events: archivedHistories.events,
  archivedAt: archivedHistories.archivedAt,
};

export function createArchiveRepository(db: Database): ArchiveRepository {
  return {
    async watermark() {
      const [row] = await db.select({ at: max(archivedHistories.closedAt) }).from(archivedHistories);
      return row?.at ? new Date(row.at) : null;
    },

    async missing(runs) {
      if (runs.length === 0) return [];
      const present = await db.select({ workflowId: archivedHistories.workflowId, runId: archivedHistories.runId })
        .from(archivedHistories)
        .where(inArray(archivedHistories.runId, runs.map((r) => r.runId)));
      const have = new Set(present.map((r) => `${r.workflowId}\u0000${r.runId}`));
      return runs.filter((r) => !have.has(`${r.workflowId}\u0000${r.runId}`));
    },

    async store(entry) {
      await db.insert(archivedHistories).values({ ...entry, history: Buffer.from(entry.history) }).onConflictDoNothing();
    },

    async runs(workflowId) {
      const rows = await db.select(RUN_COLUMNS).from(archivedHistories)
        .where(eq(archivedHistories.workflowId, workflowId)).orderBy(desc(archivedHistories.closedAt));
      return rows.map(toRun);
    },

    async history(workflowId, runId) {
      const where = runId ? and(eq(archivedHistories.workflowId, workflowId), eq(archivedHistories.runId, runId)) : eq(archivedHistories.workflowId, workflowId);
      const [row] = await db.select().from(archivedHistories).where(where).orderBy(desc(archivedHistories.closedAt)).limit(1);
      return row ? { run: toRun(row), history: row.history } : null;
    },

    async purge(before) {
      return db.transaction(async (tx) => {
        const [span] = await tx.select({ n: count(), oldest: min(archivedHistories.closedAt), newest: max(archivedHistories.closedAt) })
          .from(archivedHistories).where(lt(archivedHistories.closedAt, before));
        if (!span || span.n === 0) return { purged: 0, oldestClosedAt: null, newestClosedAt: null };
        await tx.delete(archivedHistories).where(lt(archivedHistories.closedAt, before));
        const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
        return { purged: span.n, oldestClosedAt: iso(span.oldest), newestClosedAt: iso(span.newest) };
      });
    },

    async count() {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(archivedHistories);
      return row?.n ?? 0;
    },
  };
}
