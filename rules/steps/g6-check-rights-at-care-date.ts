// G6 Rights at the date of care — « Est-ce que les droits du bénéficiaire sont ouverts à la date des soins ? »

import { careDates, continueWith, fire, UnclassifiableCase, type StepInput, type StepOutcome } from '../context.js';
import { cardCoverage, isCardValidOn, isCareCentre, preferredCard } from '../coverage.js';
import { formatFrenchDate, isWithin } from '../dates.js';
import { normalizeName } from '../text.js';
import type { Card } from '../types.js';

const describe = (c: Card) =>
  `carte ${c.insurer}${c.contract ? ` ${c.contract}` : ''} du ${formatFrenchDate(c.start)} au ${c.end ? formatFrenchDate(c.end) : '—'}`;

export async function checkRightsAtCareDate({ invoice, facts }: StepInput): Promise<StepOutcome> {
  const check = 'checkRightsAtCareDate';
  const beneficiary = facts.beneficiary;
  if (!beneficiary) throw new UnclassifiableCase('Bénéficiaire non identifié avant le contrôle des droits');
  const cards = beneficiary.cards ?? [];
  const dates = careDates(invoice);
  const careCentre = isCareCentre(invoice.practitionerNumber);
  const specialty = invoice.specialty ?? null;
  if (!specialty && !careCentre) throw new UnclassifiableCase('Spécialité absente de la facture : couverture indéterminable');
  const trace = [`soins du ${dates.map(formatFrenchDate).join(', ')}`, careCentre ? 'centre de soins : colonne SE' : `spécialité ${specialty}`];

  const involved = cards.filter((c) => dates.some((d) => isCardValidOn(c, d)));
  // (a) No care date on a valid card: « Ne rien noter dans Commentaires complémentaires. »
  // « SI LA FACTURE N'EST PAS PRESENTE DANS LA BASE AGICA, IL CONVIENT DE LA SAISIR AFIN DE LA DEMATERIALISER. »
  if (involved.length === 0) {
    return fire('G6', check, [...trace, `aucune carte valide (${cards.length} carte(s))`], {
      motif: 'droits_fermes',
      comment: null,
      dematerialise: !facts.presentInAgica,
    });
  }

  const onEveryDate = involved.filter((c) => dates.every((d) => isCardValidOn(c, d)));
  // (b) Care over two periods: « Après avoir contrôlé les garanties du contrat du bénéficiaire, et si ce dernier est
  // couvert pour la spécialité concernée […] « Erreur contenu facture » […] « Soins à cheval sur deux contrats ».
  // Si les droits ne sont ouverts que pour l'une des deux périodes il convient de sélectionner le même motif. NE PAS SAISIR »
  if (onEveryDate.length === 0) {
    const facts2 = [...trace, `soins sur plusieurs périodes : ${involved.map(describe).join(' ; ')}`];
    if (!involved.some((c) => cardCoverage(c, specialty, careCentre))) {
      return fire('G6', check, [...facts2, 'spécialité non couverte'], { motif: 'beneficiaire_non_couvert' });
    }
    return fire('G6', check, facts2, { motif: 'erreur_contenu_facture', error: 'soins_a_cheval' });
  }

  // (c) All on one card.
  const card = preferredCard(onEveryDate)!;
  const coverage = cardCoverage(card, specialty, careCentre);
  const found = { card, coverage };
  const facts3 = [...trace, describe(card)];
  if (!coverage) {
    return fire('G6', check, [...facts3, 'colonne absente de la carte'], { motif: 'beneficiaire_non_couvert' }, found);
  }
  facts3.push(coverage.exception ? `exception ${card.insurer} : saisie au taux de 100` : `colonne ${coverage.column} à ${coverage.rate} %`);
  if (card.restitutionReason || card.restitutedOn) {
    const reason = card.restitutionReason?.trim() || 'Restitution';
    const known = normalizeName(reason);
    // MO: « Si le terme « Restitution » figure sur la carte dans le motif de restitution […] « Manque Consigne » […] « Restitution » »
    // and the same for « NPAI ». Another reason is not in the MO: Manque Consigne, with the reason as written.
    const comment = known === 'RESTITUTION' ? 'Restitution' : known === 'NPAI' ? 'NPAI' : reason;
    return fire('G6', check, [...facts3, `carte restituée${card.restitutedOn ? ` le ${formatFrenchDate(card.restitutedOn)}` : ''} : ${reason}`], {
      motif: 'manque_consigne',
      comment,
      dematerialise: true,
    }, found);
  }
  const rights = beneficiary.contractRights ?? [];
  if (rights.length > 0) {
    const outside = dates.filter((d) => !rights.some((p) => isWithin(d, p.start, p.end)));
    if (outside.length > 0) {
      return fire('G6', check, [...facts3, `droits contractuels clos le ${outside.map(formatFrenchDate).join(', ')}`], {
        motif: 'droits_fermes',
        comment: 'Droits contractuels clos',
        dematerialise: true,
      }, found);
    }
  }
  return continueWith('G6', check, [...facts3, 'droits ouverts à la date des soins'], found);
}
