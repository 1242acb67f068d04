// G2 Practitioner — « Choisir ce motif UNIQUEMENT si le PS n'est pas identifiable ou inconnu de la base AGAPS. »

import { continueWith, fire, type StepInput, type StepOutcome } from '../context.js';
import type { Ports } from '../ports.js';
import { isBlank } from '../text.js';

export async function checkPractitioner({ invoice }: StepInput, ports: Ports): Promise<StepOutcome> {
  const check = 'checkPractitioner';
  if (isBlank(invoice.practitionerNumber)) {
    return fire('G2', check, ['N° PS absent de la facture'], { motif: 'manque_ps' }, { practitioner: null });
  }
  const practitioner = await ports.agaps.findPractitioner(invoice.practitionerNumber!);
  if (!practitioner) {
    return fire('G2', check, [`N° PS ${invoice.practitionerNumber} inconnu d'AGAPS`], { motif: 'manque_ps' }, { practitioner: null });
  }
  return continueWith('G2', check, [`PS ${invoice.practitionerNumber} connu d'AGAPS${practitioner.name ? ` : ${practitioner.name}` : ''}`], {
    practitioner,
  });
}
