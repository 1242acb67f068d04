// In-memory ports built from a case file's `reference` object (spec §8): `npm run analyze`, tests, benchmarks.

import type { Ports } from './ports.js';
import { normalizeInvoiceNumber, normalizeName } from './text.js';
import type { Beneficiary, IsoDate, ReferenceData } from './types.js';

export function createMemoryPorts(reference: ReferenceData = {}): Ports {
  const practitioners = new Map((reference.practitioners ?? []).map((p) => [p.number, p]));
  const beneficiaries = reference.beneficiaries ?? [];
  const byNir = new Map(beneficiaries.map((b) => [b.nir.toUpperCase(), b]));
  const byName = new Map<string, Beneficiary[]>();
  for (const b of beneficiaries) {
    const key = `${normalizeName(b.lastName)}|${normalizeName(b.firstName)}`;
    byName.set(key, [...(byName.get(key) ?? []), b]);
  }
  const agica = reference.agica ?? [];
  const payments = reference.payments ?? [];
  const catalogue = new Map((reference.catalogue ?? []).map((e) => [e.code, e]));
  const insurers = new Map((reference.insurers ?? []).map((i) => [normalizeName(i.name), i]));

  return {
    agica: {
      async findInvoiceRecords(invoiceNumber: string, nir: string) {
        const number = normalizeInvoiceNumber(invoiceNumber);
        const key = nir.toUpperCase();
        return agica.filter((r) => normalizeInvoiceNumber(r.invoiceNumber) === number && r.nir.toUpperCase() === key);
      },
    },
    protips: {
      async findBeneficiaryByNir(nir: string) {
        return byNir.get(nir.toUpperCase()) ?? null;
      },
      async findBeneficiariesByName(lastName: string, firstName: string) {
        return byName.get(`${normalizeName(lastName)}|${normalizeName(firstName)}`) ?? [];
      },
    },
    valerys: {
      async findCatalogueEntries(codes: string[]) {
        return codes.map((c) => catalogue.get(c)).filter((e) => e !== undefined);
      },
      async findPaymentsForActs(nirs: string[], acts: { code: string; date: IsoDate }[]) {
        const keys = new Set(nirs.map((n) => n.toUpperCase()));
        return payments.filter(
          (p) => keys.has(p.nir.toUpperCase()) && p.acts.some((pa) => acts.some((a) => a.code === pa.code && a.date === pa.date)),
        );
      },
      async findInsurer(name: string) {
        return insurers.get(normalizeName(name)) ?? null;
      },
    },
    agaps: {
      async findPractitioner(number: string) {
        return practitioners.get(number) ?? null;
      },
    },
  };
}
