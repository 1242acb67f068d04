// The task inbox: counts at a glance, motif chips with their counts, filters, the list (overdue first unless sorted
// otherwise), pagination; views saved by name; several tasks taken, released or closed at once (lib/bulk.js).
// Filters live in the URL (deep links, « Mes tâches »), except a NIR typed in the search box, which never goes there.

import { api } from '../lib/api.js';
import { h, icon, clear, uid, replace } from '../lib/dom.js';
import { formatDateTime, formatNumber, formatRelative, formatTime, looksLikeNir, plural } from '../lib/format.js';
import { ACTIONS, SETTINGS } from '../lib/labels.js';
import { canResolve, store } from '../lib/store.js';
import { BULK_ACTIONS, bulkReport, runBulk } from '../lib/bulk.js';
import { deleteView, saveView, savedViews } from '../lib/views.js';
import {
  alertBox, badge, decisionRequiredBadge, emptyState, escalatedBadge, isMe, loading, motifBadge, openRowsLink, overdueBadge, pageHeader, person,
  stackedTable,
} from '../lib/ui.js';
import { invalidateCounts, meParam, refreshChrome } from '../app.js';
import { subscribe } from '../lib/live.js';

const PAGE_SIZE = 25;

function readFilters(query) {
  return {
    status: query.get('status') === 'resolved' ? 'resolved' : 'open',
    motif: query.get('motif') ?? '',
    // « moi » only for those who hold tasks (an auditor has none).
    assignee: query.get('assignee') === 'moi' && !canResolve() ? '' : query.get('assignee') ?? '',
    overdue: query.get('overdue') === '1',
    ps: query.get('ps') ?? '',
    q: query.get('q') ?? '',
    sort: SORTS.some((x) => x.value === sortValue(query.get('sort'), query.get('order'))) ? sortValue(query.get('sort'), query.get('order')) : DEFAULT_SORT,
    page: Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1),
  };
}

// ---- sort (GET /api/tasks sort, order) ----
const DEFAULT_SORT = 'due:asc';
const SORTS = [
  { value: 'due:asc', label: 'Échéance la plus proche' },
  { value: 'due:desc', label: 'Échéance la plus lointaine' },
  { value: 'age:asc', label: 'Les plus récentes' },
  { value: 'age:desc', label: 'Les plus anciennes' },
  { value: 'motif:asc', label: 'Motif (A → Z)' },
  { value: 'motif:desc', label: 'Motif (Z → A)' },
];
const sortValue = (sort, order) => `${sort || 'due'}:${order === 'desc' ? 'desc' : 'asc'}`;

function filtersToUrl(f) {
  const p = new URLSearchParams();
  if (f.status !== 'open') p.set('status', f.status);
  if (f.motif) p.set('motif', f.motif);
  if (f.assignee) p.set('assignee', f.assignee);
  if (f.overdue) p.set('overdue', '1');
  if (f.ps) p.set('ps', f.ps);
  if (f.q && !looksLikeNir(f.q)) p.set('q', f.q);
  if (f.sort && f.sort !== DEFAULT_SORT) {
    const [sort, order] = f.sort.split(':');
    p.set('sort', sort);
    if (order === 'desc') p.set('order', order);
  }
  if (f.page > 1) p.set('page', String(f.page));
  const qs = p.toString();
  return `/console/taches${qs ? `?${qs}` : ''}`;
}

function apiQuery(f) {
  return {
    status: f.status,
    motif: f.motif || undefined,
    assignee: f.assignee === 'moi' ? meParam() : f.assignee || undefined,
    overdue: f.overdue && f.status === 'open' ? 'true' : undefined,
    ps: f.ps || undefined,
    q: f.q || undefined,
    sort: f.sort.split(':')[0],
    order: f.sort.split(':')[1],
    limit: PAGE_SIZE,
    offset: (f.page - 1) * PAGE_SIZE,
  };
}

export default async function inbox(ctx) {
  const f = readFilters(ctx.query);
  const mine = f.assignee === 'moi';
  ctx.setTitle(mine ? 'Mes tâches' : 'Tâches');

  const tiles = h('div', { class: 'tiles', 'aria-label': 'File des tâches ouvertes' });
  // The motif chips are one tab stop (a toolbar): arrows move between them, Enter or Space toggles one.
  const chips = h('div', { class: 'chips', role: 'toolbar', 'aria-label': 'Filtrer par motif', onkeydown: (event) => {
    const all = [...chips.querySelectorAll('button.chip')];
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    const next = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: all.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = all[(next + all.length) % all.length];
    for (const b of all) b.tabIndex = b === target ? 0 : -1;
    target.focus();
  } });
  const results = h('div', { class: 'results', 'aria-busy': 'true' }, loading('Chargement des tâches…'));
  // What a screen reader hears after each load: the count, not the whole table.
  const announce = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const updated = h('span', { class: 'updated muted' });
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => load(true) }, icon('refresh'), 'Actualiser');

  // ---- filters ----
  const statusTabs = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Statut des tâches' },
    ['open', 'resolved'].map((s) => h('button', {
      type: 'button', class: 'segment', 'aria-pressed': String(f.status === s), dataset: { status: s },
      onclick: () => apply({ status: s, page: 1, overdue: s === 'open' ? f.overdue : false }),
    }, s === 'open' ? 'Ouvertes' : 'Résolues')));

  const qId = uid('q');
  const psId = uid('ps');
  const assigneeId = uid('assignee');
  const overdueId = uid('overdue');
  const qInput = h('input', {
    id: qId, type: 'search', class: 'input', value: f.q, placeholder: 'Critère, N° PS ou motif', autocomplete: 'off',
    'data-search': '', 'aria-keyshortcuts': '/',
  });
  const psInput = h('input', {
    id: psId, type: 'text', class: 'input input-ps', value: f.ps, inputmode: 'numeric', maxlength: '9', pattern: '[0-9]{9}',
    placeholder: '9 chiffres', autocomplete: 'off',
  });
  const assigneeSelect = h('select', { id: assigneeId, class: 'input' },
    h('option', { value: '' }, 'Tout le monde'),
    canResolve() ? h('option', { value: 'moi' }, 'Moi') : null);
  if (f.assignee && f.assignee !== 'moi') assigneeSelect.append(h('option', { value: f.assignee }, f.assignee));
  assigneeSelect.value = f.assignee;
  const overdueBox = h('input', { id: overdueId, type: 'checkbox', class: 'checkbox', checked: f.overdue, disabled: f.status !== 'open' });
  const sortId = uid('sort');
  const sortSelect = h('select', { id: sortId, class: 'input', onchange: () => apply({ sort: sortSelect.value, page: 1 }) },
    SORTS.map((x) => h('option', { value: x.value }, x.label)));
  sortSelect.value = f.sort;

  const filterForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filtres des tâches', onsubmit: (e) => { e.preventDefault(); applyInputs(); } },
    h('div', { class: 'field' }, h('span', { class: 'label', 'aria-hidden': 'true' }, 'Statut'), statusTabs),
    h('div', { class: 'field field-grow' }, h('label', { for: qId, class: 'label' }, 'Recherche'),
      h('div', { class: 'input-icon' }, icon('search'), qInput)),
    h('div', { class: 'field' }, h('label', { for: psId, class: 'label' }, 'N° PS'), psInput),
    h('div', { class: 'field' }, h('label', { for: assigneeId, class: 'label' }, 'Assignée à'), assigneeSelect),
    h('div', { class: 'field field-check' }, overdueBox, h('label', { for: overdueId }, icon('clock'), 'En retard seulement')),
    h('div', { class: 'field' }, h('label', { for: sortId, class: 'label' }, 'Trier par'), sortSelect),
    h('div', { class: 'field field-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, icon('filter'), 'Filtrer'),
      h('button', { type: 'button', class: 'btn btn-link', onclick: () => apply({ motif: '', assignee: '', overdue: false, ps: '', q: '', page: 1 }, true) }, 'Réinitialiser')));

  let debounce = null;
  const later = () => { clearTimeout(debounce); debounce = setTimeout(applyInputs, 450); };
  qInput.addEventListener('input', later);
  psInput.addEventListener('input', () => { if (/^\d{9}$|^$/.test(psInput.value.trim())) later(); });
  assigneeSelect.addEventListener('change', applyInputs);
  overdueBox.addEventListener('change', applyInputs);
  ctx.onCleanup(() => clearTimeout(debounce));

  function applyInputs() {
    const ps = psInput.value.trim();
    if (ps && !/^\d{9}$/.test(ps)) {
      psInput.setAttribute('aria-invalid', 'true');
      return;
    }
    psInput.removeAttribute('aria-invalid');
    apply({ q: qInput.value.trim(), ps, assignee: assigneeSelect.value, overdue: overdueBox.checked, page: 1 });
  }

  function apply(change, resetInputs = false) {
    Object.assign(f, change);
    history.replaceState(null, '', filtersToUrl(f));
    if (resetInputs) {
      qInput.value = f.q; psInput.value = f.ps; assigneeSelect.value = f.assignee; overdueBox.checked = f.overdue;
      sortSelect.value = f.sort;
    }
    selection.clear();
    renderViews();
    overdueBox.disabled = f.status !== 'open';
    for (const b of statusTabs.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.status === f.status));
    refreshChrome();
    header.querySelector('h1').textContent = f.assignee === 'moi' ? 'Mes tâches' : 'Tâches';
    ctx.setTitle(f.assignee === 'moi' ? 'Mes tâches' : 'Tâches');
    load(true);
  }

  const header = pageHeader({
    title: mine ? 'Mes tâches' : 'Tâches',
    eyebrow: 'Retours gestionnaire',
    meta: [h('span', { class: 'sla' }, `Délai de traitement : ${SETTINGS.taskSla.text}`), updated],
    // The open rows as a Trame SSTT, to fill in Excel and import back (page Trame).
    actions: [
      openRowsLink(),
      canResolve() ? h('a', { class: 'btn btn-secondary', href: '/console/trame' }, icon('upload'), 'Importer une Trame') : null,
      refreshBtn,
    ],
  });

  // ---- views saved by name, bulk actions ----
  const views = h('section', { class: 'views', 'aria-label': 'Vues enregistrées' });
  const selection = new Map(); // task id → task, of the tasks shown
  const bulkBar = h('div', { class: 'bulk-bar', role: 'toolbar', 'aria-label': 'Actions sur la sélection', hidden: true });
  const report = h('div', { class: 'bulk-report-host' });
  renderViews();

  replace(ctx.main, h('div', { class: 'page page-inbox' },
    header, tiles,
    filterForm,
    views,
    chips,
    announce,
    bulkBar,
    report,
    results));

  // ---- data ----
  let seq = 0;
  async function load(userAction = false) {
    const mySeq = ++seq;
    results.setAttribute('aria-busy', 'true');
    if (userAction) results.classList.add('is-loading');
    try {
      const [list, queue, mineList] = await Promise.all([
        api('/api/tasks', { query: apiQuery(f), signal: ctx.signal }),
        api('/api/tasks', { query: { status: 'open', limit: 1 }, signal: ctx.signal }),
        api('/api/tasks', { query: { status: 'open', assignee: meParam(), limit: 1 }, signal: ctx.signal }),
      ]);
      if (mySeq !== seq) return;
      renderTiles(queue, mineList.total);
      renderChips(list);
      // A refresh keeps the keyboard focus on the task it was on.
      const focusedTask = document.activeElement?.closest?.('tr[data-task-id]')?.dataset.taskId;
      renderResults(list);
      renderBulkBar();
      if (focusedTask) results.querySelector(`tr[data-task-id="${CSS.escape(focusedTask)}"] a`)?.focus({ preventScroll: true });
      const text = `${plural(list.total ?? 0, 'tâche', 'tâches')}${f.motif ? ` · ${store.motifByCode.get(f.motif)?.label ?? f.motif}` : ''}`;
      if (announce.textContent !== text) announce.textContent = text;
      updated.textContent = `Actualisé à ${formatTime(new Date())}`;
    } catch (error) {
      if (error.name === 'AbortError' || mySeq !== seq) return;
      if (error.status === 403) throw error;
      replace(results, alertBox('danger', 'Impossible de charger les tâches', error.message));
    } finally {
      if (mySeq === seq) {
        results.setAttribute('aria-busy', 'false');
        results.classList.remove('is-loading');
      }
    }
  }

  function tile(label, value, tone, iconName, href, hint) {
    const body = [h('span', { class: 'tile-icon' }, icon(iconName)),
      h('span', { class: 'tile-text' }, h('span', { class: 'tile-value' }, formatNumber(value ?? 0)), h('span', { class: 'tile-label' }, label),
        hint ? h('span', { class: 'tile-hint' }, hint) : null)];
    return href
      ? h('a', { class: ['tile', `tile-${tone}`], href, 'data-force': '1' }, body)
      : h('div', { class: ['tile', `tile-${tone}`] }, body);
  }

  function renderTiles(queue, mineCount) {
    const waiting = store.motifs.filter((m) => m.waitsForDecision)
      .map((m) => ({ m, n: queue.countsByMotif?.[m.code] ?? 0 }));
    const waitingTotal = waiting.reduce((s, x) => s + x.n, 0);
    replace(tiles, 
      tile('tâches ouvertes', queue.total, 'info', 'inbox', '/console/taches'),
      tile(`en retard (plus de ${SETTINGS.taskSla.text})`, queue.overdueCount, queue.overdueCount ? 'danger' : 'success', 'clock', '/console/taches?overdue=1'),
      canResolve() ? tile('qui me sont assignées', mineCount, 'neutral', 'user', '/console/taches?assignee=moi') : null,
      tile('attendent une décision', waitingTotal, waitingTotal ? 'warning' : 'success', 'alert', null,
        waiting.map((x) => `${x.m.label} : ${x.n}`).join(' · ')),
    );
  }

  function renderChips(list) {
    const focused = chips.contains(document.activeElement) ? document.activeElement.dataset.motif : null;
    queueMicrotask(() => { if (focused) chips.querySelector(`[data-motif="${CSS.escape(focused)}"]`)?.focus(); });
    const counts = list.countsByMotif ?? {};
    const total = Object.values(counts).reduce((s, n) => s + n, 0);
    const chip = (code, label, n, tone) => {
      const pressed = (f.motif || '') === code;
      return h('button', {
        type: 'button', class: ['chip', pressed && 'chip-active', tone && `chip-${tone}`], 'aria-pressed': String(pressed), tabindex: pressed ? '0' : '-1',
        dataset: { motif: code || 'all' }, onclick: () => apply({ motif: pressed && code ? '' : code, page: 1 }),
      }, tone ? h('span', { class: 'motif-dot', 'aria-hidden': 'true' }) : null, h('span', { class: 'chip-label' }, label),
      h('span', { class: 'chip-count' }, formatNumber(n), h('span', { class: 'visually-hidden' }, n > 1 ? ' tâches' : ' tâche')));
    };
    const known = store.motifs.length ? store.motifs : Object.keys(counts).map((code) => ({ code, label: code }));
    const present = known.filter((m) => (counts[m.code] ?? 0) > 0 || m.code === f.motif);
    present.sort((a, b) => (counts[b.code] ?? 0) - (counts[a.code] ?? 0));
    replace(chips, 
      chip('', 'Tous les motifs', total),
      present.map((m) => chip(m.code, m.label, counts[m.code] ?? 0, m.waitsForDecision ? 'danger' : m.routing === 'manager' ? 'warning' : 'teal')),
    );
  }

  function renderResults(list) {
    clear(results);
    const items = list.items ?? [];
    for (const t of items) {
      if (t.assignee && ![...assigneeSelect.options].some((o) => o.value === t.assignee) && !isMe(t.assignee)) {
        assigneeSelect.append(h('option', { value: t.assignee }, t.assignee));
      }
    }
    if (items.length === 0 && f.assignee === 'moi' && !(f.motif || f.overdue || f.ps || f.q)) {
      results.append(h('div', { class: 'card' }, emptyState(
        f.status === 'open' ? 'Aucune tâche ne vous est assignée' : 'Vous n’avez résolu aucune tâche',
        f.status === 'open' ? 'Prenez une tâche dans la file : elle apparaîtra ici.' : null, 'user'),
      h('p', { class: 'empty-action' }, h('a', { class: 'btn btn-primary', href: '/console/taches' }, icon('inbox'), 'Voir la file des tâches'))));
      return;
    }
    if (items.length === 0) {
      const filtered = f.motif || f.assignee || f.overdue || f.ps || f.q;
      results.append(h('div', { class: 'card' }, emptyState(
        filtered ? 'Aucune tâche ne correspond à ces filtres' : f.status === 'open' ? 'Aucune tâche ouverte' : 'Aucune tâche résolue',
        filtered ? 'Élargissez la recherche ou réinitialisez les filtres.' : f.status === 'open' ? 'Toutes les factures retournées ont été traitées.' : null,
        filtered ? 'filter' : 'check-circle')));
      return;
    }
    const resolved = f.status === 'resolved';
    const caption = `${plural(list.total, resolved ? 'tâche résolue' : 'tâche ouverte', resolved ? 'tâches résolues' : 'tâches ouvertes')}${f.motif ? ` · motif ${store.motifByCode.get(f.motif)?.label ?? f.motif}` : ''}`;
    const head = resolved
      ? ['Critère d’archivage', 'Motif', 'N° PS', 'Décision', 'Résolue par', 'Résolue']
      : ['Critère d’archivage', 'Motif', 'N° PS', 'Créée', 'Échéance', 'Assignée à'];
    const selectable = !resolved && canResolve();
    shown = selectable ? items : [];
    for (const id of [...selection.keys()]) if (!shown.some((t) => t.id === id)) selection.delete(id);
    const table = stackedTable(h('table', { class: 'table table-tasks' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, selectable ? h('th', { scope: 'col', class: 'col-select' }, selectAllBox()) : null,
        head.map((label) => h('th', { scope: 'col' }, label)))),
      h('tbody', null, items.map((t) => taskRow(t, resolved, selectable)))));
    results.append(h('div', { class: 'card card-table' }, h('div', { class: 'table-scroll' }, table), pagination(list)));
  }

  function taskRow(t, resolved, selectable) {
    const href = `/console/taches/${encodeURIComponent(t.id)}`;
    const n = /-(\d+)$/.exec(t.id)?.[1];
    const link = h('a', { href, class: 'row-link' }, h('span', { class: 'mono strong' }, t.archiveKey),
      n && n !== '1' ? h('span', { class: 'muted small' }, ` · ${n}ᵉ tâche`) : null);
    const cells = resolved
      ? [
        h('td', null, link),
        h('td', null, motifBadge(t.motif)),
        h('td', { class: 'mono' }, t.practitionerNumber ?? '—'),
        h('td', null, actionBadge(t.resolution)),
        h('td', null, person(t.resolvedBy)),
        h('td', null, h('time', { datetime: t.resolvedAt, title: formatDateTime(t.resolvedAt) }, formatRelative(t.resolvedAt))),
      ]
      : [
        h('td', null, link),
        h('td', null, h('div', { class: 'cell-inline' }, motifBadge(t.motif), t.waitsForDecision ? decisionRequiredBadge() : null)),
        h('td', { class: 'mono' }, t.practitionerNumber ?? '—'),
        h('td', null, h('time', { datetime: t.createdAt, title: formatDateTime(t.createdAt) }, formatRelative(t.createdAt))),
        h('td', null, h('div', { class: 'cell-inline' }, t.overdue
          ? overdueBadge(t)
          : h('time', { datetime: t.dueAt, title: formatDateTime(t.dueAt), class: 'due' }, icon('clock'), formatRelative(t.dueAt)),
        escalatedBadge(t, { compact: true }))),
        h('td', null, person(t.assignee)),
      ];
    if (selectable) cells.unshift(h('td', { class: 'col-select' }, selectBox(t)));
    const row = h('tr', { class: ['task-row', t.overdue && t.status === 'open' && 'row-overdue', isMe(t.assignee) && 'row-mine'], dataset: { taskId: t.id } }, cells);
    row.addEventListener('click', (event) => {
      if (event.target.closest('a, button, input, label, .col-select') || getSelection()?.toString()) return;
      link.click();
    });
    return row;
  }

  // ---- selection and bulk actions ----
  let shown = [];
  let selectAll = null;

  function selectBox(t) {
    return h('input', {
      type: 'checkbox', class: 'checkbox select-task', checked: selection.has(t.id), 'aria-label': `Sélectionner ${t.archiveKey}`,
      dataset: { taskId: t.id }, onchange: (event) => {
        if (event.target.checked) selection.set(t.id, t);
        else selection.delete(t.id);
        renderBulkBar();
      },
    });
  }

  function selectAllBox() {
    selectAll = h('input', {
      type: 'checkbox', class: 'checkbox select-all', 'aria-label': 'Tout sélectionner', onchange: (event) => selectEvery(event.target.checked),
    });
    return selectAll;
  }

  function selectEvery(checked) {
    for (const t of shown) checked ? selection.set(t.id, t) : selection.delete(t.id);
    for (const box of results.querySelectorAll('input.select-task')) box.checked = checked;
    renderBulkBar();
  }

  /** The same as the column header's box, in the bar: on a phone the table's header is not shown. */
  function bulkSelectAll(n) {
    const box = h('input', { type: 'checkbox', class: 'checkbox', onchange: (event) => selectEvery(event.target.checked) });
    box.checked = n > 0 && n === shown.length;
    box.indeterminate = n > 0 && n < shown.length;
    return h('label', { class: 'bulk-all' }, box, 'Tout sélectionner');
  }

  function renderBulkBar() {
    const n = selection.size;
    bulkBar.hidden = shown.length === 0;
    if (selectAll) {
      selectAll.checked = n > 0 && n === shown.length;
      selectAll.indeterminate = n > 0 && n < shown.length;
    }
    replace(bulkBar,
      shown.length ? bulkSelectAll(n) : null,
      h('span', { class: 'bulk-count', 'aria-live': 'polite' }, n ? `${plural(n, 'tâche sélectionnée', 'tâches sélectionnées')}` : 'Aucune tâche sélectionnée'),
      Object.entries(BULK_ACTIONS).map(([action, a]) => h('button', {
        type: 'button', class: ['btn', 'btn-small', action === 'close' ? 'btn-primary' : 'btn-secondary'], disabled: n === 0,
        dataset: { bulk: action }, onclick: (event) => bulk(action, event.currentTarget),
      }, icon(a.icon), a.label)),
      n ? h('button', { type: 'button', class: 'btn btn-small btn-link', onclick: () => { selection.clear(); for (const box of results.querySelectorAll('input.select-task')) box.checked = false; renderBulkBar(); } }, 'Désélectionner') : null);
  }

  async function bulk(action, button) {
    const tasks = [...selection.values()];
    button.disabled = true;
    try {
      const done = await runBulk(action, tasks, ctx.signal);
      if (!done) return;
      for (const r of done) if (r.ok) selection.delete(r.taskId);
      replace(report, bulkReport(action, tasks, done, () => clear(report)));
      invalidateCounts();
      await load(true);
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(report, alertBox('danger', `${BULK_ACTIONS[action].label} : la demande a échoué`, error.message));
    } finally {
      renderBulkBar();
    }
  }

  // ---- views saved by name ----
  function renderViews() {
    const list = savedViews();
    const current = filtersToUrl({ ...f, page: 1 });
    const nameId = uid('view-name');
    const name = h('input', { id: nameId, class: 'input input-small', type: 'text', maxlength: '60', placeholder: 'ex. : A contrôler en retard', autocomplete: 'off' });
    const form = h('form', { class: 'view-save', onsubmit: (event) => {
      event.preventDefault();
      const value = name.value.trim();
      if (!value) { name.setAttribute('aria-invalid', 'true'); name.focus(); return; }
      saveView(value, filtersToUrl({ ...f, page: 1 }).replace(/^[^?]*/, ''));
      renderViews();
    } }, h('label', { for: nameId, class: 'label' }, 'Nom de la vue'), name,
    h('button', { type: 'submit', class: 'btn btn-small btn-secondary' }, icon('check'), 'Enregistrer la vue'));
    replace(views,
      h('span', { class: 'label' }, 'Vues'),
      list.length
        ? h('ul', { class: 'view-list' }, list.map((v) => {
          const href = `/console/taches${v.query}`;
          return h('li', { class: ['view', href === current && 'view-active'], dataset: { view: v.name } },
            h('a', { href, class: 'view-link', 'data-force': '1', 'aria-current': href === current ? 'true' : null }, v.name),
            h('button', { type: 'button', class: 'btn-icon view-delete', 'aria-label': `Supprimer la vue ${v.name}`, title: 'Supprimer la vue',
              onclick: () => { deleteView(v.name); renderViews(); } }, icon('x')));
        }))
        : h('span', { class: 'muted small' }, 'Aucune vue enregistrée'),
      form);
  }

  function actionBadge(resolution) {
    if (!resolution) return h('span', { class: 'muted' }, '—');
    const a = ACTIONS[resolution.action];
    return h('div', { class: 'cell-stack' },
      badge(a?.label ?? resolution.action, a?.tone ?? 'neutral', { icon: a?.icon }),
      resolution.action === 'reply' && resolution.motif ? motifBadge(resolution.motif) : null);
  }

  function pagination(list) {
    const total = list.total ?? 0;
    const from = total === 0 ? 0 : (f.page - 1) * PAGE_SIZE + 1;
    const to = Math.min(total, f.page * PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const go = (page) => () => { apply({ page }); document.getElementById('page-title')?.focus(); };
    return h('nav', { class: 'pagination', 'aria-label': 'Pagination' },
      h('span', { class: 'muted' }, `${formatNumber(from)}–${formatNumber(to)} sur ${formatNumber(total)}`),
      h('div', { class: 'pagination-buttons' },
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', disabled: f.page <= 1, onclick: go(f.page - 1) }, icon('chevron-left'), 'Précédente'),
        h('span', { class: 'page-indicator' }, `Page ${f.page} / ${pages}`),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', disabled: f.page >= pages, onclick: go(f.page + 1) }, 'Suivante', icon('chevron-right'))));
  }

  await load();
  // Live: a task created, claimed, released, escalated or resolved anywhere re-reads the list (a burst at once).
  let liveTimer = null;
  ctx.onCleanup(subscribe(() => { clearTimeout(liveTimer); liveTimer = setTimeout(() => { load(false); invalidateCounts(); }, 150); }));
  ctx.onCleanup(() => clearTimeout(liveTimer));
}
