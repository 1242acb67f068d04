// G5 Beneficiary — « Est-ce que le bénéficiaire est géré par Almerys ? »

import { continueWith, fire, type StepInput, type StepOutcome } from '../context.js';
import { formatFrenchDate } from '../dates.js';
import type { Ports } from '../ports.js';
import { sameName } from '../text.js';

export async function identifyBeneficiary({ invoice }: StepInput, ports: Ports): Promise<StepOutcome> {
  const check = 'identifyBeneficiary';
  const b = invoice.beneficiary!;
  const byNir = await ports.protips.findBeneficiaryByNir(b.nir!);
  if (byNir) {
    if (!sameName(byNir.lastName, b.lastName) || !sameName(byNir.firstName, b.firstName)) {
      return fire('G5', check, ['bénéficiaire trouvé par NIR', 'nom ou prénom différent de la facture'], {
        motif: 'erreur_contenu_facture',
        error: 'incoherence_identite_nir',
      }, { beneficiary: byNir });
    }
    const rankDiffers = b.birthRank != null && byNir.birthRank != null && b.birthRank !== byNir.birthRank;
    if (byNir.birthDate !== b.birthDate || rankDiffers) {
      return fire('G5', check, [
        'bénéficiaire trouvé par NIR',
        rankDiffers ? 'rang de naissance différent de la facture' : 'date de naissance différente de la facture',
      ], { motif: 'erreur_contenu_facture', error: 'incoherence_naissance' }, { beneficiary: byNir });
    }
    return continueWith('G5', check, ['bénéficiaire trouvé par NIR', 'identité conforme'], { beneficiary: byNir });
  }

  // MO: « Avant de faire un retour pour « Bénéficiaire inconnu », il convient de rechercher le bénéficiaire des soins
  // par nom et prénom. Il peut être connu sous un autre NNI. » and « Si plusieurs homonymes ressortent, il faudra bien
  // prendre en compte la date de naissance indiquée sur la facture. »
  const facts = ['NIR inconnu de PROTIPS'];
  let candidates = await ports.protips.findBeneficiariesByName(b.lastName!, b.firstName!);
  facts.push(`recherche par nom et prénom : ${candidates.length} résultat(s)`);
  if (candidates.length > 1) {
    candidates = candidates.filter((c) => c.birthDate === b.birthDate);
    facts.push(`né(e)s le ${formatFrenchDate(b.birthDate!)} : ${candidates.length}`);
    if (candidates.length > 1 && b.birthRank != null) {
      candidates = candidates.filter((c) => c.birthRank === b.birthRank);
      facts.push(`de rang ${b.birthRank} : ${candidates.length}`);
    }
  }
  if (candidates.length === 1) {
    return continueWith('G5', check, [...facts, 'bénéficiaire identifié sous un autre NIR'], { beneficiary: candidates[0] });
  }
  return fire('G5', check, facts, { motif: 'beneficiaire_inconnu' }, { beneficiary: null });
}
