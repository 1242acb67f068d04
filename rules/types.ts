// Data types of the analysis (spec §8: the case-file contract).
// Pure types: importable from workflows, activities, API and tests alike.

import type { Static } from '@sinclair/typebox';
import type { ActSchema, AttachedDocumentSchema, FlagsSchema, InvoiceSchema } from './schema.js';
import type { MOTIFS } from './motifs.js';

/** ISO calendar date `YYYY-MM-DD`. */
export type IsoDate = string;

export const DOCUMENT_KINDS = ['facture', 'decompte_ro', 'bordereau_virement', 'rsi'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export const ATTACHED_DOCUMENT_KINDS = ['facture', 'recapitulatif', 'decompte_ro', 'bordereau_virement', 'rsi'] as const;
export type AttachedDocumentKind = (typeof ATTACHED_DOCUMENT_KINDS)[number];

/** Specialty columns of a TP card (spec §3). */
export const SPECIALTIES = [
  'PHAR', 'PH2', 'PH4', 'PH7', 'PH7/L', 'RAD', 'MS', 'MG', 'MGS', 'MK', 'SDENT', 'BIO', 'TRA', 'SE', 'AUX',
] as const;
export type Specialty = (typeof SPECIALTIES)[number];

// The invoice's shapes are its schema's (rules/schema.ts InvoiceSchema): one definition, the API's validation and
// these types alike. `import type` only: nothing of the validator is loaded where these types are used.
export type InvoiceFlags = Static<typeof FlagsSchema>;
export type InvoiceBeneficiary = NonNullable<Invoice['beneficiary']>;
export type Act = Static<typeof ActSchema>;
export type AttachedDocument = Static<typeof AttachedDocumentSchema>;
/**
 * The invoice as received (any field but `archiveKey`, the critère d'archivage, may be missing: G3 counts what is).
 * N° PS: AM/ADELI, or FINESS for a centre de soins (`0` in third position), 9 digits. `taskMismatch`: what differs
 * from the GTO task when `flags.matchesTask` is false (G0 comment).
 */
export type Invoice = Static<typeof InvoiceSchema>;

// ---- Reference data (Almerys' systems, behind ports) ----

/** A PS's postal address in AGAPS, split as the Trame's manager columns split it. */
export interface PractitionerAddress {
  streetNumber?: string | null;
  streetNumberComplement?: string | null;
  streetType?: string | null;
  streetName?: string | null;
  complement?: string | null;
  postalCode?: string | null;
  city?: string | null;
}

/** AGAPS: the PS directory. */
export interface Practitioner {
  number: string;
  name?: string | null;
  /** « Identification Mail » of the header page. */
  headerEmail?: string | null;
  /** A centre's « Retour PS » function addresses, in order. */
  returnEmails?: string[] | null;
  fax?: string | null;
}

export type RestitutionReason = string;

/** PROTIPS: a third-party-payment card. */
export interface Card {
  insurer: string;
  contract?: string | null;
  start: IsoDate;
  end?: IsoDate | null;
  restitutedOn?: IsoDate | null;
  restitutionReason?: RestitutionReason | null;
  /** One column per covered specialty, with its rate in percent. */
  columns: Partial<Record<string, number>>;
}

export interface Period {
  start: IsoDate;
  end?: IsoDate | null;
}

/** PROTIPS: a beneficiary with cards and contractual-rights periods. */
export interface Beneficiary {
  nir: string;
  lastName: string;
  firstName: string;
  birthDate?: IsoDate | null;
  birthRank?: number | null;
  insurer?: string | null;
  cards?: Card[] | null;
  contractRights?: Period[] | null;
}

export const AGICA_STATES = ['liquidee', 'liquidee_nul', 'rejetee'] as const;
export type AgicaState = (typeof AGICA_STATES)[number];

/** AGICA: the state of an invoice. */
export interface AgicaRecord {
  invoiceNumber: string;
  practitionerNumber?: string | null;
  nir: string;
  state: AgicaState | string;
  date?: IsoDate | null;
  rejectReason?: string | null;
  paidInvoiceNumber?: string | null;
}

/** VALERYS: a payment in the ledger. */
export interface Payment {
  invoiceNumber?: string | null;
  practitionerNumber?: string | null;
  nir: string;
  insurer: string;
  paidOn?: IsoDate | null;
  acts: { code: string; date: IsoDate }[];
}

/** VALERYS: an act of the catalogue. */
export interface CatalogueEntry {
  code: string;
  unitPrice: number;
  majoration?: boolean | null;
}

/** VALERYS: an insurer's control threshold on the part RC. */
export interface Insurer {
  name: string;
  controlThreshold?: number | null;
}

export interface ReferenceData {
  practitioners?: Practitioner[];
  beneficiaries?: Beneficiary[];
  agica?: AgicaRecord[];
  payments?: Payment[];
  catalogue?: CatalogueEntry[];
  insurers?: Insurer[];
}

/** One case file (spec §8). */
export interface CaseFile {
  receivedOn: IsoDate;
  invoice: Invoice;
  reference?: ReferenceData;
}

// ---- Results ----

/** The code of a motif de traitement: one of the table of rules/motifs.ts. */
export type MotifCode = (typeof MOTIFS)[number]['code'];

export type MissingDetailCode =
  | 'acte_majore_seul' | 'beneficiaire' | 'date_facture' | 'detail_actes' | 'part_rc' | 'montant_total'
  | 'numero_facture';

export type ContentErrorCode =
  | 'acte_mau_sans_ami' | 'code_acte_inconnu' | 'codes_actes_differents' | 'date_facture_anterieure'
  | 'document_non_conforme' | 'incoherence_dates_recapitulatif' | 'incoherence_identite_nir'
  | 'incoherence_naissance' | 'prix_unitaire_non_conforme' | 'montants_differents' | 'plusieurs_adeli'
  | 'soins_a_cheval';

export type StepCode = 'G0' | 'G1' | 'G2' | 'G3' | 'G4' | 'G5' | 'G6' | 'G7' | 'G8';

/** What a step found: the motif and its Trame columns. */
export interface Finding {
  motif: MotifCode;
  detail?: MissingDetailCode[];
  error?: ContentErrorCode | null;
  date?: IsoDate | null;
  comment?: string | null;
  /** Entered only to dematerialise it (G6). */
  dematerialise?: boolean;
}

/** One line of the analysis trace: which step, which facts it used, what it found. */
export interface TraceLine {
  step: StepCode | 'Paid' | 'Routing';
  check: string;
  /** Human-readable, French: what the step looked at. */
  facts: string[];
  /** `continue`, or the motif code it fired. */
  result: string;
}

export type Route = 'practitioner' | 'manager';

/** The result of `npm run analyze` (spec §8). */
export interface AnalysisResult {
  outcome: 'paid' | 'rejected';
  motif: MotifCode | null;
  detail: MissingDetailCode[];
  error: ContentErrorCode | null;
  date: IsoDate | null;
  comment: string | null;
  route: Route | null;
  email: string | null;
  humanTask: boolean;
  waitsForDecision: boolean;
  dematerialise: boolean;
  reply: string | null;
  trace: TraceLine[];
  /**
   * The version of `rules/` that took this decision (`<package version>+<content hash>`, activities/rules-version.ts),
   * set by the activity that ran the rules. Absent on decisions recorded before versions were, and on a decision the
   * workflow had to take alone (an analysis activity that could not run at all).
   */
  rulesVersion?: string;
}
