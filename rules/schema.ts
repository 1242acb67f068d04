// Input schemas (TypeBox → JSON Schema) of `npm run analyze`, the API and `npm run seed` (db/seed.ts validates with
// StoredReferenceSchema, then checks what a schema cannot say: periods in order, no two items with the same key).
// Formats per the MO's « Consignes de saisie »: critère d'archivage 10 digits, N° PS 9 digits, NIR 13 characters
// without key (2A/2B allowed for Corsica), ISO dates, amounts ≥ 0. Any field but `archiveKey` may be null or
// absent: G3 reports what is missing. Unknown properties are ignored by the rules.
//
// Whatever the schema, every value of an input is checked too (`textErrors`), unknown properties included, since
// they are kept with the claim: no control character (tab and line breaks only in fields marked `multilineText`),
// no lone surrogate, no string longer than its schema's maxLength or DEFAULT_MAX_LENGTH, no infinite number.

import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import AjvModule, { type ErrorObject } from 'ajv';
import localizeFrench from 'ajv-i18n/localize/fr/index.js';
import addFormatsModule from 'ajv-formats';
import { isIsoDate } from './dates.js';
import { CONTROL_CHARACTERS, CONTROL_CHARACTERS_BUT_TAB_AND_LINES, LONE_SURROGATE } from './text.js';
import { ATTACHED_DOCUMENT_KINDS, DOCUMENT_KINDS, SPECIALTIES } from './types.js';

/** Each schema carries the message shown when a value breaks it. */
const msg = <T extends TSchema>(schema: T, message: string): T => ({ ...schema, errorMessage: message });
const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

const tooLong = (maxLength: number) => `doit être un texte d'au plus ${maxLength} caractères`;
/** A free text of at most `maxLength` characters, on one line. */
export const text = (maxLength: number) => msg(Type.String({ maxLength }), tooLong(maxLength));

/** Marks a string schema whose text may hold tabs and line breaks (a comment typed in a form). */
export const MULTILINE = 'x-multiline';
/** A free text of at most `maxLength` characters that may hold tabs and line breaks. */
export const multilineText = (maxLength: number) => msg(Type.String({ maxLength, [MULTILINE]: true }), tooLong(maxLength));

/** Critère d'archivage: 10 digits. */
export const ARCHIVE_KEY_PATTERN = /^[0-9]{10}$/;
/** N° PS: 9 digits. */
export const PRACTITIONER_NUMBER_PATTERN = /^[0-9]{9}$/;
/** NIR: 13 characters, no key; Corsica `2A`/`2B` in positions 6-7 (spec §2). The one pattern of the project. */
export const NIR_PATTERN = /^[0-9]{5}(?:[0-9]{2}|2[ABab])[0-9]{6}$/;

export const IsoDateSchema = msg(Type.String({ format: 'iso-date' }), 'doit être une date écrite AAAA-MM-JJ');
export const ArchiveKeySchema = msg(Type.String({ pattern: ARCHIVE_KEY_PATTERN.source }), "doit comporter 10 chiffres (critère d'archivage)");
export const PractitionerNumberSchema = msg(Type.String({ pattern: PRACTITIONER_NUMBER_PATTERN.source }), 'doit comporter 9 chiffres (N° PS)');
export const NirSchema = msg(
  Type.String({ pattern: NIR_PATTERN.source }),
  'doit comporter 13 caractères sans clé : des chiffres, 2A ou 2B admis en positions 6-7 (NIR)',
);
const Amount = msg(Type.Number({ minimum: 0 }), 'doit être un nombre ≥ 0');
const Rate = msg(Type.Number({ minimum: 0, maximum: 100 }), 'doit être un taux entre 0 et 100');
/** A card column's rate: contracts may cover more than the RO's base (200 for 200 %). */
const CardRate = msg(Type.Number({ minimum: 0 }), 'doit être un taux ≥ 0 (en pourcentage)');
/** One of `values`: its Static type is their union. */
const enumOf = <V extends string>(values: readonly V[], what: string) =>
  msg(Type.Union(values.map((v) => Type.Literal(v))) as TUnion<TLiteral<V>[]>, `doit être l'une des valeurs ${values.join(', ')} (${what})`);

export const FlagsSchema = Type.Object({
  ro100: Type.Optional(Type.Boolean()),
  tpBoxTicked: Type.Optional(Type.Boolean()),
  insuredShareStated: Type.Optional(Type.Boolean()),
  addressedToInsured: Type.Optional(Type.Boolean()),
  carePathRespected: Type.Optional(Type.Boolean()),
  complementRequest: Type.Optional(Type.Boolean()),
  readable: Type.Optional(Type.Boolean()),
  matchesTask: Type.Optional(Type.Boolean()),
});

export const ActSchema = Type.Object({
  code: nullable(msg(Type.String({ minLength: 1, maxLength: 20 }), 'doit être un code acte')),
  coefficient: nullable(Amount),
  quantity: nullable(Amount),
  unitPrice: nullable(Amount),
  amount: nullable(Amount),
  date: nullable(IsoDateSchema),
  roRate: nullable(Rate),
});

export const AttachedDocumentSchema = Type.Object({
  kind: enumOf(ATTACHED_DOCUMENT_KINDS, 'nature de la pièce jointe'),
  careDates: nullable(Type.Array(IsoDateSchema)),
  actCodes: nullable(Type.Array(msg(Type.String({ minLength: 1, maxLength: 20 }), 'doit être un code acte'))),
  totalAmount: nullable(Amount),
});

export const InvoiceSchema = Type.Object(
  {
    kind: nullable(enumOf(DOCUMENT_KINDS, 'nature du document principal')),
    archiveKey: ArchiveKeySchema,
    practitionerNumber: nullable(PractitionerNumberSchema),
    invoiceNumber: nullable(text(50)),
    invoiceDate: nullable(IsoDateSchema),
    beneficiary: nullable(
      Type.Object({
        nir: nullable(NirSchema),
        lastName: nullable(text(100)),
        firstName: nullable(text(100)),
        birthDate: nullable(IsoDateSchema),
        birthRank: nullable(msg(Type.Integer({ minimum: 1 }), 'doit être un entier ≥ 1 (rang de naissance)')),
      }),
    ),
    specialty: nullable(enumOf(SPECIALTIES, 'colonne de spécialité')),
    acts: nullable(Type.Array(ActSchema)),
    totalAmount: nullable(Amount),
    requestedRc: nullable(Amount),
    flags: nullable(FlagsSchema),
    adeliNumbers: nullable(Type.Array(text(20))),
    documents: nullable(Type.Array(AttachedDocumentSchema)),
    taskMismatch: nullable(text(500)),
  },
);

const Str = msg(Type.String({ minLength: 1, maxLength: 100 }), 'doit être un texte de 1 à 100 caractères');
const BirthRank = msg(Type.Integer({ minimum: 1 }), 'doit être un entier ≥ 1 (rang de naissance)');

/** An e-mail address: something@somewhere, no space. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
export const EmailSchema = msg(Type.String({ pattern: EMAIL_PATTERN.source, maxLength: 254 }), 'doit être une adresse e-mail');

/** A PS's postal address in AGAPS, split as the Trame's manager columns split it. */
export const PractitionerAddressSchema = Type.Object({
  streetNumber: nullable(text(20)),
  streetNumberComplement: nullable(text(20)),
  streetType: nullable(text(50)),
  streetName: nullable(text(200)),
  complement: nullable(text(200)),
  postalCode: nullable(text(20)),
  city: nullable(text(100)),
});

/**
 * The reference data behind the ports. A case file's (`npm run analyze`) takes e-mail addresses and the N° PS of
 * AGICA records and payments as plain texts; what `npm run seed` stores is held to their formats (`stored`), since
 * the worker sends to those addresses and joins on those numbers.
 */
function referenceSchema({ stored }: { stored: boolean }) {
  const email = stored ? EmailSchema : text(254);
  const practitionerNumber = stored ? PractitionerNumberSchema : text(20);
  return Type.Object({
    practitioners: Type.Optional(Type.Array(Type.Object({
      number: PractitionerNumberSchema,
      name: nullable(text(200)),
      headerEmail: nullable(email),
      returnEmails: nullable(Type.Array(email)),
      fax: nullable(text(30)),
      address: nullable(PractitionerAddressSchema),
    }))),
    beneficiaries: Type.Optional(Type.Array(Type.Object({
      nir: NirSchema,
      lastName: Str,
      firstName: Str,
      birthDate: nullable(IsoDateSchema),
      birthRank: nullable(BirthRank),
      insurer: nullable(text(100)),
      cards: nullable(Type.Array(Type.Object({
        insurer: Str,
        contract: nullable(text(100)),
        start: IsoDateSchema,
        end: nullable(IsoDateSchema),
        restitutedOn: nullable(IsoDateSchema),
        restitutionReason: nullable(text(500)),
        columns: Type.Record(Type.String(), CardRate, {
          propertyNames: msg(Type.String({ minLength: 1 }), 'ne doit pas avoir de spécialité vide'),
        }),
      }))),
      contractRights: nullable(Type.Array(Type.Object({ start: IsoDateSchema, end: nullable(IsoDateSchema) }))),
    }))),
    agica: Type.Optional(Type.Array(Type.Object({
      invoiceNumber: Str,
      practitionerNumber: nullable(practitionerNumber),
      nir: NirSchema,
      state: Str,
      date: nullable(IsoDateSchema),
      rejectReason: nullable(text(500)),
      paidInvoiceNumber: nullable(text(50)),
    }))),
    payments: Type.Optional(Type.Array(Type.Object({
      invoiceNumber: nullable(text(50)),
      practitionerNumber: nullable(practitionerNumber),
      nir: NirSchema,
      insurer: Str,
      paidOn: nullable(IsoDateSchema),
      acts: Type.Array(Type.Object({ code: Str, date: IsoDateSchema })),
    }))),
    catalogue: Type.Optional(Type.Array(Type.Object({
      code: Str,
      unitPrice: Amount,
      majoration: nullable(Type.Boolean()),
    }))),
    insurers: Type.Optional(Type.Array(Type.Object({
      name: Str,
      controlThreshold: nullable(Amount),
    }))),
  });
}

/** A case file's reference data (`npm run analyze`). */
export const ReferenceSchema = referenceSchema({ stored: false });
/** The reference data `npm run seed` stores (db/seed.ts). */
export const StoredReferenceSchema = referenceSchema({ stored: true });

export const CaseFileSchema = Type.Object({
  receivedOn: IsoDateSchema,
  invoice: InvoiceSchema,
  reference: Type.Optional(ReferenceSchema),
});

export type CaseFileInput = Static<typeof CaseFileSchema>;

// ajv is a CommonJS module: its default export is the class under ESM interop.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as typeof AjvModule;
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

function newAjv(coerce: boolean) {
  const ajv = new Ajv({
    allErrors: true, strict: false, verbose: true, coerceTypes: coerce, useDefaults: coerce,
    // `1e999` in JSON is Infinity: not a number for any schema.
    strictNumbers: true,
  });
  ajv.addFormat('iso-date', { type: 'string', validate: isIsoDate });
  // The API's instants (`from`/`to` of the dashboard and the audit log): RFC 3339, checked rather than ignored.
  addFormats(ajv, ['date-time']);
  return ajv;
}

/** One bad field: its path (`invoice.acts[0].date`) and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

function toPath(prefix: string, instancePath: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = prefix;
  for (const p of parts) path += /^\d+$/.test(p) ? `[${p}]` : path ? `.${p}` : p;
  return path || '(root)';
}

function describe(error: ErrorObject): { path: string; message: string } {
  const schemaMessage = (error.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  if (error.keyword === 'required') {
    return { path: error.params.missingProperty as string, message: 'est obligatoire' };
  }
  if (error.keyword === 'type' && error.params.type === 'null') return { path: '', message: '' };
  return { path: '', message: schemaMessage ?? error.message ?? 'est invalide' };
}

export type Validate = (schema: TSchema, value: unknown, prefix?: string) => FieldError[];

// ---- Every value of an input, declared by the schema or not ----

/** The longest string accepted where the schema gives no maxLength (unknown properties included), and the longest property name. */
export const DEFAULT_MAX_LENGTH = 1000;
/** How deep an input may nest arrays and objects. */
export const MAX_DEPTH = 32;

export const TEXT_MESSAGES = {
  control: 'ne doit pas contenir de caractère de contrôle (U+0000–U+001F, U+007F)',
  controlMultiline: 'ne doit pas contenir de caractère de contrôle autre que la tabulation et les retours à la ligne (U+0000–U+001F, U+007F)',
  surrogate: 'doit être un texte Unicode bien formé (il contient un demi-caractère isolé)',
  propertyName: `ne doit pas avoir de nom de propriété contenant un caractère de contrôle, un demi-caractère isolé ou plus de ${DEFAULT_MAX_LENGTH} caractères`,
  infinite: 'doit être un nombre fini',
  depth: `ne doit pas imbriquer tableaux et objets sur plus de ${MAX_DEPTH} niveaux`,
  tooLong,
} as const;


type SchemaNode = Record<string, unknown>;

/** The schema and the branches of its unions and intersections. */
function branches(schema: unknown, out: SchemaNode[] = []): SchemaNode[] {
  if (!schema || typeof schema !== 'object') return out;
  const node = schema as SchemaNode;
  out.push(node);
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(node[key])) for (const branch of node[key] as unknown[]) branches(branch, out);
  }
  return out;
}

/** The schemas that apply to `object[key]` under any of `schemas`. */
function propertySchemas(schemas: SchemaNode[], key: string): SchemaNode[] {
  const out: SchemaNode[] = [];
  for (const s of schemas) {
    const properties = s.properties as Record<string, unknown> | undefined;
    if (properties && Object.hasOwn(properties, key)) branches(properties[key], out);
    for (const [pattern, sub] of Object.entries((s.patternProperties as Record<string, unknown> | undefined) ?? {})) {
      if (new RegExp(pattern, 'u').test(key)) branches(sub, out);
    }
    if (s.additionalProperties && typeof s.additionalProperties === 'object') branches(s.additionalProperties, out);
  }
  return out;
}

/** The schemas that apply to `array[index]` under any of `schemas`. */
function itemSchemas(schemas: SchemaNode[], index: number): SchemaNode[] {
  const out: SchemaNode[] = [];
  for (const s of schemas) {
    if (Array.isArray(s.prefixItems) && index < s.prefixItems.length) branches(s.prefixItems[index], out);
    else if (Array.isArray(s.items)) branches(s.items[index], out);
    else if (s.items && typeof s.items === 'object') branches(s.items, out);
  }
  return out;
}

/**
 * What is wrong with a string, if anything: a control character (tab, LF and CR allowed when `multiline`),
 * a lone surrogate, more than `maxLength` characters.
 */
export function textProblem(value: string, { multiline = false, maxLength = DEFAULT_MAX_LENGTH } = {}): string | null {
  if ((multiline ? CONTROL_CHARACTERS_BUT_TAB_AND_LINES : CONTROL_CHARACTERS).test(value)) return multiline ? TEXT_MESSAGES.controlMultiline : TEXT_MESSAGES.control;
  if (LONE_SURROGATE.test(value)) return TEXT_MESSAGES.surrogate;
  if (value.length > maxLength) return TEXT_MESSAGES.tooLong(maxLength);
  return null;
}

const joinPath = (path: string, key: string | number) =>
  typeof key === 'number' || /^\d+$/.test(key) ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/**
 * Every string, property name and number of `value`, whatever the schema declares (unknown properties too): see
 * `textProblem`; numbers must be finite. A string whose schema declares a maxLength is left to that schema; without
 * a schema, every string is held to DEFAULT_MAX_LENGTH.
 */
export function textErrors(schema: TSchema | undefined, value: unknown, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (v: unknown, schemas: SchemaNode[], path: string, depth: number): void => {
    const at = path || '(root)';
    if (typeof v === 'string') {
      const strings = schemas.filter((s) => s.type === 'string');
      const declared = strings.map((s) => s.maxLength).filter((n): n is number => typeof n === 'number');
      const problem = textProblem(v, {
        multiline: strings.some((s) => s[MULTILINE] === true),
        maxLength: declared.length ? Infinity : DEFAULT_MAX_LENGTH,
      });
      if (problem) errors.push({ path: at, message: problem });
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) errors.push({ path: at, message: TEXT_MESSAGES.infinite });
    } else if (v && typeof v === 'object') {
      if (depth >= MAX_DEPTH) {
        errors.push({ path: at, message: TEXT_MESSAGES.depth });
      } else if (Array.isArray(v)) {
        v.forEach((item, i) => visit(item, itemSchemas(schemas, i), joinPath(path, i), depth + 1));
      } else {
        for (const [key, item] of Object.entries(v)) {
          if (textProblem(key)) errors.push({ path: at, message: TEXT_MESSAGES.propertyName });
          else visit(item, propertySchemas(schemas, key), joinPath(path, key), depth + 1);
        }
      }
    }
  };
  visit(value, branches(schema), prefix, 0);
  return errors;
}

/**
 * A validator returning every bad field with its path, one line each (empty when valid).
 * `coerce`: strings become numbers/booleans and defaults are filled in (query strings, path parameters).
 */
export function createValidator({ coerce = false } = {}): Validate {
  const ajv = newAjv(coerce);
  const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();
  return (schema, value, prefix = '') => {
    let fn = compiled.get(schema);
    if (!fn) compiled.set(schema, (fn = ajv.compile(schema)));
    const schemaErrors = fieldErrors(fn(value) ? [] : (fn.errors ?? []), prefix);
    // After ajv: query strings and path parameters are coerced by then. The text check names what is wrong more
    // precisely than a pattern or an enum would: it comes first, one error per path.
    const valueErrors = textErrors(schema, value, prefix);
    const paths = new Set(valueErrors.map((e) => e.path));
    return [...valueErrors, ...schemaErrors.filter((e) => !paths.has(e.path))];
  };
}

/** Validates `value` against `schema` (no coercion). */
export const validate: Validate = createValidator();

function fieldErrors(errors: ErrorObject[], prefix: string): FieldError[] {
  if (errors.length === 0) return [];
  // ajv's own messages (a keyword no schema message covers: a type, an item count…) in French, as ours are.
  localizeFrench(errors);
  const seen = new Map<string, string>();
  for (const error of errors) {
    const { path: extra, message } = describe(error);
    if (!message) continue;
    let path = toPath(prefix, error.instancePath);
    if (extra) path = path === '(root)' ? extra : `${path}.${extra}`;
    // A union reports one error per branch: keep the most specific message per path.
    const previous = seen.get(path);
    if (!previous || (error.parentSchema as { errorMessage?: string })?.errorMessage) seen.set(path, message);
  }
  // A path reported under an array/object also reported deeper is noise: keep the deepest ones.
  const paths = [...seen.keys()];
  return paths
    .filter((p) => !paths.some((q) => q !== p && (q.startsWith(`${p}.`) || q.startsWith(`${p}[`))))
    .map((path) => ({ path, message: seen.get(path)! }));
}

/** The segments of a path as `toPath` writes it: `beneficiaries[2].cards` → `beneficiaries`, 2, `cards`. */
function pathSegments(path: string): (string | number)[] {
  return [...path.matchAll(/\[(\d+)\]|\.?([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]!));
}

/**
 * The errors in the order their places come in a document of `schema`: items by index, properties in the order the
 * schema declares them (undeclared ones after), a place before what is inside it. Stable otherwise.
 */
export function inDocumentOrder(schema: TSchema, errors: FieldError[]): FieldError[] {
  const rank = (path: string): number[] => {
    let schemas = branches(schema);
    return pathSegments(path).map((segment) => {
      if (typeof segment === 'number') {
        schemas = itemSchemas(schemas, segment);
        return segment;
      }
      const declared = schemas.flatMap((s) => Object.keys((s.properties as object | undefined) ?? {}));
      schemas = propertySchemas(schemas, segment);
      const index = declared.indexOf(segment);
      return index >= 0 ? index : declared.length;
    });
  };
  const ranked = errors.map((error, index) => ({ error, index, rank: rank(error.path) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < Math.min(a.rank.length, b.rank.length); i++) if (a.rank[i] !== b.rank[i]) return a.rank[i]! - b.rank[i]!;
    return a.rank.length - b.rank.length || a.index - b.index;
  });
  return ranked.map((r) => r.error);
}

export function formatFieldErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}
