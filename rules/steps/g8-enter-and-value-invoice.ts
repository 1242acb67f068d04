// G8 Entry and valuation in VALERYS — « Est-ce que la validation de la saisie est possible ? »

import { continueWith, fire, UnclassifiableCase, type StepInput, type StepOutcome } from '../context.js';
import { formatFrenchDate } from '../dates.js';
import { formatEuros, roundCents, withinCent } from '../money.js';
import type { Ports } from '../ports.js';
import { normalizeInvoiceNumber, normalizeName } from '../text.js';
import type { Payment } from '../types.js';

export async function enterAndValueInvoice({ invoice, facts }: StepInput, ports: Ports): Promise<StepOutcome> {
  const check = 'enterAndValueInvoice';
  const { beneficiary, card, coverage } = facts;
  if (!beneficiary || !card || !coverage) throw new UnclassifiableCase('Carte ou bénéficiaire non déterminé avant la saisie');
  const acts = invoice.acts.map((a) => ({ code: a.code!, date: a.date! }));
  const nirs = [...new Set([beneficiary.nir, invoice.beneficiary?.nir].filter((n): n is string => Boolean(n)))];

  // A match = same beneficiary NIR, same act code, same act date.
  const matches = (await ports.valerys.findPaymentsForActs(nirs, acts)).filter(
    (p) => nirs.includes(p.nir) && p.acts.some((pa) => acts.some((a) => a.code === pa.code && a.date === pa.date)),
  );
  const paid = (p: Payment) => `réglé le ${p.paidOn ? formatFrenchDate(p.paidOn) : '—'}${p.invoiceNumber ? ` sur la facture n° ${p.invoiceNumber}` : ''}`;
  const samePs = (p: Payment) => p.practitionerNumber != null && p.practitionerNumber === invoice.practitionerNumber;
  const sameInvoice = (p: Payment) =>
    !!p.invoiceNumber && normalizeInvoiceNumber(p.invoiceNumber) === normalizeInvoiceNumber(invoice.invoiceNumber);

  // MO (Histo Client): « en nommant la mutuelle concernée puis le n° de facture. Ex : April sur la facture n° 123.
  // S'il n'y a aucun numéro de facture renseigné […] Il convient de noter uniquement le nom de la mutuelle. »
  const otherInsurer = matches.find((p) => normalizeName(p.insurer) !== normalizeName(card.insurer));
  if (otherInsurer) {
    return fire('G8', check, [`acte déjà ${paid(otherInsurer)} par ${otherInsurer.insurer}`], {
      motif: 'histo_client',
      date: otherInsurer.paidOn ?? null,
      comment: otherInsurer.invoiceNumber ? `${otherInsurer.insurer} sur la facture n° ${otherInsurer.invoiceNumber}` : otherInsurer.insurer,
    });
  }
  const sameInvoiceSamePs = matches.find((p) => sameInvoice(p) && samePs(p));
  if (sameInvoiceSamePs) {
    return fire('G8', check, [`facture déjà ${paid(sameInvoiceSamePs)} au même PS`], {
      motif: 'facture_deja_payee',
      date: sameInvoiceSamePs.paidOn ?? null,
    });
  }
  const otherInvoiceSamePs = matches.find((p) => !sameInvoice(p) && samePs(p));
  if (otherInvoiceSamePs) {
    return fire('G8', check, [`acte déjà ${paid(otherInvoiceSamePs)} au même PS`], {
      motif: 'acte_deja_paye',
      date: otherInvoiceSamePs.paidOn ?? null,
      comment: otherInvoiceSamePs.invoiceNumber ?? null,
    });
  }
  const otherPs = matches.find((p) => p.practitionerNumber != null && !samePs(p));
  if (otherPs) {
    return fire('G8', check, [`acte déjà ${paid(otherPs)} à un autre N° PS`], { motif: 'doublon_ps', date: otherPs.paidOn ?? null });
  }

  // Calculated amount of an act = unit price × coefficient × quantity; part RC = amount × max(0, rate − RO rate) / 100,
  // capped at the amount; totals rounded to the cent.
  const catalogue = new Map((await ports.valerys.findCatalogueEntries([...new Set(acts.map((a) => a.code))])).map((e) => [e.code, e]));
  let amount = 0;
  let rc = 0;
  for (const act of invoice.acts) {
    const entry = catalogue.get(act.code!);
    if (!entry) throw new UnclassifiableCase(`Acte ${act.code} absent du catalogue VALERYS`);
    if (act.roRate == null) throw new UnclassifiableCase(`Taux RO absent pour l'acte ${act.code} du ${formatFrenchDate(act.date!)}`);
    const actAmount = entry.unitPrice * act.coefficient! * act.quantity!;
    amount += actAmount;
    rc += Math.min(actAmount, (actAmount * Math.max(0, coverage.rate - act.roRate)) / 100);
  }
  const calculatedAmount = roundCents(amount);
  const calculatedRc = roundCents(rc);
  const valued = { calculatedAmount, calculatedRc };
  const amounts = [`montant calculé ${formatEuros(calculatedAmount)}, demandé ${formatEuros(invoice.totalAmount!)}`];
  if (!withinCent(invoice.totalAmount!, calculatedAmount)) {
    return fire('G8', check, amounts, { motif: 'montant_different' }, valued);
  }
  amounts.push(`part RC calculée ${formatEuros(calculatedRc)}, demandée ${formatEuros(invoice.requestedRc!)}`);
  if (!withinCent(invoice.requestedRc!, calculatedRc)) {
    return fire('G8', check, amounts, { motif: 'part_rc_differente' }, valued);
  }
  const insurer = await ports.valerys.findInsurer(card.insurer);
  if (!insurer) throw new UnclassifiableCase(`Organisme ${card.insurer} inconnu de VALERYS : seuil de contrôle indéterminé`);
  if (insurer.controlThreshold != null && calculatedRc > insurer.controlThreshold) {
    return fire('G8', check, [...amounts, `part RC au-dessus du seuil de contrôle de ${insurer.name} (${formatEuros(insurer.controlThreshold)})`], {
      motif: 'a_controler',
    }, valued);
  }
  return continueWith('G8', check, [...amounts, 'saisie validée'], valued);
}
