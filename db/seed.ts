// Loads reference data (spec §8 `reference`) into the tables behind the ports.
// Upserts in one transaction: seeding the same data twice leaves the same rows. A beneficiary's cards and
// contractual rights, and a payment's acts, are replaced by the input's.
// Validation messages name the path of the bad value, never the value itself (it may be a NIR).

import { AppError } from '../rules/errors.js';
import { getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { isIsoDate } from '../rules/dates.js';
import { NIR_PATTERN, PRACTITIONER_NUMBER_PATTERN, textErrors } from '../rules/schema.js';
import { normalizeInvoiceNumber, normalizeName } from '../rules/text.js';
import type {
  AgicaRecord, Beneficiary, Card, CatalogueEntry, Insurer, Payment, Period, Practitioner, PractitionerAddress, ReferenceData,
} from '../rules/types.js';
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

const NIR = NIR_PATTERN;
const PS_NUMBER = PRACTITIONER_NUMBER_PATTERN;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const ADDRESS_FIELDS = [
  'streetNumber', 'streetNumberComplement', 'streetType', 'streetName', 'complement', 'postalCode', 'city',
] as const;

type Obj = Record<string, unknown>;

class Checker {
  readonly issues: string[] = [];

  fail(path: string, message: string): void {
    this.issues.push(`${path}: ${message}`);
  }

  isObject(value: unknown, path: string): value is Obj {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return true;
    this.fail(path, value === undefined ? 'missing' : 'not an object');
    return false;
  }

  /** The items of an optional list (absent or null: none). */
  list(parent: Obj, key: string, path: string): unknown[] {
    const value = parent[key];
    if (value == null) return [];
    if (Array.isArray(value)) return value;
    this.fail(`${path}${key}`, 'not a list');
    return [];
  }

  requiredText(obj: Obj, key: string, path: string): string {
    const value = obj[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    this.fail(`${path}.${key}`, value == null ? 'missing' : typeof value === 'string' ? 'empty' : 'not a string');
    return '';
  }

  optionalText(obj: Obj, key: string, path: string): string | null {
    const value = obj[key];
    if (value == null) return null;
    if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
    this.fail(`${path}.${key}`, 'not a string');
    return null;
  }

  matching(value: string | null, pattern: RegExp, path: string, what: string): void {
    if (value && !pattern.test(value)) this.fail(path, `not ${what}`);
  }

  requiredDate(obj: Obj, key: string, path: string): string {
    const value = obj[key];
    if (isIsoDate(value)) return value;
    this.fail(`${path}.${key}`, value == null ? 'missing' : 'not a date (YYYY-MM-DD)');
    return '';
  }

  optionalDate(obj: Obj, key: string, path: string): string | null {
    const value = obj[key];
    if (value == null) return null;
    if (isIsoDate(value)) return value;
    this.fail(`${path}.${key}`, 'not a date (YYYY-MM-DD)');
    return null;
  }

  optionalNumber(obj: Obj, key: string, path: string, { integer = false, min = -Infinity } = {}): number | null {
    const value = obj[key];
    if (value == null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(`${path}.${key}`, 'not a number');
    else if (integer && !Number.isInteger(value)) this.fail(`${path}.${key}`, 'not an integer');
    else if (value < min) this.fail(`${path}.${key}`, `below ${min}`);
    else return value;
    return null;
  }

  requiredNumber(obj: Obj, key: string, path: string, options: { integer?: boolean; min?: number } = {}): number {
    if (obj[key] == null) {
      this.fail(`${path}.${key}`, 'missing');
      return 0;
    }
    return this.optionalNumber(obj, key, path, options) ?? 0;
  }

  optionalBoolean(obj: Obj, key: string, path: string): boolean | null {
    const value = obj[key];
    if (value == null || typeof value === 'boolean') return value ?? null;
    this.fail(`${path}.${key}`, 'not a boolean');
    return null;
  }

  ordered(start: string, end: string | null, path: string): void {
    if (start && end && end < start) this.fail(`${path}.end`, 'before start');
  }

  /** Reports items whose key was already seen. */
  unique<T>(items: (T | null)[], keyOf: (item: T) => string, path: (index: number) => string, what: string): void {
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      if (item === null) return;
      const key = keyOf(item);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else this.fail(path(index), `same ${what} as ${path(first)}`);
    });
  }
}

function checkPractitioner(c: Checker, value: unknown, path: string): SeedPractitioner | null {
  if (!c.isObject(value, path)) return null;
  const number = c.requiredText(value, 'number', path);
  c.matching(number, PS_NUMBER, `${path}.number`, 'a N° PS (9 digits)');
  const headerEmail = c.optionalText(value, 'headerEmail', path);
  c.matching(headerEmail, EMAIL, `${path}.headerEmail`, 'an e-mail address');
  const returnEmails = c.list(value, 'returnEmails', `${path}.`).flatMap((email, i) => {
    const at = `${path}.returnEmails[${i}]`;
    if (typeof email !== 'string' || !EMAIL.test(email.trim())) {
      c.fail(at, 'not an e-mail address');
      return [];
    }
    return [email.trim()];
  });
  let address: PractitionerAddress | null = null;
  if (value.address != null && c.isObject(value.address, `${path}.address`)) {
    const raw = value.address;
    address = Object.fromEntries(ADDRESS_FIELDS.map((key) => [key, c.optionalText(raw, key, `${path}.address`)]));
  }
  return {
    number,
    name: c.optionalText(value, 'name', path),
    headerEmail,
    returnEmails,
    fax: c.optionalText(value, 'fax', path),
    address,
  };
}

function checkNir(c: Checker, obj: Obj, path: string): string {
  const nir = normalizeNir(c.requiredText(obj, 'nir', path));
  c.matching(nir, NIR, `${path}.nir`, 'a NIR (13 characters, digits, 2A/2B allowed in positions 6-7)');
  return nir;
}

function checkPeriod(c: Checker, value: unknown, path: string): Period | null {
  if (!c.isObject(value, path)) return null;
  const start = c.requiredDate(value, 'start', path);
  const end = c.optionalDate(value, 'end', path);
  c.ordered(start, end, path);
  return { start, end };
}

function checkCard(c: Checker, value: unknown, path: string): Card | null {
  if (!c.isObject(value, path)) return null;
  const insurer = c.requiredText(value, 'insurer', path);
  const start = c.requiredDate(value, 'start', path);
  const end = c.optionalDate(value, 'end', path);
  c.ordered(start, end, path);
  const columns: Record<string, number> = {};
  if (c.isObject(value.columns, `${path}.columns`)) {
    for (const [specialty, rate] of Object.entries(value.columns)) {
      if (specialty.trim() === '') c.fail(`${path}.columns`, 'empty specialty');
      else if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) c.fail(`${path}.columns.${specialty}`, 'not a rate');
      else columns[specialty.trim()] = rate;
    }
  }
  return {
    insurer,
    contract: c.optionalText(value, 'contract', path),
    start,
    end,
    restitutedOn: c.optionalDate(value, 'restitutedOn', path),
    restitutionReason: c.optionalText(value, 'restitutionReason', path),
    columns,
  };
}

function checkBeneficiary(c: Checker, value: unknown, path: string): Beneficiary | null {
  if (!c.isObject(value, path)) return null;
  return {
    nir: checkNir(c, value, path),
    lastName: c.requiredText(value, 'lastName', path),
    firstName: c.requiredText(value, 'firstName', path),
    birthDate: c.optionalDate(value, 'birthDate', path),
    birthRank: c.optionalNumber(value, 'birthRank', path, { integer: true, min: 1 }),
    insurer: c.optionalText(value, 'insurer', path),
    cards: c.list(value, 'cards', `${path}.`).map((card, i) => checkCard(c, card, `${path}.cards[${i}]`)).filter(isSome),
    contractRights: c
      .list(value, 'contractRights', `${path}.`)
      .map((period, i) => checkPeriod(c, period, `${path}.contractRights[${i}]`))
      .filter(isSome),
  };
}

function checkPractitionerNumber(c: Checker, obj: Obj, path: string): string | null {
  const number = c.optionalText(obj, 'practitionerNumber', path);
  c.matching(number, PS_NUMBER, `${path}.practitionerNumber`, 'a N° PS (9 digits)');
  return number;
}

function checkAgica(c: Checker, value: unknown, path: string): AgicaRecord | null {
  if (!c.isObject(value, path)) return null;
  return {
    invoiceNumber: c.requiredText(value, 'invoiceNumber', path),
    practitionerNumber: checkPractitionerNumber(c, value, path),
    nir: checkNir(c, value, path),
    state: c.requiredText(value, 'state', path),
    date: c.optionalDate(value, 'date', path),
    rejectReason: c.optionalText(value, 'rejectReason', path),
    paidInvoiceNumber: c.optionalText(value, 'paidInvoiceNumber', path),
  };
}

function checkPayment(c: Checker, value: unknown, path: string): Payment | null {
  if (!c.isObject(value, path)) return null;
  if (!Array.isArray(value.acts)) c.fail(`${path}.acts`, value.acts == null ? 'missing' : 'not a list');
  const acts = c.list(value, 'acts', `${path}.`).flatMap((act, i) => {
    const at = `${path}.acts[${i}]`;
    if (!c.isObject(act, at)) return [];
    return [{ code: c.requiredText(act, 'code', at), date: c.requiredDate(act, 'date', at) }];
  });
  return {
    invoiceNumber: c.optionalText(value, 'invoiceNumber', path),
    practitionerNumber: checkPractitionerNumber(c, value, path),
    nir: checkNir(c, value, path),
    insurer: c.requiredText(value, 'insurer', path),
    paidOn: c.optionalDate(value, 'paidOn', path),
    acts,
  };
}

function checkCatalogueEntry(c: Checker, value: unknown, path: string): CatalogueEntry | null {
  if (!c.isObject(value, path)) return null;
  return {
    code: c.requiredText(value, 'code', path),
    unitPrice: c.requiredNumber(value, 'unitPrice', path, { min: 0 }),
    majoration: c.optionalBoolean(value, 'majoration', path) ?? false,
  };
}

function checkInsurer(c: Checker, value: unknown, path: string): Insurer | null {
  if (!c.isObject(value, path)) return null;
  return {
    name: c.requiredText(value, 'name', path),
    controlThreshold: c.optionalNumber(value, 'controlThreshold', path, { min: 0 }),
  };
}

function isSome<T>(value: T | null): value is T {
  return value !== null;
}

const agicaKey = (r: AgicaRecord) =>
  JSON.stringify([normalizeInvoiceNumber(r.invoiceNumber), r.nir, r.practitionerNumber ?? null]);
const paymentKey = (p: Payment) =>
  JSON.stringify([p.nir, p.invoiceNumber ?? null, p.practitionerNumber ?? null, p.insurer, p.paidOn ?? null]);

/**
 * Checks reference data and returns it cleaned up (trimmed strings, null for absent fields).
 * Throws a ReferenceValidationError listing every problem, each with its path.
 */
export function validateReference(input: unknown): Required<SeedReference> {
  const c = new Checker();
  if (!c.isObject(input, 'reference')) throw new ReferenceValidationError(c.issues);
  // Anywhere, read below or not: no control character, lone surrogate, endless text or infinite number.
  for (const e of textErrors(undefined, input)) c.fail(e.path, e.message);
  // Items that are not objects stay as null until the end, so that duplicate paths keep their index.
  const each = <T>(key: string, check: (c: Checker, value: unknown, path: string) => T | null): (T | null)[] =>
    c.list(input, key, '').map((value, i) => check(c, value, `${key}[${i}]`));

  const checked = {
    practitioners: each('practitioners', checkPractitioner),
    beneficiaries: each('beneficiaries', checkBeneficiary),
    agica: each('agica', checkAgica),
    payments: each('payments', checkPayment),
    catalogue: each('catalogue', checkCatalogueEntry),
    insurers: each('insurers', checkInsurer),
  };
  c.unique(checked.practitioners, (p) => p.number, (i) => `practitioners[${i}].number`, 'N° PS');
  c.unique(checked.beneficiaries, (b) => b.nir, (i) => `beneficiaries[${i}].nir`, 'NIR');
  c.unique(checked.agica, agicaKey, (i) => `agica[${i}]`, 'invoice number, NIR and N° PS');
  c.unique(checked.payments, paymentKey, (i) => `payments[${i}]`, 'invoice number, N° PS, NIR, insurer and date');
  c.unique(checked.catalogue, (e) => e.code, (i) => `catalogue[${i}].code`, 'code');
  c.unique(checked.insurers, (e) => normalizeName(e.name), (i) => `insurers[${i}].name`, 'name');
  if (c.issues.length > 0) throw new ReferenceValidationError(c.issues);
  return {
    practitioners: checked.practitioners.filter(isSome),
    beneficiaries: checked.beneficiaries.filter(isSome),
    agica: checked.agica.filter(isSome),
    payments: checked.payments.filter(isSome),
    catalogue: checked.catalogue.filter(isSome),
    insurers: checked.insurers.filter(isSome),
  };
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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
