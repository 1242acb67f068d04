// G7 Content — the Erreur-contenu-facture errors (spec §6), in the spec's order.

import { careDates, continueWith, fire, type StepInput, type StepOutcome } from '../context.js';
import { formatFrenchDate, maxDate } from '../dates.js';
import { sameCents, withinCent } from '../money.js';
import type { Ports } from '../ports.js';
import type { ContentErrorCode } from '../types.js';

const sameSet = (a: Iterable<string>, b: Iterable<string>) => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
};

export async function checkInvoiceContent({ invoice }: StepInput, ports: Ports): Promise<StepOutcome> {
  const check = 'checkInvoiceContent';
  const error = (code: ContentErrorCode, facts: string[]) => fire('G7', check, facts, { motif: 'erreur_contenu_facture', error: code });

  const adeli = new Set(invoice.adeliNumbers.map((n) => n.trim()).filter(Boolean));
  if (adeli.size > 1) return error('plusieurs_adeli', [`${adeli.size} n° Adeli sur la facture`]);

  const acts = invoice.acts;
  const codes = [...new Set(acts.map((a) => a.code!))];
  const catalogue = new Map((await ports.valerys.findCatalogueEntries(codes)).map((e) => [e.code, e]));
  const unknown = codes.filter((c) => !catalogue.has(c));
  if (unknown.length > 0) return error('code_acte_inconnu', [`code(s) absent(s) du catalogue : ${unknown.join(', ')}`]);

  // MO: « Acte MAU : cet acte doit être obligatoirement facturé avec un acte AMI 1 ou AMI 1.5 »
  if (codes.includes('MAU') && !acts.some((a) => a.code === 'AMI' && (a.coefficient === 1 || a.coefficient === 1.5))) {
    return error('acte_mau_sans_ami', ['acte MAU sans AMI 1 ni AMI 1.5']);
  }
  const wrongPrice = acts.find((a) => a.unitPrice != null && !withinCent(a.unitPrice, catalogue.get(a.code!)!.unitPrice));
  if (wrongPrice) {
    return error('prix_unitaire_non_conforme', [
      `${wrongPrice.code} facturé ${wrongPrice.unitPrice} € pour ${catalogue.get(wrongPrice.code!)!.unitPrice} € au catalogue`,
    ]);
  }
  const lastCare = maxDate(careDates(invoice))!;
  if (invoice.invoiceDate! < lastCare) {
    return error('date_facture_anterieure', [`facture du ${formatFrenchDate(invoice.invoiceDate!)}, soins jusqu'au ${formatFrenchDate(lastCare)}`]);
  }
  const documents = invoice.documents;
  const otherCodes = documents.find((d) => d.actCodes != null && !sameSet(d.actCodes, codes));
  if (otherCodes) return error('codes_actes_differents', [`codes du document « ${otherCodes.kind} » : ${otherCodes.actCodes!.join(', ')}`]);
  const recap = documents.find((d) => d.kind === 'recapitulatif' && d.careDates != null && !sameSet(d.careDates, careDates(invoice)));
  if (recap) return error('incoherence_dates_recapitulatif', [`dates du récapitulatif : ${recap.careDates!.map(formatFrenchDate).join(', ')}`]);
  const otherTotal = documents.find((d) => d.totalAmount != null && !sameCents(d.totalAmount, invoice.totalAmount!));
  if (otherTotal) return error('montants_differents', [`total du document « ${otherTotal.kind} » : ${otherTotal.totalAmount} €, facture : ${invoice.totalAmount} €`]);

  return continueWith('G7', check, [
    `${acts.length} acte(s) : ${codes.join(', ')}`,
    'codes connus, prix conformes, dates cohérentes',
    documents.length ? `${documents.length} document(s) joint(s) cohérent(s)` : 'aucun document joint',
  ]);
}
