// « Documents multi factures »: a batch is its GTO task (the id is the GTO task's, the submission's idempotency key).
//
//   open ──(complete / close)──▶ running ──(every analysis decided, e-mails, Trame)──▶ closed « FIN OK »
//
// Its invoices are written by the API, a page at a time, in one transaction per page: a new critère is added; one
// already known with the same body is adopted (its decision counts for the batch); one known with another body, or in
// another batch, is a conflict — listed, left out, the others go on.

import { and, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { differingFields } from '../rules/compare.js';
import type { Invoice, IsoDate } from '../rules/types.js';
import { invoiceWorkflowId } from '../rules/claims.js';
import type { Database } from './client.js';
import { batches, invoices, trameFiles } from './schema.js';

export type BatchStatus = 'open' | 'running' | 'closed';

export interface BatchConflict {
  archiveKey: string;
  /** In French, for the person who sent the document. */
  reason: string;
  /** The fields that differ from the claim already known. */
  fields?: string[];
}

export interface BatchRecord {
  id: string;
  status: BatchStatus;
  invoiceCount: number;
  receivedOn: IsoDate | null;
  conflicts: BatchConflict[];
  gtoClosure: string | null;
  closedAt: string | null;
  createdAt: string;
}

/** What one page of a batch did to each of its invoices. */
export interface BatchAddition {
  /** New claims, written with the batch. */
  added: string[];
  /** Already in this batch with the same body (a page sent again). */
  present: string[];
  /** Known before, on their own, with the same body: now counted in the batch. */
  adopted: string[];
  conflicts: BatchConflict[];
}

export interface BatchCounts {
  /** Invoices in the batch, adopted ones included. */
  invoiceCount: number;
  adopted: number;
  decided: number;
  paid: number;
  routedToPractitioner: number;
  routedToManager: number;
  emailed: number;
  /** Adopted invoices whose reply had already been e-mailed on their own. */
  emailedOnTheirOwn: number;
}

export interface BatchProgress extends BatchRecord, Omit<BatchCounts, 'invoiceCount'> {
  /** Invoices written for the batch so far. */
  received: number;
  trame: { id: string; rowCount: number; createdAt: string } | null;
}

type Row = typeof batches.$inferSelect;

function toRecord(row: Row): BatchRecord {
  return {
    id: row.id,
    status: row.status as BatchStatus,
    invoiceCount: row.invoiceCount,
    receivedOn: row.receivedOn,
    conflicts: row.conflicts ?? [],
    gtoClosure: row.gtoClosure,
    closedAt: row.closedAt ? new Date(row.closedAt).toISOString() : null,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** Rows written per INSERT (well under PostgreSQL's 65 535 parameters). */
const CHUNK = 500;

export function createBatchRepository(db: Database) {
  return {
    async get(id: string): Promise<BatchRecord | null> {
      const [row] = await db.select().from(batches).where(eq(batches.id, id)).limit(1);
      return row ? toRecord(row) : null;
    },

    /** Newest first. */
    async list(limit = 50, offset = 0): Promise<{ items: BatchRecord[]; total: number }> {
      const [rows, [{ total }]] = await Promise.all([
        db.select().from(batches).orderBy(desc(batches.createdAt), desc(batches.id)).limit(limit).offset(offset),
        db.select({ total: count() }).from(batches),
      ]);
      return { items: rows.map(toRecord), total: Number(total) };
    },

    /**
     * Adds a page of invoices to an `open` batch, or creates the batch with its first page (`create`: `open`, or
     * `running` when complete), in one transaction: nothing of the page is written unless all of it is. Null when the
     * batch is not open (or, with `create`, when it existed already): the caller tells a page sent again from another.
     */
    async addInvoices(
      id: string, page: Invoice[], receivedOn: IsoDate, options: { create?: { complete: boolean } } = {},
    ): Promise<BatchAddition | null> {
      return db.transaction(async (tx) => {
        const created = options.create
          ? (await tx.insert(batches).values({ id, invoiceCount: 0, status: options.create.complete ? 'running' : 'open', receivedOn })
            .onConflictDoNothing().returning({ id: batches.id })).length > 0
          : false;
        // The batch row locked: pages of one batch are written one after the other.
        const [batch] = await tx.select().from(batches).where(eq(batches.id, id)).for('update');
        if (!batch || (options.create ? !created : batch.status !== 'open')) return null;
        const result: BatchAddition = { added: [], present: [], adopted: [], conflicts: [] };

        for (let i = 0; i < page.length; i += CHUNK) {
          const chunk = page.slice(i, i + CHUNK);
          const inserted = await tx.insert(invoices).values(chunk.map((invoice) => ({
            id: invoice.archiveKey, archiveKey: invoice.archiveKey, workflowId: invoiceWorkflowId(invoice.archiveKey),
            batchId: id, practitionerNumber: invoice.practitionerNumber ?? null, status: 'analyzing', invoice, receivedOn,
          }))).onConflictDoNothing().returning({ archiveKey: invoices.archiveKey });
          const added = new Set(inserted.map((r) => r.archiveKey));
          result.added.push(...added);

          const known = chunk.filter((inv) => !added.has(inv.archiveKey));
          if (known.length === 0) continue;
          const rows = await tx.select({ archiveKey: invoices.archiveKey, batchId: invoices.batchId, invoice: invoices.invoice })
            .from(invoices).where(inArray(invoices.archiveKey, known.map((inv) => inv.archiveKey)));
          const byKey = new Map(rows.map((r) => [r.archiveKey, r]));
          const candidates: string[] = [];
          for (const invoice of known) {
            const row = byKey.get(invoice.archiveKey)!;
            const fields = differingFields(row.invoice, invoice, 'invoice');
            if (fields.length > 0) {
              result.conflicts.push({ archiveKey: invoice.archiveKey, reason: 'critère d\'archivage déjà reçu avec un autre contenu', fields });
            } else if (row.batchId === id) {
              result.present.push(invoice.archiveKey);
            } else if (row.batchId) {
              result.conflicts.push({ archiveKey: invoice.archiveKey, reason: `facture déjà dans le lot ${row.batchId}` });
            } else {
              candidates.push(invoice.archiveKey);
            }
          }
          if (candidates.length === 0) continue;
          const adopted = await tx.update(invoices).set({ batchId: id, adopted: true, updatedAt: sql`now()` })
            .where(and(inArray(invoices.archiveKey, candidates), isNull(invoices.batchId)))
            .returning({ archiveKey: invoices.archiveKey });
          const taken = new Set(adopted.map((r) => r.archiveKey));
          result.adopted.push(...taken);
          for (const key of candidates) {
            if (!taken.has(key)) result.conflicts.push({ archiveKey: key, reason: 'facture prise par un autre lot au même moment' });
          }
        }

        const conflicts = mergeConflicts(batch.conflicts ?? [], result.conflicts, [...result.added, ...result.present, ...result.adopted]);
        await tx.update(batches).set({
          invoiceCount: sql`(select count(*)::int from ${invoices} where ${invoices.batchId} = ${id})`,
          conflicts,
        }).where(eq(batches.id, id));
        return result;
      });
    },

    /** The batch is complete: no more pages (`open` → `running`). False when it was not open. */
    async complete(id: string): Promise<boolean> {
      const updated = await db.update(batches).set({ status: 'running' })
        .where(and(eq(batches.id, id), eq(batches.status, 'open'))).returning({ id: batches.id });
      return updated.length > 0;
    },

    /** Invoices of the batch among `archiveKeys`, with their body: to tell a page sent again from another one. */
    async members(id: string, archiveKeys: string[]): Promise<Map<string, Invoice>> {
      const out = new Map<string, Invoice>();
      for (let i = 0; i < archiveKeys.length; i += CHUNK) {
        const rows = await db.select({ archiveKey: invoices.archiveKey, invoice: invoices.invoice }).from(invoices)
          .where(and(eq(invoices.batchId, id), inArray(invoices.archiveKey, archiveKeys.slice(i, i + CHUNK))));
        for (const r of rows) out.set(r.archiveKey, r.invoice);
      }
      return out;
    },

    /**
     * « FIN OK »: the GTO task of the batch is closed, whatever the outcome of its invoices — never while one of them
     * is still being analysed. Idempotent; false when an invoice is undecided.
     */
    async close(id: string, closure = 'FIN OK'): Promise<boolean> {
      const closed = await db.update(batches)
        .set({ status: 'closed', gtoClosure: closure, closedAt: sql`coalesce(${batches.closedAt}, now())` })
        .where(and(eq(batches.id, id), sql`not exists (select 1 from ${invoices} where ${invoices.batchId} = ${id} and ${invoices.status} = 'analyzing')`))
        .returning({ id: batches.id });
      return closed.length > 0;
    },

    /** How far the batch's invoices are (adopted ones included). */
    async counts(id: string): Promise<BatchCounts> {
      const [c] = await db.select({
        invoiceCount: sql<number>`count(*)::int`,
        adopted: sql<number>`count(*) filter (where ${invoices.adopted})::int`,
        decided: sql<number>`count(*) filter (where ${invoices.status} <> 'analyzing')::int`,
        paid: sql<number>`count(*) filter (where ${invoices.decision}->>'outcome' = 'paid')::int`,
        routedToPractitioner: sql<number>`count(*) filter (where ${invoices.route} = 'practitioner')::int`,
        routedToManager: sql<number>`count(*) filter (where ${invoices.route} = 'manager')::int`,
        emailed: sql<number>`count(*) filter (where ${invoices.emailId} is not null)::int`,
        emailedOnTheirOwn: sql<number>`count(*) filter (where ${invoices.adopted} and ${invoices.replyBy} = 'invoice' and ${invoices.emailId} is not null)::int`,
      }).from(invoices).where(eq(invoices.batchId, id));
      return Object.fromEntries(Object.entries(c ?? {}).map(([k, v]) => [k, Number(v ?? 0)])) as unknown as BatchCounts;
    },

    async progress(id: string): Promise<BatchProgress | null> {
      const batch = await this.get(id);
      if (!batch) return null;
      const [counts, [trame]] = await Promise.all([
        this.counts(id),
        db.select({ id: trameFiles.id, rowCount: trameFiles.rowCount, createdAt: trameFiles.createdAt })
          .from(trameFiles).where(eq(trameFiles.batchId, id)).orderBy(desc(trameFiles.createdAt)).limit(1),
      ]);
      const { invoiceCount: received, ...rest } = counts;
      return { ...batch, received, ...rest, trame: trame ? { ...trame, createdAt: new Date(trame.createdAt).toISOString() } : null };
    },
  };
}

/** The batch's conflicts after a page: the page's own added, those now in the batch (a later page took them) removed. */
function mergeConflicts(before: BatchConflict[], added: BatchConflict[], members: string[]): BatchConflict[] {
  const byKey = new Map(before.map((c) => [c.archiveKey, c]));
  for (const c of added) byKey.set(c.archiveKey, c);
  for (const key of members) byKey.delete(key);
  return [...byKey.values()];
}

export type BatchRepository = ReturnType<typeof createBatchRepository>;
