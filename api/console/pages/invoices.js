// Invoice search: critère d'archivage, NIR or N° PS. The search text stays in the search box and in the page's
// history state, never in the URL (a NIR must not end up in the address bar, the history or a shared link). The
// version of the rules that decided them is a filter too (GET /api/rules/versions feeds it), kept in the URL
// (`?regles=<version>`: the link an invoice's « Règles … » gives).

import { api } from '../lib/api.js';
import { h, icon, clear, uid, replace } from '../lib/dom.js';
import { formatDate, formatDateTime, formatRelative, looksLikeNir, plural } from '../lib/format.js';
import { INVOICE_STATUSES } from '../lib/labels.js';
import { store } from '../lib/store.js';
import {
  alertBox, emptyState, invoiceStatusBadge, loading, motifBadge, pageHeader, routeBadge, rulesVersionTag, shortVersion, stackedTable,
} from '../lib/ui.js';

const LIMIT = 50;

export default async function invoicesPage(ctx) {
  ctx.setTitle('Factures');
  const saved = ctx.state && typeof ctx.state === 'object' ? ctx.state : {};
  const qId = uid('q');
  const statusId = uid('status');
  const input = h('input', {
    id: qId, type: 'search', class: 'input input-large', value: saved.q ?? '', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Critère d’archivage (10 chiffres), NIR (13 caractères) ou N° PS (9 chiffres)', 'data-search': '',
    'aria-describedby': `${qId}-help`,
  });
  const status = h('select', { id: statusId, class: 'input' }, h('option', { value: '' }, 'Tous les statuts'),
    Object.entries(INVOICE_STATUSES).map(([value, s]) => h('option', { value }, s.label)));
  status.value = saved.status ?? '';
  const versionId = uid('regles');
  const wantedVersion = ctx.query.get('regles') ?? saved.rulesVersion ?? '';
  const version = h('select', { id: versionId, class: 'input', 'aria-describedby': `${versionId}-help` }, h('option', { value: '' }, 'Toutes les versions'));
  const versionHelp = h('p', { id: `${versionId}-help`, class: 'help' });
  const versions = await api('/api/rules/versions', { signal: ctx.signal }).catch((error) => (error.name === 'AbortError' ? Promise.reject(error) : null));
  const known = versions?.versions ?? [];
  if (wantedVersion && !known.some((v) => v.version === wantedVersion)) known.unshift({ version: wantedVersion, count: 0 });
  version.append(...known.map((v) => h('option', { value: v.version, title: v.version },
    `${shortVersion(v.version)}${v.version === versions?.current ? ' (actuelle)' : ''} · ${plural(v.count, 'facture', 'factures')}`)));
  version.value = wantedVersion;
  if (versions) {
    versionHelp.append('Règles actuelles : ', h('span', { class: 'mono', title: versions.current, id: 'current-rules-version' }, shortVersion(versions.current)),
      versions.unversioned ? ` · ${plural(versions.unversioned, 'facture décidée', 'factures décidées')} avant les versions` : '');
  }
  const hint = h('p', { id: `${qId}-help`, class: 'help' });
  const results = h('div', { class: 'results', 'aria-live': 'polite' });

  const form = h('form', { class: 'search-hero', role: 'search', 'aria-label': 'Recherche de factures', onsubmit: (e) => { e.preventDefault(); search(); } },
    h('div', { class: 'field field-grow' }, h('label', { for: qId, class: 'label' }, 'Rechercher une facture'),
      h('div', { class: 'input-icon input-icon-large' }, icon('search'), input), hint),
    h('div', { class: 'field' }, h('label', { for: statusId, class: 'label' }, 'Statut'), status),
    h('div', { class: 'field' }, h('label', { for: versionId, class: 'label' }, 'Version des règles'), version, versionHelp),
    h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'btn btn-primary btn-large' }, 'Rechercher')));

  function describe(q) {
    if (!q) return 'Sans recherche : les factures les plus récentes.';
    if (/^\d{10}$/.test(q)) return 'Critère d’archivage.';
    if (/^\d{9}$/.test(q)) return 'N° PS : toutes les factures de ce professionnel.';
    if (looksLikeNir(q)) return 'NIR : les factures de ce bénéficiaire. Le NIR n’apparaît pas dans l’adresse de la page.';
    return 'Recherche libre.';
  }
  input.addEventListener('input', () => { hint.textContent = describe(input.value.trim()); });
  status.addEventListener('change', () => search());
  version.addEventListener('change', () => search());
  hint.textContent = describe(input.value.trim());

  replace(ctx.main, h('div', { class: 'page page-invoices' },
    pageHeader({ title: 'Factures', eyebrow: 'Réclamations reçues', meta: [h('span', null, 'Chaque facture suit son propre traitement, de la réception à la réponse.')] }),
    form, results));

  let seq = 0;
  async function search() {
    const mySeq = ++seq;
    const q = input.value.trim().replace(/\s+/g, '');
    const rulesVersion = version.value;
    history.replaceState({ q, status: status.value, rulesVersion }, '', `/console/factures${rulesVersion ? `?${new URLSearchParams({ regles: rulesVersion })}` : ''}`);
    replace(results, loading('Recherche…'));
    try {
      const list = await api('/api/invoices', {
        query: { q: q || undefined, status: status.value || undefined, rulesVersion: rulesVersion || undefined, limit: LIMIT }, signal: ctx.signal,
      });
      if (mySeq !== seq) return;
      render(list, q);
    } catch (error) {
      if (error.name === 'AbortError' || mySeq !== seq) return;
      replace(results, error.status === 400
        ? alertBox('warning', 'Recherche invalide', error.errors?.map((e) => e.message).join(' · ') || error.message)
        : alertBox('danger', 'La recherche a échoué', error.message));
    }
  }

  function render(list, q) {
    clear(results);
    const items = list.items ?? [];
    if (!items.length) {
      results.append(h('div', { class: 'card' }, emptyState('Aucune facture trouvée',
        q ? 'Vérifiez le critère, le NIR ou le N° PS saisi.' : version.value ? 'Aucune facture décidée par cette version des règles.' : null, 'search')));
      return;
    }
    const title = q || version.value ? `${plural(list.total ?? items.length, 'facture trouvée', 'factures trouvées')}` : 'Dernières factures reçues';
    results.append(h('div', { class: 'card card-table' },
      h('div', { class: 'card-header' }, h('h2', { class: 'card-title' }, icon('file'), title),
        (list.total ?? 0) > items.length ? h('span', { class: 'muted' }, `${items.length} premières affichées`) : null),
      h('div', { class: 'table-scroll' }, stackedTable(h('table', { class: 'table' },
        h('caption', { class: 'visually-hidden' }, title),
        h('thead', null, h('tr', null, ['Critère d’archivage', 'Statut', 'Motif', 'Orientation', 'N° PS', 'Lot', 'Règles', 'Reçue le', 'Mise à jour'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, items.map((inv) => {
          const link = h('a', { href: `/console/factures/${encodeURIComponent(inv.id)}`, class: 'row-link mono strong' }, inv.id);
          const row = h('tr', { class: 'task-row' },
            h('td', null, link),
            h('td', null, invoiceStatusBadge(inv.status)),
            h('td', null, inv.motif ? motifBadge(inv.motif) : h('span', { class: 'muted' }, inv.status === 'paid' ? 'Aucun (payée)' : '—')),
            h('td', null, inv.route ? routeBadge(inv.route) : h('span', { class: 'muted' }, '—')),
            h('td', { class: 'mono' }, inv.practitionerNumber ?? '—'),
            h('td', { class: 'mono small' }, inv.batchId
              ? (store.features.batches ? h('a', { href: `/console/lots/${encodeURIComponent(inv.batchId)}` }, inv.batchId) : inv.batchId)
              : '—'),
            h('td', null, inv.rulesVersion ? rulesVersionTag(inv.rulesVersion, { bare: true }) : h('span', { class: 'muted' }, '—')),
            h('td', null, formatDate(inv.receivedOn)),
            h('td', null, h('time', { datetime: inv.updatedAt, title: formatDateTime(inv.updatedAt) }, formatRelative(inv.updatedAt))));
          row.addEventListener('click', (event) => { if (!event.target.closest('a, button')) link.click(); });
          return row;
        })))))));
  }

  await search();
  if (!saved.q) input.focus({ preventScroll: true });
}
