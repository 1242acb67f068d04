// One e-mail as sent: headers, then the HTML in a sandboxed iframe (no scripts, no same-origin, no forms, no
// navigation) or the text version. NIRs in the bordereau are masked here: they are shown on task and invoice pages only.

import { api, post } from '../lib/api.js';
import { h, icon, clear, replace, uid } from '../lib/dom.js';
import { maskNirsInText } from '../lib/format.js';
import { MAIL_ERROR_KINDS, OUTBOX_KINDS, OUTBOX_STATUSES } from '../lib/labels.js';
import { canResolve, store } from '../lib/store.js';
import { alertBox, badge, card, keyValues, pageHeader, setBusy, timeEl, toast } from '../lib/ui.js';

export default async function emailPage(ctx) {
  const id = ctx.params.id;
  ctx.setTitle(`E-mail ${id}`);
  const m = await api(`/api/outbox/${encodeURIComponent(id)}`, { signal: ctx.signal });
  const st = OUTBOX_STATUSES[m.status] ?? { label: m.status, tone: 'neutral' };

  const frame = h('iframe', {
    class: 'email-frame', title: `Contenu HTML de l’e-mail « ${m.subject ?? ''} »`, sandbox: '', referrerpolicy: 'no-referrer', loading: 'lazy',
  });
  frame.srcdoc = maskNirsInText(m.html ?? '');
  const text = h('pre', { class: 'email-text', tabindex: '0', hidden: true }, maskNirsInText(m.text ?? ''));

  const tabs = ['html', 'text'].map((kind) => h('button', {
    type: 'button', role: 'tab', class: 'tab', id: `tab-${kind}`, 'aria-selected': String(kind === 'html'), 'aria-controls': `panel-${kind}`,
    tabindex: kind === 'html' ? '0' : '-1', onclick: () => select(kind),
  }, kind === 'html' ? 'Aperçu HTML' : 'Version texte'));
  function select(kind) {
    for (const t of tabs) {
      const on = t.id === `tab-${kind}`;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
    }
    panelHtml.hidden = kind !== 'html';
    panelText.hidden = kind !== 'text';
    text.hidden = kind !== 'text';
  }
  const tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Format de l’e-mail', onkeydown: (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const next = tabs.find((t) => t.getAttribute('aria-selected') !== 'true');
    select(next.id.replace('tab-', ''));
    next.focus();
  } }, tabs);
  const panelHtml = h('div', { role: 'tabpanel', id: 'panel-html', 'aria-labelledby': 'tab-html' }, frame);
  const panelText = h('div', { role: 'tabpanel', id: 'panel-text', 'aria-labelledby': 'tab-text', hidden: true }, text);

  const keys = (m.archiveKeys ?? []).map((k, i) => [i ? ', ' : '', h('a', { href: `/console/factures/${encodeURIComponent(k)}`, class: 'mono' }, k)]);
  replace(ctx.main, h('div', { class: 'page page-email' },
    pageHeader({
      back: { href: '/console/emails', label: 'Tous les e-mails' },
      eyebrow: OUTBOX_KINDS[m.kind] ?? m.kind,
      title: m.subject || '(sans objet)',
      badges: [badge(st.label, st.tone)],
    }),
    problem(ctx, m, keys),
    h('div', { class: 'email-grid' },
      card('En-têtes', keyValues([
        ['À', (m.to ?? []).join(', ')],
        ['Cci', (m.bcc ?? []).length ? m.bcc.join(', ') : null],
        ['Envoyé', m.sentAt ? timeEl(m.sentAt, { withRelative: true }) : 'pas encore'],
        ['N° PS', m.practitionerNumber ? h('span', { class: 'mono' }, m.practitionerNumber) : null],
        ['Lot', m.batchId ? (store.features.batches ? h('a', { href: `/console/lots/${encodeURIComponent(m.batchId)}`, class: 'mono' }, m.batchId) : m.batchId) : null],
        ['Factures', keys.length ? keys : null],
      ]), { icon: 'mail' }),
      card('Contenu', [
        h('p', { class: 'card-intro' }, icon('lock'), ' Affiché tel qu’envoyé, dans un cadre isolé ; les NIR sont masqués.'),
        tablist, panelHtml, panelText,
      ], { icon: 'file', class: 'card-email' }))));
}

/** Why the e-mail did not go, and what to do: send an escalation again to a fixed address, or treat the claims' tasks. */
function problem(ctx, m, keys) {
  if (m.status === 'sent' || !m.errorKind || !m.error) return null;
  const kind = MAIL_ERROR_KINDS[m.errorKind] ?? MAIL_ERROR_KINDS.rejected;
  const reason = h('p', { class: 'mono small' }, maskNirsInText(m.error));
  if (m.status !== 'failed') return alertBox(kind.tone, kind.title, h('div', null, h('p', null, kind.text ?? ''), reason));
  if (m.kind === 'ps_reply') {
    return alertBox('danger', kind.title, h('div', null, reason,
      h('p', null, 'Les factures de cet e-mail ont été confiées à un gestionnaire, avec ce motif de refus. Corrigez l’adresse du PS dans AGAPS, puis traitez leur tâche (« Répondre au PS ») : ', keys, '.')));
  }
  if (!canResolve()) return alertBox('danger', kind.title, reason);
  const field = uid('to');
  const input = h('input', { id: field, class: 'input', type: 'text', value: (m.to ?? []).join(', '), autocomplete: 'off', spellcheck: 'false' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('send'), 'Renvoyer');
  const form = h('form', { class: 'retry-form', onsubmit: async (event) => {
    event.preventDefault();
    const to = input.value.split(',').map((a) => a.trim()).filter(Boolean);
    setBusy(button, true, 'Envoi…');
    try {
      await post(`/api/outbox/${encodeURIComponent(m.id)}/retry`, to.length ? { to } : {});
      toast('E-mail renvoyé : il part dans quelques secondes.');
      ctx.navigate(location.pathname, { replace: true });
    } catch (error) {
      toast(error.message, 'danger');
      setBusy(button, false);
    }
  } },
  h('div', { class: 'field' }, h('label', { for: field, class: 'label' }, 'Destinataire(s), séparés par des virgules'), input),
  h('div', { class: 'field field-actions' }, button));
  return alertBox('danger', kind.title, h('div', null, reason,
    h('p', null, 'Corrigez l’adresse si besoin et renvoyez l’e-mail : il part une fois, sous une nouvelle clé d’envoi.'), form));
}
