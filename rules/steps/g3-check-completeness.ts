// G3 Completeness — the Manque-détail list (spec §6). 1 or 2 missing items → Manque détail;
// « Au-delà de 2 éléments manquants, renseigner le motif « Demande de duplicata » ».

import { careDates, continueWith, fire, type StepInput, type StepOutcome } from '../context.js';
import type { Ports } from '../ports.js';
import { missingDetailLabel } from '../sublists.js';
import { isBlank } from '../text.js';
import type { Act, MissingDetailCode } from '../types.js';

const missing = (value: unknown): boolean =>
  value === null || value === undefined || (typeof value === 'string' && value.trim() === '');

function actIsIncomplete(act: Act | null | undefined): boolean {
  if (!act) return true;
  return [act.code, act.amount, act.coefficient, act.quantity, act.date].some(missing);
}

export async function checkCompleteness({ invoice }: StepInput, ports: Ports): Promise<StepOutcome> {
  const check = 'checkCompleteness';
  const items: MissingDetailCode[] = [];
  const acts = invoice.acts;

  // Every act is a majoration and MAU is not among them (a lone MAU is G7's « Acte MAU »).
  const codes = acts.map((a) => a?.code).filter((c): c is string => !isBlank(c));
  if (acts.length > 0 && codes.length === acts.length && !codes.includes('MAU')) {
    const catalogue = await ports.valerys.findCatalogueEntries([...new Set(codes)]);
    const majorations = new Set(catalogue.filter((e) => e.majoration).map((e) => e.code));
    if (codes.every((c) => majorations.has(c))) items.push('acte_majore_seul');
  }
  const b = invoice.beneficiary;
  if (!b || [b.lastName, b.firstName, b.birthDate, b.nir].some(missing)) items.push('beneficiaire');
  if (missing(invoice.invoiceDate)) items.push('date_facture');
  if (acts.length === 0 || acts.some(actIsIncomplete)) items.push('detail_actes');
  if (missing(invoice.requestedRc)) items.push('part_rc');
  if (missing(invoice.totalAmount)) items.push('montant_total');
  // MO: « Numéro de la facture (si aucune date de soins renseignée!) ».
  if (isBlank(invoice.invoiceNumber) && careDates(invoice).length === 0) items.push('numero_facture');

  if (items.length === 0) return continueWith('G3', check, ['facture complète']);
  const facts = items.map((i) => `manquant : ${missingDetailLabel(i)}`);
  if (items.length > 2) return fire('G3', check, facts, { motif: 'demande_duplicata', detail: items });
  return fire('G3', check, facts, {
    motif: 'manque_detail',
    detail: items,
    // MO: « Renseigner la colonne « Commentaires complémentaires » pour un second élément manquant. »
    comment: items.length === 2 ? missingDetailLabel(items[1]) : null,
  });
}
