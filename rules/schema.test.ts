import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { readCaseFile } from './case-file.js';
import {
  createValidator, DEFAULT_MAX_LENGTH, InvoiceSchema, MAX_DEPTH, multilineText, TEXT_MESSAGES, textErrors, textProblem, validate,
} from './schema.js';
import { baseCase } from './testing/cases.js';

const errorsOf = (invoice: Record<string, unknown>) => validate(InvoiceSchema, invoice, 'invoice');

describe('input schema', () => {
  it('accepts the spec case, and nulls anywhere but the critère d\'archivage', () => {
    expect(readCaseFile(baseCase()).ok).toBe(true);
    expect(errorsOf({ archiveKey: '2901122334', practitionerNumber: null, beneficiary: { nir: null }, acts: [{ code: null }], totalAmount: null })).toEqual([]);
  });

  it('accepts the spec examples\' wrapper { case, expected }', () => {
    expect(readCaseFile({ case: baseCase(), expected: {} }).ok).toBe(true);
  });

  it('reports every bad field with its path', () => {
    const errors = errorsOf({
      archiveKey: '29011', practitionerNumber: '69123456X', invoiceDate: '2016-02-30',
      beneficiary: { nir: '18503691230', birthRank: 0 }, specialty: 'ZZ', totalAmount: -1,
      acts: [{ code: 'AMI', date: '05/01/2016', roRate: 101 }], documents: [{ kind: 'lettre' }], flags: { ro100: 'non' },
    });
    expect(errors.map((e) => e.path).sort()).toEqual([
      'invoice.acts[0].date', 'invoice.acts[0].roRate', 'invoice.archiveKey', 'invoice.beneficiary.birthRank',
      'invoice.beneficiary.nir', 'invoice.documents[0].kind', 'invoice.flags.ro100', 'invoice.invoiceDate',
      'invoice.practitionerNumber', 'invoice.specialty', 'invoice.totalAmount',
    ]);
    expect(errors.find((e) => e.path === 'invoice.archiveKey')!.message).toContain('10 chiffres');
    expect(errors.find((e) => e.path === 'invoice.beneficiary.nir')!.message).toContain('13 caractères');
  });

  it('NIR: Corsica 2A/2B at positions 6-7, nowhere else', () => {
    expect(errorsOf({ archiveKey: '2901122334', beneficiary: { nir: '185032A123045' } })).toEqual([]);
    expect(errorsOf({ archiveKey: '2901122334', beneficiary: { nir: '185032B123045' } })).toEqual([]);
    expect(errorsOf({ archiveKey: '2901122334', beneficiary: { nir: '1850369A23045' } })).toHaveLength(1);
    expect(errorsOf({ archiveKey: '2901122334', beneficiary: { nir: '18503691230451' } })).toHaveLength(1);
  });

  it('a missing critère d\'archivage or receivedOn is named', () => {
    const r = readCaseFile({ invoice: {} });
    expect(r.ok ? [] : r.errors.map((e) => e.path).sort()).toEqual(['invoice.archiveKey', 'receivedOn']);
  });

  it('a card may cover more than 100 % (e.g. 200 % of the base), never less than 0', () => {
    const c = baseCase();
    c.reference!.beneficiaries![0].cards![0].columns.AUX = 200;
    expect(readCaseFile(c).ok).toBe(true);
    c.reference!.beneficiaries![0].cards![0].columns.AUX = -1;
    const r = readCaseFile(c);
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['reference.beneficiaries[0].cards[0].columns.AUX']);
  });

  it('reference data is checked too', () => {
    const c = baseCase();
    c.reference!.beneficiaries![0].cards![0].start = '2016-1-1';
    const r = readCaseFile(c);
    expect(r.ok ? [] : r.errors).toEqual([{ path: 'reference.beneficiaries[0].cards[0].start', message: 'doit être une date écrite AAAA-MM-JJ' }]);
  });
});

describe('every value, declared or not (textErrors)', () => {
  const valid = () => baseCase().invoice as unknown as Record<string, unknown>;

  it('a control character or a lone surrogate in any string of the invoice is named by its path', () => {
    for (const bad of ['\u0000', '\u001f', '\u007f', '\t', '\n', '\ud800', 'a\udc00b']) {
      const invoice = valid();
      (invoice.beneficiary as Record<string, unknown>).lastName = `LEFEVRE${bad}`;
      (invoice.acts as Record<string, unknown>[])[1]!.code = `AM${bad}`;
      expect(errorsOf(invoice).map((e) => e.path)).toEqual(['invoice.beneficiary.lastName', 'invoice.acts[1].code']);
    }
  });

  it('says what is wrong, and comes before the schema\'s own message for that field', () => {
    expect(errorsOf({ ...valid(), archiveKey: '290112233\u0000' })).toEqual([{ path: 'invoice.archiveKey', message: TEXT_MESSAGES.control }]);
    expect(errorsOf({ ...valid(), invoiceNumber: 'F-\ud83d' })).toEqual([{ path: 'invoice.invoiceNumber', message: TEXT_MESSAGES.surrogate }]);
    // A surrogate pair is one character (an emoji): well-formed.
    expect(errorsOf({ ...valid(), invoiceNumber: 'F-\ud83d\ude00' })).toEqual([]);
  });

  it('unknown properties are checked too, at any depth, and their names', () => {
    expect(errorsOf({ ...valid(), note: 'a\u0000' })).toEqual([{ path: 'invoice.note', message: TEXT_MESSAGES.control }]);
    expect(errorsOf({ ...valid(), extra: { list: [{ deep: '\ud800' }] } }).map((e) => e.path)).toEqual(['invoice.extra.list[0].deep']);
    expect(errorsOf({ ...valid(), beneficiary: { 'x\u0000': 1 } })).toEqual([{ path: 'invoice.beneficiary', message: TEXT_MESSAGES.propertyName }]);
    expect(errorsOf({ ...valid(), flags: { ro100: false, extra: 'x'.repeat(DEFAULT_MAX_LENGTH + 1) } }))
      .toEqual([{ path: 'invoice.flags.extra', message: TEXT_MESSAGES.tooLong(DEFAULT_MAX_LENGTH) }]);
  });

  it('numbers must be finite (1e999 in JSON is Infinity), declared or not', () => {
    const invoice = { ...valid(), ...JSON.parse('{"totalAmount": 1e999, "other": [-1e999]}') };
    expect(errorsOf(invoice)).toEqual([
      { path: 'invoice.totalAmount', message: TEXT_MESSAGES.infinite },
      { path: 'invoice.other[0]', message: TEXT_MESSAGES.infinite },
    ]);
  });

  it('free texts have a maxLength: a 900 000-character name is a field error', () => {
    const invoice = valid();
    (invoice.beneficiary as Record<string, unknown>).firstName = 'M'.repeat(900_000);
    expect(errorsOf(invoice)).toEqual([{ path: 'invoice.beneficiary.firstName', message: "doit être un texte d'au plus 100 caractères" }]);
  });

  it('nesting is bounded', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const errors = errorsOf({ ...valid(), deep });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: TEXT_MESSAGES.depth });
    expect(errors[0]!.path.startsWith('invoice.deep[0][0]')).toBe(true);
    expect(errors[0]!.path.match(/\[0\]/g)).toHaveLength(MAX_DEPTH - 1);
  });

  it('tab and line breaks only in texts marked multiline', () => {
    const Body = Type.Object({ comment: Type.Optional(multilineText(500)), title: Type.Optional(Type.String({ maxLength: 50 })) });
    expect(validate(Body, { comment: 'contrôle fait\tle 05/01\r\npièce jointe\n' })).toEqual([]);
    expect(validate(Body, { comment: 'a\u0000' })).toEqual([{ path: 'comment', message: TEXT_MESSAGES.controlMultiline }]);
    expect(validate(Body, { comment: 'a\u000b' })).toEqual([{ path: 'comment', message: TEXT_MESSAGES.controlMultiline }]);
    expect(validate(Body, { title: 'a\nb' })).toEqual([{ path: 'title', message: TEXT_MESSAGES.control }]);
    expect(validate(Body, { comment: 'x'.repeat(501) })).toEqual([{ path: 'comment', message: "doit être un texte d'au plus 500 caractères" }]);
  });

  it('query strings: after coercion, with the prefix', () => {
    const Query = Type.Object({
      q: Type.Optional(Type.String({ maxLength: 20 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    });
    const check = createValidator({ coerce: true });
    expect(check(Query, { q: '\u0000' }, 'query')).toEqual([{ path: 'query.q', message: TEXT_MESSAGES.control }]);
    expect(check(Query, { limit: '1e999' }, 'query')).toEqual([{ path: 'query.limit', message: TEXT_MESSAGES.infinite }]);
    expect(check(Query, { '\u0001': 'x' }, 'query')).toEqual([{ path: 'query', message: TEXT_MESSAGES.propertyName }]);
    expect(check(Query, { q: 'LEFEVRE', limit: '10' }, 'query')).toEqual([]);
  });

  it('the case files of npm run analyze', () => {
    const c = baseCase() as unknown as { reference: { beneficiaries: { cards: { columns: Record<string, number> }[] }[] } };
    c.reference.beneficiaries[0]!.cards[0]!.columns['AUX\u0000'] = 100;
    const r = readCaseFile(c);
    expect(r.ok ? [] : r.errors).toEqual([{ path: 'reference.beneficiaries[0].cards[0].columns', message: TEXT_MESSAGES.propertyName }]);
  });

  it('textProblem and textErrors without a schema', () => {
    expect(textProblem('LEFÈVRE Marc-André')).toBeNull();
    expect(textProblem('a\nb', { multiline: true })).toBeNull();
    expect(textProblem('abc', { maxLength: 2 })).toBe(TEXT_MESSAGES.tooLong(2));
    expect(textErrors(undefined, { a: ['ok', 'x'.repeat(DEFAULT_MAX_LENGTH + 1)] }, 'reference')).toEqual([
      { path: 'reference.a[1]', message: TEXT_MESSAGES.tooLong(DEFAULT_MAX_LENGTH) },
    ]);
  });
});

describe('messages and formats', () => {
  const validateQuery = createValidator({ coerce: true });
  const Query = Type.Object({ from: Type.String({ format: 'date-time' }), n: Type.Integer() });

  it('checks RFC 3339 instants (date-time) rather than ignoring the format', () => {
    expect(validateQuery(Query, { from: '2026-11-01T00:00:00Z', n: '1' })).toEqual([]);
    expect(validateQuery(Query, { from: 'garbage', n: '1' })).toEqual([{ path: 'from', message: 'doit correspondre au format "date-time"' }]);
  });

  it('says in French what ajv says on its own (a keyword without a message of ours)', () => {
    expect(validateQuery(Query, { from: '2026-11-01T00:00:00Z', n: 'x' })).toEqual([{ path: 'n', message: 'doit être de type integer' }]);
    expect(validateQuery(Query, { n: 1 })).toEqual([{ path: 'from', message: 'est obligatoire' }]);
  });
});
