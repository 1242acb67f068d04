// Routing (spec §5): practitioner e-mail or manager task, and the PS address from AGAPS.

import { careDates } from './context.js';
import { isCareCentre } from './coverage.js';
import { maxDate, reversedDate } from './dates.js';
import { motifDefinition, motifRoute } from './motifs.js';
import { isBlank } from './text.js';
import type { AnalysisResult, Finding, Invoice, Practitioner, Route } from './types.js';

export interface EmailChoice {
  email: string | null;
  /** Where it came from, for the trace. */
  source: string;
}

/**
 * AGAPS address: a practitioner → « Identification Mail » (header); a centre de soins → its « Retour PS »
 * function addresses (« Dans le cas où apparaissent 2 lignes « Retour PS » […] prendre en compte la deuxième ligne »;
 * « Dans le cas où aucune adresse mail n'apparaît […] l'adresse mail figurant dans la page d'entête »).
 */
export function choosePractitionerEmail(practitioner: Practitioner | null | undefined): EmailChoice {
  if (!practitioner) return { email: null, source: 'PS inconnu' };
  const header = isBlank(practitioner.headerEmail) ? null : practitioner.headerEmail!.trim();
  if (isCareCentre(practitioner.number)) {
    const lines = (practitioner.returnEmails ?? []).map((e) => e?.trim()).filter((e): e is string => Boolean(e));
    if (lines.length >= 2) return { email: lines[1], source: 'centre de soins : deuxième ligne « Retour PS »' };
    if (lines.length === 1) return { email: lines[0], source: 'centre de soins : ligne « Retour PS »' };
    return { email: header, source: header ? 'centre de soins sans « Retour PS » : adresse d\'entête' : 'aucune adresse dans AGAPS' };
  }
  return { email: header, source: header ? 'adresse « Identification Mail »' : 'aucune adresse dans AGAPS' };
}

/**
 * The Trame's « NUMERO DE LA FACTURE »: « le numéro de la facture concernée OBLIGATOIREMENT (ou date de fin de soins
 * à l'envers!) » and « saisir la date de fin de soins à l'envers, ou « 0 » en dernier recours ».
 */
export function invoiceNumberCell(invoice: Invoice): string {
  if (!isBlank(invoice.invoiceNumber)) return invoice.invoiceNumber!.trim();
  const end = maxDate(careDates(invoice));
  return end ? reversedDate(end) : '0';
}

export interface RouteDecision {
  route: Route;
  email: string | null;
  humanTask: boolean;
  waitsForDecision: boolean;
  reason: string;
}

/** Where a finding goes: the motif's own route, then the PS overrides (no e-mail; invoice number `0`). */
export function routeFinding(
  invoice: Invoice,
  finding: Finding,
  presentInAgica: boolean,
  practitioner: Practitioner | null | undefined,
): RouteDecision {
  const waitsForDecision = motifDefinition(finding.motif).waitsForDecision;
  const manager = (reason: string): RouteDecision => ({ route: 'manager', email: null, humanTask: true, waitsForDecision, reason });
  if (motifRoute(finding.motif, finding, presentInAgica) === 'manager') return manager('motif retourné au gestionnaire Almerys');
  // MO: « Les retours pour lesquels le PS est inconnu dans la base AGAPS [ou] le PS n'a pas d'adresse email feront
  // l'objet d'un retour vers le gestionnaire Almerys ».
  const choice = choosePractitionerEmail(practitioner);
  if (!choice.email) return manager(`réponse PS impossible : ${choice.source}`);
  // MO: « ne pas envoyer de réponse au PS si le n° de facture n'est pas renseigné ».
  if (invoiceNumberCell(invoice) === '0') return manager('réponse PS impossible : ni n° de facture ni date de soins');
  return { route: 'practitioner', email: choice.email, humanTask: false, waitsForDecision, reason: `réponse par e-mail au PS (${choice.source})` };
}

/** Why an e-mail to the PS could not be sent, in the manager's words (the trace, the task, the Trame's reason). */
export function mailRefusalReason(kind: 'address' | 'rejected' | 'failed', providerMessage: string): string {
  switch (kind) {
    case 'address': return `adresse e-mail refusée par le prestataire : ${providerMessage}`;
    case 'rejected': return `e-mail refusé par le prestataire : ${providerMessage}`;
    case 'failed': return `envoi de l'e-mail impossible : ${providerMessage}`;
  }
}

/**
 * A PS reply the mail provider refused becomes a manager's case: the same motif, detail and reply (the manager sends
 * it, fixes the address, or decides otherwise), routed to the manager with the reason in the trace. The MO already
 * returns to the manager the cases the PS cannot be written to (« le PS n'a pas d'adresse email »); a refused address
 * is one of them, found at sending time.
 */
export function routeAfterMailRefusal(result: AnalysisResult, reason: string): AnalysisResult {
  return {
    ...result,
    route: 'manager',
    humanTask: true,
    trace: [...result.trace, { step: 'Routing', check: 'mailRefused', facts: [reason], result: 'manager' }],
  };
}
