// The motifs de traitement (spec §5; labels: the MO's drop-down list « MOTIF DE TRAITEMENT »).
// One table: code, label, who receives the case, which Trame columns it fills, whether it waits.

import type { ContentErrorCode, MotifCode } from './types.js';

/**
 * Who the motif goes to, before the PS-specific overrides of `rules/routing.ts`:
 * - `practitioner` / `manager`: always;
 * - `practitioner_except_plusieurs_adeli`: Erreur contenu facture (« OUI (sauf si Présence de plusieurs n° Adeli) »);
 * - `practitioner_if_absent_from_agica`: Facture de + de 2 ans (« Si aucune trace de la facture dans AGICA »);
 * - `practitioner_if_date`: Facture déjà payée (« uniquement si la date de paiement est renseignée »);
 * - `practitioner_if_detail`: Manque détail (« uniquement si le détail manquant est renseigné »).
 */
export type RoutingRule =
  | 'practitioner'
  | 'manager'
  | 'practitioner_except_plusieurs_adeli'
  | 'practitioner_if_absent_from_agica'
  | 'practitioner_if_date'
  | 'practitioner_if_detail';

/** Trame SSTT columns a motif fills beyond the common ones. */
export type ExtraColumn = 'DATE' | 'COMMENTAIRES' | 'MANQUE DETAIL' | 'ERREUR CONTENU FACTURE';

export interface MotifDefinition<Code extends string = MotifCode> {
  code: Code;
  /** The label of the Trame drop-down and of the UI, verbatim. */
  label: string;
  routing: RoutingRule;
  extraColumns: ExtraColumn[];
  /** The workflow cannot finish without a manager's decision (spec §5: these two only). */
  waitsForDecision: boolean;
}

const motif = <Code extends string>(
  code: Code, label: string, routing: RoutingRule, extraColumns: ExtraColumn[] = [], waitsForDecision = false,
): MotifDefinition<Code> => ({ code, label, routing, extraColumns, waitsForDecision });

/** In the order of the MO's drop-down list. Their codes are the type MotifCode. */
export const MOTIFS = [
  motif('ro_100', '100% RO', 'practitioner'),
  motif('a_controler', 'A contrôler', 'manager', [], true),
  motif('acte_deja_paye', 'Acte déjà payé', 'manager', ['DATE', 'COMMENTAIRES']),
  motif('beneficiaire_inconnu', 'Bénéficiaire inconnu / indéterminable', 'practitioner'),
  motif('beneficiaire_non_couvert', 'Bénéficiaire non couvert par la garantie', 'practitioner'),
  motif('complement_facture', 'Complément de facture', 'manager'),
  motif('demande_duplicata', 'Demande duplicata', 'practitioner'),
  motif('destinataire_paiement_incertain', 'Destinataire de paiement incertain', 'practitioner'),
  motif('document_non_exploitable', 'Document non exploitable', 'manager'),
  motif('doublon_ps', 'Doublon PS PS', 'manager', ['DATE']),
  motif('droits_fermes', 'Droits fermés', 'manager', ['COMMENTAIRES']),
  motif('erreur_contenu_facture', 'Erreur contenu facture', 'practitioner_except_plusieurs_adeli', ['ERREUR CONTENU FACTURE']),
  motif('facture_assure', 'Facture Assuré', 'practitioner'),
  motif('facture_plus_2_ans', 'Facture de + de 2 ans', 'practitioner_if_absent_from_agica', ['COMMENTAIRES']),
  motif('facture_deja_payee', 'Facture déjà payée', 'practitioner_if_date', ['DATE']),
  motif('incoherence_document_tache', 'Incohérence document tâche', 'manager', ['COMMENTAIRES']),
  motif('histo_client', 'Histo Client', 'manager', ['DATE', 'COMMENTAIRES']),
  motif('manque_detail', 'Manque détail', 'practitioner_if_detail', ['MANQUE DETAIL', 'COMMENTAIRES']),
  motif('manque_ps', 'Manque PS ou PS inconnu', 'manager'),
  motif('montant_different', 'Montant demandé <> Montant calculé', 'manager'),
  motif('parcours_soins', 'Parcours de soins non respecté', 'practitioner'),
  motif('part_rc_differente', 'Part RC demandée <> Part RC calculée', 'manager'),
  motif('manque_consigne', 'Manque Consigne', 'manager', ['COMMENTAIRES'], true),
] as const;

const BY_CODE = new Map<string, MotifDefinition>(MOTIFS.map((m) => [m.code, m]));

export const MOTIF_CODES: readonly MotifCode[] = MOTIFS.map((m) => m.code);

export function isMotifCode(value: unknown): value is MotifCode {
  return typeof value === 'string' && BY_CODE.has(value);
}

export function motifDefinition(code: MotifCode): MotifDefinition {
  const def = BY_CODE.get(code);
  if (!def) throw new Error(`Unknown motif code: ${code}`);
  return def;
}

export function motifLabel(code: MotifCode): string {
  return motifDefinition(code).label;
}

/** The motif's own route, before the PS overrides (no e-mail, invoice number `0`). */
export function motifRoute(
  code: MotifCode,
  finding: { error?: ContentErrorCode | null; date?: string | null; detail?: readonly string[] },
  presentInAgica: boolean,
): 'practitioner' | 'manager' {
  switch (motifDefinition(code).routing) {
    case 'practitioner':
      return 'practitioner';
    case 'manager':
      return 'manager';
    case 'practitioner_except_plusieurs_adeli':
      return finding.error === 'plusieurs_adeli' ? 'manager' : 'practitioner';
    case 'practitioner_if_absent_from_agica':
      return presentInAgica ? 'manager' : 'practitioner';
    case 'practitioner_if_date':
      return finding.date ? 'practitioner' : 'manager';
    case 'practitioner_if_detail':
      return finding.detail && finding.detail.length > 0 ? 'practitioner' : 'manager';
  }
}
