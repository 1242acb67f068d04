import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';
import type { AgicaRecord } from '../types.js';

const record = (r: Partial<AgicaRecord>): AgicaRecord => ({
  invoiceNumber: 'F-2207', practitionerNumber: '691234567', nir: '1850369123045', state: 'liquidee', date: '2016-01-20',
  rejectReason: null, paidInvoiceNumber: null, ...r,
});

describe('G1 checkInvoiceLedger (AGICA)', () => {
  it('a complement request → Complément de facture, before any lookup', async () => {
    const r = await analyzeWith((c) => { c.invoice.flags!.complementRequest = true; c.reference.agica = [record({})]; });
    expect(r).toMatchObject({ motif: 'complement_facture', route: 'manager', humanTask: true });
  });

  it('liquidée under the same N° PS → Facture déjà payée with the date, to the PS', async () => {
    const r = await analyzeWith((c) => { c.reference.agica = [record({})]; });
    expect(r).toMatchObject({ motif: 'facture_deja_payee', date: '2016-01-20', route: 'practitioner', humanTask: false });
    expect(r.reply).toMatch(/en date du : 20\/01\/2016$/);
  });

  it('liquidée without a date → Facture déjà payée to a manager (« uniquement si la date de paiement est renseignée »)', async () => {
    const r = await analyzeWith((c) => { c.reference.agica = [record({ date: null })]; });
    expect(r).toMatchObject({ motif: 'facture_deja_payee', date: null, route: 'manager', email: null });
  });

  it('liquidée under another N° PS → Doublon PS PS with the date and no N° PS in the comment', async () => {
    const r = await analyzeWith((c) => { c.reference.agica = [record({ practitionerNumber: '750044778' })]; });
    expect(r).toMatchObject({ motif: 'doublon_ps', date: '2016-01-20', comment: null, route: 'manager' });
  });

  it('the same PS wins over another PS when both are liquidée', async () => {
    const r = await analyzeWith((c) => { c.reference.agica = [record({ practitionerNumber: '750044778' }), record({ date: '2016-01-25' })]; });
    expect(r).toMatchObject({ motif: 'facture_deja_payee', date: '2016-01-25' });
  });

  it('rejetée for « Doublon total facture » → Acte déjà payé with the paid invoice number and its date', async () => {
    const r = await analyzeWith((c) => {
      c.reference.agica = [record({ state: 'rejetee', rejectReason: 'Doublon total facture', paidInvoiceNumber: '123', date: '2016-01-01' })];
    });
    expect(r).toMatchObject({ motif: 'acte_deja_paye', comment: '123', date: '2016-01-01', route: 'manager' });
    expect(r.reply).toContain("tout ou partie des actes figurant sur la facture a fait l'objet d'un règlement en date du 01/01/2016 sur la facture n° 123.");
  });

  it('the reject reason is read case- and accent-insensitively', async () => {
    const r = await analyzeWith((c) => { c.reference.agica = [record({ state: 'rejetee', rejectReason: 'DOUBLON TOTAL FACTURE ', paidInvoiceNumber: '9' })]; });
    expect(r.motif).toBe('acte_deja_paye');
  });

  it('rejetée for another reason → continues, the invoice counts as present in AGICA', async () => {
    const r = await analyzeWith((c) => {
      c.reference.agica = [record({ state: 'rejetee', rejectReason: 'Droits fermés' })];
      c.receivedOn = '2018-06-01';
    });
    expect(r).toMatchObject({ motif: 'facture_plus_2_ans', comment: 'Facture à Forcer', route: 'manager' });
  });

  it('liquidée nul and nothing else → Manque Consigne saying so, waiting for a manager', async () => {
    const r = await analyzeWith((c) => { c.reference.agica = [record({ state: 'liquidee_nul' })]; });
    expect(r).toMatchObject({ outcome: 'rejected', motif: 'manque_consigne', route: 'manager', humanTask: true, waitsForDecision: true });
    expect(r.comment).toContain('Liquidée Nul');
    expect(r.trace.at(-2)).toMatchObject({ step: 'Paid', result: 'manque_consigne' });
  });

  it('liquidée nul explained by a later rule → that rule', async () => {
    const r = await analyzeWith((c) => {
      c.reference.agica = [record({ state: 'liquidee_nul' })];
      c.reference.beneficiaries![0].contractRights = [{ start: '2015-01-01', end: '2015-12-31' }];
    });
    expect(r).toMatchObject({ motif: 'droits_fermes', comment: 'Droits contractuels clos' });
  });

  it('a record of another beneficiary or another number is not this invoice', async () => {
    const r = await analyzeWith((c) => { c.reference.agica = [record({ nir: '2670499324070' }), record({ invoiceNumber: 'F-9' })]; });
    expect(r.outcome).toBe('paid');
  });

  it('no invoice number: the lookup is skipped', async () => {
    const r = await analyzeWith((c) => { c.invoice.invoiceNumber = null; c.reference.agica = [record({})]; });
    expect(r.outcome).toBe('paid');
    expect(r.trace[1].facts[0]).toContain('impossible');
  });

  it('invoice numbers compare trimmed and case-insensitively', async () => {
    const r = await analyzeWith((c) => { c.reference.agica = [record({ invoiceNumber: ' f-2207' })]; });
    expect(r.motif).toBe('facture_deja_payee');
  });
});
