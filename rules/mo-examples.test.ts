// The MO's own worked examples, one test each (« Droits carte ouverts », « Carte restituée », « Droits contractuels
// clos », « Date de fin du contrat », « Soins à cheval sur deux périodes », the homonym search, the card without MG/SDENT).

import { describe, expect, it } from 'vitest';
import { analyzeWith } from './testing/cases.js';
import type { Card } from './types.js';

/** A transport invoice (VSL) of one act on `date`, received a month later. */
const transport = (date: string, cards: Card[], contractRights = [{ start: '2000-01-01', end: '2030-12-31' }]) =>
  analyzeWith((c) => {
    c.receivedOn = date.slice(0, 8) + '28';
    c.invoice.specialty = 'TRA';
    c.invoice.invoiceDate = date;
    c.invoice.acts = [{ code: 'VSL', coefficient: 1, quantity: 1, unitPrice: 12, amount: 12, date, roRate: 65 }];
    c.invoice.totalAmount = 12;
    c.invoice.requestedRc = 4.2;
    c.reference.beneficiaries![0].cards = cards;
    c.reference.beneficiaries![0].contractRights = contractRights;
    c.reference.insurers!.push({ name: 'AON', controlThreshold: 1000 });
  });

const aon = (start: string, end: string, extra: Partial<Card> = {}): Card => ({
  insurer: 'AON', contract: '00000086413', start, end, restitutedOn: null, restitutionReason: null, columns: { TRA: 100, PHAR: 100 }, ...extra,
});

describe('the MO examples', () => {
  it('« Droits carte ouverts »: transport on 20/11/2011, card valid 01/01/2011–31/12/2011 → entered and paid', async () => {
    const r = await transport('2011-11-20', [aon('2011-01-01', '2011-12-31'), aon('2012-01-01', '2012-12-31')]);
    expect(r).toMatchObject({ outcome: 'paid', motif: null, route: null, reply: null });
  });

  it('« Carte restituée »: transport on 10/09/2014, card restituted on 30/07/2014 for « Restitution » → Manque Consigne + Restitution', async () => {
    const r = await transport('2014-09-10', [
      aon('2014-01-01', '2014-12-31', { contract: '00000104474', restitutedOn: '2014-07-30', restitutionReason: 'Restitution' }),
      aon('2013-01-01', '2013-12-31', { contract: '00000104474' }),
    ]);
    expect(r).toMatchObject({ motif: 'manque_consigne', comment: 'Restitution', dematerialise: true, route: 'manager', waitsForDecision: true });
  });

  it('« Droits contractuels clos »: card 12/10/2010–31/12/2010, rights to 29/12/2010, transport on 30/12/2010 → Droits fermés + Droits contractuels clos', async () => {
    const r = await transport('2010-12-30', [aon('2010-10-12', '2010-12-31')], [{ start: '2010-10-12', end: '2010-12-29' }]);
    expect(r).toMatchObject({ motif: 'droits_fermes', comment: 'Droits contractuels clos', dematerialise: true, route: 'manager' });
  });

  it('« Date de fin du contrat »: only a 2013 card, transport on 15/01/2014 → Droits fermés, no comment', async () => {
    const r = await transport('2014-01-15', [aon('2013-01-01', '2013-12-31')]);
    expect(r).toMatchObject({ motif: 'droits_fermes', comment: null, dematerialise: true, route: 'manager' });
  });

  it('« Soins à cheval »: auxiliary acts from 12/08/2013 to 15/01/2014 over two contracts → Erreur contenu facture / soins à cheval', async () => {
    const r = await analyzeWith((c) => {
      c.receivedOn = '2014-02-10';
      c.invoice.invoiceDate = '2014-01-20';
      c.invoice.acts = ['2013-08-12', '2013-10-01', '2014-01-15'].map((date) => ({
        code: 'AMI', coefficient: 1, quantity: 1, unitPrice: 3.15, amount: 3.15, date, roRate: 60,
      }));
      c.invoice.totalAmount = 9.45;
      c.invoice.requestedRc = 3.78;
      c.reference.beneficiaries![0].cards = [
        { insurer: 'MGEN', contract: 'M-2013', start: '2013-01-01', end: '2013-12-31', columns: { AUX: 100 } },
        { insurer: 'MGEN', contract: 'M-2014', start: '2014-01-01', end: '2014-12-31', columns: { AUX: 100 } },
      ];
      c.reference.beneficiaries![0].contractRights = [];
    });
    expect(r).toMatchObject({ motif: 'erreur_contenu_facture', error: 'soins_a_cheval', route: 'practitioner', dematerialise: false });
    expect(r.reply).toContain('à cheval sur deux contrats');
  });

  it('the homonym search: BERDAH VOLMAR Said unknown by NIR, two homonyms, the birth date settles it', async () => {
    const r = await analyzeWith((c) => {
      c.invoice.beneficiary = { nir: '2890638185194', lastName: 'BERDAH VOLMAR', firstName: 'Said', birthDate: '2010-09-02', birthRank: 1 };
      const card: Card = { insurer: 'MGEN', contract: '6354885', start: '2016-01-01', end: '2016-12-31', columns: { AUX: 100 } };
      c.reference.beneficiaries = [
        { nir: '1890638185100', lastName: 'BERDAH VOLMAR', firstName: 'SAID', birthDate: '1989-06-01', birthRank: 1, cards: [] },
        { nir: '2890638185199', lastName: 'Berdah Volmar', firstName: 'Saïd', birthDate: '2010-09-02', birthRank: 1, cards: [card] },
      ];
    });
    expect(r.outcome).toBe('paid');
  });

  it('the card with PHAR/BIO/RAD/AUX but no MG/SDENT: not covered for a GP or dental care, covered for a pharmacy', async () => {
    const bill = (specialty: 'MG' | 'SDENT' | 'PHAR') => analyzeWith((c) => {
      c.invoice.specialty = specialty;
      c.reference.beneficiaries![0].cards![0].columns = { PHAR: 100, BIO: 100, RAD: 100, AUX: 100 };
    });
    expect((await bill('MG')).motif).toBe('beneficiaire_non_couvert');
    expect((await bill('SDENT')).motif).toBe('beneficiaire_non_couvert');
    expect((await bill('PHAR')).outcome).toBe('paid');
  });
});
