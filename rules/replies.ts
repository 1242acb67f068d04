// « Réponse à votre réclamation »: every reply text in one place (spec §7).
// Sentences marked MO are verbatim from the MO's table « Réponses automatiques des motifs »
// (or its bordereau example for Acte déjà payé); the others are written in the same voice.

import { formatFrenchDate } from './dates.js';
import { MISSING_DETAILS } from './sublists.js';
import type { ContentErrorCode, Finding, IsoDate, MissingDetailCode, MotifCode } from './types.js';

const REGRET =
  'Nous sommes au regret de vous informer que nous ne pouvons donner une suite favorable à votre demande de remboursement.';

/** The MO's « Demande de duplicata » list (also used to phrase the Manque-détail items). */
const DUPLICATA_ITEMS = [
  'Numéro du Professionnel de Santé',
  'Bénéficiaire des soins (Nom, Prénom, Date de naissance et Numéro de Sécurité Sociale)',
  'Numéro et Date de la facture',
  'Montant total de la dépense et montant de la part RC',
  'Codes, montants, dates, quantités et coefficients des actes réalisés',
  'Actes pris en charge à 100 % par le Régime Obligatoire',
];

/** Reply sentence after « En effet, » for each Erreur-contenu error (the MO gives the error labels only). */
const CONTENT_ERROR_REPLIES: Record<ContentErrorCode, string> = {
  acte_mau_sans_ami:
    "En effet, l'acte MAU doit être obligatoirement facturé avec un acte AMI 1 ou AMI 1.5. Merci de nous faire parvenir une facture rectifiée.",
  code_acte_inconnu:
    "En effet, un code acte figurant sur la facture est inconnu. Merci de vérifier les codes des actes réalisés et de nous faire parvenir une facture rectifiée.",
  codes_actes_differents:
    'En effet, les codes des actes diffèrent entre les documents transmis. Merci de nous faire parvenir une facture rectifiée.',
  date_facture_anterieure:
    'En effet, la date de la facture est antérieure à la date des soins. Merci de nous faire parvenir une facture rectifiée.',
  // MO: the label of « Document fourni non conforme » is itself addressed to the PS.
  document_non_conforme:
    'En effet, le document fourni ne permet pas le règlement par Almerys : merci de nous transmettre une facture conforme (feuille de soins CERFA, facture informatique, quittance détaillée). Ne seront pas considérés comme valables les bordereaux de virement / décomptes du régime obligatoire ou tout autre document provenant du régime obligatoire, les documents du RSI.',
  incoherence_dates_recapitulatif:
    'En effet, la date des soins indiquée sur la facture est différente de celle indiquée sur le récapitulatif. Merci de nous faire parvenir une facture rectifiée.',
  incoherence_identite_nir:
    "En effet, l'identité du bénéficiaire des soins ne correspond pas au numéro de sécurité sociale indiqué sur la facture. Merci de vérifier ces éléments ou de vous rapprocher de votre patient.",
  incoherence_naissance:
    "En effet, l'identité du bénéficiaire des soins ne correspond pas à la date et/ou au rang de naissance indiqués sur la facture. Merci de vérifier ces éléments ou de vous rapprocher de votre patient.",
  prix_unitaire_non_conforme:
    'En effet, le prix unitaire des actes facturés est non conforme. Merci de nous faire parvenir une facture rectifiée.',
  montants_differents:
    'En effet, les montants diffèrent entre les documents transmis. Merci de nous faire parvenir une facture rectifiée.',
  plusieurs_adeli:
    'En effet, plusieurs numéros Adeli figurent sur la facture. Merci de nous faire parvenir une facture ne comportant que le numéro du professionnel de santé ayant réalisé les soins.',
  soins_a_cheval:
    'En effet, les soins sont à cheval sur deux contrats. Merci de nous faire parvenir une facture par période de contrat.',
};

export interface ReplyInput extends Finding {
  /** The invoice's own number (Histo Client, when the payment has none). */
  invoiceNumber?: string | null;
}

function datePhrase(date: IsoDate | null | undefined): string {
  return date ? formatFrenchDate(date) : '';
}

function missingItems(detail: readonly MissingDetailCode[] | undefined): string {
  const labels = MISSING_DETAILS.filter((d) => detail?.includes(d.code)).map((d) => d.label.replace(/\.$/, ''));
  return labels.map((l) => ` - ${l}`).join('');
}

/** The reply for a rejected invoice, placeholders filled (dates `dd/mm/yyyy`). */
export function replyText(motif: MotifCode, finding: ReplyInput): string {
  switch (motif) {
    case 'ro_100': // MO
      return `${REGRET} En effet, nous avons réceptionné une facture précisant que les prestations réalisées sont remboursées à 100 % par le Régime Obligatoire. Merci d'annuler les réclamations envers Almerys.`;
    case 'beneficiaire_inconnu': // MO
      return `${REGRET} En effet, le bénéficiaire des soins est inconnu de la base de données d'Almerys. Nous vous conseillons de vérifier les éléments de votre facture (NNI, nom, prénom et date de naissance) ou bien de vous rapprocher de votre patient.`;
    case 'beneficiaire_non_couvert': // MO
      return `${REGRET} En effet, le contrat d'assurance complémentaire du bénéficiaire des soins ne prévoit pas le remboursement des prestations facturées, dans le cadre du tiers-payant. Merci d'annuler les réclamations envers Almerys.`;
    case 'demande_duplicata': // MO
      return `${REGRET} En effet, nous ne disposons pas d'assez d'éléments pour vous apporter une réponse dans l'immédiat. Merci de bien vouloir nous faire parvenir le duplicata de la facture comportant les informations suivantes :${DUPLICATA_ITEMS.map((i) => ` - ${i}`).join('')}`;
    case 'destinataire_paiement_incertain': // MO
      return `${REGRET} En effet, en l'absence d'information sur la pratique du Tiers-Payant (case tiers payant complémentaire non cochée, part assurée précisée), nous vous demandons de nous indiquer la part RC attendue ou de réémettre la facture vers le patient et d'annuler les réclamations envers Almerys.`;
    case 'facture_assure': // MO
      return `${REGRET} En effet, la facture transmise est destinée à l'assuré. S'il s'agit d'une demande de remboursement dans le cadre du Tiers Payant, merci de nous faire parvenir une facture destinée à l'organisme complémentaire sur laquelle ne doit pas figurer de part assuré.`;
    case 'facture_plus_2_ans': // MO
      return 'Nous ne pouvons intervenir sur le règlement de ce dossier. Comme mentionné dans la convention que vous avez signée avec la Société Almerys, suivant l\'article 6.2, «les réclamations ne seront acceptées par les signataires que pour les prestations et les remboursements effectués depuis moins de deux ans». Nous vous invitons à vous mettre en relation avec votre patient.';
    case 'facture_deja_payee': // MO, with the DATE
      return `${REGRET} En effet, votre demande a déjà fait l'objet d'un règlement par Almerys en date du : ${datePhrase(finding.date)}`.trimEnd();
    case 'manque_detail': // MO, with the missing items
      return `${REGRET} En effet, certains éléments nécessaires au traitement de votre facture sont manquants. Merci de vérifier / compléter chacun des éléments suivants afin de nous permettre de réaliser le remboursement des prestations :${missingItems(finding.detail)}`;
    case 'parcours_soins': // MO
      return `${REGRET} En effet, les prestations ont été réalisées hors parcours de soins. Le Tiers Payant ne peut donc être appliqué. Merci d'annuler les réclamations envers Almerys.`;
    case 'acte_deja_paye': // MO's bordereau example
      return `${REGRET} En effet, tout ou partie des actes figurant sur la facture a fait l'objet d'un règlement en date du ${datePhrase(finding.date)} sur la facture n° ${finding.comment ?? ''}. Nous vous remercions de bien vouloir nous préciser : - s'il s'agit d'une erreur ou de deux factures différentes : dans ce cas, nous vous remercions de nous fournir les 2 factures pour justificatif. - S'il s'agit d'une demande de complément : dans ce cas, nous vous remercions de nous indiquer sur la facture la mention « complément de facture ».`.replace(/ {2,}/g, ' ');
    case 'erreur_contenu_facture':
      return `${REGRET} ${CONTENT_ERROR_REPLIES[finding.error ?? 'document_non_conforme']}`;
    case 'doublon_ps':
      return `${REGRET} En effet, les prestations figurant sur la facture ont déjà fait l'objet d'un règlement en date du ${datePhrase(finding.date)} à un autre professionnel de santé.`.replace(/ {2,}/g, ' ');
    case 'histo_client':
      return `${REGRET} En effet, les prestations figurant sur la facture ont déjà fait l'objet d'un règlement en date du ${datePhrase(finding.date)} par un autre organisme complémentaire.`.replace(/ {2,}/g, ' ');
    case 'droits_fermes':
      return finding.comment === 'Droits contractuels clos'
        ? `${REGRET} En effet, les droits contractuels du bénéficiaire des soins étaient clos à la date des soins. Nous vous invitons à vous mettre en relation avec votre patient.`
        : `${REGRET} En effet, les droits du bénéficiaire des soins n'étaient pas ouverts à la date des soins. Nous vous invitons à vous mettre en relation avec votre patient.`;
    case 'complement_facture':
      return 'Votre demande de complément de facture a bien été reçue. Elle est transmise à nos services pour traitement.';
    case 'document_non_exploitable':
      return `${REGRET} En effet, le document transmis n'est pas exploitable. Merci de nous faire parvenir une copie lisible de la facture.`;
    case 'incoherence_document_tache':
      return 'Votre réclamation est transmise à nos services pour vérification : le document reçu ne correspond pas à la demande enregistrée.';
    case 'manque_ps':
      return `${REGRET} En effet, le professionnel de santé n'a pas pu être identifié. Merci de nous indiquer votre numéro AM, ADELI ou FINESS sur la facture.`;
    case 'montant_different':
      return `${REGRET} En effet, le montant demandé ne correspond pas au montant calculé selon la tarification des actes facturés. Merci de nous faire parvenir une facture rectifiée.`;
    case 'part_rc_differente':
      return `${REGRET} En effet, la part RC demandée ne correspond pas à la part RC calculée selon les garanties du contrat du bénéficiaire des soins. Merci de nous faire parvenir une facture rectifiée.`;
    case 'a_controler':
      return 'Votre facture est en cours de contrôle par nos services. Une réponse vous sera apportée dans les meilleurs délais.';
    case 'manque_consigne':
      return 'Votre réclamation est transmise à nos services pour analyse complémentaire. Une réponse vous sera apportée dans les meilleurs délais.';
  }
}
