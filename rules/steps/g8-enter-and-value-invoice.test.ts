import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';
import type { Payment } from '../types.js';

const payment = (p: Partial<Payment>): Payment => ({
  invoiceNumber: 'F-2207', practitionerNumber: '691234567', nir: '1850369123045', insurer: 'MGEN', paidOn: '2016-01-20',
  acts: [{ code: 'AMI', date: '2016-01-05' }], ...p,
});

describe('G8 enterAndValueInvoice (VALERYS)', () => {
  it('an act paid by another insurer → Histo Client with « <insurer> sur la facture n° <n> »', async () => {
    const r = await analyzeWith((c) => { c.reference.payments = [payment({ insurer: 'April', invoiceNumber: '123' })]; });
    expect(r).toMatchObject({ motif: 'histo_client', date: '2016-01-20', comment: 'April sur la facture n° 123', route: 'manager' });
  });

  it('Histo Client without an invoice number → the insurer alone', async () => {
    const r = await analyzeWith((c) => { c.reference.payments = [payment({ insurer: 'April', invoiceNumber: null })]; });
    expect(r.comment).toBe('April');
  });

  it('same invoice, same PS → Facture déjà payée with the date, to the PS', async () => {
    const r = await analyzeWith((c) => { c.reference.payments = [payment({})]; });
    expect(r).toMatchObject({ motif: 'facture_deja_payee', date: '2016-01-20', route: 'practitioner' });
  });

  it('another invoice of the same PS → Acte déjà payé with that invoice\'s number', async () => {
    const r = await analyzeWith((c) => { c.reference.payments = [payment({ invoiceNumber: '456' })]; });
    expect(r).toMatchObject({ motif: 'acte_deja_paye', date: '2016-01-20', comment: '456', route: 'manager' });
  });

  it('paid to another N° PS → Doublon PS PS with the date', async () => {
    const r = await analyzeWith((c) => { c.reference.payments = [payment({ practitionerNumber: '750044778' })]; });
    expect(r).toMatchObject({ motif: 'doublon_ps', date: '2016-01-20', comment: null });
  });

  it('a match needs the same NIR, code and date', async () => {
    const r = await analyzeWith((c) => {
      c.reference.payments = [
        payment({ nir: '2670499324070' }), payment({ acts: [{ code: 'AIS', date: '2016-01-05' }] }),
        payment({ acts: [{ code: 'AMI', date: '2016-01-07' }] }),
      ];
    });
    expect(r.outcome).toBe('paid');
  });

  it('in the spec order: another insurer first', async () => {
    const r = await analyzeWith((c) => { c.reference.payments = [payment({}), payment({ insurer: 'April' })]; });
    expect(r.motif).toBe('histo_client');
    const r2 = await analyzeWith((c) => { c.reference.payments = [payment({ practitionerNumber: '750044778' }), payment({ invoiceNumber: '9' })]; });
    expect(r2.motif).toBe('acte_deja_paye');
  });

  it('requested total ≠ calculated total → Montant demandé <> Montant calculé', async () => {
    expect((await analyzeWith((c) => { c.invoice.totalAmount = 6.5; c.invoice.documents = []; })).motif).toBe('montant_different');
    expect((await analyzeWith((c) => { c.invoice.totalAmount = 6.31; })).outcome).toBe('paid');
  });

  it('amount = unit price × coefficient × quantity', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.acts![0].coefficient = 2; c.invoice.acts![0].quantity = 3; c.invoice.acts![0].amount = 18.9;
      c.invoice.totalAmount = 22.05; c.invoice.requestedRc = 8.82;
    });
    expect(r.outcome).toBe('paid');
  });

  it('requested part RC ≠ calculated → Part RC demandée <> Part RC calculée', async () => {
    expect(await analyzeWith((c) => { c.invoice.requestedRc = 3; })).toMatchObject({ motif: 'part_rc_differente', route: 'manager' });
  });

  it('part RC = amount × max(0, rate − RO rate) / 100, capped at the amount', async () => {
    const zero = await analyzeWith((c) => { for (const a of c.invoice.acts!) a.roRate = 100; c.reference.beneficiaries![0].cards![0].columns.AUX = 90; c.invoice.requestedRc = 0; });
    expect(zero.outcome).toBe('paid');
    const capped = await analyzeWith((c) => { for (const a of c.invoice.acts!) a.roRate = 0; c.reference.beneficiaries![0].cards![0].columns.AUX = 250; c.invoice.requestedRc = 6.3; });
    expect(capped.outcome).toBe('paid');
  });

  it('part RC above the insurer\'s control threshold → A contrôler, waiting for a manager', async () => {
    const r = await analyzeWith((c) => { c.reference.insurers = [{ name: 'MGEN', controlThreshold: 2.5 }]; });
    expect(r).toMatchObject({ motif: 'a_controler', route: 'manager', humanTask: true, waitsForDecision: true });
    expect((await analyzeWith((c) => { c.reference.insurers = [{ name: 'MGEN', controlThreshold: 2.52 }]; })).outcome).toBe('paid');
  });

  it('an insurer unknown to VALERYS → Manque Consigne saying what is missing', async () => {
    const r = await analyzeWith((c) => { c.reference.insurers = []; });
    expect(r).toMatchObject({ motif: 'manque_consigne', waitsForDecision: true });
    expect(r.comment).toContain('MGEN');
  });

  it('an act without RO rate → Manque Consigne saying which act', async () => {
    const r = await analyzeWith((c) => { c.invoice.acts![1].roRate = null; });
    expect(r).toMatchObject({ motif: 'manque_consigne' });
    expect(r.comment).toContain('06/01/2016');
  });

  it('a payment found under the beneficiary\'s real NIR when identified by name', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.beneficiary!.nir = '1850369123099';
      c.reference.payments = [payment({ invoiceNumber: '77' })];
    });
    expect(r).toMatchObject({ motif: 'acte_deja_paye', comment: '77' });
  });
});
