// Shared pieces of the pages: badges, cards, key/value lists, states, toasts, the analysis trace.

import { h, icon, clear, replace, uid } from './dom.js';
import { formatDateTime, formatDateTimeSeconds, formatDuration, formatRelative, initials } from './format.js';
import {
  ANALYSIS_STEPS, EXTRA_TRACE_STEPS, INVOICE_STATUSES, ROUTES, TASK_STATUSES, contentErrorLabel,
} from './labels.js';
import { store } from './store.js';

export function badge(text, tone = 'neutral', options = {}) {
  return h('span', { class: ['badge', `tone-${tone}`, options.solid && 'badge-solid', options.class], title: options.title },
    options.icon ? icon(options.icon) : null, text);
}

/** The motif: a coloured dot by routing (manager: amber, PS: teal, waits for a decision: red) and its label. */
export function motifBadge(code, options = {}) {
  if (!code) return h('span', { class: 'muted' }, '—');
  const motif = store.motifByCode.get(code);
  const label = motif?.label ?? code;
  const tone = motif?.waitsForDecision ? 'danger' : motif?.routing === 'manager' ? 'warning' : 'teal';
  return h('span', { class: ['motif', `motif-${tone}`, options.large && 'motif-large'], title: options.title ?? label },
    h('span', { class: 'motif-dot', 'aria-hidden': 'true' }), h('span', { class: 'motif-label' }, label));
}

export function decisionRequiredBadge() {
  return badge('Décision requise', 'danger', { icon: 'alert', title: 'Ce motif ne peut se terminer sans décision du gestionnaire' });
}

export function invoiceStatusBadge(status) {
  const s = INVOICE_STATUSES[status] ?? { label: status ?? '—', tone: 'neutral', icon: 'info' };
  return badge(s.label, s.tone, { icon: s.icon, class: 'badge-status' });
}

export function taskStatusBadge(task) {
  const s = TASK_STATUSES[task.status] ?? { label: task.status, tone: 'neutral' };
  return badge(s.label, s.tone, { icon: s.icon });
}

export function overdueBadge(task) {
  if (!task.overdue || task.status !== 'open') return null;
  const late = Date.now() - new Date(task.dueAt).getTime();
  return badge(late > 0 ? `En retard de ${formatDuration(late)}` : 'En retard', 'danger',
    { icon: 'clock', solid: true, title: `Échéance dépassée : ${formatDateTime(task.dueAt)}` });
}

/** « Escaladée »; `compact`: the flag alone (the word for screen readers and in the tooltip). */
export function escalatedBadge(task, options = {}) {
  if (!task.escalatedAt) return null;
  const title = `Escaladée le ${formatDateTime(task.escalatedAt)}`;
  if (options.compact) {
    return h('span', { class: 'badge badge-icon tone-danger', title }, icon('flag'), h('span', { class: 'visually-hidden' }, 'Escaladée'));
  }
  return badge('Escaladée', 'danger', { icon: 'flag', title });
}

export function routeBadge(route) {
  const r = ROUTES[route];
  return r ? badge(r.label, r.tone, { icon: r.icon }) : h('span', { class: 'muted' }, '—');
}

export function avatar(name, options = {}) {
  return h('span', { class: ['avatar', options.me && 'avatar-me'], 'aria-hidden': 'true' }, initials(name));
}

/** A person: avatar + name (« vous » when it is the session's user). */
export function person(name) {
  if (!name) return h('span', { class: 'muted' }, 'Non assignée');
  const me = isMe(name);
  return h('span', { class: 'person' }, avatar(name, { me }), h('span', null, me ? `${displayName(name)} (vous)` : displayName(name)));
}

export function isMe(value) {
  const s = store.session;
  return Boolean(s && value && (value === s.keyId || value === s.name));
}

export function displayName(value) {
  if (!value) return '—';
  if (store.session && value === store.session.keyId) return store.session.name;
  return store.people?.get(value) ?? value;
}

/** <time> with the absolute date, and the relative one beside it. */
export function timeEl(value, options = {}) {
  if (!value) return h('span', { class: 'muted' }, '—');
  const abs = options.seconds ? formatDateTimeSeconds(value) : formatDateTime(value);
  return h('time', { datetime: new Date(value).toISOString(), title: abs, class: 'time' },
    options.relativeOnly ? formatRelative(value) : abs,
    options.withRelative ? h('span', { class: 'time-rel' }, ` · ${formatRelative(value)}`) : null);
}

export function card(title, body, options = {}) {
  const headingId = options.id ? `${options.id}-title` : undefined;
  return h('section', { class: ['card', options.class], id: options.id, 'aria-labelledby': headingId },
    title ? h('header', { class: 'card-header' },
      h(options.level ?? 'h2', { class: 'card-title', id: headingId }, options.icon ? icon(options.icon) : null, title),
      options.actions ?? null) : null,
    h('div', { class: ['card-body', options.flush && 'card-body-flush'] }, body));
}

/** A definition list of [label, value] pairs (value: text or node; null rows are dropped). */
export function keyValues(rows, options = {}) {
  return h('dl', { class: ['kv', options.columns && `kv-cols-${options.columns}`] },
    rows.filter(Boolean).map(([label, value]) => h('div', { class: 'kv-row' },
      h('dt', null, label),
      h('dd', null, value === null || value === undefined || value === '' ? h('span', { class: 'muted' }, '—') : value))));
}

export function pageHeader({ title, eyebrow, badges = [], meta = [], actions = [], back }) {
  return h('div', { class: 'page-header' },
    back ? h('a', { class: 'back-link', href: back.href }, icon('arrow-left'), back.label) : null,
    h('div', { class: 'page-header-row' },
      h('div', { class: 'page-title-block' },
        eyebrow ? h('p', { class: 'eyebrow' }, eyebrow) : null,
        h('div', { class: 'title-line' },
          h('h1', { tabindex: '-1', id: 'page-title' }, title),
          badges.filter(Boolean).length ? h('div', { class: 'badges' }, badges) : null),
        meta.filter(Boolean).length ? h('p', { class: 'page-meta' }, meta.filter(Boolean).flatMap((m, i) => (i ? [h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), m] : [m]))) : null),
      actions.filter(Boolean).length ? h('div', { class: 'page-actions' }, actions) : null));
}

/** A figure's tile (dashboard, replay): its value, label, tone, icon and an optional hint; `figure` names it for tests. */
export function figureTile(figure, label, value, tone, iconName, hint) {
  return h('div', { class: ['tile', `tile-${tone}`], dataset: { figure } },
    h('span', { class: 'tile-icon' }, icon(iconName)),
    h('span', { class: 'tile-text' }, h('span', { class: 'tile-value' }, value), h('span', { class: 'tile-label' }, label),
      hint ? h('span', { class: 'tile-hint', title: hint }, hint) : null));
}

export function emptyState(title, text, iconName = 'inbox') {
  return h('div', { class: 'empty' }, h('div', { class: 'empty-icon' }, icon(iconName)), h('p', { class: 'empty-title' }, title),
    text ? h('p', { class: 'empty-text' }, text) : null);
}

export function alertBox(tone, title, text, options = {}) {
  const iconName = { danger: 'alert', warning: 'alert', success: 'check-circle', info: 'info' }[tone] ?? 'info';
  return h('div', { class: ['alert', `alert-${tone}`, options.class], role: options.role ?? (tone === 'danger' ? 'alert' : null) },
    icon(iconName), h('div', { class: 'alert-body' }, title ? h('p', { class: 'alert-title' }, title) : null,
      text ? (text instanceof Node ? text : h('p', null, text)) : null, options.extra ?? null));
}

export function loading(label = 'Chargement…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), label);
}

/** Page body for an API failure (403 → accès refusé). */
export function errorState(error) {
  if (error?.status === 403) {
    return h('div', { class: 'denied' },
      h('div', { class: 'denied-icon' }, icon('lock')),
      h('h1', { tabindex: '-1', id: 'page-title' }, 'Accès refusé'),
      h('p', null, `Votre profil (${store.session ? roleLabel(store.session.role) : 'inconnu'}) ne permet pas d’ouvrir cette page.`),
      h('p', { class: 'muted' }, error.message && error.message !== 'Forbidden' ? error.message : ''),
      h('a', { class: 'btn', href: '/console/taches' }, 'Retour aux tâches'));
  }
  if (error?.status === 404) {
    return h('div', { class: 'denied' }, h('div', { class: 'denied-icon' }, icon('search')),
      h('h1', { tabindex: '-1', id: 'page-title' }, 'Introuvable'),
      h('p', null, error.message ?? 'Cette ressource n’existe pas.'),
      h('a', { class: 'btn', href: '/console/taches' }, 'Retour aux tâches'));
  }
  return alertBox('danger', 'Le chargement a échoué', error?.message ?? String(error),
    { extra: h('button', { class: 'btn btn-small', type: 'button', onclick: () => location.reload() }, icon('refresh'), 'Réessayer') });
}

export function roleLabel(role) {
  return { submitter: 'Déposant', manager: 'Gestionnaire', auditor: 'Auditeur', admin: 'Administrateur' }[role] ?? role;
}

/** A short message at the bottom right (announced by the live region); it goes after a few seconds, on a click on
 * its close button, or with Escape. */
export function toast(message, tone = 'success') {
  const host = document.getElementById('toasts');
  const dismiss = () => {
    el.classList.add('toast-out');
    setTimeout(() => el.remove(), 400);
  };
  const el = h('div', { class: ['toast', `toast-${tone}`] }, icon(tone === 'danger' ? 'alert' : 'check-circle'), h('span', null, message),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Fermer le message', onclick: dismiss }, icon('x')));
  host.append(el);
  setTimeout(dismiss, tone === 'danger' ? 8000 : 4500);
}

/**
 * Asks before a decision that cannot be taken back: a modal <dialog> saying what will happen (the focus stays inside,
 * Tab moves between the two buttons, Escape cancels). The focus starts on « cancel », the harmless answer, and goes
 * back where it was once the dialog closes. Resolves to true when confirmed.
 */
export function confirmDialog({ title, body, confirmLabel, cancelLabel = 'Annuler', tone = 'primary', id }) {
  const returnFocus = document.activeElement;
  const titleId = uid('dialog-title');
  const bodyId = uid('dialog-body');
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', id, 'aria-labelledby': titleId, 'aria-describedby': bodyId });
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => dialog.close('cancel') }, cancelLabel);
    const confirm = h('button', { type: 'button', class: ['btn', `btn-${tone}`], onclick: () => dialog.close('confirm') }, confirmLabel);
    dialog.append(
      h('h2', { class: 'dialog-title', id: titleId }, title),
      h('div', { class: 'dialog-body', id: bodyId }, body),
      h('div', { class: 'dialog-actions' }, cancel, confirm));
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
      resolve(dialog.returnValue === 'confirm');
    });
    // Inside <main>: a page left while the dialog is open takes it away with it.
    (document.getElementById('main') ?? document.body).append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/**
 * Gives each body cell the text of its column header (`data-label`): on a phone the table is shown as one card per
 * row, each value under its label (styles.css, « Phone »), instead of a table wider than the screen.
 */
export function stackedTable(table) {
  const labels = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  for (const row of table.querySelectorAll('tbody tr')) {
    [...row.cells].forEach((cell, i) => { if (labels[i]) cell.dataset.label = labels[i]; });
  }
  table.classList.add('table-stack');
  return table;
}

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  for (const el of document.querySelectorAll('.toast')) {
    el.classList.add('toast-out');
    setTimeout(() => el.remove(), 400);
  }
});

// ---- The analysis trace, step by step ----

function resultView(result) {
  if (!result || result === 'continue') return badge('Conforme', 'success', { icon: 'check' });
  if (result === 'paid') return badge('Saisie aboutie : payée', 'success', { icon: 'euro' });
  if (result === 'practitioner') return badge(ROUTES.practitioner.label, 'teal', { icon: 'mail' });
  if (result === 'manager') return badge(ROUTES.manager.label, 'warning', { icon: 'user' });
  const [motif, error] = String(result).split(/\s*\/\s*/);
  return h('span', { class: 'result-motif' }, motifBadge(motif), error ? h('span', { class: 'result-error' }, contentErrorLabel(error)) : null);
}

/**
 * The steps G0…G8 in order, each with what it found and its result; the step that gave the motif is highlighted;
 * steps after it are shown as not run. Then the Paid and Routing lines.
 */
export function traceView(trace = [], options = {}) {
  const lines = Array.isArray(trace) ? trace : [];
  const byStep = new Map(lines.map((l) => [l.step, l]));
  const firing = lines.find((l) => l.step !== 'Routing' && l.result && l.result !== 'continue' && l.result !== 'paid');
  const analysing = options.analysing === true;
  let reachedEnd = false;
  const items = ANALYSIS_STEPS.map(({ code, title }) => {
    const line = byStep.get(code);
    const fired = firing && firing === line;
    let state = 'done';
    if (!line) state = reachedEnd || firing ? 'skipped' : analysing ? 'pending' : 'skipped';
    if (fired) state = 'fired';
    if (fired) reachedEnd = true;
    return stepItem({ code, title, line, state });
  });
  for (const key of ['Paid', 'Routing']) {
    const line = byStep.get(key);
    if (!line) continue;
    const extra = EXTRA_TRACE_STEPS[key];
    items.push(stepItem({ code: extra.code, title: extra.title, line, state: firing === line ? 'fired' : key === 'Routing' ? 'route' : 'done', extra: true }));
  }
  const list = h('ol', { class: 'trace', 'aria-label': 'Analyse étape par étape' }, items);
  return options.summary ? [traceSummary(lines, firing, list), list] : list;
}

/** One line above the steps: a pill per step (a button that brings the step into view) and what was found. */
function traceSummary(lines, firing, list) {
  const steps = lines.filter((l) => /^G\d$/.test(l.step));
  if (!steps.length) return null;
  const passed = steps.filter((l) => l.result === 'continue').length;
  const title = (code) => ANALYSIS_STEPS.find((s) => s.code === code)?.title ?? code;
  const go = (code) => () => {
    const li = list.querySelector(`[data-step="${code}"]`);
    li?.scrollIntoView({ behavior: 'smooth', block: 'center' });
    li?.classList.add('step-flash');
    setTimeout(() => li?.classList.remove('step-flash'), 1200);
  };
  const [motif] = String(firing?.result ?? '').split(/\s*\/\s*/);
  return h('div', { class: 'trace-summary' },
    h('ul', { class: 'step-pills', 'aria-label': 'Résumé de l’analyse' }, steps.map((l) => {
      const ok = l.result === 'continue';
      return h('li', null, h('button', {
        type: 'button', class: ['step-pill', ok ? 'step-pill-ok' : 'step-pill-fired'], title: `${l.step} ${title(l.step)}`, onclick: go(l.step),
        'aria-label': `${l.step} ${title(l.step)} : ${ok ? 'conforme' : store.motifByCode.get(motif)?.label ?? l.result}`,
      }, icon(ok ? 'check' : 'alert'), h('span', { class: 'step-pill-code' }, l.step)));
    })),
    h('p', { class: 'trace-summary-text' },
      firing && /^G\d$/.test(firing.step)
        ? [`${passed} étape${passed > 1 ? 's' : ''} conforme${passed > 1 ? 's' : ''}, puis `, h('strong', null, `${firing.step} ${title(firing.step)}`), ' retient le motif ', h('strong', null, `« ${store.motifByCode.get(motif)?.label ?? motif} »`), '.']
        : firing ? ['Aucune étape n’a retenu de motif ; ', h('strong', null, `« ${store.motifByCode.get(motif)?.label ?? motif} »`), ' à la fin de l’analyse.']
          : [`${passed} étape${passed > 1 ? 's' : ''} conforme${passed > 1 ? 's' : ''} : la facture est saisie et payée.`]));
}

function stepItem({ code, title, line, state, extra }) {
  const stateLabel = {
    done: 'conforme', fired: 'motif retenu à cette étape', skipped: 'non exécutée', pending: 'en cours', route: 'orientation',
  }[state];
  const marker = { done: 'check', fired: 'alert', skipped: 'minus-circle', pending: 'clock', route: 'flow' }[state];
  return h('li', { class: ['step', `step-${state}`, extra && 'step-extra'], 'aria-current': state === 'fired' ? 'step' : null, dataset: { step: code } },
    h('span', { class: 'step-marker' }, icon(marker)),
    h('div', { class: 'step-body' },
      h('div', { class: 'step-head' },
        h('span', { class: 'step-code' }, code),
        h('span', { class: 'step-title' }, title),
        h('span', { class: 'visually-hidden' }, ` : ${stateLabel}`),
        state === 'fired' ? h('span', { class: 'step-flag' }, 'Motif retenu') : null,
        line ? h('span', { class: 'step-result' }, resultView(line.result)) : h('span', { class: 'step-result muted' }, state === 'pending' ? 'En cours…' : 'Non exécutée')),
      line && line.facts?.length ? h('ul', { class: 'facts' }, line.facts.map((f) => h('li', null, f))) : null));
}

export function setBusy(button, busy, busyLabel) {
  if (!button) return;
  if (busy) {
    button.dataset.label = button.textContent;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    if (busyLabel) {
      clear(button);
      button.append(h('span', { class: 'spinner spinner-small', 'aria-hidden': 'true' }), busyLabel);
    }
  } else {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** A link that downloads a file of the API (the session cookie goes with it; the router leaves `download` links alone). */
export function downloadLink(href, label, options = {}) {
  return h('a', { href, download: '', class: ['btn', options.primary ? 'btn-primary' : 'btn-secondary', options.class], dataset: options.dataset },
    icon('download'), label);
}

/** « Lignes ouvertes »: every row still open for managers, as a Trame SSTT to fill and import back. */
export function openRowsLink(options = {}) {
  return downloadLink('/api/trames/open.xlsx', 'Lignes ouvertes', options);
}

// ---- Versions of the rules and replays (GET /api/rules/versions, /api/backtest, /api/invoices/:id/backtest) ----

/** `0.1.0+d4f84fdab457` → `0.1.0+d4f8…` (the whole version in the title where it is shown). */
export function shortVersion(version) {
  const [pkg, hash] = String(version ?? '').split('+');
  return hash && hash.length > 4 ? `${pkg}+${hash.slice(0, 4)}…` : String(version ?? '');
}

/** The invoice list filtered by a version of the rules (the version is no personal data: it goes in the URL). */
export const invoicesOfVersionHref = (version) => `/console/factures?${new URLSearchParams({ regles: version })}`;

/** « Règles 0.1.0+d4f8… » (`bare`: the version alone): the version that took a decision, whole in the title, a link to its invoices. */
export function rulesVersionTag(version, options = {}) {
  if (!version) {
    return options.showMissing
      ? h('span', { class: 'rules-version rules-version-none', title: 'Décision prise avant l’enregistrement des versions des règles' }, icon('flow'), 'Règles : version inconnue')
      : null;
  }
  return h('a', {
    class: 'rules-version', href: invoicesOfVersionHref(version), dataset: { rulesVersion: version },
    title: `Version des règles : ${version} — voir les factures décidées par cette version`,
  }, icon('flow'), options.bare ? null : 'Règles ', h('span', { class: 'mono' }, shortVersion(version)));
}

/** Where a claim stands in a back-test: paid, or a motif. */
export function outcomeBadge(outcome) {
  return outcome === 'paid' ? badge('Payée', 'success', { icon: 'euro', title: 'Saisie aboutie : payée' }) : motifBadge(outcome);
}

/** The step of a trace line in words: « G3 Droits à la date des soins », « Orientation ». */
export function stepName(step) {
  const extra = EXTRA_TRACE_STEPS[step];
  if (extra) return extra.code;
  const title = ANALYSIS_STEPS.find((s) => s.code === step)?.title;
  return title ? `${step} ${title}` : String(step ?? '—');
}

/**
 * Two traces side by side (one under the other on a phone): the decision as recorded and today's rules, the first
 * step that changed marked in both.
 */
export function traceComparison({ before, after, changed, beforeTitle, afterTitle, id }) {
  const column = (title, lines, side) => {
    const list = traceView(lines);
    const code = changed ? (EXTRA_TRACE_STEPS[changed.step]?.code ?? changed.step) : null;
    const marked = code ? list.querySelector(`[data-step="${CSS.escape(code)}"]`) : null;
    if (marked) {
      marked.classList.add('step-changed');
      marked.querySelector('.step-head')?.append(h('span', { class: 'step-changed-flag' }, 'Changement'));
    }
    return h('section', { class: 'trace-side', dataset: { side } }, h('h3', { class: 'trace-side-title' }, title), list);
  };
  return h('div', { class: 'trace-compare', id },
    column(beforeTitle, before, 'before'), column(afterTitle, after, 'after'));
}
