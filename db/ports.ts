// The reference implementation of the ports (rules/ports.ts) on the project's PostgreSQL tables.
// Absent optional fields come back as null; dates as ISO strings; amounts as numbers.

import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import { isIsoDate } from '../rules/dates.js';
import type { Ports } from '../rules/ports.js';
import { normalizeInvoiceNumber, normalizeName } from '../rules/text.js';
import type {
  AgicaRecord, Beneficiary, Card, CatalogueEntry, Insurer, IsoDate, Payment, Period, Practitioner,
} from '../rules/types.js';
import { fromJson, qualified, type Database } from './client.js';
import {
  agicaRecords, beneficiaries, cards, catalogue, contractRights, insurers, paymentActs, payments, practitioners,
} from './schema.js';

/** NIRs are stored trimmed and upper case (`2A`/`2B`). */
export function normalizeNir(nir: string): string {
  return nir.trim().toUpperCase();
}

// A beneficiary with its cards and contractual rights in one statement: each list a JSON array of the same row, in
// its order (dates as ISO strings, as the columns give them).
const beneficiaryColumns = {
  nir: beneficiaries.nir,
  lastName: beneficiaries.lastName,
  firstName: beneficiaries.firstName,
  birthDate: beneficiaries.birthDate,
  birthRank: beneficiaries.birthRank,
  insurer: beneficiaries.insurer,
  cards: sql<unknown>`coalesce((select json_agg(json_build_object(
      'insurer', c.insurer, 'contract', c.contract, 'start', c.start, 'end', c."end", 'restitutedOn', c.restituted_on,
      'restitutionReason', c.restitution_reason, 'columns', c.columns) order by c.position)
    from ${cards} c where c.beneficiary_nir = ${qualified(beneficiaries.nir)}), '[]'::json)`,
  contractRights: sql<unknown>`coalesce((select json_agg(json_build_object('start', r.start, 'end', r."end") order by r.position)
    from ${contractRights} r where r.beneficiary_nir = ${qualified(beneficiaries.nir)}), '[]'::json)`,
};

/** A row of `beneficiaryColumns`: the beneficiary's own columns, and its two lists as JSON. */
type BeneficiaryRow = Pick<typeof beneficiaries.$inferSelect, 'nir' | 'lastName' | 'firstName' | 'birthDate' | 'birthRank' | 'insurer'>
  & { cards: unknown; contractRights: unknown };

function toBeneficiary({ cards: cardList, contractRights: rights, ...beneficiary }: BeneficiaryRow): Beneficiary {
  return { ...beneficiary, cards: fromJson<Card[]>(cardList), contractRights: fromJson<Period[]>(rights) };
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
        const [row] = await db.select(beneficiaryColumns).from(beneficiaries).where(eq(beneficiaries.nir, normalizeNir(nir)));
        return row ? toBeneficiary(row) : null;
      },
      async findBeneficiariesByName(lastName: string, firstName: string): Promise<Beneficiary[]> {
        const lastNameKey = normalizeName(lastName);
        const firstNameKey = normalizeName(firstName);
        if (!lastNameKey || !firstNameKey) return [];
        const rows = await db
          .select(beneficiaryColumns)
          .from(beneficiaries)
          .where(and(eq(beneficiaries.lastNameKey, lastNameKey), eq(beneficiaries.firstNameKey, firstNameKey)))
          .orderBy(asc(beneficiaries.nir));
        return rows.map(toBeneficiary);
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
        // Each payment with its acts (a JSON array, in their order): one statement.
        const rows = await db
          .select({
            invoiceNumber: payments.invoiceNumber,
            practitionerNumber: payments.practitionerNumber,
            nir: payments.nir,
            insurer: payments.insurer,
            paidOn: payments.paidOn,
            acts: sql<unknown>`(select json_agg(json_build_object('code', a.code, 'date', a.date) order by a.position)
              from ${paymentActs} a where a.payment_id = ${qualified(payments.id)})`,
          })
          .from(payments)
          .where(and(inArray(payments.nir, wantedNirs), inArray(payments.id, matchingPayments)))
          .orderBy(asc(payments.paidOn), asc(payments.id));
        return rows.map((row) => ({ ...row, acts: fromJson<{ code: string; date: IsoDate }[]>(row.acts) }));
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
