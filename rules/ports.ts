// Ports: Almerys' systems as the analysis sees them (spec §2).
// Lookups are async so that a real adapter (HTTP, SQL) fits behind the same interface.
// The in-memory implementation lives in `rules/memory-ports.ts`; the PostgreSQL one in `db/`.

import type {
  AgicaRecord, Beneficiary, CatalogueEntry, Insurer, IsoDate, Payment, Practitioner,
} from './types.js';

/** AGICA: invoice states. */
export interface AgicaPort {
  /** Every record of an invoice number for a beneficiary's NIR (any N° PS). */
  findInvoiceRecords(invoiceNumber: string, nir: string): Promise<AgicaRecord[]>;
}

/** PROTIPS: beneficiaries, their cards and contractual rights. */
export interface ProtipsPort {
  findBeneficiaryByNir(nir: string): Promise<Beneficiary | null>;
  /** Beneficiaries whose last and first names match (case- and accent-insensitive). */
  findBeneficiariesByName(lastName: string, firstName: string): Promise<Beneficiary[]>;
}

/** VALERYS: act catalogue, payment ledger, insurers' control thresholds. */
export interface ValerysPort {
  /** The catalogue entries of these codes (unknown codes are simply absent). */
  findCatalogueEntries(codes: string[]): Promise<CatalogueEntry[]>;
  /** Payments to any of these NIRs with at least one act of the same code on the same date. */
  findPaymentsForActs(nirs: string[], acts: { code: string; date: IsoDate }[]): Promise<Payment[]>;
  /** An insurer by name (case- and accent-insensitive), or null. */
  findInsurer(name: string): Promise<Insurer | null>;
}

/** AGAPS: the PS directory. */
export interface AgapsPort {
  findPractitioner(number: string): Promise<Practitioner | null>;
}

export interface Ports {
  agica: AgicaPort;
  protips: ProtipsPort;
  valerys: ValerysPort;
  agaps: AgapsPort;
}
