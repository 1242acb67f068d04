// A batch's progress: how many invoices are decided, paid, answered by e-mail, returned to a manager; the Trame;
// the GTO closure (« FIN OK »). Followed live while it runs.

import { api } from '../lib/api.js';
import { h, icon, clear, replace } from '../lib/dom.js';
import { formatDate, formatNumber, plural } from '../lib/format.js';
import { BATCH_STATUSES } from '../lib/labels.js';
import { canResolve, store } from '../lib/store.js';
import { alertBox, badge, card, downloadLink, invoiceStatusBadge, motifBadge, pageHeader } from '../lib/ui.js';

const POLL_MS = 3000;

export default async function batchPage(ctx) {
  const id = ctx.params.id;
  ctx.setTitle(`Lot ${id}`);
  const load = async () => {
    const [batch, invoices] = await Promise.all([
      api(`/api/batches/${encodeURIComponent(id)}`, { signal: ctx.signal }),
      api('/api/invoices', { query: { batchId: id, limit: 200 }, signal: ctx.signal }).catch(() => ({ items: [] })),
    ]);
    return { batch, invoices: invoices.items ?? [] };
  };
  let data = await load();
  const root = h('div', { class: 'page page-batch' });
  replace(ctx.main, root);
  const draw = () => replace(root, view(data));
  draw();

  let timer = null;
  const schedule = () => {
    if (data.batch.status === 'closed') return;
    timer = setTimeout(async () => {
      try {
        if (document.visibilityState === 'visible') {
          const next = await load();
          if (JSON.stringify(next) !== JSON.stringify(data)) { data = next; draw(); }
        }
      } catch (error) {
        if (error.name === 'AbortError') return;
      }
      schedule();
    }, POLL_MS);
  };
  schedule();
  ctx.onCleanup(() => clearTimeout(timer));
}

function view({ batch: b, invoices }) {
  const total = b.invoiceCount || 0;
  const decided = b.decided ?? 0;
  const pct = (n) => (total ? Math.round((n / total) * 1000) / 10 : 0);
  const st = BATCH_STATUSES[b.status] ?? { label: b.status, tone: 'neutral' };
  const analysing = Math.max(0, total - decided);
  const segments = [
    ['Payées', b.paid ?? 0, 'success'],
    ['Réponse au PS', b.routedToPractitioner ?? 0, 'teal'],
    ['Chez le gestionnaire', b.routedToManager ?? 0, 'warning'],
    ['En analyse', analysing, 'neutral'],
  ];
  return [
    pageHeader({
      back: { href: '/console/lots', label: 'Lots' },
      eyebrow: 'Lot (document multi factures)',
      title: h('span', { class: 'mono' }, b.id),
      badges: [badge(st.label, st.tone, { icon: b.status === 'closed' ? 'check-circle' : 'clock' }),
        b.gtoClosure ? badge(`GTO : ${b.gtoClosure}`, 'success', { icon: 'check' }) : badge('GTO : non clôturée', 'neutral', { icon: 'clock' })],
      meta: [h('span', null, plural(total, 'facture', 'factures'))],
      actions: [
        store.features.outbox ? h('a', { class: 'btn btn-secondary', href: `/console/emails?batchId=${encodeURIComponent(b.id)}` }, icon('mail'), 'E-mails du lot') : null,
        // The Trame once written; filled, it goes back through the Trame page.
        b.trame ? downloadLink(`/api/batches/${encodeURIComponent(b.id)}/trame.xlsx`, 'Télécharger la Trame') : null,
        b.trame && canResolve()
          ? h('a', { class: 'btn btn-secondary', href: `/console/trame?lot=${encodeURIComponent(b.id)}` }, icon('upload'), 'Importer la Trame remplie') : null,
      ],
    }),
    b.status === 'open' ? alertBox('info', 'Lot ouvert', `Des pages de factures sont attendues (POST /api/batches/${b.id}/invoices) ; le lot démarre quand il est fermé aux ajouts (POST /api/batches/${b.id}/close).`) : null,
    phaseProgress(b),
    (b.refusedRows ?? 0) > 0 ? alertBox('warning', `Adresse refusée pour ${plural(b.refusedPractitioners ?? 0, 'PS', 'PS')}`,
      `${plural(b.refusedRows, 'facture confiée', 'factures confiées')} aux gestionnaires : le prestataire d’envoi a refusé l’adresse du PS. Les autres PS ont reçu leur e-mail.`) : null,
    card('Avancement', [
      h('div', { class: 'batch-progress-head' },
        h('span', { class: 'big-number' }, `${formatNumber(pct(decided))} %`),
        h('span', null, `${formatNumber(decided)} sur ${formatNumber(total)} factures décidées`)),
      h('div', { class: 'meter', role: 'progressbar', 'aria-label': 'Factures décidées', 'aria-valuemin': '0', 'aria-valuemax': String(total), 'aria-valuenow': String(decided), 'aria-valuetext': `${decided} sur ${total}` },
        segments.filter(([, n]) => n > 0).map(([label, n, tone]) => h('span', { class: ['meter-seg', `seg-${tone}`], style: { width: `${pct(n)}%` }, title: `${label} : ${n}` }))),
      h('ul', { class: 'legend' }, segments.map(([label, n, tone]) => h('li', null, h('span', { class: ['legend-swatch', `seg-${tone}`], 'aria-hidden': 'true' }), `${label} `, h('strong', null, formatNumber(n))))),
    ], { icon: 'layers' }),
    h('div', { class: 'tiles' },
      tile('e-mails envoyés', `${formatNumber(b.emailed ?? 0)}`, 'teal', 'mail', `pour ${plural(b.routedToPractitioner ?? 0, 'facture', 'factures')} à répondre`),
      tile('retours gestionnaire', formatNumber(b.routedToManager ?? 0), 'warning', 'user', 'lignes de la Trame SSTT'),
      tile('Trame SSTT', b.trame ? plural(b.trame.rowCount, 'ligne', 'lignes') : 'pas encore', b.trame ? 'info' : 'neutral', 'file', b.trame ? b.trame.id : null),
      tile('clôture GTO', b.gtoClosure ?? 'en attente', b.gtoClosure ? 'success' : 'neutral', 'check-circle', null),
      (b.adopted ?? 0) > 0 ? tile('déjà reçues', formatNumber(b.adopted), 'info', 'inbox',
        `soumises seules avant le lot${b.emailedOnTheirOwn ? ` (${formatNumber(b.emailedOnTheirOwn)} déjà répondues)` : ''}`) : null),
    (b.conflicts ?? []).length ? card(`Factures écartées (${formatNumber(b.conflicts.length)})`, h('div', { class: 'table-scroll' }, h('table', { class: 'table table-compact' },
      h('caption', { class: 'visually-hidden' }, 'Factures du document laissées hors du lot'),
      h('thead', null, h('tr', null, ['Critère d’archivage', 'Raison', 'Champs différents'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, b.conflicts.map((c) => h('tr', null,
        h('td', null, h('a', { href: `/console/factures/${encodeURIComponent(c.archiveKey)}`, class: 'mono strong' }, c.archiveKey)),
        h('td', null, c.reason),
        h('td', { class: 'mono small' }, (c.fields ?? []).join(', ') || '—')))))), { icon: 'alert', flush: true }) : null,
    invoices.length ? card('Factures du lot', h('div', { class: 'table-scroll' }, h('table', { class: 'table table-compact' },
      h('thead', null, h('tr', null, ['Critère d’archivage', 'Statut', 'Motif', 'N° PS', 'Reçue le'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, invoices.map((inv) => h('tr', null,
        h('td', null, h('a', { href: `/console/factures/${encodeURIComponent(inv.id)}`, class: 'mono strong' }, inv.id)),
        h('td', null, invoiceStatusBadge(inv.status)),
        h('td', null, inv.motif ? motifBadge(inv.motif) : h('span', { class: 'muted' }, '—')),
        h('td', { class: 'mono' }, inv.practitionerNumber ?? '—'),
        h('td', null, formatDate(inv.receivedOn))))))), { icon: 'file', flush: true }) : null,
  ];
}

const PHASES = [
  ['analyzing', 'Analyse des factures', 'flow'],
  ['emailing', 'E-mails aux PS', 'mail'],
  ['writing_trame', 'Trame SSTT', 'file'],
  ['closed', 'Clôture GTO « FIN OK »', 'check-circle'],
];

/** The batch workflow's phases; `phase` comes from the workflow itself when it answers, else from the database. */
function phaseProgress(b) {
  const phase = b.phase ?? (b.status === 'closed' ? 'closed' : null);
  const index = phase === 'starting' || !phase ? 0 : PHASES.findIndex(([p]) => p === phase);
  return h('ol', { class: 'progress progress-info', 'aria-label': 'Étapes du lot' }, PHASES.map(([, label, iconName], i) => {
    const done = i < index || phase === 'closed';
    const state = done ? 'done' : i === index ? 'current' : 'todo';
    return h('li', { class: ['progress-step', `progress-${state}`], 'aria-current': state === 'current' ? 'step' : null },
      h('span', { class: 'progress-marker' }, icon(done ? 'check' : iconName)),
      h('span', { class: 'progress-label' }, label, h('span', { class: 'visually-hidden' }, done ? ' (fait)' : state === 'current' ? ' (en cours)' : ' (à venir)')));
  }));
}

function tile(label, value, tone, iconName, hint) {
  return h('div', { class: ['tile', `tile-${tone}`] }, h('span', { class: 'tile-icon' }, icon(iconName)),
    h('span', { class: 'tile-text' }, h('span', { class: 'tile-value' }, value), h('span', { class: 'tile-label' }, label),
      hint ? h('span', { class: 'tile-hint' }, hint) : null));
}
