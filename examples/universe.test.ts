// The example case files form ONE data set (the demo database): their `reference` objects merge without two
// different records under one key, every case has its own identities, and every example invoice gets its expected
// result against the merged reference — not only against its own file (examples/cases.test.ts).

import { describe, expect, it } from 'vitest';
import { analyzeInvoice } from '../rules/analyze.js';
import { createMemoryPorts } from '../rules/memory-ports.js';
import { decisionOf } from '../rules/testing/cases.js';
import { normalizeInvoiceNumber, normalizeName } from '../rules/text.js';
import type { ReferenceData } from '../rules/types.js';
import { loadExampleCases, mergeReferences, ReferenceConflictError, referenceConflicts } from './universe.js';

const cases = loadExampleCases();
const references = cases.map((c) => c.caseFile.reference ?? {});
const files = cases.map((c) => c.file);
const conflicts = referenceConflicts(references, files);
const merged = conflicts.length === 0 ? mergeReferences(references, files) : null;

/** The values that occur in more than one case file, with those files: `value: a.json, b.json`. */
function sharedAcrossFiles(valuesOf: (c: (typeof cases)[number]) => Iterable<string | null | undefined>): string[] {
  const where = new Map<string, Set<string>>();
  for (const c of cases) {
    for (const value of valuesOf(c)) {
      if (value == null || value === '') continue;
      where.set(value, (where.get(value) ?? new Set()).add(c.file));
    }
  }
  return [...where].filter(([, f]) => f.size > 1).map(([value, f]) => `${value}: ${[...f].join(', ')}`);
}

describe('mergeReferences', () => {
  const ps = { number: '691234567', name: 'Infirmiers du Parc', headerEmail: 'contact@ide-parc.example.org', returnEmails: [] };

  it('concatenates the lists and keeps identical entries once', () => {
    const a: ReferenceData = { practitioners: [ps], catalogue: [{ code: 'AMI', unitPrice: 3.15 }] };
    const b: ReferenceData = {
      practitioners: [{ returnEmails: [], headerEmail: 'contact@ide-parc.example.org', name: 'Infirmiers du Parc', number: '691234567' }],
      catalogue: [{ code: 'AMI', unitPrice: 3.15 }, { code: 'MAU', unitPrice: 1.35, majoration: true }],
      insurers: [{ name: 'MGEN', controlThreshold: 500 }],
    };
    expect(mergeReferences([a, b])).toEqual({
      practitioners: [ps],
      beneficiaries: [],
      agica: [],
      payments: [],
      catalogue: [{ code: 'AMI', unitPrice: 3.15 }, { code: 'MAU', unitPrice: 1.35, majoration: true }],
      insurers: [{ name: 'MGEN', controlThreshold: 500 }],
    });
  });

  it('refuses two different records under one key, naming the key, the sources and what differs', () => {
    const a: ReferenceData = { practitioners: [ps], insurers: [{ name: 'MGEN', controlThreshold: 500 }] };
    const b: ReferenceData = {
      practitioners: [{ ...ps, headerEmail: null }],
      insurers: [{ name: 'mgen', controlThreshold: 2 }],
      agica: [{ invoiceNumber: 'F-1', nir: '1850369123045', practitionerNumber: '691234567', state: 'liquidee' }],
    };
    const c: ReferenceData = {
      agica: [{ invoiceNumber: 'f-1', nir: '1850369123045', practitionerNumber: '691234567', state: 'liquidee_nul' }],
    };
    expect(referenceConflicts([a, b, c], ['a.json', 'b.json', 'c.json'])).toEqual([
      'practitioner "691234567": a.json and b.json hold different records (headerEmail: "contact@ide-parc.example.org" ≠ null)',
      'insurer "MGEN": a.json and b.json hold different records (name: "MGEN" ≠ "mgen"; controlThreshold: 500 ≠ 2)',
      'AGICA record (invoice n°, NIR, N° PS) "F-1 / 1850369123045 / 691234567": b.json and c.json hold different records (invoiceNumber: "F-1" ≠ "f-1"; state: "liquidee" ≠ "liquidee_nul")',
    ]);
    expect(() => mergeReferences([a, b, c])).toThrow(ReferenceConflictError);
  });
});

describe('the example cases as one data set', () => {
  it('are all there', () => expect(cases.length).toBeGreaterThan(0));

  it('merge into one reference: no two different records share a key', () => {
    expect(conflicts).toEqual([]);
  });

  it('have one catalogue, identical in every file', () => {
    const catalogue = (r: ReferenceData) => [...(r.catalogue ?? [])].sort((x, y) => x.code.localeCompare(y.code));
    const differing = cases.filter((c) => JSON.stringify(catalogue(c.caseFile.reference ?? {})) !== JSON.stringify(catalogue(merged ?? {})));
    expect(differing.map((c) => c.file)).toEqual([]);
  });

  it('give each case its own archive key', () => {
    expect(sharedAcrossFiles((c) => [c.caseFile.invoice.archiveKey])).toEqual([]);
    expect(cases.filter((c) => !/^\d{10}$/.test(c.caseFile.invoice.archiveKey)).map((c) => c.file)).toEqual([]);
  });

  it('give each case its own beneficiary NIRs (invoice, PROTIPS, AGICA, payments)', () => {
    expect(sharedAcrossFiles(({ caseFile: { invoice, reference: r = {} } }) => [
      invoice.beneficiary?.nir?.toUpperCase(),
      ...(r.beneficiaries ?? []).map((b) => b.nir.toUpperCase()),
      ...(r.agica ?? []).map((a) => a.nir.toUpperCase()),
      ...(r.payments ?? []).map((p) => p.nir.toUpperCase()),
    ])).toEqual([]);
  });

  it('give each case its own beneficiary names (G5 searches by last + first name when the NIR is unknown)', () => {
    const name = (last?: string | null, first?: string | null) => `${normalizeName(last)} ${normalizeName(first)}`.trim();
    expect(sharedAcrossFiles(({ caseFile: { invoice, reference: r = {} } }) => [
      name(invoice.beneficiary?.lastName, invoice.beneficiary?.firstName),
      ...(r.beneficiaries ?? []).map((b) => name(b.lastName, b.firstName)),
    ])).toEqual([]);
  });

  it('give each case its own invoice numbers (AGICA and payments are keyed by invoice n° + NIR)', () => {
    expect(sharedAcrossFiles(({ caseFile: { invoice, reference: r = {} } }) => [
      invoice.invoiceNumber,
      ...(r.agica ?? []).map((a) => a.invoiceNumber),
      ...(r.payments ?? []).map((p) => p.invoiceNumber),
    ].map((n) => (n == null ? n : normalizeInvoiceNumber(n))))).toEqual([]);
  });

  it('know every card insurer (VALERYS reads its control threshold)', () => {
    const known = new Set((merged?.insurers ?? []).map((i) => normalizeName(i.name)));
    const unknown = (merged?.beneficiaries ?? []).flatMap((b) => (b.cards ?? []).map((card) => card.insurer))
      .filter((insurer) => !known.has(normalizeName(insurer)));
    expect([...new Set(unknown)]).toEqual([]);
  });

  describe('against the merged reference', () => {
    const ports = merged ? createMemoryPorts(merged) : null;
    it.each(cases)('$file', async ({ caseFile, expected }) => {
      expect(ports, 'the case files\' references conflict: see "merge into one reference"').not.toBeNull();
      const { result } = await analyzeInvoice(caseFile.invoice, caseFile.receivedOn, ports!);
      const { reply, ...decision } = expected;
      expect(decisionOf(result)).toEqual(decision);
      if (reply !== undefined) expect(result.reply).toEqual(reply);
    });
  });
});
