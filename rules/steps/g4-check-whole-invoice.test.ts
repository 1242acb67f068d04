import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';

describe('G4 checkWholeInvoice', () => {
  it('100 % RO → 100% RO, without beneficiary or rights check', async () => {
    const r = await analyzeWith((c) => { c.invoice.flags!.ro100 = true; c.reference.beneficiaries = []; });
    expect(r).toMatchObject({ motif: 'ro_100', route: 'practitioner', email: 'contact@ide-parc.example.org' });
    expect(r.reply).toContain('remboursées à 100 % par le Régime Obligatoire');
  });

  it('TP box not ticked and insured share stated → Destinataire de paiement incertain', async () => {
    const r = await analyzeWith((c) => { c.invoice.flags!.tpBoxTicked = false; c.invoice.flags!.insuredShareStated = true; });
    expect(r).toMatchObject({ motif: 'destinataire_paiement_incertain', route: 'practitioner' });
  });

  it('TP box not ticked alone, or insured share alone, is not enough', async () => {
    expect((await analyzeWith((c) => { c.invoice.flags!.tpBoxTicked = false; })).outcome).toBe('paid');
    expect((await analyzeWith((c) => { c.invoice.flags!.insuredShareStated = true; })).outcome).toBe('paid');
  });

  it('addressed to the insured → Facture Assuré', async () => {
    expect(await analyzeWith((c) => { c.invoice.flags!.addressedToInsured = true; })).toMatchObject({ motif: 'facture_assure', route: 'practitioner' });
  });

  it('received more than 2 years after the first care → Facture de + de 2 ans, to the PS when absent from AGICA', async () => {
    const r = await analyzeWith((c) => { c.receivedOn = '2018-01-06'; });
    expect(r).toMatchObject({ motif: 'facture_plus_2_ans', comment: null, route: 'practitioner' });
    expect(r.reply).toContain("suivant l'article 6.2");
  });

  it('exactly 2 years after the first care is still in time', async () => {
    expect((await analyzeWith((c) => { c.receivedOn = '2018-01-05'; })).outcome).toBe('paid');
  });

  it('present in AGICA → comment « Facture à Forcer », to a manager', async () => {
    const r = await analyzeWith((c) => {
      c.receivedOn = '2018-03-01';
      c.reference.agica = [{ invoiceNumber: 'F-2207', practitionerNumber: '691234567', nir: '1850369123045', state: 'rejetee', rejectReason: 'Hors délai' }];
    });
    expect(r).toMatchObject({ motif: 'facture_plus_2_ans', comment: 'Facture à Forcer', route: 'manager', humanTask: true });
  });

  it('29 February + 2 years = 28 February', async () => {
    const leap = (receivedOn: string) => analyzeWith((c) => {
      c.receivedOn = receivedOn;
      c.invoice.invoiceDate = '2016-03-01';
      for (const a of c.invoice.acts!) a.date = '2016-02-29';
    });
    expect((await leap('2018-02-28')).motif).not.toBe('facture_plus_2_ans');
    expect((await leap('2018-03-01')).motif).toBe('facture_plus_2_ans');
  });

  it('care path not respected → Parcours de soins non respecté', async () => {
    expect(await analyzeWith((c) => { c.invoice.flags!.carePathRespected = false; })).toMatchObject({ motif: 'parcours_soins', route: 'practitioner' });
  });

  it('in the spec order: 100 % RO first, care path last', async () => {
    const all = await analyzeWith((c) => {
      Object.assign(c.invoice.flags!, { ro100: true, tpBoxTicked: false, insuredShareStated: true, addressedToInsured: true, carePathRespected: false });
      c.receivedOn = '2020-01-01';
    });
    expect(all.motif).toBe('ro_100');
    const late = await analyzeWith((c) => { c.invoice.flags!.carePathRespected = false; c.receivedOn = '2020-01-01'; });
    expect(late.motif).toBe('facture_plus_2_ans');
  });
});
