// The pipeline's invoices: one row per claim, written by the workflow's activities (idempotent), read by the API.

import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
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
  createdAt: string;
  updatedAt: string;
}

export interface InvoiceFilter {
  status?: string;
  motif?: string;
  practitionerNumber?: string;
  batchId?: string;
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
    async recordDecision(input: { archiveKey: string; status: InvoiceStatus; decision: AnalysisResult }): Promise<void> {
      await db
        .update(invoices)
        .set({
          status: input.status,
          motif: input.decision.motif,
          route: input.decision.route,
          decision: input.decision,
          trace: input.decision.trace,
          updatedAt: sql`now()`,
        })
        .where(eq(invoices.archiveKey, input.archiveKey));
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
