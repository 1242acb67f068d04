// Webhooks (admins, /api/webhooks): the endpoints told of decisions, replies, tasks and closed batches — add one (URL,
// events, personal data), enable or disable it, send a test, rotate its secret, delete it — and the deliveries of the
// one chosen (?endpoint=…) with their outcome. An endpoint disabled after repeated failures is announced at the top.
// A secret is shown once, when it is created or rotated.

import { api } from '../lib/api.js';
import { h, icon, uid, replace } from '../lib/dom.js';
import { plural } from '../lib/format.js';
import { alertBox, badge, card, confirmDialog, emptyState, loading, pageHeader, setBusy, stackedTable, timeEl, toast } from '../lib/ui.js';

/** db/webhooks.ts WEBHOOK_EVENT_TYPES, in French. */
const EVENTS = {
  'invoice.decided': 'Facture décidée',
  'invoice.replied': 'Réponse envoyée au PS',
  'task.created': 'Tâche créée',
  'task.resolved': 'Tâche résolue',
  'batch.closed': 'Lot clôturé',
};
const DELIVERY_STATUSES = {
  pending: { label: 'en cours', tone: 'warning' },
  delivered: { label: 'remis', tone: 'success' },
  failed: { label: 'échec', tone: 'danger' },
  cancelled: { label: 'annulé', tone: 'neutral' },
};
const EVENT_LABELS = { ...EVENTS, 'webhook.test': 'Test' };

export default async function webhooksPage(ctx) {
  ctx.setTitle('Webhooks');
  const selected = ctx.query.get('endpoint');
  const notices = h('div', { class: 'webhook-notices', 'aria-live': 'polite' });
  const list = h('div', { class: 'results' }, loading('Chargement des points de réception…'));
  const deliveries = h('div', { class: 'webhook-deliveries' });
  replace(ctx.main, h('div', { class: 'page page-webhooks' },
    pageHeader({
      title: 'Webhooks', eyebrow: 'Administration',
      meta: [h('span', null, 'Les applications prévenues des décisions, réponses, tâches et lots clôturés : chaque événement signé (Standard Webhooks), renvoyé jusqu’à réception.')],
    }),
    notices, addForm(), list, deliveries));

  function showSecret(title, secret) {
    replace(notices, alertBox('warning', title, h('div', null,
      h('p', null, 'Copiez ce secret maintenant : il ne sera plus affiché. Le récepteur vérifie la signature avec lui.'),
      h('p', null, h('code', { class: 'mono webhook-secret' }, secret)))));
  }

  function addForm() {
    const urlId = uid('url');
    const descriptionId = uid('description');
    const url = h('input', { id: urlId, class: 'input', type: 'url', required: true, placeholder: 'https://…', name: 'url' });
    const description = h('input', { id: descriptionId, class: 'input', type: 'text', maxlength: 200, name: 'description' });
    const boxes = Object.entries(EVENTS).map(([code, label]) => {
      const id = uid('event');
      return h('label', { for: id, class: 'checkbox-label' },
        h('input', { id, type: 'checkbox', class: 'checkbox', value: code, checked: code === 'invoice.decided', name: 'events' }), label);
    });
    const personalId = uid('personal');
    const personal = h('input', { id: personalId, type: 'checkbox', class: 'checkbox', name: 'personalData' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('send'), 'Ajouter');
    const error = h('div', { 'aria-live': 'polite' });
    const form = h('form', { class: 'card webhook-form', 'aria-label': 'Ajouter un point de réception', onsubmit: async (e) => {
      e.preventDefault();
      const events = boxes.map((b) => b.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
      setBusy(submit, true, 'Ajout…');
      try {
        const created = await api('/api/webhooks', { method: 'POST', body: {
          url: url.value.trim(), events, description: description.value.trim() || null, personalData: personal.checked,
        } });
        replace(error);
        form.reset();
        showSecret(`Point de réception ajouté : ${created.endpoint.url}`, created.secret);
        await refresh();
      } catch (err) {
        replace(error, alertBox('danger', 'Point de réception refusé', err.message));
      } finally {
        setBusy(submit, false);
      }
    } },
    h('h2', { class: 'card-title' }, 'Ajouter un point de réception'),
    h('div', { class: 'field' }, h('label', { for: urlId, class: 'label' }, 'Adresse (URL)'), url),
    h('div', { class: 'field' }, h('label', { for: descriptionId, class: 'label' }, 'Description'), description),
    h('fieldset', { class: 'field' }, h('legend', { class: 'label' }, 'Événements'), boxes),
    h('div', { class: 'field' }, h('label', { for: personalId, class: 'checkbox-label' }, personal,
      'Avec les données personnelles (NIR, nom, date de naissance du bénéficiaire)')),
    error,
    h('div', { class: 'form-actions' }, submit));
    return form;
  }

  async function act(endpoint, what) {
    try {
      if (what === 'toggle') {
        await api(`/api/webhooks/${endpoint.id}`, { method: 'PATCH', body: { enabled: !endpoint.enabled } });
        toast(endpoint.enabled ? 'Point de réception désactivé' : 'Point de réception réactivé');
      } else if (what === 'test') {
        await api(`/api/webhooks/${endpoint.id}/test`, { method: 'POST' });
        toast('Événement de test envoyé');
      } else if (what === 'secret') {
        if (!(await confirmDialog({ title: 'Changer le secret ?', body: 'L’ancien secret ne signera plus rien : le récepteur doit recevoir le nouveau.', confirmLabel: 'Changer le secret', tone: 'danger' }))) return;
        const { secret } = await api(`/api/webhooks/${endpoint.id}/secret`, { method: 'POST' });
        showSecret(`Nouveau secret de ${endpoint.url}`, secret);
      } else if (what === 'delete') {
        if (!(await confirmDialog({ title: 'Supprimer ce point de réception ?', body: `${endpoint.url} ne recevra plus rien et ses envois seront effacés.`, confirmLabel: 'Supprimer', tone: 'danger' }))) return;
        await api(`/api/webhooks/${endpoint.id}`, { method: 'DELETE' });
        toast('Point de réception supprimé');
      }
      await refresh();
    } catch (err) {
      if (err.name === 'AbortError') return;
      toast(err.message, 'danger');
    }
  }

  function endpointRow(e) {
    const status = e.enabled ? badge('actif', 'success', { icon: 'check' })
      : badge(e.disabledReason === 'manual' ? 'désactivé' : 'désactivé (échecs)', 'danger', { icon: 'minus-circle' });
    return h('tr', { dataset: { endpointId: e.id }, class: [selected === e.id && 'row-selected'] },
      h('td', null, h('span', { class: 'mono' }, e.url), e.description ? h('div', { class: 'muted small' }, e.description) : null),
      h('td', null, e.events.map((code) => h('div', { class: 'small' }, EVENT_LABELS[code] ?? code))),
      h('td', null, status, e.personalData ? h('div', null, badge('données personnelles', 'warning', { icon: 'eye' })) : null,
        e.consecutiveFailures ? h('div', { class: 'small muted' }, plural(e.consecutiveFailures, 'échec consécutif', 'échecs consécutifs')) : null),
      h('td', { class: 'actions' },
        h('a', { href: `/console/webhooks?endpoint=${encodeURIComponent(e.id)}`, class: 'btn btn-secondary btn-small' }, icon('eye'), 'Envois'),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => act(e, 'toggle') }, e.enabled ? 'Désactiver' : 'Réactiver'),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', disabled: !e.enabled, onclick: () => act(e, 'test') }, icon('send'), 'Tester'),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => act(e, 'secret') }, icon('key'), 'Secret'),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => act(e, 'delete') }, icon('x'), 'Supprimer')));
  }

  async function refresh() {
    let endpoints;
    try {
      endpoints = (await api('/api/webhooks', { signal: ctx.signal })).items;
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (error.status === 403) throw error;
      replace(list, alertBox('danger', 'Impossible de charger les webhooks', error.message));
      return;
    }
    const broken = endpoints.filter((e) => !e.enabled && e.disabledReason && e.disabledReason !== 'manual');
    for (const old of notices.querySelectorAll('.webhook-disabled')) old.remove();
    for (const e of broken) {
      notices.append(alertBox('danger', `Désactivé après des échecs répétés : ${e.url}`, e.disabledReason, { class: 'webhook-disabled' }));
    }
    if (!endpoints.length) {
      replace(list, h('div', { class: 'card' }, emptyState('Aucun point de réception', 'Ajoutez-en un ci-dessus.', 'send')));
      return;
    }
    const table = h('table', { class: 'table table-webhooks' },
      h('caption', { class: 'visually-hidden' }, 'Points de réception'),
      h('thead', null, h('tr', null, ['Adresse', 'Événements', 'État', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, endpoints.map(endpointRow)));
    replace(list, h('div', { class: 'card card-table' }, h('div', { class: 'table-scroll' }, stackedTable(table))));
    const chosen = endpoints.find((e) => e.id === selected);
    if (chosen) await showDeliveries(chosen);
  }

  async function showDeliveries(endpoint) {
    replace(deliveries, loading('Chargement des envois…'));
    try {
      const { items } = await api(`/api/webhooks/${endpoint.id}/deliveries`, { query: { limit: 100 }, signal: ctx.signal });
      const rows = items.map((d) => {
        const s = DELIVERY_STATUSES[d.status] ?? { label: d.status, tone: 'neutral' };
        const subject = d.archiveKey ? h('a', { href: `/console/factures/${encodeURIComponent(d.archiveKey)}`, class: 'mono' }, d.archiveKey)
          : h('span', { class: 'mono' }, d.batchId ?? '—');
        return h('tr', { dataset: { deliveryId: String(d.id), status: d.status } },
          h('td', null, timeEl(d.createdAt, { seconds: true })),
          h('td', null, EVENT_LABELS[d.eventType] ?? d.eventType, h('div', { class: 'small muted mono' }, d.eventId)),
          h('td', null, subject, h('span', { class: 'muted small' }, ` · n° ${d.sequence}`)),
          h('td', null, badge(s.label, s.tone)),
          h('td', null, String(d.attempts)),
          h('td', { class: 'small' }, d.lastStatus ? `HTTP ${d.lastStatus}` : '—', d.lastError ? h('div', { class: 'muted' }, d.lastError) : null),
          h('td', null, d.deliveredAt ? timeEl(d.deliveredAt, { seconds: true }) : '—'));
      });
      replace(deliveries, card(`Envois à ${endpoint.url}`, rows.length
        ? h('div', { class: 'table-scroll' }, stackedTable(h('table', { class: 'table table-deliveries' },
          h('caption', { class: 'visually-hidden' }, 'Envois'),
          h('thead', null, h('tr', null, ['Créé', 'Événement', 'Sujet', 'Résultat', 'Tentatives', 'Dernière réponse', 'Remis'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, rows))))
        : emptyState('Aucun envoi', 'Les événements apparaîtront ici.', 'send')));
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(deliveries, alertBox('danger', 'Impossible de charger les envois', error.message));
    }
  }

  await refresh();
}
