// The Trame SSTT in the database: practitioners with their address (its columns), the workbooks written, the open
// manager rows (« Lignes ouvertes »).

import { and, asc, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Practitioner } from '../rules/types.js';
import type { Database } from './client.js';
import { invoices, practitioners, trameFiles } from './schema.js';

export interface PractitionerWithAddress extends Practitioner {
  address: {
    streetNumber: string | null; streetNumberComplement: string | null; streetType: string | null; streetName: string | null;
    complement: string | null; postalCode: string | null; city: string | null;
  };
}

export function createTrameRepository(db: Database) {
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

    /** Rejected invoices still waiting for a manager (the export of open manager rows). */
    async openManagerArchiveKeys(): Promise<string[]> {
      const rows = await db.select({ k: invoices.archiveKey }).from(invoices)
        .where(and(eq(invoices.status, 'awaiting_manager'), isNotNull(invoices.decision), isNull(invoices.emailId)))
        .orderBy(asc(invoices.createdAt));
      return rows.map((r) => r.k);
    },
  };
}

export type TrameRepository = ReturnType<typeof createTrameRepository>;
