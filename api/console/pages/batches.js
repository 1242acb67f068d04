// Batches (« documents multi factures »): open one by its id, or one of the latest seen among the invoices.

import { api } from '../lib/api.js';
import { h, icon, clear, uid, replace } from '../lib/dom.js';
import { formatDate, plural } from '../lib/format.js';
import { card, emptyState, pageHeader } from '../lib/ui.js';

export default async function batchesPage(ctx) {
  ctx.setTitle('Lots');
  const fieldId = uid('batch');
  const input = h('input', { id: fieldId, class: 'input input-large', autocomplete: 'off', spellcheck: 'false', placeholder: 'lot-20260224-…', 'data-search': '' });
  const form = h('form', { class: 'search-hero', onsubmit: (e) => {
    e.preventDefault();
    const id = input.value.trim();
    if (id) ctx.navigate(`/console/lots/${encodeURIComponent(id)}`);
  } },
  h('div', { class: 'field field-grow' }, h('label', { for: fieldId, class: 'label' }, 'Identifiant du lot'),
    h('div', { class: 'input-icon input-icon-large' }, icon('layers'), input)),
  h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'btn btn-primary btn-large' }, 'Ouvrir')));

  const recent = h('div');
  replace(ctx.main, h('div', { class: 'page page-batches' },
    pageHeader({ title: 'Lots', eyebrow: 'Documents multi factures', meta: [h('span', null, 'Un lot = une tâche GTO : toutes ses factures, leurs réponses et la clôture « FIN OK ».')] }),
    form, recent));

  try {
    const list = await api('/api/invoices', { query: { limit: 200 }, signal: ctx.signal });
    const byBatch = new Map();
    for (const inv of list.items ?? []) {
      if (!inv.batchId) continue;
      const b = byBatch.get(inv.batchId) ?? { id: inv.batchId, count: 0, receivedOn: inv.receivedOn };
      b.count += 1;
      if (inv.receivedOn > b.receivedOn) b.receivedOn = inv.receivedOn;
      byBatch.set(inv.batchId, b);
    }
    const batches = [...byBatch.values()].sort((a, b) => String(b.receivedOn).localeCompare(String(a.receivedOn)));
    recent.append(card('Lots récents', batches.length
      ? h('ul', { class: 'batch-list' }, batches.slice(0, 30).map((b) => h('li', null,
        h('a', { href: `/console/lots/${encodeURIComponent(b.id)}`, class: 'batch-link' }, icon('layers'),
          h('span', { class: 'mono strong' }, b.id),
          h('span', { class: 'muted' }, `${plural(b.count, 'facture', 'factures')} · reçu le ${formatDate(b.receivedOn)}`)))))
      : emptyState('Aucun lot récent', 'Les factures déposées une à une n’appartiennent à aucun lot.', 'layers'), { icon: 'layers' }));
  } catch (error) {
    if (error.name === 'AbortError') return;
  }
  input.focus({ preventScroll: true });
}
