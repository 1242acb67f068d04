// What the outputs need from the database: practitioners with their address (Trame), Trame files, batches.

import { and, asc, count, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Practitioner } from '../rules/types.js';
import type { Database } from './client.js';
import { batches, invoices, practitioners, trameFiles } from './schema.js';

export interface PractitionerWithAddress extends Practitioner {
  address: {
    streetNumber: string | null; streetNumberComplement: string | null; streetType: string | null; streetName: string | null;
    complement: string | null; postalCode: string | null; city: string | null;
  };
}

export interface BatchProgress {
  id: string;
  status: string;
  invoiceCount: number;
  received: number;
  decided: number;
  paid: number;
  routedToPractitioner: number;
  routedToManager: number;
  emailed: number;
  gtoClosure: string | null;
  closedAt: string | null;
  createdAt: string;
  trame: { id: string; rowCount: number; createdAt: string } | null;
}

export function createOutputRepository(db: Database) {
  return {
    async practitionersWithAddress(numbers: string[]): Promise<Map<string, PractitionerWithAddress>> {
      if (numbers.length === 0) return new Map();
      const rows = await db.select().from(practitioners).where(inArray(practitioners.number, [...new Set(numbers)]));
      return new Map(rows.map((r) => [r.number, {
        number: r.number, name: r.name, headerEmail: r.headerEmail, returnEmails: r.returnEmails, fax: r.fax,
        address: {
          streetNumber: r.streetNumber, streetNumberComplement: r.streetNumberComplement, streetType: r.streetType,
          streetName: r.streetName, complement: r.addressComplement, postalCode: r.postalCode, city: r.city,
        },
      }]));
    },

    async saveTrame(input: { id: string; batchId: string | null; rowCount: number; content: Buffer }): Promise<void> {
      await db.insert(trameFiles).values(input).onConflictDoUpdate({
        target: trameFiles.id, set: { rowCount: input.rowCount, content: input.content, createdAt: sql`now()` },
      });
    },

    async trame(id: string): Promise<{ id: string; batchId: string | null; rowCount: number; content: Buffer; createdAt: string } | null> {
      const rows = await db.select().from(trameFiles).where(eq(trameFiles.id, id)).limit(1);
      return rows[0] ? { ...rows[0], createdAt: new Date(rows[0].createdAt).toISOString() } : null;
    },

    async latestTrameOfBatch(batchId: string) {
      const rows = await db.select({ id: trameFiles.id, rowCount: trameFiles.rowCount, createdAt: trameFiles.createdAt })
        .from(trameFiles).where(eq(trameFiles.batchId, batchId)).orderBy(desc(trameFiles.createdAt)).limit(1);
      return rows[0] ? { ...rows[0], createdAt: new Date(rows[0].createdAt).toISOString() } : null;
    },

    async ensureBatch(id: string, invoiceCount: number): Promise<void> {
      await db.insert(batches).values({ id, invoiceCount, status: 'running' })
        .onConflictDoUpdate({ target: batches.id, set: { invoiceCount } });
    },

    /** « FIN OK »: the GTO task of the batch is closed, whatever the outcome of its invoices. Idempotent. */
    async closeBatch(id: string, closure = 'FIN OK'): Promise<void> {
      await db.update(batches).set({ status: 'closed', gtoClosure: closure, closedAt: sql`coalesce(${batches.closedAt}, now())` })
        .where(eq(batches.id, id));
    },

    async batchProgress(id: string): Promise<BatchProgress | null> {
      const [batch] = await db.select().from(batches).where(eq(batches.id, id)).limit(1);
      if (!batch) return null;
      const [counts] = await db.select({
        received: count(),
        decided: sql<number>`count(*) filter (where ${invoices.status} <> 'analyzing')::int`,
        paid: sql<number>`count(*) filter (where ${invoices.decision}->>'outcome' = 'paid')::int`,
        practitioner: sql<number>`count(*) filter (where ${invoices.route} = 'practitioner')::int`,
        manager: sql<number>`count(*) filter (where ${invoices.route} = 'manager')::int`,
        emailed: sql<number>`count(*) filter (where ${invoices.emailId} is not null)::int`,
      }).from(invoices).where(eq(invoices.batchId, id));
      const trame = await this.latestTrameOfBatch(id);
      return {
        id: batch.id, status: batch.status, invoiceCount: batch.invoiceCount, received: Number(counts.received),
        decided: Number(counts.decided), paid: Number(counts.paid), routedToPractitioner: Number(counts.practitioner),
        routedToManager: Number(counts.manager), emailed: Number(counts.emailed), gtoClosure: batch.gtoClosure,
        closedAt: batch.closedAt ? new Date(batch.closedAt).toISOString() : null, createdAt: new Date(batch.createdAt).toISOString(), trame,
      };
    },

    /** Rejected invoices still waiting for a manager (the export of open manager rows). */
    async openManagerArchiveKeys(): Promise<string[]> {
      const rows = await db.select({ k: invoices.archiveKey }).from(invoices)
        .where(and(eq(invoices.status, 'awaiting_manager'), isNotNull(invoices.decision), isNull(invoices.emailId)))
        .orderBy(asc(invoices.createdAt));
      return rows.map((r) => r.k);
    },
  };
}

export type OutputRepository = ReturnType<typeof createOutputRepository>;
