// E-mails (the outbox): replies to practitioners and escalations, filtered by batch or N° PS.

import { api } from '../lib/api.js';
import { h, icon, clear, uid, replace } from '../lib/dom.js';
import { formatDateTime, formatNumber, formatRelative, plural } from '../lib/format.js';
import { OUTBOX_KINDS, OUTBOX_STATUSES } from '../lib/labels.js';
import { alertBox, badge, emptyState, loading, pageHeader, stackedTable } from '../lib/ui.js';

export default async function outboxPage(ctx) {
  ctx.setTitle('E-mails');
  const batchId = ctx.query.get('batchId') ?? '';
  const ps = ctx.query.get('ps') ?? '';
  const status = OUTBOX_STATUSES[ctx.query.get('status') ?? ''] ? ctx.query.get('status') : '';
  const page = Math.max(1, Number.parseInt(ctx.query.get('page') ?? '1', 10) || 1);
  const LIMIT = 50;
  const pageHref = (n) => {
    const p = new URLSearchParams(ctx.query);
    if (n > 1) p.set('page', String(n)); else p.delete('page');
    return `/console/emails${p.toString() ? `?${p}` : ''}`;
  };
  const batchField = uid('batch');
  const psField = uid('ps');
  const batchInput = h('input', { id: batchField, class: 'input', value: batchId, autocomplete: 'off' });
  const psInput = h('input', { id: psField, class: 'input input-ps', value: ps, inputmode: 'numeric', maxlength: '9', autocomplete: 'off', placeholder: '9 chiffres' });
  const statusField = uid('status');
  const statusSelect = h('select', { id: statusField, class: 'input' },
    h('option', { value: '' }, 'Tous'),
    Object.entries(OUTBOX_STATUSES).map(([value, s]) => h('option', { value, selected: value === status }, s.label)));
  const results = h('div', { class: 'results', 'aria-live': 'polite' }, loading('Chargement des e-mails…'));

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filtrer les e-mails', onsubmit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (batchInput.value.trim()) p.set('batchId', batchInput.value.trim());
    if (psInput.value.trim()) p.set('ps', psInput.value.trim());
    if (statusSelect.value) p.set('status', statusSelect.value);
    ctx.navigate(`/console/emails${p.toString() ? `?${p}` : ''}`, { replace: true });
  } },
  h('div', { class: 'field' }, h('label', { for: batchField, class: 'label' }, 'Lot'), batchInput),
  h('div', { class: 'field' }, h('label', { for: psField, class: 'label' }, 'N° PS'), psInput),
  h('div', { class: 'field' }, h('label', { for: statusField, class: 'label' }, 'Statut'), statusSelect),
  h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, icon('filter'), 'Filtrer'),
    batchId || ps || status ? h('a', { class: 'btn btn-link', href: '/console/emails' }, 'Réinitialiser') : null));

  replace(ctx.main, h('div', { class: 'page page-outbox' },
    pageHeader({ title: 'E-mails', eyebrow: 'Boîte d’envoi', meta: [h('span', null, 'Réponses aux PS (copie cachée au service Azur) et escalades.')] }),
    form, results));

  try {
    const list = await api('/api/outbox', {
      query: { batchId: batchId || undefined, ps: ps || undefined, status: status || undefined, limit: LIMIT, offset: (page - 1) * LIMIT }, signal: ctx.signal,
    });
    const items = list.items ?? [];
    clear(results);
    if (!items.length) {
      results.append(h('div', { class: 'card' }, emptyState('Aucun e-mail', batchId || ps || status ? 'Aucun e-mail pour ce filtre.' : 'Aucun e-mail n’a encore été préparé.', 'mail')));
      return;
    }
    const title = plural(list.total ?? items.length, 'e-mail', 'e-mails');
    results.append(h('div', { class: 'card card-table' },
      h('div', { class: 'table-scroll' }, stackedTable(h('table', { class: 'table' },
        h('caption', { class: 'visually-hidden' }, title),
        h('thead', null, h('tr', null, ['Objet', 'Destinataire', 'Type', 'Statut', 'Envoyé', 'Factures', 'Lot'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, items.map((m) => {
          const st = OUTBOX_STATUSES[m.status] ?? { label: m.status, tone: 'neutral' };
          const link = h('a', { href: `/console/emails/${encodeURIComponent(m.id)}`, class: 'row-link strong' }, m.subject || '(sans objet)');
          const row = h('tr', { class: ['task-row', m.status === 'failed' && 'row-overdue'] },
            h('td', null, link),
            h('td', { class: 'small' }, (m.to ?? []).join(', ')),
            h('td', null, badge(OUTBOX_KINDS[m.kind] ?? m.kind, m.kind === 'escalation' ? 'danger' : 'teal', { icon: m.kind === 'escalation' ? 'flag' : 'reply' })),
            h('td', null, badge(st.label, st.tone)),
            h('td', null, m.sentAt ? h('time', { datetime: m.sentAt, title: formatDateTime(m.sentAt) }, formatRelative(m.sentAt)) : h('span', { class: 'muted' }, '—')),
            h('td', { class: 'num' }, String(m.archiveKeys?.length ?? 0)),
            h('td', { class: 'mono small' }, m.batchId ?? '—'));
          row.addEventListener('click', (event) => { if (!event.target.closest('a, button')) link.click(); });
          return row;
        }))))),
      pager(list.total ?? items.length)));
  } catch (error) {
    if (error.name === 'AbortError') return;
    if (error.status === 403) throw error;
    if (error.status === 400) {
      replace(results, alertBox('warning', 'Filtre invalide', error.errors?.map((e) => e.message).join(' · ') || error.message));
      return;
    }
    replace(results, alertBox('danger', 'Impossible de charger les e-mails', error.message));
  }


  function pager(total) {
    const pages = Math.max(1, Math.ceil(total / LIMIT));
    const from = total ? (page - 1) * LIMIT + 1 : 0;
    const to = Math.min(total, page * LIMIT);
    const link = (n, label, dir) => (n < 1 || n > pages
      ? h('span', { class: 'btn btn-secondary btn-small', 'aria-disabled': 'true' }, dir === 'prev' ? icon('chevron-left') : null, label, dir === 'next' ? icon('chevron-right') : null)
      : h('a', { class: 'btn btn-secondary btn-small', href: pageHref(n) }, dir === 'prev' ? icon('chevron-left') : null, label, dir === 'next' ? icon('chevron-right') : null));
    return h('nav', { class: 'pagination', 'aria-label': 'Pagination' },
      h('span', { class: 'muted' }, `${formatNumber(from)}–${formatNumber(to)} sur ${formatNumber(total)}`),
      h('div', { class: 'pagination-buttons' }, link(page - 1, 'Précédents', 'prev'), h('span', { class: 'page-indicator' }, `Page ${page} / ${pages}`), link(page + 1, 'Suivants', 'next')));
  }
}
