// Test support: the spec's « paye » example as a base case, and a one-line way to change and analyze it.

import { analyzeInvoice } from '../analyze.js';
import { createMemoryPorts } from '../memory-ports.js';
import type { AnalysisResult, CaseFile, Invoice } from '../types.js';

/** The spec's `paye.json` case: an auxiliary's two AMI acts, fully paid (G0–G8 all continue). */
export function baseCase(): CaseFile {
  return {
    receivedOn: '2016-02-23',
    invoice: {
      kind: 'facture',
      archiveKey: '2901122334',
      practitionerNumber: '691234567',
      invoiceNumber: 'F-2207',
      invoiceDate: '2016-01-10',
      beneficiary: { nir: '1850369123045', lastName: 'LEFEVRE', firstName: 'Marc', birthDate: '1985-03-02', birthRank: 1 },
      specialty: 'AUX',
      acts: [
        { code: 'AMI', coefficient: 1, quantity: 1, unitPrice: 3.15, amount: 3.15, date: '2016-01-05', roRate: 60 },
        { code: 'AMI', coefficient: 1, quantity: 1, unitPrice: 3.15, amount: 3.15, date: '2016-01-06', roRate: 60 },
      ],
      totalAmount: 6.3,
      requestedRc: 2.52,
      flags: {
        ro100: false, tpBoxTicked: true, insuredShareStated: false, addressedToInsured: false,
        carePathRespected: true, complementRequest: false, readable: true, matchesTask: true,
      },
      adeliNumbers: ['691234567'],
      documents: [],
    },
    reference: {
      practitioners: [
        { number: '691234567', name: 'Infirmiers du Parc', headerEmail: 'contact@ide-parc.example.org', returnEmails: [] },
        {
          number: '690012345', name: 'Centre de sante Bellecour', headerEmail: 'accueil@bellecour.example.org',
          returnEmails: ['compta@bellecour.example.org', 'retour-ps@bellecour.example.org'],
        },
      ],
      beneficiaries: [
        {
          nir: '1850369123045', lastName: 'LEFEVRE', firstName: 'Marc', birthDate: '1985-03-02', birthRank: 1, insurer: 'MGEN',
          cards: [{
            insurer: 'MGEN', contract: 'M-778', start: '2016-01-01', end: '2016-12-31', restitutedOn: null, restitutionReason: null,
            columns: { PHAR: 100, BIO: 100, RAD: 100, AUX: 100, MG: 100, MS: 100 },
          }],
          contractRights: [{ start: '2016-01-01', end: '2016-12-31' }],
        },
      ],
      agica: [],
      payments: [],
      catalogue: [
        { code: 'AMI', unitPrice: 3.15 }, { code: 'MAU', unitPrice: 1.35, majoration: true },
        { code: 'MCI', unitPrice: 5.0, majoration: true }, { code: 'AMK', unitPrice: 2.15 }, { code: 'PH7', unitPrice: 10.0 },
        { code: 'AIS', unitPrice: 2.65 }, { code: 'G', unitPrice: 25.0 }, { code: 'CS', unitPrice: 23.0 }, { code: 'VSL', unitPrice: 12.0 },
      ],
      insurers: [{ name: 'MGEN', controlThreshold: 500 }],
    },
  };
}

/** The base case changed by `change` (which may mutate it freely). */
export function caseWith(change: (c: CaseFile & { reference: NonNullable<CaseFile['reference']> }) => void): CaseFile {
  const c = baseCase() as CaseFile & { reference: NonNullable<CaseFile['reference']> };
  change(c);
  return c;
}

/** The base case's invoice under another critère d'archivage (and an invoice number of its own), changed by `change`. */
export function invoiceWith(archiveKey: string, change: (invoice: Invoice) => void = () => undefined): Invoice {
  const invoice = structuredClone(baseCase().invoice);
  invoice.archiveKey = archiveKey;
  invoice.invoiceNumber = `N-${archiveKey}`;
  change(invoice);
  return invoice;
}

/** Changes an invoice so that it is answered to the PS (« Facture assuré »: addressed to the insured). */
export const toPractitioner = (invoice: Invoice): void => { invoice.flags!.addressedToInsured = true; };
/** Changes an invoice so that it goes to a manager (two ADELI numbers: « Erreur contenu facture »). */
export const toManager = (invoice: Invoice): void => { invoice.adeliNumbers = [invoice.practitionerNumber!, '750044778']; };

export async function analyzeCase(c: CaseFile): Promise<AnalysisResult> {
  return (await analyzeInvoice(c.invoice, c.receivedOn, createMemoryPorts(c.reference))).result;
}

/** Analyzes the base case changed by `change`. */
export function analyzeWith(change: Parameters<typeof caseWith>[0]): Promise<AnalysisResult> {
  return analyzeCase(caseWith(change));
}

/** The result without trace and reply: what the spec examples' `expected` holds. */
export function decisionOf(r: AnalysisResult) {
  const { trace: _trace, reply: _reply, ...rest } = r;
  return rest;
}
