// The access log (GET /api/audit, admins and auditors): who read what, newest first; by default the reads of
// decrypted data (history exports « déchiffré »), then any other action. « Plus anciennes » pages on by id.

import { api } from '../lib/api.js';
import { AUDIT_ACTION_LABELS } from '../lib/labels.js';
import { h, icon, uid, replace } from '../lib/dom.js';
import { plural } from '../lib/format.js';
import { alertBox, badge, emptyState, loading, pageHeader, person, roleLabel, stackedTable, timeEl } from '../lib/ui.js';

const DECODED = 'history.export.decoded';
const LIMIT = 100;

export default async function accessPage(ctx) {
  ctx.setTitle('Accès');
  const action = ctx.query.has('action') ? ctx.query.get('action') : DECODED;
  const actionId = uid('action');
  const select = h('select', { id: actionId, class: 'input', onchange: () => {
    ctx.navigate(`/console/acces?action=${encodeURIComponent(select.value)}`, { replace: true });
  } },
  h('option', { value: DECODED }, 'Lectures déchiffrées'),
  h('option', { value: '' }, 'Toutes les entrées'),
  Object.entries(AUDIT_ACTION_LABELS).filter(([code]) => code !== DECODED).map(([code, label]) => h('option', { value: code }, label)));
  select.value = action;
  const results = h('div', { class: 'results', 'aria-live': 'polite' }, loading('Chargement du journal…'));
  replace(ctx.main, h('div', { class: 'page page-access' },
    pageHeader({
      title: 'Accès', eyebrow: 'Journal d’audit',
      meta: [h('span', null, 'Qui a lu quoi, et quand : chaque lecture de données personnelles, chaque action. Le journal ne se modifie pas.')],
    }),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filtrer le journal', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: actionId, class: 'label' }, 'Action'), select)),
    results));

  const rows = h('tbody');
  let next = null;
  const more = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => page() }, icon('chevron-right'), 'Plus anciennes');

  async function page() {
    more.disabled = true;
    try {
      const answer = await api('/api/audit', { query: { action: action || undefined, before: next ?? undefined, limit: LIMIT }, signal: ctx.signal });
      const first = next === null;
      next = answer.next;
      if (first && !answer.entries.length) {
        replace(results, h('div', { class: 'card' }, emptyState(action === DECODED ? 'Aucune lecture déchiffrée' : 'Aucune entrée', null, 'lock')));
        return;
      }
      rows.append(...answer.entries.map(entryRow));
      if (first) {
        replace(results, h('div', { class: 'card card-table' },
          h('div', { class: 'table-scroll' }, stackedTable(h('table', { class: 'table table-access' },
            h('caption', { class: 'visually-hidden' }, action === DECODED ? 'Lectures déchiffrées' : 'Journal d’audit'),
            h('thead', null, h('tr', null, ['Quand', 'Qui', 'Action', 'Sur', 'Détails', 'Adresse'].map((c) => h('th', { scope: 'col' }, c)))),
            rows))),
          h('nav', { class: 'pagination', 'aria-label': 'Pagination' }, h('span', { class: 'muted access-count' }), more)));
      }
      results.querySelector('.access-count').textContent = plural(rows.rows.length, 'entrée affichée', 'entrées affichées');
      more.hidden = next === null;
      stackedTable(results.querySelector('table'));
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (error.status === 403) throw error;
      replace(results, alertBox('danger', 'Impossible de charger le journal', error.message));
    } finally {
      more.disabled = false;
    }
  }

  function entryRow(e) {
    const decoded = e.action === DECODED;
    const target = e.target && /^\d{10}$/.test(e.target)
      ? h('a', { href: `/console/factures/${encodeURIComponent(e.target)}`, class: 'mono' }, e.target)
      : h('span', { class: 'mono' }, e.target ?? '—');
    return h('tr', { class: ['audit-row', decoded && 'row-decoded'], dataset: { action: e.action, entryId: String(e.id) } },
      h('td', null, timeEl(e.at, { seconds: true })),
      h('td', null, person(e.actorName), e.actorRole ? h('span', { class: 'muted small' }, ` · ${roleLabel(e.actorRole)}`) : null),
      h('td', null, badge(AUDIT_ACTION_LABELS[e.action] ?? e.action, decoded ? 'danger' : 'neutral', { icon: decoded ? 'eye' : undefined })),
      h('td', null, target),
      h('td', { class: 'small mono' }, e.details ? details(e.details) : '—'),
      h('td', { class: 'small mono' }, e.ip ?? '—'));
  }

  await page();
}

/** The details of an entry, short: `workflowId: invoice-…, source: temporal`. */
function details(d) {
  return Object.entries(d).filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
}
