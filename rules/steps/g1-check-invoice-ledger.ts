// G1 AGICA — « il recherchera et analysera en priorité l'état de chaque facture dans AGICA ».

import { continueWith, fire, type StepInput, type StepOutcome } from '../context.js';
import type { Ports } from '../ports.js';
import { isBlank, normalizeName } from '../text.js';
import type { AgicaRecord } from '../types.js';

const DOUBLON_TOTAL_FACTURE = 'DOUBLON TOTAL FACTURE';

export async function checkInvoiceLedger({ invoice }: StepInput, ports: Ports): Promise<StepOutcome> {
  const check = 'checkInvoiceLedger';
  // MO: « *** Attention *** Vérifier qu'il ne s'agit pas d'une demande de complément de facture. »
  if (invoice.flags.complementRequest) {
    return fire('G1', check, ['demande de complément de facture'], { motif: 'complement_facture' });
  }
  const nir = invoice.beneficiary?.nir;
  if (isBlank(invoice.invoiceNumber) || isBlank(nir)) {
    return continueWith('G1', check, ['recherche AGICA impossible : n° de facture ou NIR absent'], {
      presentInAgica: false,
      liquideeNul: false,
    });
  }
  const records = await ports.agica.findInvoiceRecords(invoice.invoiceNumber!, nir!);
  if (records.length === 0) {
    return continueWith('G1', check, [`facture n° ${invoice.invoiceNumber} absente d'AGICA`], {
      presentInAgica: false,
      liquideeNul: false,
    });
  }
  const facts = [`facture n° ${invoice.invoiceNumber} présente dans AGICA (${records.length} état(s))`];
  const present = { presentInAgica: true, liquideeNul: false };
  const samePs = (r: AgicaRecord) => r.practitionerNumber === invoice.practitionerNumber;

  const paidHere = records.find((r) => r.state === 'liquidee' && samePs(r));
  if (paidHere) {
    return fire('G1', check, [...facts, 'état « Liquidé » sous le même N° PS'], {
      motif: 'facture_deja_payee',
      date: paidHere.date ?? null,
    }, present);
  }
  const paidElsewhere = records.find((r) => r.state === 'liquidee' && !samePs(r));
  if (paidElsewhere) {
    // MO: « ne pas préciser le N° PS dans la cellule Commentaires Complémentaires ».
    return fire('G1', check, [...facts, 'état « Liquidé » sous un autre N° PS'], {
      motif: 'doublon_ps',
      date: paidElsewhere.date ?? null,
    }, present);
  }
  const totalDuplicate = records.find(
    (r) => r.state === 'rejetee' && normalizeName(r.rejectReason) === DOUBLON_TOTAL_FACTURE,
  );
  if (totalDuplicate) {
    // MO: « Si dans AGICA, la facture est rejetée pour « Doublon total facture » : sélectionner le motif « Acte déjà payé »
    // et saisir le numéro de la facture sur laquelle les actes sont réglés. »
    return fire('G1', check, [...facts, 'état « Rejeté » pour « Doublon total facture »'], {
      motif: 'acte_deja_paye',
      date: totalDuplicate.date ?? null,
      comment: totalDuplicate.paidInvoiceNumber ?? null,
    }, present);
  }
  const liquideeNul = records.some((r) => r.state === 'liquidee_nul');
  const states = records.map((r) => (r.rejectReason ? `${r.state} (${r.rejectReason})` : r.state)).join(', ');
  return continueWith('G1', check, [...facts, `états : ${states}`], { presentInAgica: true, liquideeNul });
}
