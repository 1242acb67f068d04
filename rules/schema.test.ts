import { describe, expect, it } from 'vitest';
import { readCaseFile } from './case-file.js';
import { InvoiceSchema, validate } from './schema.js';
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
    expect(errors.find((e) => e.path === 'invoice.archiveKey')!.message).toContain('10 digits');
    expect(errors.find((e) => e.path === 'invoice.beneficiary.nir')!.message).toContain('13 characters');
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
    expect(r.ok ? [] : r.errors).toEqual([{ path: 'reference.beneficiaries[0].cards[0].start', message: 'must be a date written YYYY-MM-DD' }]);
  });
});
