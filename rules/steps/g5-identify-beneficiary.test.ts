import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';
import type { Beneficiary } from '../types.js';

const marc = (b: Partial<Beneficiary>): Beneficiary => ({
  nir: '1850369123045', lastName: 'LEFEVRE', firstName: 'Marc', birthDate: '1985-03-02', birthRank: 1, insurer: 'MGEN',
  cards: [{ insurer: 'MGEN', contract: 'M-778', start: '2016-01-01', end: '2016-12-31', columns: { AUX: 100 } }],
  contractRights: [], ...b,
});

describe('G5 identifyBeneficiary (PROTIPS)', () => {
  it('found by NIR with the same identity, accents and case aside → continues', async () => {
    const r = await analyzeWith((c) => { c.invoice.beneficiary!.lastName = 'Lefèvre'; c.invoice.beneficiary!.firstName = 'MARC '; });
    expect(r.outcome).toBe('paid');
  });

  it('found by NIR, another name → Incohérence identité / NIR, to the PS', async () => {
    const r = await analyzeWith((c) => { c.invoice.beneficiary!.firstName = 'Luc'; });
    expect(r).toMatchObject({ motif: 'erreur_contenu_facture', error: 'incoherence_identite_nir', route: 'practitioner' });
  });

  it('found by NIR, another birth date → Incohérence naissance', async () => {
    const r = await analyzeWith((c) => { c.invoice.beneficiary!.birthDate = '1985-03-03'; });
    expect(r).toMatchObject({ motif: 'erreur_contenu_facture', error: 'incoherence_naissance' });
  });

  it('found by NIR, another birth rank when both are given → Incohérence naissance; one missing → fine', async () => {
    expect((await analyzeWith((c) => { c.invoice.beneficiary!.birthRank = 2; })).error).toBe('incoherence_naissance');
    expect((await analyzeWith((c) => { c.invoice.beneficiary!.birthRank = null; })).outcome).toBe('paid');
    expect((await analyzeWith((c) => { c.reference.beneficiaries![0].birthRank = null; c.invoice.beneficiary!.birthRank = 3; })).outcome).toBe('paid');
  });

  it('unknown NIR, nobody of that name → Bénéficiaire inconnu / indéterminable, to the PS', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries = []; });
    expect(r).toMatchObject({ motif: 'beneficiaire_inconnu', route: 'practitioner', humanTask: false });
    expect(r.reply).toContain("inconnu de la base de données d'Almerys");
  });

  it('unknown NIR, one beneficiary of that name → that beneficiary under another NIR, no further identity check', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries = [marc({ nir: '1850369123099', birthDate: '1990-01-01' })]; });
    expect(r.outcome).toBe('paid');
    expect(r.trace.find((t) => t.step === 'G5')!.facts).toContain('bénéficiaire identifié sous un autre NIR');
  });

  it('homonyms settled by the birth date', async () => {
    const r = await analyzeWith((c) => {
      c.reference.beneficiaries = [
        marc({ nir: '1850369123099', birthDate: '1990-01-01', cards: [] }),
        marc({ nir: '1850369123098' }),
      ];
    });
    expect(r.outcome).toBe('paid');
  });

  it('homonyms born the same day settled by the birth rank', async () => {
    const twins = (rank: number | null) => analyzeWith((c) => {
      c.invoice.beneficiary!.birthRank = rank;
      c.reference.beneficiaries = [marc({ nir: '1850369123099', birthRank: 2, cards: [] }), marc({ nir: '1850369123098', birthRank: 1 })];
    });
    expect((await twins(1)).outcome).toBe('paid');
    expect((await twins(null)).motif).toBe('beneficiaire_inconnu');
  });

  it('homonyms, none born that day → Bénéficiaire inconnu', async () => {
    const r = await analyzeWith((c) => {
      c.reference.beneficiaries = [marc({ nir: '1850369123099', birthDate: '1990-01-01' }), marc({ nir: '1850369123098', birthDate: '1991-01-01' })];
    });
    expect(r.motif).toBe('beneficiaire_inconnu');
  });

  it('comes after G4 (100 % RO needs no beneficiary)', async () => {
    expect((await analyzeWith((c) => { c.reference.beneficiaries = []; c.invoice.flags!.addressedToInsured = true; })).motif).toBe('facture_assure');
  });
});
