import { describe, expect, it } from 'vitest';
import { analyzeWith } from '../testing/cases.js';
import type { Card } from '../types.js';

const card = (c: Partial<Card>): Card => ({
  insurer: 'MGEN', contract: 'M-778', start: '2016-01-01', end: '2016-12-31', restitutedOn: null, restitutionReason: null,
  columns: { AUX: 100 }, ...c,
});

describe('G6 checkRightsAtCareDate (PROTIPS)', () => {
  it('no valid card at the care dates → Droits fermés, no comment, dematerialised when absent from AGICA', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].cards = [card({ start: '2015-01-01', end: '2015-12-31' })]; });
    expect(r).toMatchObject({ motif: 'droits_fermes', comment: null, dematerialise: true, route: 'manager', humanTask: true, waitsForDecision: false });
  });

  it('closed card rights, present in AGICA → not dematerialised', async () => {
    const r = await analyzeWith((c) => {
      c.reference.beneficiaries![0].cards = [card({ start: '2015-01-01', end: '2015-12-31' })];
      c.reference.agica = [{ invoiceNumber: 'F-2207', practitionerNumber: '691234567', nir: '1850369123045', state: 'rejetee', rejectReason: 'Droits' }];
    });
    expect(r).toMatchObject({ motif: 'droits_fermes', comment: null, dematerialise: false });
  });

  it('no card at all → Droits fermés', async () => {
    expect((await analyzeWith((c) => { c.reference.beneficiaries![0].cards = []; })).motif).toBe('droits_fermes');
  });

  it('card dates are inclusive', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].cards = [card({ start: '2016-01-05', end: '2016-01-06' })]; });
    expect(r.outcome).toBe('paid');
  });

  it('care over two cards → Erreur contenu facture / soins à cheval, to the PS', async () => {
    const r = await analyzeWith((c) => {
      c.reference.beneficiaries![0].cards = [card({ end: '2016-01-05' }), card({ contract: 'M-779', start: '2016-01-06' })];
    });
    expect(r).toMatchObject({ motif: 'erreur_contenu_facture', error: 'soins_a_cheval', route: 'practitioner', dematerialise: false });
  });

  it('care on a card and a period without card → soins à cheval too (« même motif et même erreur »)', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].cards = [card({ end: '2016-01-05' })]; });
    expect(r).toMatchObject({ error: 'soins_a_cheval' });
  });

  it('over two periods and no card involved covers the specialty → Bénéficiaire non couvert', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].cards = [card({ end: '2016-01-05', columns: { PHAR: 100 } })]; });
    expect(r).toMatchObject({ motif: 'beneficiaire_non_couvert', route: 'practitioner' });
  });

  it('one card without the specialty column → Bénéficiaire non couvert', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].cards = [card({ columns: { PHAR: 100, BIO: 100 } })]; });
    expect(r).toMatchObject({ motif: 'beneficiaire_non_couvert' });
    expect(r.reply).toContain('ne prévoit pas le remboursement des prestations facturées');
  });

  it('card restituted for « Restitution » → Manque Consigne, comment Restitution, dematerialised, waits', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].cards = [card({ restitutedOn: '2016-01-02', restitutionReason: 'Restitution' })]; });
    expect(r).toMatchObject({ motif: 'manque_consigne', comment: 'Restitution', dematerialise: true, route: 'manager', waitsForDecision: true });
  });

  it('card restituted for « NPAI » → Manque Consigne, comment NPAI', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].cards = [card({ restitutedOn: '2016-01-02', restitutionReason: 'NPAI' })]; });
    expect(r).toMatchObject({ motif: 'manque_consigne', comment: 'NPAI', dematerialise: true });
  });

  it('another restitution reason is not in the MO → Manque Consigne with the reason as written', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].cards = [card({ restitutionReason: 'Décès' })]; });
    expect(r).toMatchObject({ motif: 'manque_consigne', comment: 'Décès' });
  });

  it('several cards on the dates: the one without restitution is preferred', async () => {
    const r = await analyzeWith((c) => {
      c.reference.beneficiaries![0].cards = [card({ restitutionReason: 'Restitution', start: '2016-01-02' }), card({})];
    });
    expect(r.outcome).toBe('paid');
  });

  it('several cards on the dates: then the latest start', async () => {
    const r = await analyzeWith((c) => {
      c.reference.beneficiaries![0].cards = [card({ start: '2015-01-01', columns: { AUX: 100 } }), card({ start: '2016-01-01', columns: { PHAR: 100 } })];
    });
    expect(r.motif).toBe('beneficiaire_non_couvert');
  });

  it('a care date outside every contractual-rights period → Droits fermés « Droits contractuels clos », dematerialised', async () => {
    const r = await analyzeWith((c) => { c.reference.beneficiaries![0].contractRights = [{ start: '2015-01-01', end: '2016-01-05' }]; });
    expect(r).toMatchObject({ motif: 'droits_fermes', comment: 'Droits contractuels clos', dematerialise: true, route: 'manager' });
  });

  it('no contractual-rights period at all: nothing to check', async () => {
    expect((await analyzeWith((c) => { c.reference.beneficiaries![0].contractRights = []; })).outcome).toBe('paid');
  });

  it('not covered comes before restitution, restitution before contractual rights', async () => {
    const both = await analyzeWith((c) => {
      c.reference.beneficiaries![0].cards = [card({ restitutionReason: 'NPAI', columns: { PHAR: 100 } })];
    });
    expect(both.motif).toBe('beneficiaire_non_couvert');
    const r = await analyzeWith((c) => {
      c.reference.beneficiaries![0].cards = [card({ restitutionReason: 'NPAI' })];
      c.reference.beneficiaries![0].contractRights = [{ start: '2015-01-01', end: '2015-12-31' }];
    });
    expect(r.comment).toBe('NPAI');
  });

  describe('specialty columns (spec §3)', () => {
    const bill = (specialty: string, columns: Record<string, number>, insurer = 'MGEN', ps = '691234567') =>
      analyzeWith((c) => {
        c.invoice.specialty = specialty as never;
        c.invoice.practitionerNumber = ps;
        c.invoice.adeliNumbers = [ps];
        c.reference.beneficiaries![0].cards = [card({ insurer, columns })];
        c.reference.insurers!.push({ name: insurer, controlThreshold: 500 });
      });

    it.each([
      ['MG', { MGS: 100 }], ['MS', { MGS: 100 }], ['PH7', { PHAR: 100 }], ['PH7/L', { PHAR: 100 }], ['PH2', { PHAR: 100 }],
      ['PH4', { PHAR: 100 }], ['MK', { AUX: 100 }], ['TRA', { TRA: 100 }],
    ])('%s is covered by %o', async (specialty, columns) => {
      expect((await bill(specialty, columns)).motif).not.toBe('beneficiaire_non_couvert');
    });

    it.each([['MG', { MS: 100 }], ['PHAR', { PH7: 100 }], ['AUX', { MK: 100 }], ['SDENT', { PHAR: 100, BIO: 100, RAD: 100, AUX: 100 }]])(
      '%s is not covered by %o', async (specialty, columns) => {
        expect((await bill(specialty, columns)).motif).toBe('beneficiaire_non_couvert');
      },
    );

    it('a centre de soins is checked on SE alone', async () => {
      expect((await bill('AUX', { AUX: 100 }, 'MGEN', '690012345')).motif).toBe('beneficiaire_non_couvert');
      const r = await bill('AUX', { SE: 100 }, 'MGEN', '690012345');
      expect(r.outcome).toBe('paid');
    });

    it.each([['TRA', 'April'], ['TRA', 'SMATIS'], ['TRA', 'ECA'], ['MG', 'Intériale'], ['MS', 'APRIL SANTE PREVOYANCE']])(
      'insurer exception: %s with %s is entered at a rate of 100 without column', async (specialty, insurer) => {
        const r = await bill(specialty, { PHAR: 100 }, insurer);
        expect(r.motif).not.toBe('beneficiaire_non_couvert');
        expect(r.trace.find((t) => t.step === 'G6')!.facts.join(' ')).toContain('taux de 100');
      },
    );

    it('no exception for another specialty or insurer', async () => {
      expect((await bill('TRA', { PHAR: 100 }, 'Intériale')).motif).toBe('beneficiaire_non_couvert');
      expect((await bill('RAD', { PHAR: 100 }, 'April')).motif).toBe('beneficiaire_non_couvert');
    });
  });
});
