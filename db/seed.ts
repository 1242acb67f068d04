// Loads reference data (spec §8 `reference`) into the tables behind the ports.
// Upserts in one transaction: seeding the same data twice leaves the same rows. A beneficiary's cards and
// contractual rights, and a payment's acts, are replaced by the input's.
// Validation messages name the path of the bad value, never the value itself (it may be a NIR).

import { AppError } from '../rules/errors.js';
import { getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { inDocumentOrder, StoredReferenceSchema, validate, type FieldError } from '../rules/schema.js';
import { normalizeInvoiceNumber, normalizeName } from '../rules/text.js';
import type { AgicaRecord, Payment, Practitioner, PractitionerAddress, ReferenceData } from '../rules/types.js';
import type { Database } from './client.js';
import { normalizeNir } from './ports.js';
import {
  agicaRecords, beneficiaries, cards, catalogue, contractRights, insurers, paymentActs, payments, practitioners,
} from './schema.js';
export type { PractitionerAddress };

// ---- Validation ----

export type SeedPractitioner = Practitioner & { address?: PractitionerAddress | null };
export type SeedReference = Omit<ReferenceData, 'practitioners'> & { practitioners?: SeedPractitioner[] };

export class ReferenceValidationError extends AppError {
  override readonly name = 'ReferenceValidationError';
  readonly code = 'invalid_reference_data';
  constructor(readonly issues: string[]) {
    super(`invalid reference data:\n  ${issues.join('\n  ')}`);
  }
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LISTS = ['practitioners', 'beneficiaries', 'agica', 'payments', 'catalogue', 'insurers'] as const;
/** Spaces around a text, not tabs or line breaks: those are control characters, refused by the text check. */
const SURROUNDING_SPACES = /^[ \u00a0]+|[ \u00a0]+$/g;

/**
 * The input as it is stored: texts without surrounding spaces, a blank text as no value, NIRs in capitals (2A/2B),
 * a card's specialties without surrounding spaces.
 */
function normalized(value: unknown, key?: string): unknown {
  if (typeof value === 'string') {
    const text = value.replace(SURROUNDING_SPACES, '');
    if (text === '') return null;
    return key === 'nir' ? normalizeNir(text) : text;
  }
  if (Array.isArray(value)) return value.map((item) => normalized(item));
  if (!isObject(value)) return value;
  const entries = Object.entries(value).map(([k, item]) => [k, normalized(item, k)] as const);
  if (key === 'columns') return Object.fromEntries(entries.map(([k, item]) => [k.replace(SURROUNDING_SPACES, ''), item]));
  return Object.fromEntries(entries);
}

/** What a schema cannot say: a period's end before its start. */
function periodsInOrder(reference: Required<SeedReference>): FieldError[] {
  const errors: FieldError[] = [];
  const check = (period: { start?: string | null; end?: string | null }, path: string) => {
    if (period.start && period.end && period.end < period.start) errors.push({ path: `${path}.end`, message: 'ne doit pas précéder start' });
  };
  reference.beneficiaries.forEach((b, i) => {
    if (!isObject(b)) return;
    if (Array.isArray(b.cards)) b.cards.forEach((card, j) => isObject(card) && check(card, `beneficiaries[${i}].cards[${j}]`));
    if (Array.isArray(b.contractRights)) {
      b.contractRights.forEach((period, j) => isObject(period) && check(period, `beneficiaries[${i}].contractRights[${j}]`));
    }
  });
  return errors;
}

/** What a schema cannot say either: two items of a list with the same key (items that are not objects aside). */
function duplicates(reference: Required<SeedReference>): string[] {
  const issues: string[] = [];
  const unique = <T>(list: T[], keyOf: (item: T) => string, path: (index: number) => string, what: string) => {
    const seen = new Map<string, number>();
    list.forEach((item, index) => {
      if (!isObject(item)) return;
      const key = keyOf(item);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else issues.push(`${path(index)}: same ${what} as ${path(first)}`);
    });
  };
  unique(reference.practitioners, (p) => String(p.number), (i) => `practitioners[${i}].number`, 'N° PS');
  unique(reference.beneficiaries, (b) => String(b.nir), (i) => `beneficiaries[${i}].nir`, 'NIR');
  unique(reference.agica, agicaKey, (i) => `agica[${i}]`, 'invoice number, NIR and N° PS');
  unique(reference.payments, paymentKey, (i) => `payments[${i}]`, 'invoice number, N° PS, NIR, insurer and date');
  unique(reference.catalogue, (e) => String(e.code), (i) => `catalogue[${i}].code`, 'code');
  unique(reference.insurers, (e) => normalizeName(String(e.name ?? '')), (i) => `insurers[${i}].name`, 'name');
  return issues;
}

const agicaKey = (r: AgicaRecord) =>
  JSON.stringify([normalizeInvoiceNumber(String(r.invoiceNumber ?? '')), r.nir ?? null, r.practitionerNumber ?? null]);
const paymentKey = (p: Payment) =>
  JSON.stringify([p.nir ?? null, p.invoiceNumber ?? null, p.practitionerNumber ?? null, p.insurer ?? null, p.paidOn ?? null]);

/**
 * Checks reference data against StoredReferenceSchema (rules/schema.ts) and returns it as stored (see `normalized`;
 * absent lists empty). Throws a ReferenceValidationError listing every problem, each with its path, in the order of
 * the document, then the duplicates.
 */
export function validateReference(input: unknown): Required<SeedReference> {
  if (!isObject(input)) throw new ReferenceValidationError(['reference: doit être un objet']);
  const value = normalized(input) as Obj;
  // Until the schema has passed, the lists may hold anything: the checks below look only at what they can read.
  const reference = Object.fromEntries(LISTS.map((list) => [list, Array.isArray(value[list]) ? value[list] : []])) as Required<SeedReference>;
  const issues = [
    ...issuesOf([...validate(StoredReferenceSchema, value), ...periodsInOrder(reference)]),
    ...duplicates(reference),
  ];
  if (issues.length > 0) throw new ReferenceValidationError(issues);
  return reference;
}

const issuesOf = (errors: FieldError[]) =>
  inDocumentOrder(StoredReferenceSchema, errors).map((e) => `${e.path}: ${e.message}`);

/**
 * The reference object inside a seed file: a bare `reference`, a case file `{ receivedOn, invoice, reference }`,
 * or a spec example `{ case: { …, reference } }` (a missing reference is an empty one).
 */
export function referenceOf(content: unknown): unknown {
  if (isObject(content) && isObject(content.case)) return content.case.reference ?? {};
  if (isObject(content) && ('invoice' in content || 'receivedOn' in content)) return content.reference ?? {};
  return content;
}

// ---- Loading ----

export interface SeedCounts {
  practitioners: number;
  beneficiaries: number;
  cards: number;
  contractRights: number;
  agica: number;
  payments: number;
  paymentActs: number;
  catalogue: number;
  insurers: number;
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Rows per INSERT, well under PostgreSQL's 65 535 bind parameters. */
const CHUNK = 500;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `SET col = excluded.col` for every column of the table but the conflict target. */
function excludedColumns(table: PgTable, except: string[]): Record<string, SQL> {
  return Object.fromEntries(
    Object.entries(getTableColumns(table))
      .filter(([key]) => !except.includes(key))
      .map(([key, column]) => [key, sql.raw(`excluded."${column.name}"`)]),
  );
}

/** Deletes a beneficiary's children beyond the count it now has. */
async function deleteSurplus(tx: Tx, table: 'cards' | 'contract_rights', kept: [nir: string, count: number][]) {
  if (kept.length === 0) return;
  const list = JSON.stringify(kept.map(([nir, count]) => ({ nir, count })));
  await tx.execute(sql`
    delete from ${sql.identifier(table)} as child
    using jsonb_to_recordset(${list}::jsonb) as kept(nir text, count int)
    where child.beneficiary_nir = kept.nir and child.position >= kept.count`);
}

async function seedInto(tx: Tx, ref: Required<SeedReference>, counts: SeedCounts): Promise<void> {
  for (const rows of chunks(ref.practitioners)) {
    await tx
      .insert(practitioners)
      .values(rows.map((p) => ({
        number: p.number,
        name: p.name ?? null,
        headerEmail: p.headerEmail ?? null,
        returnEmails: p.returnEmails ?? [],
        fax: p.fax ?? null,
        streetNumber: p.address?.streetNumber ?? null,
        streetNumberComplement: p.address?.streetNumberComplement ?? null,
        streetType: p.address?.streetType ?? null,
        streetName: p.address?.streetName ?? null,
        addressComplement: p.address?.complement ?? null,
        postalCode: p.address?.postalCode ?? null,
        city: p.address?.city ?? null,
      })))
      .onConflictDoUpdate({ target: practitioners.number, set: excludedColumns(practitioners, ['number']) });
  }
  counts.practitioners += ref.practitioners.length;

  for (const rows of chunks(ref.beneficiaries)) {
    await tx
      .insert(beneficiaries)
      .values(rows.map((b) => ({
        nir: b.nir,
        lastName: b.lastName,
        firstName: b.firstName,
        lastNameKey: normalizeName(b.lastName),
        firstNameKey: normalizeName(b.firstName),
        birthDate: b.birthDate ?? null,
        birthRank: b.birthRank ?? null,
        insurer: b.insurer ?? null,
      })))
      .onConflictDoUpdate({ target: beneficiaries.nir, set: excludedColumns(beneficiaries, ['nir']) });
    // Children are upserted by position and the surplus deleted, so that unchanged rows keep their ids.
    const cardRows = rows.flatMap((b) => (b.cards ?? []).map((card, position) => ({
      beneficiaryNir: b.nir,
      position,
      insurer: card.insurer,
      contract: card.contract ?? null,
      start: card.start,
      end: card.end ?? null,
      restitutedOn: card.restitutedOn ?? null,
      restitutionReason: card.restitutionReason ?? null,
      columns: card.columns as Record<string, number>,
    })));
    for (const part of chunks(cardRows)) {
      await tx
        .insert(cards)
        .values(part)
        .onConflictDoUpdate({
          target: [cards.beneficiaryNir, cards.position],
          set: excludedColumns(cards, ['id', 'beneficiaryNir', 'position']),
        });
    }
    await deleteSurplus(tx, 'cards', rows.map((b) => [b.nir, b.cards?.length ?? 0]));

    const rightRows = rows.flatMap((b) => (b.contractRights ?? []).map((period, position) => ({
      beneficiaryNir: b.nir,
      position,
      start: period.start,
      end: period.end ?? null,
    })));
    for (const part of chunks(rightRows)) {
      await tx
        .insert(contractRights)
        .values(part)
        .onConflictDoUpdate({
          target: [contractRights.beneficiaryNir, contractRights.position],
          set: excludedColumns(contractRights, ['id', 'beneficiaryNir', 'position']),
        });
    }
    await deleteSurplus(tx, 'contract_rights', rows.map((b) => [b.nir, b.contractRights?.length ?? 0]));
    counts.cards += cardRows.length;
    counts.contractRights += rightRows.length;
  }
  counts.beneficiaries += ref.beneficiaries.length;

  for (const rows of chunks(ref.agica)) {
    await tx
      .insert(agicaRecords)
      .values(rows.map((r) => ({
        invoiceNumber: r.invoiceNumber,
        invoiceNumberKey: normalizeInvoiceNumber(r.invoiceNumber),
        practitionerNumber: r.practitionerNumber ?? null,
        nir: r.nir,
        state: r.state,
        date: r.date ?? null,
        rejectReason: r.rejectReason ?? null,
        paidInvoiceNumber: r.paidInvoiceNumber ?? null,
      })))
      .onConflictDoUpdate({
        target: [agicaRecords.invoiceNumberKey, agicaRecords.nir, agicaRecords.practitionerNumber],
        set: excludedColumns(agicaRecords, ['id', 'invoiceNumberKey', 'nir', 'practitionerNumber']),
      });
  }
  counts.agica += ref.agica.length;

  for (const rows of chunks(ref.payments)) {
    const saved = await tx
      .insert(payments)
      .values(rows.map((p) => ({
        invoiceNumber: p.invoiceNumber ?? null,
        practitionerNumber: p.practitionerNumber ?? null,
        nir: p.nir,
        insurer: p.insurer,
        paidOn: p.paidOn ?? null,
      })))
      .onConflictDoUpdate({
        target: [payments.nir, payments.invoiceNumber, payments.practitionerNumber, payments.insurer, payments.paidOn],
        // A no-op update, so that RETURNING also yields the rows that already existed.
        set: { nir: sql.raw('excluded."nir"') },
      })
      .returning();
    const idByKey = new Map(saved.map((row) => [paymentKey({ ...row, acts: [] }), row.id]));
    const ids = [...idByKey.values()];
    await tx.delete(paymentActs).where(inArray(paymentActs.paymentId, ids));
    const actRows = rows.flatMap((p) => {
      const paymentId = idByKey.get(paymentKey(p));
      if (paymentId === undefined) throw new Error('payment row not returned by the upsert');
      return p.acts.map((act, position) => ({ paymentId, position, code: act.code, date: act.date }));
    });
    for (const part of chunks(actRows)) await tx.insert(paymentActs).values(part);
    counts.paymentActs += actRows.length;
  }
  counts.payments += ref.payments.length;

  for (const rows of chunks(ref.catalogue)) {
    await tx
      .insert(catalogue)
      .values(rows.map((e) => ({ code: e.code, unitPrice: e.unitPrice, majoration: e.majoration ?? false })))
      .onConflictDoUpdate({ target: catalogue.code, set: excludedColumns(catalogue, ['code']) });
  }
  counts.catalogue += ref.catalogue.length;

  for (const rows of chunks(ref.insurers)) {
    await tx
      .insert(insurers)
      .values(rows.map((e) => ({ nameKey: normalizeName(e.name), name: e.name, controlThreshold: e.controlThreshold ?? null })))
      .onConflictDoUpdate({ target: insurers.nameKey, set: excludedColumns(insurers, ['nameKey']) });
  }
  counts.insurers += ref.insurers.length;
}

export function emptyCounts(): SeedCounts {
  return {
    practitioners: 0, beneficiaries: 0, cards: 0, contractRights: 0, agica: 0, payments: 0, paymentActs: 0,
    catalogue: 0, insurers: 0,
  };
}

/** Validates every reference first, then loads them all, in order, in one transaction. */
export async function seedReferences(db: Database, references: unknown[]): Promise<SeedCounts> {
  const valid = references.map((reference) => validateReference(reference));
  const counts = emptyCounts();
  await db.transaction(async (tx) => {
    for (const reference of valid) await seedInto(tx, reference, counts);
  });
  return counts;
}

export async function seedReference(db: Database, reference: SeedReference | unknown): Promise<SeedCounts> {
  return seedReferences(db, [reference]);
}

export function formatCounts(counts: SeedCounts): string {
  return [
    `${counts.practitioners} practitioners`,
    `${counts.beneficiaries} beneficiaries (${counts.cards} cards, ${counts.contractRights} contract rights)`,
    `${counts.agica} AGICA records`,
    `${counts.payments} payments (${counts.paymentActs} acts)`,
    `${counts.catalogue} catalogue entries`,
    `${counts.insurers} insurers`,
  ].join(', ');
}
