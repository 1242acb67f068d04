// The reference implementation of the ports (rules/ports.ts) on the project's PostgreSQL tables.
// Absent optional fields come back as null; dates as ISO strings; amounts as numbers.

import { and, asc, eq, inArray, or } from 'drizzle-orm';
import { isIsoDate } from '../rules/dates.js';
import type { Ports } from '../rules/ports.js';
import { normalizeInvoiceNumber, normalizeName } from '../rules/text.js';
import type {
  AgicaRecord, Beneficiary, Card, CatalogueEntry, Insurer, IsoDate, Payment, Period, Practitioner,
} from '../rules/types.js';
import type { Database } from './client.js';
import {
  agicaRecords, beneficiaries, cards, catalogue, contractRights, insurers, paymentActs, payments, practitioners,
} from './schema.js';

/** NIRs are stored trimmed and upper case (`2A`/`2B`). */
export function normalizeNir(nir: string): string {
  return nir.trim().toUpperCase();
}

type BeneficiaryRow = typeof beneficiaries.$inferSelect;

async function withCardsAndRights(db: Database, rows: BeneficiaryRow[]): Promise<Beneficiary[]> {
  if (rows.length === 0) return [];
  const nirs = rows.map((row) => row.nir);
  const [cardRows, rightRows] = await Promise.all([
    db.select().from(cards).where(inArray(cards.beneficiaryNir, nirs)).orderBy(asc(cards.position)),
    db.select().from(contractRights).where(inArray(contractRights.beneficiaryNir, nirs)).orderBy(asc(contractRights.position)),
  ]);
  return rows.map((row) => ({
    nir: row.nir,
    lastName: row.lastName,
    firstName: row.firstName,
    birthDate: row.birthDate,
    birthRank: row.birthRank,
    insurer: row.insurer,
    cards: cardRows
      .filter((card) => card.beneficiaryNir === row.nir)
      .map((card): Card => ({
        insurer: card.insurer,
        contract: card.contract,
        start: card.start,
        end: card.end,
        restitutedOn: card.restitutedOn,
        restitutionReason: card.restitutionReason,
        columns: card.columns,
      })),
    contractRights: rightRows
      .filter((right) => right.beneficiaryNir === row.nir)
      .map((right): Period => ({ start: right.start, end: right.end })),
  }));
}

export function createPostgresPorts(db: Database): Ports {
  return {
    agica: {
      async findInvoiceRecords(invoiceNumber: string, nir: string): Promise<AgicaRecord[]> {
        const rows = await db
          .select()
          .from(agicaRecords)
          .where(and(
            eq(agicaRecords.invoiceNumberKey, normalizeInvoiceNumber(invoiceNumber)),
            eq(agicaRecords.nir, normalizeNir(nir)),
          ))
          .orderBy(asc(agicaRecords.id));
        return rows.map((row) => ({
          invoiceNumber: row.invoiceNumber,
          practitionerNumber: row.practitionerNumber,
          nir: row.nir,
          state: row.state,
          date: row.date,
          rejectReason: row.rejectReason,
          paidInvoiceNumber: row.paidInvoiceNumber,
        }));
      },
    },

    protips: {
      async findBeneficiaryByNir(nir: string): Promise<Beneficiary | null> {
        const rows = await db.select().from(beneficiaries).where(eq(beneficiaries.nir, normalizeNir(nir)));
        const [found] = await withCardsAndRights(db, rows);
        return found ?? null;
      },
      async findBeneficiariesByName(lastName: string, firstName: string): Promise<Beneficiary[]> {
        const lastNameKey = normalizeName(lastName);
        const firstNameKey = normalizeName(firstName);
        if (!lastNameKey || !firstNameKey) return [];
        const rows = await db
          .select()
          .from(beneficiaries)
          .where(and(eq(beneficiaries.lastNameKey, lastNameKey), eq(beneficiaries.firstNameKey, firstNameKey)))
          .orderBy(asc(beneficiaries.nir));
        return withCardsAndRights(db, rows);
      },
    },

    valerys: {
      async findCatalogueEntries(codes: string[]): Promise<CatalogueEntry[]> {
        const wanted = [...new Set(codes.map((code) => code.trim()).filter(Boolean))];
        if (wanted.length === 0) return [];
        const rows = await db.select().from(catalogue).where(inArray(catalogue.code, wanted));
        const byCode = new Map(rows.map((row) => [row.code, row]));
        return wanted.flatMap((code) => {
          const row = byCode.get(code);
          return row ? [{ code: row.code, unitPrice: row.unitPrice, majoration: row.majoration }] : [];
        });
      },

      async findPaymentsForActs(nirs: string[], acts: { code: string; date: IsoDate }[]): Promise<Payment[]> {
        const wantedNirs = [...new Set(nirs.map(normalizeNir).filter(Boolean))];
        // An act without a code or a real date cannot match anything (and must not break the query).
        const wantedActs = [
          ...new Map(
            acts
              .filter((act) => act.code?.trim() && isIsoDate(act.date))
              .map((act) => [`${act.code.trim()}|${act.date}`, { code: act.code.trim(), date: act.date }]),
          ).values(),
        ];
        if (wantedNirs.length === 0 || wantedActs.length === 0) return [];

        const matchingPayments = db
          .selectDistinct({ id: paymentActs.paymentId })
          .from(paymentActs)
          .where(or(...wantedActs.map((act) => and(eq(paymentActs.code, act.code), eq(paymentActs.date, act.date)))));
        const rows = await db
          .select()
          .from(payments)
          .where(and(inArray(payments.nir, wantedNirs), inArray(payments.id, matchingPayments)))
          .orderBy(asc(payments.paidOn), asc(payments.id));
        if (rows.length === 0) return [];

        const actRows = await db
          .select()
          .from(paymentActs)
          .where(inArray(paymentActs.paymentId, rows.map((row) => row.id)))
          .orderBy(asc(paymentActs.paymentId), asc(paymentActs.position));
        return rows.map((row) => ({
          invoiceNumber: row.invoiceNumber,
          practitionerNumber: row.practitionerNumber,
          nir: row.nir,
          insurer: row.insurer,
          paidOn: row.paidOn,
          acts: actRows.filter((act) => act.paymentId === row.id).map((act) => ({ code: act.code, date: act.date })),
        }));
      },

      async findInsurer(name: string): Promise<Insurer | null> {
        const nameKey = normalizeName(name);
        if (!nameKey) return null;
        const [row] = await db.select().from(insurers).where(eq(insurers.nameKey, nameKey));
        return row ? { name: row.name, controlThreshold: row.controlThreshold } : null;
      },
    },

    agaps: {
      async findPractitioner(number: string): Promise<Practitioner | null> {
        const [row] = await db.select().from(practitioners).where(eq(practitioners.number, number.trim()));
        if (!row) return null;
        return {
          number: row.number,
          name: row.name,
          headerEmail: row.headerEmail,
          returnEmails: row.returnEmails,
          fax: row.fax,
        };
      },
    },
  };
}
