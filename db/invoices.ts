// The pipeline's invoices: one row per claim, written by the workflow's activities (idempotent), read by the API.

import { and, desc, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { AnalysisResult, Invoice, IsoDate } from '../rules/types.js';
import type { InvoiceStatus } from '../workflows/contract.js';
import type { Database } from './client.js';
import { batches, invoices } from './schema.js';

export interface InvoiceRecord {
  id: string;
  archiveKey: string;
  workflowId: string;
  batchId: string | null;
  practitionerNumber: string | null;
  status: InvoiceStatus;
  motif: string | null;
  route: string | null;
  invoice: Invoice;
  receivedOn: IsoDate;
  decision: AnalysisResult | null;
  calculatedAmount: number | null;
  calculatedRc: number | null;
  emailId: string | null;
  emailedAt: string | null;
  trameId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface InvoiceFilter {
  status?: string;
  motif?: string;
  practitionerNumber?: string;
  batchId?: string;
  /** A critère d'archivage, a NIR or a N° PS (exact), or the start of one. */
  q?: string;
  limit?: number;
  offset?: number;
}

type Row = typeof invoices.$inferSelect;

function toRecord(row: Row): InvoiceRecord {
  return {
    id: row.id,
    archiveKey: row.archiveKey,
    workflowId: row.workflowId,
    batchId: row.batchId,
    practitionerNumber: row.practitionerNumber,
    status: row.status as InvoiceStatus,
    motif: row.motif,
    route: row.route,
    invoice: row.invoice as Invoice,
    receivedOn: row.receivedOn,
    decision: (row.decision as AnalysisResult | null) ?? null,
    calculatedAmount: row.calculatedAmount,
    calculatedRc: row.calculatedRc,
    emailId: row.emailId,
    emailedAt: row.emailedAt ? new Date(row.emailedAt).toISOString() : null,
    trameId: row.trameId,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function createInvoiceRepository(db: Database) {
  return {
    /** Creates the batch row if it does not exist yet. */
    async ensureBatch(id: string, invoiceCount: number): Promise<void> {
      await db.insert(batches).values({ id, invoiceCount, status: 'running' }).onConflictDoNothing();
    },

    /** The claim as received; a second call for the same critère d'archivage changes nothing. */
    async recordReceived(input: {
      archiveKey: string; workflowId: string; invoice: Invoice; receivedOn: IsoDate; batchId?: string | null;
    }): Promise<void> {
      if (input.batchId) await this.ensureBatch(input.batchId, 0);
      await db
        .insert(invoices)
        .values({
          id: input.archiveKey,
          archiveKey: input.archiveKey,
          workflowId: input.workflowId,
          batchId: input.batchId ?? null,
          practitionerNumber: input.invoice.practitionerNumber ?? null,
          status: 'analyzing',
          invoice: input.invoice,
          receivedOn: input.receivedOn,
        })
        .onConflictDoNothing();
    },

    /** The decision and the status it leads to (idempotent: the same call twice leaves the same row). */
    async recordDecision(input: {
      archiveKey: string; status: InvoiceStatus; decision: AnalysisResult; calculatedAmount?: number | null; calculatedRc?: number | null;
    }): Promise<void> {
      await db
        .update(invoices)
        .set({
          status: input.status,
          motif: input.decision.motif,
          route: input.decision.route,
          decision: input.decision,
          trace: input.decision.trace,
          ...(input.calculatedAmount !== undefined ? { calculatedAmount: input.calculatedAmount, calculatedRc: input.calculatedRc ?? null } : {}),
          updatedAt: sql`now()`,
        })
        .where(eq(invoices.archiveKey, input.archiveKey));
    },

    async recordStatus(archiveKey: string, status: InvoiceStatus): Promise<void> {
      await db.update(invoices).set({ status, updatedAt: sql`now()` }).where(eq(invoices.archiveKey, archiveKey));
    },

    /** The e-mail that carried the reply (idempotent). */
    async recordReplySent(input: { archiveKey: string; emailId: string; sentAt: string }): Promise<void> {
      await db.update(invoices)
        .set({ status: 'replied', emailId: input.emailId, emailedAt: new Date(input.sentAt), updatedAt: sql`now()` })
        .where(eq(invoices.archiveKey, input.archiveKey));
    },

    /** Invoices of a batch, in submission order (critère d'archivage), a page at a time. */
    async ofBatch(batchId: string, offset = 0, limit = 1000): Promise<InvoiceRecord[]> {
      const rows = await db.select().from(invoices).where(eq(invoices.batchId, batchId))
        .orderBy(invoices.createdAt, invoices.archiveKey).limit(limit).offset(offset);
      return rows.map(toRecord);
    },

    async setTrame(archiveKeys: string[], trameId: string): Promise<void> {
      if (archiveKeys.length) await db.update(invoices).set({ trameId }).where(inArray(invoices.archiveKey, archiveKeys));
    },

    async get(archiveKey: string): Promise<InvoiceRecord | null> {
      const rows = await db.select().from(invoices).where(eq(invoices.archiveKey, archiveKey)).limit(1);
      return rows[0] ? toRecord(rows[0]) : null;
    },

    async list(filter: InvoiceFilter = {}): Promise<{ items: InvoiceRecord[]; total: number }> {
      const conditions: SQL[] = [];
      if (filter.status) conditions.push(eq(invoices.status, filter.status));
      if (filter.motif) conditions.push(eq(invoices.motif, filter.motif));
      if (filter.practitionerNumber) conditions.push(eq(invoices.practitionerNumber, filter.practitionerNumber));
      if (filter.batchId) conditions.push(eq(invoices.batchId, filter.batchId));
      const q = filter.q?.trim().toUpperCase();
      if (q) {
        const prefix = `${q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
        conditions.push(or(
          ilike(invoices.archiveKey, prefix),
          ilike(invoices.practitionerNumber, prefix),
          sql`upper(${invoices.invoice}->'beneficiary'->>'nir') like ${prefix}`,
        )!);
      }
      const where = conditions.length ? and(...conditions) : undefined;
      const [rows, [{ count }]] = await Promise.all([
        db.select().from(invoices).where(where).orderBy(desc(invoices.createdAt), desc(invoices.id))
          .limit(filter.limit ?? 50).offset(filter.offset ?? 0),
        db.select({ count: sql<number>`count(*)::int` }).from(invoices).where(where),
      ]);
      return { items: rows.map(toRecord), total: Number(count) };
    },
  };
}

export type InvoiceRepository = ReturnType<typeof createInvoiceRepository>;
