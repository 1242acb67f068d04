// The e-mails' content, as pure functions: the reply to a PS (MO §4 « ENVOI DE LA REPONSE AU PS PAR MAIL », spec §7
// « PS e-mail ») and the escalation of an overdue manager task. Nothing here sends anything: the mailer does.

import type { OutgoingMail } from './mailer.js';
import { ALMERYS_BCC } from './config.js';

// ---- The MO's texts, verbatim ----

/** First line of the body (MO, the mail as pasted at the end of §4). */
export const PS_MAIL_INTRO = "Vous trouverez ci-joint le bordereau récapitulatif de l'analyse apportée par nos services.";

/** A paragraph, or a list of items (written `- item` in plain text). */
export type MailBlock = { paragraph: string } | { list: readonly string[] };

/**
 * MO §4, « Voici la trame du mail » — its first version, the one with the full postal address. Verbatim: the MO
 * forbids any change (« vous ne devrez en aucun cas la modifier sans notre accord »), so its typography stays as it is:
 * « Nº » (U+00BA) before the B2 number but « N° » (U+00B0) before INDIGO, and no full stop after « à l'autre » nor
 * after « salutations ».
 */
export const PS_MAIL_BODY: readonly MailBlock[] = [
  {
    paragraph:
      "Si la réponse à votre réclamation apportée par nos services préconise un retour de votre part, merci de le faire par mail à l'adresse service.azur@almerys.com, ou par courrier à l'adresse suivante :",
  },
  { paragraph: 'ALMERYS Service Prestations 46 rue du Ressort 63967 CLERMONT-FERRAND CEDEX 9' },
  { paragraph: "Merci d'apporter les modifications DIRECTEMENT sur votre facture." },
  {
    paragraph:
      'Nous vous rappelons que vous pouvez télétransmettre vos factures en FLUX B2 ou DRE au N\u00ba 985532001 ou en FLUX NOEMIE en cochant le TOP M.',
  },
  { paragraph: 'Par ailleurs, nous vous rappelons que vous pouvez consulter :' },
  {
    list: [
      "l'ouverture des droits de vos patients",
      "le détail des remboursements effectués en vous connectant à l'aide de vos identifiants et mot de passe.",
    ],
  },
  {
    paragraph:
      "Nous vous rappelons que la Société Almerys est une société offrant des services aux assureurs pour la gestion des contrats d'assurance complémentaire « santé ». Nos clients nous ont confié la gestion du tiers payant pour certains de leurs contrats ce qui explique que le périmètre de service peut être différent d'un assuré à l'autre",
  },
  { paragraph: 'Nous restons à votre disposition au N\u00b0 INDIGO 0 825 826 214 réservé aux professionnels de santé.' },
  { paragraph: "Dans l'attente de vous lire, veuillez agréer, Madame, Monsieur, l'assurance de nos sincères salutations" },
  { paragraph: 'Service Prestations Tiers-Payant' },
];

/** MO §4: « Rajouter impérativement le numéro du PS concerné dans l'objet après « Traitement de vos réclamations PS » ». */
export const PS_MAIL_SUBJECT_PREFIX = 'Traitement de vos réclamations PS';

export const BORDEREAU_TITLE = 'BORDEREAU RECAPITULATIF';
/** The bordereau's columns, as the MO's « Réponse au PS » table heads them. */
export const BORDEREAU_COLUMNS = [
  "CRITERE D'ARCHIVAGE (réservé à Almerys)",
  'N° PS AM-FINESS',
  'NUMERO DE SECURITE SOCIALE',
  'NUMERO DE LA FACTURE',
  'REPONSE A VOTRE RECLAMATION',
] as const;

/** MO §4: « N'envoyer que 10 lignes par PS maximum » — more rows go in further e-mails (spec §7). */
export const MAX_ROWS_PER_EMAIL = 10;

// ---- Helpers ----

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escaped, line breaks kept. */
function htmlText(value: string): string {
  return escapeHtml(value).replace(/\r?\n/g, '<br>');
}

function addresses(to: string | readonly string[]): string[] {
  const list = (typeof to === 'string' ? [to] : [...to]).map((a) => a.trim()).filter((a) => a !== '');
  if (list.length === 0) throw new Error('an e-mail needs at least one recipient');
  return list;
}

function page(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="fr">',
    '<head><meta charset="utf-8"><title>' + escapeHtml(title) + '</title></head>',
    '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #000;">',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function blocksToHtml(blocks: readonly MailBlock[]): string {
  return blocks
    .map((b) =>
      'paragraph' in b
        ? `<p>${htmlText(b.paragraph)}</p>`
        : `<ul>\n${b.list.map((item) => `<li>${htmlText(item)}</li>`).join('\n')}\n</ul>`,
    )
    .join('\n');
}

function blocksToText(blocks: readonly MailBlock[]): string {
  return blocks.map((b) => ('paragraph' in b ? b.paragraph : b.list.map((item) => `- ${item}`).join('\n'))).join('\n\n');
}

// ---- Reply to a PS ----

/** One row of the bordereau: one invoice of the PS that gets a reply. */
export interface BordereauRow {
  archiveKey: string;
  practitionerNumber: string;
  nir: string;
  /** The Trame's cell: the invoice number, else the end-of-care date reversed (`YYYYMMDD`), else `0`. */
  invoiceNumber: string;
  /** « Réponse à votre réclamation » (rules/replies.ts). */
  reply: string;
}

export interface PractitionerEmailsInput {
  practitionerNumber: string;
  /** The PS's address chosen in AGAPS (spec §5). */
  to: string | readonly string[];
  /** The rows in the order they are to be listed. */
  rows: readonly BordereauRow[];
  /**
   * The batch (GTO task) the rows come from: part of the e-mails' ids, so that it must be stable across retries.
   * For a claim outside any batch, pass another stable key (e.g. the critère d'archivage).
   */
  batchId: string;
  from: string;
}

function cell(value: string): string {
  // One row per line in plain text: line breaks and the column separator cannot occur inside a cell.
  return value.replace(/\s*\r?\n\s*/g, ' ').replace(/\|/g, '/');
}

function bordereauHtml(rows: readonly BordereauRow[]): string {
  const th = 'style="border: 1px solid #000; padding: 4px; background: #d9d9d9; text-align: center;"';
  const td = 'style="border: 1px solid #000; padding: 4px; vertical-align: top;"';
  const head = [
    `<tr><th colspan="${BORDEREAU_COLUMNS.length}" ${th}>${escapeHtml(BORDEREAU_TITLE)}</th></tr>`,
    `<tr>${BORDEREAU_COLUMNS.map((c) => `<th ${th}>${escapeHtml(c)}</th>`).join('')}</tr>`,
  ];
  const body = rows.map(
    (r) =>
      '<tr>' +
      [r.archiveKey, r.practitionerNumber, r.nir, r.invoiceNumber, r.reply]
        .map((v) => `<td ${td}>${htmlText(v)}</td>`)
        .join('') +
      '</tr>',
  );
  return [
    '<table style="border-collapse: collapse; border: 1px solid #000;">',
    '<thead>',
    ...head,
    '</thead>',
    '<tbody>',
    ...body,
    '</tbody>',
    '</table>',
  ].join('\n');
}

function bordereauText(rows: readonly BordereauRow[]): string {
  return [
    BORDEREAU_TITLE,
    '',
    BORDEREAU_COLUMNS.join(' | '),
    ...rows.map((r) => [r.archiveKey, r.practitionerNumber, r.nir, r.invoiceNumber, r.reply].map(cell).join(' | ')),
  ].join('\n');
}

/** `ps-reply:<batchId>:<N° PS>:<n>`, n from 1: the outbox id and the provider's idempotency key. */
export function practitionerEmailId(batchId: string, practitionerNumber: string, n: number): string {
  return `ps-reply:${batchId}:${practitionerNumber}:${n}`;
}

/**
 * The e-mails answering one PS for one batch: subject « Traitement de vos réclamations PS <N° PS> », the Almerys
 * address in Bcc (never Cc), the intro, the MO's text, then the bordereau at the bottom — at most 10 rows each.
 * No rows: no e-mail.
 */
export function composePractitionerEmails(input: PractitionerEmailsInput): OutgoingMail[] {
  const { practitionerNumber, rows, batchId, from } = input;
  if (!practitionerNumber) throw new Error('composePractitionerEmails: the N° PS is missing');
  if (!batchId) throw new Error('composePractitionerEmails: the batch id is missing');
  // A PS must never receive another PS's rows (they carry NIRs).
  const stranger = rows.find((r) => r.practitionerNumber !== practitionerNumber);
  if (stranger) {
    throw new Error(
      `composePractitionerEmails: row ${stranger.archiveKey} belongs to PS ${stranger.practitionerNumber}, not ${practitionerNumber}`,
    );
  }
  if (rows.length === 0) return [];
  const to = addresses(input.to);
  const subject = `${PS_MAIL_SUBJECT_PREFIX} ${practitionerNumber}`;

  const mails: OutgoingMail[] = [];
  for (let start = 0, n = 1; start < rows.length; start += MAX_ROWS_PER_EMAIL, n += 1) {
    const chunk = rows.slice(start, start + MAX_ROWS_PER_EMAIL);
    const html = page(
      subject,
      [`<p>${htmlText(PS_MAIL_INTRO)}</p>`, blocksToHtml(PS_MAIL_BODY), bordereauHtml(chunk)].join('\n'),
    );
    const text = [PS_MAIL_INTRO, blocksToText(PS_MAIL_BODY), bordereauText(chunk)].join('\n\n') + '\n';
    mails.push({
      id: practitionerEmailId(batchId, practitionerNumber, n),
      kind: 'ps_reply',
      from,
      to,
      bcc: [ALMERYS_BCC],
      subject,
      html,
      text,
      batchId,
      practitionerNumber,
      archiveKeys: chunk.map((r) => r.archiveKey),
    });
  }
  return mails;
}

// ---- Escalation of an overdue manager task ----

export interface EscalatedTask {
  id: string;
  archiveKey: string;
  motif: string;
  motifLabel: string;
  createdAt: string | Date;
  dueAt: string | Date;
  practitionerNumber?: string | null;
}

export interface EscalationEmailInput {
  task: EscalatedTask;
  to: string | readonly string[];
  from: string;
  /** The console's base URL (e.g. `https://tp-rejects.almerys.example`): adds a link to the task. */
  consoleUrl?: string | null;
}

const PARIS = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** `dd/mm/yyyy à HH:MM`, Paris time. */
export function formatParisDateTime(value: string | Date): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new Error(`not a date: ${String(value)}`);
  const parts = Object.fromEntries(PARIS.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} à ${parts.hour}:${parts.minute}`;
}

export function escalationEmailId(taskId: string): string {
  return `escalation:${taskId}`;
}

export function taskConsoleUrl(consoleUrl: string, taskId: string): string {
  return `${consoleUrl.replace(/\/+$/, '')}/console/tasks/${encodeURIComponent(taskId)}`;
}

/**
 * Tells the managers that a task is past its due date (spec §5: 99 % within 48 h). Names the task, its motif, the
 * critère d'archivage and the N° PS — never the beneficiary (no NIR, no name).
 */
export function composeEscalationEmail(input: EscalationEmailInput): OutgoingMail {
  const { task, from } = input;
  const to = addresses(input.to);
  const created = formatParisDateTime(task.createdAt);
  const due = formatParisDateTime(task.dueAt);
  const link = input.consoleUrl ? taskConsoleUrl(input.consoleUrl, task.id) : null;
  const subject = `Tâche en retard : ${task.motifLabel} (critère d'archivage ${task.archiveKey})`;

  const lines = [
    `La tâche ${task.id} n'a pas été traitée dans le délai : elle est en retard depuis le ${due}.`,
    `Motif de traitement : ${task.motifLabel}`,
    `Critère d'archivage : ${task.archiveKey}`,
    ...(task.practitionerNumber ? [`N° PS : ${task.practitionerNumber}`] : []),
    `Ouverte le : ${created}`,
  ];
  const text = [
    'Bonjour,',
    lines[0],
    lines.slice(1).join('\n'),
    ...(link ? [`Pour la traiter : ${link}`] : []),
    'Service Prestations Tiers-Payant',
  ].join('\n\n') + '\n';

  const html = page(
    subject,
    [
      '<p>Bonjour,</p>',
      `<p>${escapeHtml(lines[0])}</p>`,
      `<ul>\n${lines.slice(1).map((l) => `<li>${escapeHtml(l)}</li>`).join('\n')}\n</ul>`,
      ...(link ? [`<p><a href="${escapeHtml(link)}">Ouvrir la tâche ${escapeHtml(task.id)}</a></p>`] : []),
      '<p>Service Prestations Tiers-Payant</p>',
    ].join('\n'),
  );

  return {
    id: escalationEmailId(task.id),
    kind: 'escalation',
    from,
    to,
    bcc: [],
    subject,
    html,
    text,
    batchId: null,
    practitionerNumber: task.practitionerNumber ?? null,
    archiveKeys: [task.archiveKey],
  };
}

export interface WebhookDisabledEmailInput {
  endpoint: { id: string; url: string; reason: string; disabledAt: string };
  to: string | readonly string[];
  from: string;
  consoleUrl?: string;
}

/** Tells the admins that an endpoint kept failing and was disabled: what, why, where to enable it again. */
export function composeWebhookDisabledEmail(input: WebhookDisabledEmailInput): OutgoingMail {
  const { endpoint } = input;
  const link = input.consoleUrl ? `${input.consoleUrl.replace(/\/+$/, '')}/console/webhooks` : null;
  const subject = `Webhook désactivé : ${endpoint.url}`;
  const lines = [
    `Le point de réception ${endpoint.id} (${endpoint.url}) a été désactivé : ${endpoint.reason}.`,
    'Il ne reçoit plus d\'événements. Une fois le récepteur réparé, réactivez-le depuis la console (page « Webhooks ») ou par PATCH /api/webhooks/' + endpoint.id + ' {"enabled": true}.',
  ];
  const text = ['Bonjour,', ...lines, ...(link ? [`Pour le réactiver : ${link}`] : []), 'Service Prestations Tiers-Payant'].join('\n\n') + '\n';
  const html = page(subject, [
    '<p>Bonjour,</p>',
    ...lines.map((l) => `<p>${htmlText(l)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link)}">Ouvrir la page Webhooks</a></p>`] : []),
    '<p>Service Prestations Tiers-Payant</p>',
  ].join('\n'));
  return {
    // Once per disabling (the outbox id): enabled again and disabled later is another e-mail.
    id: `webhook-disabled:${endpoint.id}:${endpoint.disabledAt}`,
    kind: 'webhook_disabled', from: input.from, to: addresses(input.to), bcc: [], subject, html, text,
    batchId: null, practitionerNumber: null, archiveKeys: [],
  };
}
