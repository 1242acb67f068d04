import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';

describe('G3 checkCompleteness (Manque détail)', () => {
  it('one missing item → Manque détail with that item, no comment, to the PS', async () => {
    const r = await analyzeWith((c) => { c.invoice.invoiceDate = null; });
    expect(r).toMatchObject({ motif: 'manque_detail', detail: ['date_facture'], comment: null, route: 'practitioner', humanTask: false });
    expect(r.reply).toContain('Merci de vérifier / compléter chacun des éléments suivants');
    expect(r.reply).toContain('- Date de la facture');
  });

  it('two missing items → both in the MO order, the second one\'s label in the comment', async () => {
    const r = await analyzeWith((c) => { c.invoice.totalAmount = null; c.invoice.beneficiary!.birthDate = null; });
    expect(r).toMatchObject({
      motif: 'manque_detail', detail: ['beneficiaire', 'montant_total'], comment: 'Montant total de la dépense',
    });
  });

  it('more than two → Demande duplicata listing them all', async () => {
    const r = await analyzeWith((c) => { c.invoice.totalAmount = null; c.invoice.requestedRc = null; c.invoice.invoiceDate = null; });
    expect(r).toMatchObject({ motif: 'demande_duplicata', detail: ['date_facture', 'part_rc', 'montant_total'], comment: null, route: 'practitioner' });
    expect(r.reply).toContain('le duplicata de la facture');
  });

  it('a group counts once: every beneficiary field missing is one item', async () => {
    const r = await analyzeWith((c) => { c.invoice.beneficiary = { nir: null, lastName: null, firstName: '', birthDate: null }; });
    expect(r).toMatchObject({ motif: 'manque_detail', detail: ['beneficiaire'] });
  });

  it.each(['code', 'amount', 'coefficient', 'quantity', 'date'] as const)('an act without %s → Détail des actes', async (field) => {
    const r = await analyzeWith((c) => { c.invoice.acts![1][field] = null; });
    expect(r).toMatchObject({ motif: 'manque_detail', detail: ['detail_actes'] });
  });

  it('no act at all → Détail des actes (+ Numéro de facture when there is no number either)', async () => {
    expect(await analyzeWith((c) => { c.invoice.acts = []; })).toMatchObject({ detail: ['detail_actes'] });
    const r = await analyzeWith((c) => { c.invoice.acts = null; c.invoice.invoiceNumber = null; });
    expect(r).toMatchObject({ motif: 'manque_detail', detail: ['detail_actes', 'numero_facture'], comment: 'Numéro de la facture' });
    expect(r.route).toBe('manager'); // invoice number cell would be « 0 »
  });

  it('no invoice number but a care date: not missing (the Trame writes the reversed end-of-care date)', async () => {
    const r = await analyzeWith((c) => { c.invoice.invoiceNumber = ''; });
    expect(r.outcome).toBe('paid');
  });

  it('only majorations, MAU not among them → l\'acte majoré ne peut être facturé seul', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.acts = [{ code: 'MCI', coefficient: 1, quantity: 1, unitPrice: 5, amount: 5, date: '2016-01-05', roRate: 60 }];
      c.invoice.totalAmount = 5; c.invoice.requestedRc = 2;
    });
    expect(r).toMatchObject({ motif: 'manque_detail', detail: ['acte_majore_seul'] });
  });

  it('a lone MAU is not G3\'s: it goes on to G7 (Acte MAU)', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.acts = [{ code: 'MAU', coefficient: 1, quantity: 1, unitPrice: 1.35, amount: 1.35, date: '2016-01-05', roRate: 60 }];
      c.invoice.totalAmount = 1.35; c.invoice.requestedRc = 0.54;
    });
    expect(r).toMatchObject({ motif: 'erreur_contenu_facture', error: 'acte_mau_sans_ami' });
  });

  it('a majoration with a main act is complete', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.acts!.push({ code: 'MCI', coefficient: 1, quantity: 1, unitPrice: 5, amount: 5, date: '2016-01-06', roRate: 60 });
      c.invoice.totalAmount = 11.3; c.invoice.requestedRc = 4.52;
    });
    expect(r.outcome).toBe('paid');
  });

  it('acte majoré seul plus one more item → two items, acte majoré first', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.acts = [{ code: 'MCI', coefficient: 1, quantity: 1, unitPrice: 5, amount: 5, date: '2016-01-05', roRate: 60 }];
      c.invoice.requestedRc = null;
    });
    expect(r).toMatchObject({ motif: 'manque_detail', detail: ['acte_majore_seul', 'part_rc'], comment: 'Montant de la part RC' });
  });

  it('comes after G2 and before G4', async () => {
    expect((await analyzeWith((c) => { c.invoice.practitionerNumber = null; c.invoice.invoiceDate = null; })).motif).toBe('manque_ps');
    expect((await analyzeWith((c) => { c.invoice.flags!.ro100 = true; c.invoice.invoiceDate = null; })).motif).toBe('manque_detail');
  });
});
