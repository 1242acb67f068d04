import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';

describe('G2 checkPractitioner (AGAPS)', () => {
  it('no N° PS → Manque PS ou PS inconnu, to a manager', async () => {
    const r = await analyzeWith((c) => { c.invoice.practitionerNumber = null; });
    expect(r).toMatchObject({ motif: 'manque_ps', route: 'manager', humanTask: true, email: null });
  });

  it('a N° PS unknown to AGAPS → Manque PS ou PS inconnu', async () => {
    const r = await analyzeWith((c) => { c.invoice.practitionerNumber = '750044778'; });
    expect(r.motif).toBe('manque_ps');
  });

  it('comes after AGICA: a paid invoice of an unknown PS is Facture déjà payée, to a manager (no address)', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.practitionerNumber = '750044778';
      c.reference.agica = [{ invoiceNumber: 'F-2207', practitionerNumber: '750044778', nir: '1850369123045', state: 'liquidee', date: '2016-01-20' }];
    });
    expect(r).toMatchObject({ motif: 'facture_deja_payee', route: 'manager', email: null });
  });
});
