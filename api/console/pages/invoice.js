// An invoice: where it stands (a four-stage progress), its timeline (received, analysed step by step, decided,
// task created/claimed/resolved, e-mail sent, finished), the decision, its tasks and the analysis trace.
// While the invoice is not finished, the page follows it (every few seconds while the tab is visible).
// The decision names the version of the rules that took it; managers and auditors may replay the claim with today's
// rules (GET /api/invoices/:id/backtest): the recorded trace and today's side by side (`?rejeu=1` opens it, the link
// the back-test page gives for a moved claim).

import { api } from '../lib/api.js';
import { h, icon, clear, replace } from '../lib/dom.js';
import { formatAmount, formatDate, formatDateTimeSeconds, formatRelative } from '../lib/format.js';
import { ACTIONS, ANALYSIS_STEPS, INVOICE_STATUSES, SETTINGS, TIMELINE_KINDS, TASK_STATUSES, contentErrorLabel, missingDetailLabel } from '../lib/labels.js';
import { motifLabel, store } from '../lib/store.js';
import {
  alertBox, badge, card, emptyState, invoiceStatusBadge, keyValues, loading, motifBadge, overdueBadge, pageHeader, person, routeBadge,
  outcomeBadge, rulesVersionTag, shortVersion, stepName, taskStatusBadge, timeEl, traceComparison, traceView,
} from '../lib/ui.js';

const FINAL = new Set(['paid', 'replied', 'closed']);
/** Who may export a history (encrypted or decoded) and open the Temporal UI: api/routes/invoices.ts, temporal-ui.ts. */
const HISTORY_READERS = new Set(['manager', 'auditor', 'admin']);
const POLL_MS = 2500;

export default async function invoicePage(ctx) {
  const id = ctx.params.id;
  ctx.setTitle(`Facture ${id}`);
  const path = `/api/invoices/${encodeURIComponent(id)}`;

  async function fetchAll() {
    const [invoice, timeline, tasks] = await Promise.all([
      api(path, { signal: ctx.signal }),
      api(`${path}/timeline`, { signal: ctx.signal }).catch((e) => (e.status === 404 || e.status === 501 ? null : Promise.reject(e))),
      relatedTasks(id, ctx.signal),
    ]);
    return { invoice, timeline, tasks };
  }

  let data = await fetchAll();
  // GET /api/invoices/:id carries the decision, not the claim itself: a task of the invoice has it (read once).
  let claim = data.invoice.invoice ?? null;
  if (!claim && data.tasks?.length) {
    claim = await api(`/api/tasks/${encodeURIComponent(data.tasks[0].id)}`, { signal: ctx.signal }).then((t) => t.invoice ?? null, () => null);
  }
  const root = h('div', { class: 'page page-invoice' });
  // The replay with today's rules: asked with « Rejouer » or `?rejeu=1`, kept across redraws.
  let replay = null; // { loading } | { data } | { error }
  replace(ctx.main, root);
  draw();
  if (ctx.query.get('rejeu') === '1' && HISTORY_READERS.has(store.session?.role) && data.invoice.decision) runReplay();

  async function runReplay() {
    replay = { loading: true };
    draw();
    try {
      replay = { data: await api(`${path}/backtest`, { signal: ctx.signal }) };
    } catch (error) {
      if (error.name === 'AbortError') return;
      replay = { error };
    }
    draw();
    if (ctx.query.get('rejeu') !== '1') history.replaceState(history.state, '', `${location.pathname}?rejeu=1`);
    document.getElementById('replay')?.scrollIntoView({ block: 'start' });
  }

  function draw() {
    const focused = document.activeElement?.id;
    replace(root, view(data));
    if (focused) document.getElementById(focused)?.focus({ preventScroll: true });
  }

  // Every few seconds at first (a decision or a resolution is on its way), then calmer for a page left open.
  const opened = Date.now();
  let timer = null;
  const schedule = () => {
    if (FINAL.has(data.invoice.status)) return;
    timer = setTimeout(async () => {
      if (document.visibilityState === 'visible') {
        try {
          const next = await fetchAll();
          const changed = JSON.stringify(next) !== JSON.stringify(data);
          data = next;
          if (changed) draw();
        } catch (error) {
          if (error.name === 'AbortError') return;
        }
      }
      schedule();
    }, Date.now() - opened < 120_000 ? POLL_MS : 15_000);
  };
  schedule();
  ctx.onCleanup(() => clearTimeout(timer));

  function view({ invoice: inv, timeline, tasks }) {
    const d = inv.decision ?? null;
    const following = !FINAL.has(inv.status);
    return [
      pageHeader({
        back: { href: '/console/factures', label: 'Recherche de factures' },
        eyebrow: 'Facture',
        title: h('span', null, 'Critère ', h('span', { class: 'mono' }, inv.id)),
        badges: [h('span', { id: 'invoice-status', class: 'status-holder', dataset: { status: inv.status } }, invoiceStatusBadge(inv.status))],
        meta: [
          inv.receivedOn ? h('span', null, `Reçue le ${formatDate(inv.receivedOn)}`) : null,
          inv.practitionerNumber ? h('span', null, 'N° PS ', h('span', { class: 'mono' }, inv.practitionerNumber)) : null,
          inv.batchId ? h('span', null, 'Lot ', store.features.batches
            ? h('a', { href: `/console/lots/${encodeURIComponent(inv.batchId)}`, class: 'mono' }, inv.batchId)
            : h('span', { class: 'mono' }, inv.batchId)) : null,
          h('span', { class: 'mono muted small' }, inv.workflowId),
        ],
        actions: [following ? h('span', { class: 'live' }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), 'Suivi en direct') : null,
          ...historyActions(inv)],
      }),
      progress(inv),
      h('div', { class: 'invoice-grid' },
        h('div', { class: 'invoice-main' },
          card('Chronologie', timeline ? timelineView(timeline) : h('p', { class: 'muted' }, 'La chronologie n’est pas disponible.'), { id: 'timeline', icon: 'clock' }),
          replayCard(),
          card('Analyse de la facture', traceView(inv.trace ?? d?.trace ?? [], { analysing: inv.status === 'analyzing', summary: true }), { id: 'trace', icon: 'flow' })),
        h('div', { class: 'invoice-side' },
          decisionCard(inv, d),
          outputsCard(inv),
          tasksCard(tasks),
          claim ? invoiceFacts(claim) : null)),
    ];
  }

  /**
   * For those who may read histories (GET /api/invoices/:id/history: managers, auditors, admins): the workflow's
   * history as downloads, encrypted as stored or decrypted (both audited by the API), and the workflow in the
   * Temporal UI (served under /temporal/ for the same roles).
   */
  function historyActions(inv) {
    if (!HISTORY_READERS.has(store.session?.role)) return [];
    const history = `${path}/history`;
    return [
      h('a', { class: 'btn btn-secondary btn-small', href: history, download: `${inv.workflowId}.json`, id: 'export-history' },
        icon('file'), 'Exporter l’historique'),
      h('a', { class: 'btn btn-secondary btn-small', href: `${history}?decoded=true`, download: `${inv.workflowId}.decoded.json`, id: 'export-history-decoded',
        title: 'Données personnelles en clair : cet export est enregistré dans le journal des accès' }, icon('eye'), 'Exporter l’historique déchiffré'),
      h('a', { class: 'btn btn-secondary btn-small', id: 'open-temporal', target: '_blank', rel: 'noopener',
        href: `/temporal/namespaces/${encodeURIComponent(SETTINGS.temporalNamespace)}/workflows/${encodeURIComponent(inv.workflowId)}` },
      icon('flow'), 'Ouvrir dans Temporal'),
    ];
  }

  function progress(inv) {
    const s = inv.status;
    const route = inv.decision?.route ?? inv.route;
    const decidedLabel = s === 'awaiting_manager' ? 'Chez le gestionnaire' : s === 'awaiting_reply' ? 'Réponse à envoyer'
      : route === 'manager' ? 'Gestionnaire' : route === 'practitioner' ? 'Réponse au PS' : s === 'paid' ? 'Saisie' : 'Décision';
    const finalLabel = { paid: 'Payée', replied: 'Réponse envoyée', closed: 'Clôturée' }[s] ?? 'Terminée';
    const stage = s === 'analyzing' ? 1 : FINAL.has(s) ? 4 : 2;
    const steps = [['Reçue', 'file'], ['Analyse G0–G8', 'flow'], [decidedLabel, 'user'], [finalLabel, 'check-circle']];
    const tone = INVOICE_STATUSES[s]?.tone ?? 'info';
    return h('ol', { class: ['progress', `progress-${tone}`], 'aria-label': 'Avancement du traitement' }, steps.map(([label, iconName], i) => {
      const state = i < stage || (i === 3 && stage === 4) ? 'done' : i === stage ? 'current' : 'todo';
      return h('li', { class: ['progress-step', `progress-${state}`], 'aria-current': state === 'current' ? 'step' : null },
        h('span', { class: 'progress-marker' }, icon(state === 'done' ? 'check' : iconName)),
        h('span', { class: 'progress-label' }, label, h('span', { class: 'visually-hidden' }, state === 'done' ? ' (fait)' : state === 'current' ? ' (en cours)' : ' (à venir)')));
    }));
  }

  function decisionCard(inv, d) {
    if (!d) {
      return card('Décision', inv.status === 'analyzing' ? emptyState('Analyse en cours', 'Les étapes G0 à G8 s’exécutent.', 'clock') : h('p', { class: 'muted' }, '—'), { icon: 'alert' });
    }
    const paid = d.outcome === 'paid';
    const canReplay = HISTORY_READERS.has(store.session?.role);
    return card('Décision de l’analyse', [
      h('div', { class: 'decision-motif' }, paid ? badge('Payée sans motif', 'success', { icon: 'euro' }) : motifBadge(d.motif, { large: true }), d.route ? routeBadge(d.route) : null),
      h('div', { class: 'decision-version' }, rulesVersionTag(inv.rulesVersion ?? d.rulesVersion, { showMissing: true }),
        canReplay && !replay ? h('button', { type: 'button', class: 'btn btn-small btn-secondary', id: 'replay-button', onclick: runReplay },
          icon('refresh'), 'Rejouer avec les règles actuelles') : null),
      keyValues([
        d.detail?.length ? ['Détail manquant', h('ul', { class: 'plain-list' }, d.detail.map((c) => h('li', null, missingDetailLabel(c))))] : null,
        d.error ? ['Incohérence', contentErrorLabel(d.error)] : null,
        d.date ? ['Date', formatDate(d.date)] : null,
        d.comment ? ['Commentaire', d.comment] : null,
        d.email ? ['E-mail du PS', d.email] : null,
      ]),
      // The reply text goes to the PS only when the invoice is routed to the PS (a manager's task shows its own preview).
      d.reply && d.route === 'practitioner'
        ? h('figure', { class: 'reply-preview' }, h('figcaption', null, icon('mail'), 'Réponse à votre réclamation'), h('blockquote', null, d.reply))
        : null,
    ], { id: 'decision', icon: 'alert', class: 'card-decision' });
  }

  /** The claim replayed with today's rules: recorded and new outcome, the step that changed, both traces. */
  function replayCard() {
    if (!replay) return null;
    const options = { id: 'replay', icon: 'refresh', class: 'card-replay' };
    if (replay.loading) return card('Rejeu avec les règles actuelles', loading('Rejeu de l’analyse…'), options);
    if (replay.error) return card('Rejeu avec les règles actuelles', alertBox('danger', 'Le rejeu a échoué', replay.error.message), options);
    const r = replay.data;
    const recorded = r.recordedVersion ? `règles ${shortVersion(r.recordedVersion)}` : 'version inconnue';
    return card('Rejeu avec les règles actuelles', [
      h('div', { class: 'replay-summary', dataset: { moved: String(r.moved) } },
        outcomeBadge(r.from), h('span', { class: 'replay-arrow', 'aria-label': 'devient' }, '→'), outcomeBadge(r.to),
        r.moved ? badge('Décision différente', 'warning', { icon: 'alert' }) : badge('Même décision', 'success', { icon: 'check' })),
      r.changed ? h('p', { class: 'help' }, 'Première étape qui change : ', h('strong', null, stepName(r.changed.step)), '.') : null,
      h('p', { class: 'help' }, r.facts === 'recorded'
        ? 'Rejouée sur les données de référence lues lors de la décision.'
        : 'Aucune donnée de référence enregistrée avec cette décision : rejouée sur les données d’aujourd’hui.'),
      traceComparison({
        before: r.before, after: r.after, changed: r.changed, id: 'replay-traces',
        beforeTitle: h('span', { title: r.recordedVersion ?? '' }, `Décision enregistrée (${recorded})`),
        afterTitle: h('span', { title: r.rulesVersion }, `Règles actuelles (${shortVersion(r.rulesVersion)})`),
      }),
    ], options);
  }

  /** What went out for this invoice: the e-mail to the PS, the Trame SSTT row. */
  function outputsCard(inv) {
    if (!inv.email && !inv.trame) return null;
    return card('Envois', keyValues([
      inv.email ? ['E-mail au PS', h('span', { class: 'output-line' },
        inv.email.sentAt ? ['envoyé ', timeEl(inv.email.sentAt)] : 'en attente d’envoi',
        inv.email.to ? h('span', { class: 'muted' }, ` à ${inv.email.to}`) : null,
        store.features.outbox ? h('a', { href: `/console/emails/${encodeURIComponent(inv.email.id)}`, class: 'btn btn-small btn-secondary' }, icon('mail'), 'Voir l’e-mail') : null)] : null,
      inv.trame ? ['Trame SSTT', h('span', { class: 'output-line' },
        h('span', { class: 'mono small' }, inv.trame.id),
        inv.trame.batchId ? h('a', {
          href: `/api/batches/${encodeURIComponent(inv.trame.batchId)}/trame.xlsx`, download: '', class: 'btn btn-small btn-secondary',
        }, icon('file'), 'Télécharger (.xlsx)') : null)] : null,
    ]), { id: 'outputs', icon: 'send' });
  }

  function tasksCard(tasks) {
    if (!tasks) return null;
    return card('Tâches gestionnaire', tasks.length
      ? h('ul', { class: 'task-list' }, tasks.map((t) => h('li', { class: 'task-item' },
        h('div', { class: 'task-item-head' },
          h('a', { href: `/console/taches/${encodeURIComponent(t.id)}`, class: 'mono strong' }, t.id),
          taskStatusBadge(t), overdueBadge(t)),
        h('div', { class: 'task-item-body' }, motifBadge(t.motif),
          t.status === 'resolved' && t.resolution
            ? h('span', null, ACTIONS[t.resolution.action]?.label ?? t.resolution.action, ' · ', person(t.resolvedBy))
            : h('span', null, person(t.assignee))))))
      : h('p', { class: 'muted' }, 'Aucune tâche pour cette facture.'),
    { id: 'tasks', icon: 'inbox' });
  }

  function invoiceFacts(invoice) {
    const b = invoice.beneficiary ?? {};
    return card('Facture reçue', keyValues([
      ['N° de facture', invoice.invoiceNumber ? h('span', { class: 'mono' }, invoice.invoiceNumber) : null],
      ['Date', invoice.invoiceDate ? formatDate(invoice.invoiceDate) : null],
      ['Bénéficiaire', [b.lastName, b.firstName].filter(Boolean).join(' ') || null],
      ['NIR', b.nir ? h('span', { class: 'mono nir' }, b.nir) : null],
      ['Montant total', invoice.totalAmount !== undefined && invoice.totalAmount !== null ? formatAmount(invoice.totalAmount) : null],
      ['Part RC demandée', invoice.requestedRc !== undefined && invoice.requestedRc !== null ? formatAmount(invoice.requestedRc) : null],
    ]), { id: 'claim', icon: 'file' });
  }
}

async function relatedTasks(archiveKey, signal) {
  try {
    const [open, resolved] = await Promise.all(['open', 'resolved'].map((status) =>
      api('/api/tasks', { query: { status, q: archiveKey, limit: 20 }, signal })));
    return [...open.items, ...resolved.items].filter((t) => t.archiveKey === archiveKey)
      .sort((a, b) => new Date(a.createdAt) - new Date(b.createdAt));
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    return null; // no tasks API (or not for this role): the card is left out
  }
}

const DETAIL_KEYS = {
  step: 'Étape', result: 'Résultat', motif: 'Motif', route: 'Orientation', actor: 'Par', by: 'Par', action: 'Décision', comment: 'Commentaire',
  status: 'Statut', taskId: 'Tâche', emailId: 'E-mail', to: 'Destinataire', subject: 'Objet', nextTaskId: 'Nouvelle tâche', check: null,
  dueInMs: null, slaMs: null,
};

function detailValue(key, value) {
  if (key === 'motif') return motifLabel(value);
  if (key === 'action') return ACTIONS[value]?.label ?? value;
  if (key === 'status') return INVOICE_STATUSES[value]?.label ?? TASK_STATUSES[value]?.label ?? value;
  if (key === 'route') return value === 'manager' ? 'gestionnaire' : value === 'practitioner' ? 'PS' : value;
  if (key === 'taskId' || key === 'nextTaskId') return h('a', { href: `/console/taches/${encodeURIComponent(value)}` }, value);
  if (key === 'emailId' && store.features.outbox) return h('a', { href: `/console/emails/${encodeURIComponent(value)}` }, value);
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

function timelineDetails(details) {
  if (details === null || details === undefined || details === '') return null;
  if (typeof details === 'string') return h('p', { class: 'tl-details' }, details);
  if (Array.isArray(details)) return h('ul', { class: 'tl-facts' }, details.map((x) => h('li', null, typeof x === 'string' ? x : JSON.stringify(x))));
  const parts = [];
  let facts = null;
  for (const [key, value] of Object.entries(details)) {
    if (value === null || value === undefined || value === '' || DETAIL_KEYS[key] === null) continue;
    if (key === 'facts' && Array.isArray(value)) { facts = value; continue; }
    if (typeof value === 'object' && !Array.isArray(value)) continue;
    parts.push(h('span', { class: 'tl-kv' }, h('span', { class: 'muted' }, `${DETAIL_KEYS[key] ?? key} : `), detailValue(key, value)));
  }
  return [parts.length ? h('p', { class: 'tl-details' }, parts) : null,
    facts?.length ? h('ul', { class: 'tl-facts' }, facts.map((f) => h('li', null, f))) : null];
}

/** Icon and tone of a task entry, from its label (the API gives one kind, `task`, for every task event). */
function taskKind(label) {
  const l = String(label ?? '').toLowerCase();
  if (l.includes('résolue')) return { icon: 'check-circle', tone: 'success' };
  if (l.includes('prise en charge')) return { icon: 'user-plus', tone: 'info' };
  if (l.includes('libérée')) return { icon: 'user-minus', tone: 'neutral' };
  if (l.includes('escalade') || l.includes('retard')) return { icon: 'flag', tone: 'danger' };
  return { icon: 'inbox', tone: 'warning' };
}

/** Consecutive analysis steps become one entry: a row of G0…G8 pills (the trace card has the details). */
function groupSteps(list) {
  const out = [];
  for (const item of list) {
    const last = out[out.length - 1];
    if (item.kind === 'step' && last?.kind === 'steps') last.steps.push(item);
    else if (item.kind === 'step') out.push({ kind: 'steps', at: item.at, steps: [item] });
    else out.push(item);
  }
  return out;
}

function stepPills(group) {
  return h('ul', { class: 'step-pills', 'aria-label': 'Étapes de l’analyse' }, group.steps.map((s) => {
    const d = s.details ?? {};
    const code = d.step ?? String(s.label ?? '').split(/\s/)[0];
    const result = d.result ?? 'continue';
    const ok = result === 'continue';
    const title = ANALYSIS_STEPS.find((x) => x.code === code)?.title ?? '';
    const [motif] = String(result).split(/\s*\/\s*/);
    return h('li', { class: ['step-pill', ok ? 'step-pill-ok' : 'step-pill-fired'], title: `${code} ${title}${(d.facts ?? []).length ? ` — ${d.facts.join(' · ')}` : ''}` },
      icon(ok ? 'check' : 'alert'), h('span', { class: 'step-pill-code' }, code),
      ok ? h('span', { class: 'visually-hidden' }, ` ${title} : conforme`) : h('span', null, ` ${title} : `, motifLabel(motif)));
  }));
}

function timelineView(items) {
  const list = groupSteps([...(items ?? [])].sort((a, b) => new Date(a.at) - new Date(b.at)));
  if (!list.length) return h('p', { class: 'muted' }, 'Rien pour l’instant.');
  return h('ol', { class: 'timeline' }, list.map((item) => {
    if (item.kind === 'steps') {
      const fired = item.steps.some((s) => (s.details?.result ?? 'continue') !== 'continue');
      return h('li', { class: ['tl-item', fired ? 'tone-purple' : 'tone-success'], dataset: { kind: 'steps' } },
        h('span', { class: 'tl-icon' }, icon('flow')),
        h('div', { class: 'tl-body' },
          h('div', { class: 'tl-head' }, h('span', { class: 'tl-label' }, `Analyse pas à pas : ${item.steps.length} étape${item.steps.length > 1 ? 's' : ''}`),
            h('time', { class: 'tl-time', datetime: item.at }, formatDateTimeSeconds(item.at))),
          stepPills(item)));
    }
    const k = item.kind === 'task' ? taskKind(item.label) : TIMELINE_KINDS[item.kind] ?? { icon: 'info', tone: 'neutral' };
    return h('li', { class: ['tl-item', `tone-${k.tone}`], dataset: { kind: item.kind } },
      h('span', { class: 'tl-icon' }, icon(k.icon)),
      h('div', { class: 'tl-body' },
        h('div', { class: 'tl-head' }, h('span', { class: 'tl-label' }, item.label ?? item.kind),
          h('time', { class: 'tl-time', datetime: item.at, title: formatRelative(item.at) }, formatDateTimeSeconds(item.at))),
        timelineDetails(item.details)));
  }));
}
