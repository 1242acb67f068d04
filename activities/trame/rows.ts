// The Trame SSTT row model (spec §7; MO « Présentation du Tableau Excel Trame SSTT » and « Consignes de saisie pour
// le Tableau Excel Trame SSTT »): one row per invoice not paid, in the MO's column order. Pure: no exceljs here, so
// workflows' activities and the API can build and compare rows without loading the workbook library.

import { choosePractitionerEmail, invoiceNumberCell } from '../../rules/routing.js';
import { isBlank } from '../../rules/text.js';
import type {
  AnalysisResult, ContentErrorCode, Invoice, IsoDate, MissingDetailCode, MotifCode, Practitioner, PractitionerAddress, Route,
} from '../../rules/types.js';

export type { PractitionerAddress };

export interface TrameRow {
  /** OPERATEUR SSTT: who treated the invoice (here, the automated operator's name). */
  operator: string;
  /** SSTT – TRAITÉ LE. */
  treatedOn: IsoDate;
  /** GESTIONNAIRE ALMERYS: « réservé au Gestionnaire Almerys »; empty when written, filled by the manager. */
  manager: string | null;
  /** ALMERYS – TRAITÉ LE: « réservé au Gestionnaire Almerys ». */
  managerTreatedOn: IsoDate | null;
  /** CRITERE D'ARCHIVAGE: NUO, 10 digits. */
  archiveKey: string;
  /** N° PS: 9 digits, or '' when the invoice has none (G2 `manque_ps`). */
  practitionerNumber: string;
  /** NUMERO DE SECURITE SOCIALE: 13 characters without key, or '' when the invoice has none. */
  nir: string;
  /** NUMERO DE LA FACTURE: never empty (number, else end-of-care date reversed, else `0`). */
  invoiceNumber: string;
  /** REPONSE A VOTRE RECLAMATION: the reply text, for manager rows too (spec §8). */
  reply: string;
  motif: MotifCode;
  /** MANQUE DETAIL: the first missing item of `manque_detail` (the second is in the comment). */
  missingDetail: MissingDetailCode | null;
  /** DATE: payment date (Acte déjà payé, Facture déjà payée, Doublon PS PS, Histo Client). */
  date: IsoDate | null;
  /** ERREUR CONTENU FACTURE: the error of `erreur_contenu_facture`. */
  error: ContentErrorCode | null;
  /** MONTANT CALCULÉ (VALERYS), in euros. */
  calculatedAmount: number | null;
  /** PART RC CALCULÉE (VALERYS), in euros. */
  calculatedRc: number | null;
  /** COMMENTAIRES COMPLEMENTAIRES, lower case. */
  comment: string | null;
  /** RAISON SOCIALE DU PS (AGAPS), lower case; orange and mandatory when N° PS and invoice number are filled. */
  practitionerName: string | null;
  /** MAIL DU PS (AGAPS), lower case; orange and mandatory when N° PS and invoice number are filled. */
  practitionerEmail: string | null;
  // Fax…Commune: « réservé au Gestionnaire Almerys »; prefilled from AGAPS when it knows them.
  fax: string | null;
  streetNumber: string | null;
  streetNumberComplement: string | null;
  streetType: string | null;
  streetName: string | null;
  addressComplement: string | null;
  postalCode: string | null;
  city: string | null;
  /**
   * Where the case went (not a Trame column): `practitioner` rows are also written to the sheet « Réponse au PS »,
   * the bordereau the PS e-mail carries.
   */
  route: Route;
}


export type TramePractitioner = Practitioner & { address?: PractitionerAddress | null };

export interface TrameRowInput {
  invoice: Invoice;
  /** A rejected decision: a paid invoice has no Trame row (« hormis lors de saisies de factures abouties »). */
  decision: AnalysisResult;
  /** The PS in AGAPS, or null when unknown (or the invoice has no N° PS). */
  practitioner: TramePractitioner | null;
  calculatedAmount?: number | null;
  calculatedRc?: number | null;
  operator: string;
  treatedOn: IsoDate;
}

/** Free text the operator types: « saisir les informations en minuscules ». Blank → null. */
export function operatorText(value: string | null | undefined): string | null {
  return isBlank(value) ? null : value!.trim().toLowerCase();
}

/** Reference data copied as is (drop-down values, the reply and the manager's columns keep their case). */
function copied(value: string | null | undefined): string | null {
  return isBlank(value) ? null : value!.trim();
}

/** « saisir des critères d'archivage à 10 chiffres sans espace, […] des numéros PS à 9 chiffres sans espace ». */
function withoutSpaces(value: string | null | undefined): string {
  return (value ?? '').replace(/\s+/g, '');
}

function cents(value: number | null | undefined): number | null {
  return value == null || !Number.isFinite(value) ? null : Math.round(value * 100) / 100;
}

/**
 * Whether « Raison sociale » and « Mail du PS » are orange (mandatory): « si le n° PS et/ou le numéro de la facture ne
 * sont pas renseignés, alors les cellules « Raison sociale » et « Mail du PS » resteront grisées ». An invoice number
 * cell of `0` is the MO's last resort for « pas de numéro de facture »: not filled (as `rules/routing.ts` reads it).
 */
export function practitionerColumnsRequired(row: Pick<TrameRow, 'practitionerNumber' | 'invoiceNumber'>): boolean {
  return !isBlank(row.practitionerNumber) && !isBlank(row.invoiceNumber) && row.invoiceNumber.trim() !== '0';
}

/** The Trame row of a rejected invoice. Throws for a paid invoice: it has no row. */
export function trameRowFor(input: TrameRowInput): TrameRow {
  const { invoice, decision, practitioner } = input;
  if (decision.outcome !== 'rejected' || decision.motif == null) {
    throw new Error(`trameRowFor: invoice ${invoice.archiveKey} was paid; only invoices not paid have a Trame row`);
  }
  const motif = decision.motif;
  const base = {
    archiveKey: withoutSpaces(invoice.archiveKey),
    practitionerNumber: withoutSpaces(invoice.practitionerNumber),
    // NIRs are compared upper case (`2A`/`2B`), as db/ports.ts stores them.
    nir: withoutSpaces(invoice.beneficiary?.nir).toUpperCase(),
    invoiceNumber: invoiceNumberCell(invoice),
  };

  // Raison sociale and Mail du PS: « copier-coller ces informations via AGAPS lorsque la cellule est orange
  // obligatoirement ». Grey (left empty) when N° PS or invoice number is missing, or when AGAPS does not know the PS.
  // The mail is the address the routing chose (decision.email, set for a PS-routed case). For a manager-routed case
  // we apply the same AGAPS rule the routing applies (`choosePractitionerEmail`): the header « Identification Mail »
  // for a practitioner; for a centre de soins (`0` in third position) its « Retour PS » lines (the second of two or
  // more), else the header address — the MO's « Recherche et saisie des coordonnées du PS » is the procedure for
  // this very column.
  const required = practitionerColumnsRequired(base);
  const practitionerName = required && practitioner ? operatorText(practitioner.name) : null;
  const practitionerEmail = required
    ? operatorText(decision.email ?? (practitioner ? choosePractitionerEmail(practitioner).email : null))
    : null;

  const address = practitioner?.address ?? null;
  return {
    operator: input.operator.trim(),
    treatedOn: input.treatedOn,
    manager: null,
    managerTreatedOn: null,
    ...base,
    reply: decision.reply ?? '',
    motif,
    // MANQUE DETAIL: « liste déroulante dédiée au choix du motif de traitement « Manque détail » »: the first missing
    // item; the second one is already the decision's comment (spec §8). Demande duplicata (3+ items) leaves it empty.
    missingDetail: motif === 'manque_detail' ? (decision.detail[0] ?? null) : null,
    date: decision.date,
    error: motif === 'erreur_contenu_facture' ? decision.error : null,
    calculatedAmount: cents(input.calculatedAmount),
    calculatedRc: cents(input.calculatedRc),
    comment: operatorText(decision.comment),
    practitionerName,
    practitionerEmail,
    fax: copied(practitioner?.fax),
    streetNumber: copied(address?.streetNumber),
    streetNumberComplement: copied(address?.streetNumberComplement),
    streetType: copied(address?.streetType),
    streetName: copied(address?.streetName),
    addressComplement: copied(address?.complement),
    postalCode: copied(address?.postalCode),
    city: copied(address?.city),
    // A rejected decision always has a route; if one ever comes without, the manager is the safe side.
    route: decision.route ?? 'manager',
  };
}
