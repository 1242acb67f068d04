// One e-mail as sent: headers, then the HTML in a sandboxed iframe (no scripts, no same-origin, no forms, no
// navigation) or the text version. NIRs in the bordereau are masked here: they are shown on task and invoice pages only.

import { api } from '../lib/api.js';
import { h, icon, clear, replace } from '../lib/dom.js';
import { maskNirsInText } from '../lib/format.js';
import { OUTBOX_KINDS, OUTBOX_STATUSES } from '../lib/labels.js';
import { store } from '../lib/store.js';
import { badge, card, keyValues, pageHeader, timeEl } from '../lib/ui.js';

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
