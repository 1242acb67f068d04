// Generated claims for the tests and benchmarks that need many (a batch, the production topology): the demo base case
// spread over N PS, a quarter paid, half answered to the PS, a quarter returned to a manager.

import { baseCase } from '../rules/testing/cases.js';
import type { Invoice, ReferenceData } from '../rules/types.js';

export interface MixedClaims {
  /** The base case's reference data with the PS `firstPractitioner`, `firstPractitioner + 1`… */
  reference: ReferenceData;
  invoices: Invoice[];
}

/**
 * `count` claims with critères `firstKey`, `firstKey + 1`…, invoice numbers `<label>-<i>`, over `practitioners` PS
 * (N° `firstPractitioner + i`, e-mail `ps<i>@cabinets.example.org`): claim i is paid when i % 4 = 0, answered to the
 * PS when it is 1 (addressed to the insured) or 2 (care path not respected), returned to a manager when it is 3
 * (two ADELI numbers).
 */
export function mixedClaims(options: { count: number; firstKey: number; practitioners: number; firstPractitioner: number; label: string }): MixedClaims {
  const base = baseCase();
  const practitioners = Array.from({ length: options.practitioners }, (_, i) => ({
    number: String(options.firstPractitioner + i), name: `Cabinet infirmier ${i}`, headerEmail: `ps${i}@cabinets.example.org`, returnEmails: [],
  }));
  const invoices = Array.from({ length: options.count }, (_, i) => {
    const invoice = structuredClone(base.invoice);
    invoice.archiveKey = String(options.firstKey + i);
    invoice.invoiceNumber = `${options.label}-${i}`;
    invoice.practitionerNumber = practitioners[i % practitioners.length]!.number;
    invoice.adeliNumbers = [invoice.practitionerNumber];
    if (i % 4 === 1) invoice.flags!.addressedToInsured = true;
    if (i % 4 === 2) invoice.flags!.carePathRespected = false;
    if (i % 4 === 3) invoice.adeliNumbers = [invoice.practitionerNumber, '750044778'];
    return invoice;
  });
  return { reference: { ...base.reference, practitioners }, invoices };
}

/** Claim i's route in `mixedClaims`. */
export const mixedRoute = (i: number): 'paid' | 'practitioner' | 'manager' => (i % 4 === 0 ? 'paid' : i % 4 === 3 ? 'manager' : 'practitioner');
