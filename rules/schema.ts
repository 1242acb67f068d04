// Input schemas (TypeBox → JSON Schema), shared by `npm run analyze`, `npm run seed` and the API.
// Formats per the MO's « Consignes de saisie »: critère d'archivage 10 digits, N° PS 9 digits, NIR 13 characters
// without key (2A/2B allowed for Corsica), ISO dates, amounts ≥ 0. Any field but `archiveKey` may be null or
// absent: G3 reports what is missing. Unknown properties are ignored.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import AjvModule, { type ErrorObject } from 'ajv';
import { isIsoDate } from './dates.js';
import { ATTACHED_DOCUMENT_KINDS, DOCUMENT_KINDS, SPECIALTIES } from './types.js';

/** Each schema carries the message shown when a value breaks it. */
const msg = <T extends TSchema>(schema: T, message: string): T => ({ ...schema, errorMessage: message });
const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

export const IsoDateSchema = msg(Type.String({ format: 'iso-date' }), 'must be a date written YYYY-MM-DD');
export const ArchiveKeySchema = msg(Type.String({ pattern: '^[0-9]{10}$' }), "must be 10 digits (critère d'archivage)");
export const PractitionerNumberSchema = msg(Type.String({ pattern: '^[0-9]{9}$' }), 'must be 9 digits (N° PS)');
export const NirSchema = msg(
  Type.String({ pattern: '^[0-9]{5}(?:[0-9]{2}|2[ABab])[0-9]{6}$' }),
  'must be 13 characters without key: digits, 2A or 2B allowed at positions 6-7 (NIR)',
);
const Amount = msg(Type.Number({ minimum: 0 }), 'must be a number ≥ 0');
const Rate = msg(Type.Number({ minimum: 0, maximum: 100 }), 'must be a rate between 0 and 100');
/** A card column's rate: contracts may cover more than the RO's base (200 for 200 %). */
const CardRate = msg(Type.Number({ minimum: 0 }), 'must be a rate ≥ 0 (in percent)');
const enumOf = (values: readonly string[], what: string) =>
  msg(Type.Union(values.map((v) => Type.Literal(v))), `must be one of ${values.join(', ')} (${what})`);

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
  code: nullable(msg(Type.String({ minLength: 1 }), 'must be an act code')),
  coefficient: nullable(Amount),
  quantity: nullable(Amount),
  unitPrice: nullable(Amount),
  amount: nullable(Amount),
  date: nullable(IsoDateSchema),
  roRate: nullable(Rate),
});

export const AttachedDocumentSchema = Type.Object({
  kind: enumOf(ATTACHED_DOCUMENT_KINDS, 'document kind'),
  careDates: nullable(Type.Array(IsoDateSchema)),
  actCodes: nullable(Type.Array(Type.String())),
  totalAmount: nullable(Amount),
});

export const InvoiceSchema = Type.Object(
  {
    kind: nullable(enumOf(DOCUMENT_KINDS, 'main document kind')),
    archiveKey: ArchiveKeySchema,
    practitionerNumber: nullable(PractitionerNumberSchema),
    invoiceNumber: nullable(Type.String()),
    invoiceDate: nullable(IsoDateSchema),
    beneficiary: nullable(
      Type.Object({
        nir: nullable(NirSchema),
        lastName: nullable(Type.String()),
        firstName: nullable(Type.String()),
        birthDate: nullable(IsoDateSchema),
        birthRank: nullable(msg(Type.Integer({ minimum: 1 }), 'must be an integer ≥ 1 (rang de naissance)')),
      }),
    ),
    specialty: nullable(enumOf(SPECIALTIES, 'specialty column')),
    acts: nullable(Type.Array(ActSchema)),
    totalAmount: nullable(Amount),
    requestedRc: nullable(Amount),
    flags: nullable(FlagsSchema),
    adeliNumbers: nullable(Type.Array(Type.String())),
    documents: nullable(Type.Array(AttachedDocumentSchema)),
    taskMismatch: nullable(Type.String()),
  },
);

const Str = Type.String({ minLength: 1 });
export const ReferenceSchema = Type.Object({
  practitioners: Type.Optional(Type.Array(Type.Object({
    number: PractitionerNumberSchema,
    name: nullable(Type.String()),
    headerEmail: nullable(Type.String()),
    returnEmails: nullable(Type.Array(Type.String())),
    fax: nullable(Type.String()),
  }))),
  beneficiaries: Type.Optional(Type.Array(Type.Object({
    nir: NirSchema,
    lastName: Str,
    firstName: Str,
    birthDate: nullable(IsoDateSchema),
    birthRank: nullable(Type.Integer({ minimum: 1 })),
    insurer: nullable(Type.String()),
    cards: nullable(Type.Array(Type.Object({
      insurer: Str,
      contract: nullable(Type.String()),
      start: IsoDateSchema,
      end: nullable(IsoDateSchema),
      restitutedOn: nullable(IsoDateSchema),
      restitutionReason: nullable(Type.String()),
      columns: Type.Record(Type.String(), CardRate),
    }))),
    contractRights: nullable(Type.Array(Type.Object({ start: IsoDateSchema, end: nullable(IsoDateSchema) }))),
  }))),
  agica: Type.Optional(Type.Array(Type.Object({
    invoiceNumber: Str,
    practitionerNumber: nullable(Type.String()),
    nir: NirSchema,
    state: Str,
    date: nullable(IsoDateSchema),
    rejectReason: nullable(Type.String()),
    paidInvoiceNumber: nullable(Type.String()),
  }))),
  payments: Type.Optional(Type.Array(Type.Object({
    invoiceNumber: nullable(Type.String()),
    practitionerNumber: nullable(Type.String()),
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

export const CaseFileSchema = Type.Object({
  receivedOn: IsoDateSchema,
  invoice: InvoiceSchema,
  reference: Type.Optional(ReferenceSchema),
});

export type InvoiceInput = Static<typeof InvoiceSchema>;
export type CaseFileInput = Static<typeof CaseFileSchema>;

// ajv is a CommonJS module: its default export is the class under ESM interop.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as typeof AjvModule;

function newAjv(coerce: boolean) {
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, coerceTypes: coerce, useDefaults: coerce });
  ajv.addFormat('iso-date', { type: 'string', validate: isIsoDate });
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
    return { path: error.params.missingProperty as string, message: 'is required' };
  }
  if (error.keyword === 'type' && error.params.type === 'null') return { path: '', message: '' };
  return { path: '', message: schemaMessage ?? error.message ?? 'is invalid' };
}

export type Validate = (schema: TSchema, value: unknown, prefix?: string) => FieldError[];

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
    return fieldErrors(fn(value) ? [] : (fn.errors ?? []), prefix);
  };
}

/** Validates `value` against `schema` (no coercion). */
export const validate: Validate = createValidator();

function fieldErrors(errors: ErrorObject[], prefix: string): FieldError[] {
  if (errors.length === 0) return [];
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

export function formatFieldErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}
