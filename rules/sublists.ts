// The MO's two sub-lists (spec §6), with the MO's labels verbatim.

import type { ContentErrorCode, MissingDetailCode } from './types.js';

/** « MANQUE DETAIL – Détail manquant », in the MO's order (which is also the order G3 reports them in). */
export const MISSING_DETAILS: readonly { code: MissingDetailCode; label: string }[] = [
  { code: 'acte_majore_seul', label: "l'acte majoré ne peut être facturé seul, merci de préciser l'acte ou les actes complémentaire(s)." },
  { code: 'beneficiaire', label: 'Bénéficiaire des soins : nom, prénom, date de naissance et numéro de sécurité sociale' },
  { code: 'date_facture', label: 'Date de la facture' },
  { code: 'detail_actes', label: 'Détail des actes effectués : code, montant, coefficient, quantité et date des soins pour chacun des actes réalisés' },
  { code: 'part_rc', label: 'Montant de la part RC' },
  { code: 'montant_total', label: 'Montant total de la dépense' },
  { code: 'numero_facture', label: 'Numéro de la facture' },
];

/** « ERREUR CONTENU FACTURE – Incohérence », in the MO's order. */
export const CONTENT_ERRORS: readonly { code: ContentErrorCode; label: string }[] = [
  { code: 'acte_mau_sans_ami', label: 'Acte MAU : cet acte doit être obligatoirement facturé avec un acte AMI 1 ou AMI 1.5' },
  { code: 'code_acte_inconnu', label: 'Code acte inconnu' },
  { code: 'codes_actes_differents', label: 'Code(s) acte(s) différent(s) entre les documents' },
  { code: 'date_facture_anterieure', label: 'Date de la facture antérieure à la date des soins' },
  {
    code: 'document_non_conforme',
    label:
      'Document fourni non conforme : le document fourni ne permet pas le règlement par Almerys : merci de nous transmettre une facture conforme (feuille de soins CERFA, facture informatique, quittance détaillée). Ne seront pas considérés comme valables les bordereaux de virement / décomptes du régime obligatoire ou tout autre document provenant du régime obligatoire, les documents du RSI.',
  },
  { code: 'incoherence_dates_recapitulatif', label: 'Incohérence entre la date des soins sur la facture et celle indiquée sur le récapitulatif' },
  { code: 'incoherence_identite_nir', label: "Incohérence entre l'identité du bénéficiaire des soins et le numéro de sécurité sociale" },
  { code: 'incoherence_naissance', label: "Incohérence entre l'identité du bénéficiaire et la date et/ou le rang de naissance" },
  { code: 'prix_unitaire_non_conforme', label: 'Le prix unitaire des actes est non conforme' },
  { code: 'montants_differents', label: 'Montants différents entre les documents' },
  { code: 'plusieurs_adeli', label: 'Présence de plusieurs n° Adeli' },
  { code: 'soins_a_cheval', label: 'Les soins sont à cheval sur deux contrats' },
];

const DETAIL_LABELS = new Map(MISSING_DETAILS.map((d) => [d.code, d.label]));
const ERROR_LABELS = new Map(CONTENT_ERRORS.map((e) => [e.code, e.label]));
const DETAIL_ORDER = new Map(MISSING_DETAILS.map((d, i) => [d.code, i]));

export function missingDetailLabel(code: MissingDetailCode): string {
  return DETAIL_LABELS.get(code) ?? code;
}

export function contentErrorLabel(code: ContentErrorCode): string {
  return ERROR_LABELS.get(code) ?? code;
}

export function isMissingDetailCode(value: unknown): value is MissingDetailCode {
  return typeof value === 'string' && DETAIL_LABELS.has(value as MissingDetailCode);
}

export function isContentErrorCode(value: unknown): value is ContentErrorCode {
  return typeof value === 'string' && ERROR_LABELS.has(value as ContentErrorCode);
}

/** Sorts missing-detail codes in the MO's order. */
export function sortMissingDetails(codes: MissingDetailCode[]): MissingDetailCode[] {
  return [...codes].sort((a, b) => (DETAIL_ORDER.get(a) ?? 99) - (DETAIL_ORDER.get(b) ?? 99));
}
