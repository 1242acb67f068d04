// What the console shows for the project's codes, in French. The analysis steps and the two sub-lists of the MO come
// from the API (GET /api/labels, read from rules/analyze.ts and rules/sublists.ts: never copied here), as the motifs do
// (GET /api/motifs, lib/store.js); api/console/console.test.ts checks the console shows what the API serves.

import { setNirPattern } from './format.js';

/** The analysis steps, in the spec's order (§4): `[{ code, title }]`, from GET /api/labels (setLabels). */
export const ANALYSIS_STEPS = [];

/** Trace lines after the steps. */
export const EXTRA_TRACE_STEPS = {
  Paid: { code: 'Paiement', title: 'Saisie aboutie' },
  Routing: { code: 'Orientation', title: 'Destinataire du retour' },
};

/** « MANQUE DETAIL – Détail manquant », in the MO's order: `[{ code, label }]`, from GET /api/labels. */
export const MISSING_DETAILS = [];

/** « ERREUR CONTENU FACTURE – Incohérence », in the MO's order: `[{ code, label }]`, from GET /api/labels. */
export const CONTENT_ERRORS = [];

/**
 * What the API is configured with, from GET /api/labels: the managers' SLA (TASK_SLA, `{ ms, text }`: « 48 h ») and
 * the Temporal namespace (links to the Temporal UI). Before login: the defaults.
 */
export const SETTINGS = { taskSla: { ms: 48 * 3600_000, text: '48 h' }, temporalNamespace: 'default' };

const DETAIL_LABELS = new Map();
const ERROR_LABELS = new Map();

/** Takes the labels GET /api/labels answers (once logged in; before, codes are shown as they are), the NIR pattern too. */
export function setLabels(labels) {
  setNirPattern(labels?.nirPattern);
  const list = (value) => (Array.isArray(value) ? value : []);
  ANALYSIS_STEPS.splice(0, ANALYSIS_STEPS.length, ...list(labels?.analysisSteps));
  MISSING_DETAILS.splice(0, MISSING_DETAILS.length, ...list(labels?.missingDetails));
  CONTENT_ERRORS.splice(0, CONTENT_ERRORS.length, ...list(labels?.contentErrors));
  if (labels?.taskSla && Number.isFinite(labels.taskSla.ms)) SETTINGS.taskSla = { ms: labels.taskSla.ms, text: String(labels.taskSla.text) };
  if (typeof labels?.temporalNamespace === 'string') SETTINGS.temporalNamespace = labels.temporalNamespace;
  DETAIL_LABELS.clear();
  for (const d of MISSING_DETAILS) DETAIL_LABELS.set(d.code, d.label);
  ERROR_LABELS.clear();
  for (const e of CONTENT_ERRORS) ERROR_LABELS.set(e.code, e.label);
}

export const missingDetailLabel = (code) => DETAIL_LABELS.get(code) ?? code;
export const contentErrorLabel = (code) => ERROR_LABELS.get(code) ?? code;

/** Tones (colours) are defined in styles.css: .tone-info, .tone-success, .tone-warning, .tone-danger… */
export const INVOICE_STATUSES = {
  analyzing: { label: 'en analyse', tone: 'info', icon: 'clock' },
  paid: { label: 'payée', tone: 'success', icon: 'check-circle' },
  awaiting_manager: { label: 'chez le gestionnaire', tone: 'warning', icon: 'user' },
  awaiting_reply: { label: 'réponse à envoyer', tone: 'purple', icon: 'send' },
  replied: { label: 'réponse envoyée', tone: 'teal', icon: 'mail' },
  closed: { label: 'clôturée', tone: 'neutral', icon: 'archive' },
};

export const TASK_STATUSES = {
  open: { label: 'Ouverte', tone: 'info', icon: 'inbox' },
  resolved: { label: 'Résolue', tone: 'success', icon: 'check-circle' },
};

/** Resolution actions (spec §5 « Human tasks »). */
export const ACTIONS = {
  pay: {
    label: 'Forcer le paiement', icon: 'euro', tone: 'success',
    help: 'La facture est saisie et payée malgré le motif.',
  },
  reply: {
    label: 'Répondre au PS avec un motif', icon: 'reply', tone: 'purple',
    help: 'La facture repart avec le motif choisi, orientée selon la table des motifs (e-mail au PS ou gestionnaire).',
  },
  reanalyze: {
    label: 'Réanalyser', icon: 'refresh', tone: 'info',
    help: 'Après correction des données de référence : l’analyse G0…G8 est rejouée.',
  },
  close: {
    label: 'Clôturer (traité chez Almerys)', icon: 'archive', tone: 'neutral',
    help: 'Le cas est traité dans les outils Almerys ; rien n’est envoyé au PS.',
  },
};

export const EVENT_KINDS = {
  created: { label: 'Tâche créée', icon: 'inbox', tone: 'info' },
  claimed: { label: 'Prise en charge', icon: 'user-plus', tone: 'info' },
  released: { label: 'Libérée', icon: 'user-minus', tone: 'neutral' },
  escalated: { label: 'Escaladée (délai dépassé)', icon: 'flag', tone: 'danger' },
  notice_failed: { label: 'Avis d’escalade non envoyé', icon: 'mail', tone: 'danger' },
  resolved: { label: 'Résolue', icon: 'check-circle', tone: 'success' },
};

export const TIMELINE_KINDS = {
  received: { icon: 'file', tone: 'info' },
  task: { icon: 'inbox', tone: 'warning' },
  email: { icon: 'mail', tone: 'teal' },
  status: { icon: 'info', tone: 'neutral' },
  analysed: { icon: 'flow', tone: 'neutral' },
  analyzed: { icon: 'flow', tone: 'neutral' },
  step: { icon: 'flow', tone: 'neutral' },
  decided: { icon: 'check', tone: 'purple' },
  task_created: { icon: 'inbox', tone: 'warning' },
  task_claimed: { icon: 'user-plus', tone: 'info' },
  task_released: { icon: 'user-minus', tone: 'neutral' },
  task_escalated: { icon: 'flag', tone: 'danger' },
  task_resolved: { icon: 'check-circle', tone: 'success' },
  email_sent: { icon: 'mail', tone: 'teal' },
  finished: { icon: 'check-circle', tone: 'success' },
  workflow_finished: { icon: 'check-circle', tone: 'success' },
};

export const ROLES = {
  submitter: 'Déposant',
  manager: 'Gestionnaire',
  auditor: 'Auditeur',
  admin: 'Administrateur',
};

export const ROUTES = {
  practitioner: { label: 'Réponse au PS par e-mail', icon: 'mail', tone: 'teal' },
  manager: { label: 'Gestionnaire Almerys', icon: 'user', tone: 'warning' },
};

export const OUTBOX_KINDS = {
  ps_reply: 'Réponse au PS',
  escalation: 'Escalade',
  webhook_disabled: 'Webhook désactivé',
};

export const OUTBOX_STATUSES = {
  pending: { label: 'en attente', tone: 'neutral' },
  sending: { label: 'en cours d’envoi', tone: 'info' },
  sent: { label: 'envoyé', tone: 'success' },
  failed: { label: 'refusé', tone: 'danger' },
};

/** Why the last attempt of an e-mail failed (outbox `errorKind`): who can fix it. */
export const MAIL_ERROR_KINDS = {
  address: { title: 'Adresse refusée par le prestataire d’envoi', tone: 'danger' },
  rejected: { title: 'E-mail refusé par le prestataire d’envoi', tone: 'danger' },
  invalid: { title: 'E-mail incomplet', tone: 'danger' },
  account: {
    title: 'Le prestataire refuse notre compte d’envoi',
    tone: 'warning',
    text: 'Clé API ou adresse d’expédition refusée : l’envoi est retenté automatiquement ; un administrateur doit corriger la configuration (RESEND_API_KEY, MAIL_FROM).',
  },
  transport: { title: 'Envoi momentanément impossible', tone: 'warning', text: 'Le prestataire n’a pas répondu : l’envoi est retenté automatiquement.' },
};

export const BATCH_STATUSES = {
  open: { label: 'ouvert (pages attendues)', tone: 'neutral' },
  running: { label: 'en cours', tone: 'info' },
  closed: { label: 'clôturé', tone: 'success' },
};

export const SPECIALTIES = {
  PHAR: 'Pharmacie', PH2: 'Pharmacie (PH2)', PH4: 'Pharmacie (PH4)', PH7: 'Pharmacie (PH7)', 'PH7/L': 'Pharmacie (PH7/L)',
  RAD: 'Radiologie', MS: 'Médecin spécialiste', MG: 'Médecin généraliste', MGS: 'Généraliste et spécialiste',
  MK: 'Masseur-kinésithérapeute', SDENT: 'Soins dentaires', BIO: 'Laboratoire', TRA: 'Transport', SE: 'Soins externes',
  AUX: 'Auxiliaires médicaux',
};

export const DOCUMENT_KINDS = {
  facture: 'Facture', recapitulatif: 'Récapitulatif', decompte_ro: 'Décompte RO', bordereau_virement: 'Bordereau de virement',
  rsi: 'Document RSI',
};

/**
 * What became of a row of an imported Trame SSTT (POST /api/trames: the `code` of `closed`, `refused` and `ignored`
 * rows). `outcome` is the row's result in the report; the reason itself is the API's (French) text.
 */
export const TRAME_OUTCOMES = {
  closed: { outcome: 'appliquée', tone: 'success', icon: 'check-circle' },
  claimed_by_other: { outcome: 'ignorée', why: 'prise par un collègue', tone: 'warning', icon: 'user' },
  already_treated: { outcome: 'ignorée', why: 'déjà traitée', tone: 'neutral', icon: 'archive' },
  needs_console_decision: { outcome: 'ignorée', why: 'décision dans la console', tone: 'danger', icon: 'alert' },
  close_failed: { outcome: 'ignorée', why: 'clôture en échec', tone: 'danger', icon: 'alert' },
  not_filled: { outcome: 'non remplie', why: 'laissée ouverte', tone: 'neutral', icon: 'minus-circle' },
};

/** The actions of db/audit.ts AUDIT_ACTIONS, in French (one not listed here is shown as its code). */
export const AUDIT_ACTION_LABELS = {
  'history.export.decoded': 'Historique exporté déchiffré',
  'history.export': 'Historique exporté (chiffré)',
  'timeline.read': 'Chronologie consultée',
  'invoice.read': 'Facture consultée',
  'codec.decode': 'Données déchiffrées (Temporal UI)',
  'codec.encode': 'Données chiffrées (Temporal UI)',
  'task.claim': 'Tâche prise',
  'task.release': 'Tâche relâchée',
  'task.resolve': 'Tâche résolue',
  'task.pay': 'Paiement forcé',
  'trame.import': 'Trame importée',
  'outbox.retry': 'E-mail renvoyé',
  'session.login': 'Connexion',
  'session.logout': 'Déconnexion',
  'key.create': 'Clé créée',
  'key.revoke': 'Clé révoquée',
  'archive.store': 'Historique archivé',
  'archive.purge': 'Archive purgée',
  'audit.export': 'Journal exporté',
  'backtest.run': 'Rejeu des règles (période)',
  'invoice.backtest': 'Rejeu des règles (facture)',
  'webhook.create': 'Webhook ajouté',
  'webhook.update': 'Webhook modifié',
  'webhook.delete': 'Webhook supprimé',
  'webhook.secret': 'Secret de webhook renouvelé',
};
