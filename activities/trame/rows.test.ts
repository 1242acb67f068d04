import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaseFile } from '../../rules/case-file.js';
import { analyzeCase, analyzeWith, caseWith } from '../../rules/testing/cases.js';
import type { AnalysisResult, CaseFile } from '../../rules/types.js';
import { practitionerColumnsRequired, trameRowFor, type TramePractitioner } from './rows.js';

const CASES = join(import.meta.dirname, '..', '..', 'examples', 'cases');

function caseFile(name: string): CaseFile {
  const reading = readCaseFile(JSON.parse(readFileSync(join(CASES, `${name}.json`), 'utf8')));
  if (!reading.ok) throw new Error(`${name}: ${JSON.stringify(reading.errors)}`);
  return reading.caseFile;
}

const ADDRESS = {
  streetNumber: '12', streetNumberComplement: 'bis', streetType: 'rue', streetName: 'de la République',
  complement: null, postalCode: '01000', city: 'Bourg-en-Bresse',
};

/** The case's PS as AGAPS knows it, with a postal address. */
function practitionerOf(c: CaseFile): TramePractitioner | null {
  const p = c.reference?.practitioners?.find((x) => x.number === c.invoice.practitionerNumber);
  return p ? { ...p, fax: '0474000000', address: ADDRESS } : null;
}

async function rowOf(c: CaseFile, decision?: AnalysisResult) {
  const result = decision ?? (await analyzeCase(c));
  return {
    decision: result,
    row: trameRowFor({
      invoice: c.invoice, decision: result, practitioner: practitionerOf(c), operator: 'sstt-automate', treatedOn: '2016-02-23',
      calculatedAmount: 6.3, calculatedRc: 2.5199999999999996,
    }),
  };
}

describe('trameRowFor', () => {
  it('Manque détail with two items: the first in MANQUE DETAIL, the second (lower case) in the comment', async () => {
    const c = caseFile('manque_detail--deux-elements');
    const { decision, row } = await rowOf(c);
    expect(decision.detail).toEqual(['date_facture', 'part_rc']);
    expect(row).toMatchObject({
      motif: 'manque_detail', missingDetail: 'date_facture', comment: 'montant de la part rc', error: null, date: null,
      route: 'practitioner', archiveKey: c.invoice.archiveKey, practitionerNumber: '691234567',
      nir: c.invoice.beneficiary!.nir, invoiceNumber: 'F-2352', operator: 'sstt-automate', treatedOn: '2016-02-23',
      manager: null, managerTreatedOn: null, reply: decision.reply,
      practitionerName: 'infirmiers du parc', practitionerEmail: 'contact@ide-parc.example.org',
      calculatedAmount: 6.3, calculatedRc: 2.52,
    });
    expect(row.reply).toMatch(/^Nous sommes au regret/); // the reply keeps its case
  });

  it('Droits fermés with its comment (contractual rights closed), for the manager', async () => {
    const { row } = await rowOf(caseFile('droits_fermes--contractuels-clos'));
    expect(row).toMatchObject({ motif: 'droits_fermes', comment: 'droits contractuels clos', route: 'manager', missingDetail: null });
    // N° PS and invoice number filled: Raison sociale and Mail are filled from AGAPS for a manager row too.
    expect(row).toMatchObject({ practitionerName: 'infirmiers du parc', practitionerEmail: 'contact@ide-parc.example.org' });
  });

  it('Facture déjà payée with its DATE', async () => {
    const { row } = await rowOf(caseFile('facture_deja_payee'));
    expect(row).toMatchObject({ motif: 'facture_deja_payee', date: '2016-02-01', comment: null, route: 'practitioner' });
  });

  it('Erreur contenu facture with its error, and the drop-down code kept for the label', async () => {
    const { row } = await rowOf(caseFile('erreur_contenu_facture--soins_a_cheval'));
    expect(row).toMatchObject({ motif: 'erreur_contenu_facture', error: 'soins_a_cheval', missingDetail: null });
  });

  it('Acte déjà payé: DATE, and the paid invoice number as the comment (lower case)', async () => {
    const { row } = await rowOf(caseFile('acte_deja_paye'));
    expect(row).toMatchObject({ motif: 'acte_deja_paye', date: '2016-01-20', comment: 'f-2150', route: 'manager' });
  });

  it('a centre de soins: the mail is the « Retour PS » address the routing chose', async () => {
    const c = caseFile('ro_100--centre-deux-retour-ps');
    const { decision, row } = await rowOf(c);
    expect(decision.email).toBe('retour-ps@bellecour.example.org');
    expect(row).toMatchObject({
      practitionerNumber: '690012345', practitionerName: 'centre de sante bellecour',
      practitionerEmail: 'retour-ps@bellecour.example.org', route: 'practitioner',
    });
  });

  it('a centre de soins routed to the manager: the same AGAPS rule (second « Retour PS » line), not the header', async () => {
    const c = caseFile('ro_100--centre-deux-retour-ps');
    const decision = { ...(await analyzeCase(c)), route: 'manager' as const, email: null };
    const { row } = await rowOf(c, decision);
    expect(row.practitionerEmail).toBe('retour-ps@bellecour.example.org');
  });

  it('a centre without « Retour PS » line: its header address', async () => {
    const c = caseFile('ro_100--centre-sans-retour-ps');
    const { row } = await rowOf(c);
    expect(row.practitionerEmail).toBe(practitionerOf(c)!.headerEmail!.toLowerCase());
  });

  it('copies the fax and the postal address from AGAPS into the manager columns, as they are', async () => {
    const { row } = await rowOf(caseFile('facture_deja_payee'));
    expect(row).toMatchObject({
      fax: '0474000000', streetNumber: '12', streetNumberComplement: 'bis', streetType: 'rue', streetName: 'de la République',
      addressComplement: null, postalCode: '01000', city: 'Bourg-en-Bresse',
    });
  });

  it('no N° PS (Manque PS): empty N° PS, Raison sociale and Mail left empty (grey)', async () => {
    const c = caseFile('manque_ps--numero-absent');
    const { row } = await rowOf(c);
    expect(row).toMatchObject({ motif: 'manque_ps', practitionerNumber: '', practitionerName: null, practitionerEmail: null, route: 'manager' });
    expect(practitionerColumnsRequired(row)).toBe(false);
  });

  it('no invoice number and no care date: `0`, Raison sociale and Mail left empty (grey); Demande duplicata has no MANQUE DETAIL', async () => {
    const c = caseFile('demande_duplicata--sans-numero-ni-date');
    const { decision, row } = await rowOf(c);
    expect(decision.detail.length).toBeGreaterThan(2);
    expect(row).toMatchObject({ invoiceNumber: '0', motif: 'demande_duplicata', missingDetail: null, practitionerName: null, practitionerEmail: null });
  });

  it('no invoice number: the end-of-care date reversed (a number: Raison sociale and Mail filled)', async () => {
    const c = caseWith((x) => {
      x.invoice.invoiceNumber = null;
      x.invoice.flags = { ...x.invoice.flags, addressedToInsured: true };
    });
    const { row } = await rowOf(c);
    expect(row).toMatchObject({ motif: 'facture_assure', invoiceNumber: '20160106', practitionerName: 'infirmiers du parc' });
  });

  it('without PS in AGAPS nor amounts: the AGAPS and VALERYS columns stay empty', async () => {
    const c = caseWith((x) => {
      x.invoice.flags = { ...x.invoice.flags, addressedToInsured: true };
    });
    const row = trameRowFor({ invoice: c.invoice, decision: await analyzeCase(c), practitioner: null, operator: 'x', treatedOn: '2016-02-23' });
    expect(row).toMatchObject({
      practitionerName: null, practitionerEmail: 'contact@ide-parc.example.org', calculatedAmount: null, calculatedRc: null,
      fax: null, streetName: null, city: null,
    });
  });

  it('removes spaces from the numbers and upper-cases a Corsican NIR', async () => {
    const result = await analyzeWith((c) => {
      c.invoice.flags = { ...c.invoice.flags, addressedToInsured: true };
    });
    const row = trameRowFor({
      invoice: { archiveKey: ' 2901122334 ', practitionerNumber: '691 234 567', invoiceNumber: ' F-1 ', beneficiary: { nir: '18503 2a 123045' } },
      decision: result, practitioner: null, operator: ' sstt ', treatedOn: '2016-02-23',
    });
    expect(row).toMatchObject({ archiveKey: '2901122334', practitionerNumber: '691234567', nir: '185032A123045', invoiceNumber: 'F-1', operator: 'sstt' });
  });

  it('refuses a paid invoice: « une ligne par facture non payée »', async () => {
    const c = caseFile('paid');
    const decision = await analyzeCase(c);
    expect(decision.outcome).toBe('paid');
    expect(() => trameRowFor({ invoice: c.invoice, decision, practitioner: null, operator: 'x', treatedOn: '2016-02-23' }))
      .toThrow(/paid/);
  });
});
