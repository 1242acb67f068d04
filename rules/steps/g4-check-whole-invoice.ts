// G4 Whole invoice — « L'opérateur doit impérativement analyser la facture globale au préalable ».

import { careDates, continueWith, fire, type StepInput, type StepOutcome } from '../context.js';
import { addYears, formatFrenchDate, minDate } from '../dates.js';

export async function checkWholeInvoice({ invoice, receivedOn, facts }: StepInput): Promise<StepOutcome> {
  const check = 'checkWholeInvoice';
  const f = invoice.flags;
  if (f.ro100) {
    // MO: « il n'est pas utile de chercher si le bénéficiaire est connu, ni si les droits sont ouverts. »
    return fire('G4', check, ['facture à 100 % RO'], { motif: 'ro_100' });
  }
  if (!f.tpBoxTicked && f.insuredShareStated) {
    return fire('G4', check, ['case tiers payant non cochée', 'part assuré précisée'], { motif: 'destinataire_paiement_incertain' });
  }
  if (f.addressedToInsured) {
    return fire('G4', check, ["facture destinée à l'assuré"], { motif: 'facture_assure' });
  }
  const firstCare = minDate(careDates(invoice));
  if (firstCare) {
    const limit = addYears(firstCare, 2);
    if (receivedOn > limit) {
      // MO: « Si la facture est présente dans AGICA, alors saisir en 'commentaire complémentaire' : Facture à Forcer. »
      return fire('G4', check, [
        `premiers soins le ${formatFrenchDate(firstCare)}, réclamation reçue le ${formatFrenchDate(receivedOn)} (limite ${formatFrenchDate(limit)})`,
        facts.presentInAgica ? 'facture présente dans AGICA' : "aucune trace de la facture dans AGICA",
      ], { motif: 'facture_plus_2_ans', comment: facts.presentInAgica ? 'Facture à Forcer' : null });
    }
  }
  if (!f.carePathRespected) {
    return fire('G4', check, ['parcours de soins non respecté'], { motif: 'parcours_soins' });
  }
  return continueWith('G4', check, ['part RO partielle', 'tiers payant demandé', 'facture de moins de 2 ans', 'parcours de soins respecté']);
}
