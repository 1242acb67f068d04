import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';

describe('G7 checkInvoiceContent (Erreur contenu facture)', () => {
  it('several Adeli numbers → Présence de plusieurs n° Adeli, the one error routed to a manager', async () => {
    const r = await analyzeWith((c) => { c.invoice.adeliNumbers = ['691234567', '691234568']; });
    expect(r).toMatchObject({ motif: 'erreur_contenu_facture', error: 'plusieurs_adeli', route: 'manager', humanTask: true, email: null });
  });

  it('the same Adeli number twice is one number', async () => {
    expect((await analyzeWith((c) => { c.invoice.adeliNumbers = ['691234567', '691234567 ']; })).outcome).toBe('paid');
  });

  it('an act code absent from the catalogue → Code acte inconnu, to the PS', async () => {
    const r = await analyzeWith((c) => { c.invoice.acts![1].code = 'XYZ'; });
    expect(r).toMatchObject({ error: 'code_acte_inconnu', route: 'practitioner' });
  });

  it('MAU without AMI 1 or 1.5 → Acte MAU', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.acts![0].coefficient = 2; c.invoice.acts![0].amount = 6.3;
      c.invoice.acts![1] = { code: 'MAU', coefficient: 1, quantity: 1, unitPrice: 1.35, amount: 1.35, date: '2016-01-05', roRate: 60 };
    });
    expect(r.error).toBe('acte_mau_sans_ami');
  });

  it('MAU with AMI 1.5 is fine', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.acts![0].coefficient = 1.5;
      c.invoice.acts![1] = { code: 'MAU', coefficient: 1, quantity: 1, unitPrice: 1.35, amount: 1.35, date: '2016-01-05', roRate: 60 };
      c.invoice.totalAmount = 6.08; c.invoice.requestedRc = 2.43;
    });
    expect(r.outcome).toBe('paid');
  });

  it('a unit price off the catalogue by more than 0.01 € → Prix unitaire non conforme; within a cent is fine', async () => {
    expect((await analyzeWith((c) => { c.invoice.acts![0].unitPrice = 3.5; })).error).toBe('prix_unitaire_non_conforme');
    expect((await analyzeWith((c) => { c.invoice.acts![0].unitPrice = 3.16; })).outcome).toBe('paid');
  });

  it('an invoice dated before the last care → Date de la facture antérieure', async () => {
    expect((await analyzeWith((c) => { c.invoice.invoiceDate = '2016-01-05'; })).error).toBe('date_facture_anterieure');
    expect((await analyzeWith((c) => { c.invoice.invoiceDate = '2016-01-06'; })).outcome).toBe('paid');
  });

  it('another document with other act codes → Code(s) acte(s) différent(s); same set in another order is fine', async () => {
    expect((await analyzeWith((c) => { c.invoice.documents = [{ kind: 'recapitulatif', actCodes: ['AMI', 'AIS'] }]; })).error).toBe('codes_actes_differents');
    expect((await analyzeWith((c) => { c.invoice.documents = [{ kind: 'decompte_ro', actCodes: ['AMI', 'AMI'] }]; })).outcome).toBe('paid');
  });

  it('a récapitulatif with other care dates → Incohérence dates récapitulatif', async () => {
    const r = await analyzeWith((c) => { c.invoice.documents = [{ kind: 'recapitulatif', careDates: ['2016-01-05'], actCodes: ['AMI'] }]; });
    expect(r.error).toBe('incoherence_dates_recapitulatif');
    const ok = await analyzeWith((c) => { c.invoice.documents = [{ kind: 'recapitulatif', careDates: ['2016-01-06', '2016-01-05'] }]; });
    expect(ok.outcome).toBe('paid');
  });

  it('care dates on a document that is not a récapitulatif are not compared', async () => {
    expect((await analyzeWith((c) => { c.invoice.documents = [{ kind: 'decompte_ro', careDates: ['2016-02-01'] }]; })).outcome).toBe('paid');
  });

  it('another document with another total → Montants différents', async () => {
    expect((await analyzeWith((c) => { c.invoice.documents = [{ kind: 'decompte_ro', totalAmount: 9.45 }]; })).error).toBe('montants_differents');
    expect((await analyzeWith((c) => { c.invoice.documents = [{ kind: 'decompte_ro', totalAmount: 6.3 }]; })).outcome).toBe('paid');
  });

  it('in the spec order', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.acts![0].unitPrice = 9;
      c.invoice.invoiceDate = '2016-01-01';
      c.invoice.documents = [{ kind: 'recapitulatif', careDates: ['2016-01-05'], actCodes: ['G'], totalAmount: 1 }];
    });
    expect(r.error).toBe('prix_unitaire_non_conforme');
    const r2 = await analyzeWith((c) => { c.invoice.documents = [{ kind: 'recapitulatif', careDates: ['2016-01-05'], actCodes: ['G'], totalAmount: 1 }]; });
    expect(r2.error).toBe('codes_actes_differents');
  });

  it('comes after G6 (soins à cheval before the content)', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.adeliNumbers = ['1', '2'];
      c.reference.beneficiaries![0].cards![0].end = '2016-01-05';
    });
    expect(r.error).toBe('soins_a_cheval');
  });
});
