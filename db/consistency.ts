// What `npm run doctor` reads of the database to compare it with Temporal: claims not finished, batches, e-mails
// stuck, and the record of each run (shown to admins in /health).

import { and, asc, desc, eq, gt, inArray, lt, notInArray, sql } from 'drizzle-orm';
import type { Invoice, IsoDate } from '../rules/types.js';
import type { InvoiceStatus } from '../rules/claims.js';
import type { Database } from './client.js';
import { FINAL_STATUSES } from './invoices.js';
import { batches, doctorRuns, invoices, outbox } from './schema.js';

export interface UnfinishedClaim {
  archiveKey: string;
  workflowId: string;
  status: InvoiceStatus;
  invoice: Invoice;
  receivedOn: IsoDate;
  batchId: string | null;
  batchStatus: string | null;
  /** Milliseconds since the row was written. */
  ageMs: number;
}

export interface DoctorFinding {
  kind: string;
  /** The claim, batch or e-mail it is about. */
  subject: string;
  detail: string;
  /** What the doctor did about it (null: left to a person). */
  repaired: string | null;
}

export interface DoctorRun {
  ranAt: string;
  findings: DoctorFinding[];
  repaired: number;
}

export function createConsistencyRepository(db: Database) {
  return {
    /** Claims whose row is not in a final status, by critère, a page after `after`. */
    async unfinishedClaims(after: string | null, limit: number): Promise<UnfinishedClaim[]> {
      const rows = await db.select({
        archiveKey: invoices.archiveKey, workflowId: invoices.workflowId, status: invoices.status, invoice: invoices.invoice,
        receivedOn: invoices.receivedOn, batchId: invoices.batchId, batchStatus: batches.status,
        ageMs: sql<number>`(extract(epoch from now() - ${invoices.createdAt}) * 1000)::float8`,
      }).from(invoices).leftJoin(batches, eq(batches.id, invoices.batchId))
        .where(and(notInArray(invoices.status, [...FINAL_STATUSES]), after ? gt(invoices.archiveKey, after) : undefined))
        .orderBy(asc(invoices.archiveKey)).limit(limit);
      return rows.map((r) => ({ ...r, status: r.status as InvoiceStatus, invoice: r.invoice, ageMs: Number(r.ageMs) }));
    },

    async unfinishedCount(): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(invoices).where(notInArray(invoices.status, [...FINAL_STATUSES]));
      return Number(row?.n ?? 0);
    },

    /** Of these critères, the ones whose row says the reply was e-mailed, with the e-mail. */
    async replied(archiveKeys: string[]): Promise<{ archiveKey: string; emailId: string; emailedAt: string }[]> {
      if (archiveKeys.length === 0) return [];
      const rows = await db.select({ archiveKey: invoices.archiveKey, emailId: invoices.emailId, emailedAt: invoices.emailedAt })
        .from(invoices).where(and(inArray(invoices.archiveKey, archiveKeys), eq(invoices.status, 'replied')));
      return rows.filter((r) => r.emailId).map((r) => ({
        archiveKey: r.archiveKey, emailId: r.emailId!, emailedAt: new Date(r.emailedAt ?? Date.now()).toISOString(),
      }));
    },

    /** Batches closed « FIN OK » although one of their invoices is still being analysed. */
    async closedBatchesWithUndecided(): Promise<{ batchId: string; undecided: number }[]> {
      const rows = await db.select({ batchId: invoices.batchId, undecided: sql<number>`count(*)::int` }).from(invoices)
        .innerJoin(batches, eq(batches.id, invoices.batchId))
        .where(and(eq(batches.status, 'closed'), eq(invoices.status, 'analyzing')))
        .groupBy(invoices.batchId);
      return rows.map((r) => ({ batchId: r.batchId!, undecided: Number(r.undecided) }));
    },

    /** Batches complete but not closed: their workflow should be running. */
    async runningBatches(): Promise<string[]> {
      const rows = await db.select({ id: batches.id }).from(batches).where(eq(batches.status, 'running')).orderBy(asc(batches.id));
      return rows.map((r) => r.id);
    },

    /** E-mails left `sending` for longer than `olderThanMs` since their last attempt took them (an attempt that died). */
    async stuckMails(olderThanMs: number): Promise<{ id: string; kind: string }[]> {
      return db.select({ id: outbox.id, kind: outbox.kind }).from(outbox)
        .where(and(eq(outbox.status, 'sending'), sql`coalesce(${outbox.lastAttemptAt}, ${outbox.createdAt}) < now() - ${`${olderThanMs} milliseconds`}::interval`))
        .orderBy(asc(outbox.createdAt)).limit(1000);
    },

    /** Claims still being analysed after `olderThanMs` (an analysis takes well under a second). */
    async stalledClaims(olderThanMs: number): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(invoices)
        .where(and(
          eq(invoices.status, 'analyzing'), sql`${invoices.createdAt} < now() - ${`${olderThanMs} milliseconds`}::interval`,
          // A batch still open, or feeding its invoices a window at a time, holds some back on purpose.
          sql`(${invoices.batchId} is null or exists (select 1 from ${batches} where ${batches.id} = ${invoices.batchId} and ${batches.status} = 'closed'))`,
        ));
      return Number(row?.n ?? 0);
    },

    async recordRun(findings: DoctorFinding[], repaired: number): Promise<void> {
      await db.insert(doctorRuns).values({ findings, repaired });
      // Keep the last hundred runs.
      await db.delete(doctorRuns).where(lt(doctorRuns.id, sql`(select coalesce(max(${doctorRuns.id}), 0) - 100 from ${doctorRuns})`));
    },

    async lastRun(): Promise<DoctorRun | null> {
      const [row] = await db.select().from(doctorRuns).orderBy(desc(doctorRuns.id)).limit(1);
      return row ? { ranAt: new Date(row.ranAt).toISOString(), findings: row.findings as DoctorFinding[], repaired: row.repaired } : null;
    },
  };
}

export type ConsistencyRepository = ReturnType<typeof createConsistencyRepository>;
