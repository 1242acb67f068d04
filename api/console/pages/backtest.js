// « Rejeu des règles » (managers, auditors, admins): today's rules replayed on the claims already decided over a
// period (GET /api/backtest) — how many keep their decision, how many move and where (the from → to matrix, as a chart
// and as a table coloured where it moved), per recorded motif, the first step that changed, and the moved claims, each
// linked to its invoice page with both traces (`?rejeu=1`) and shown side by side here on demand. The period and the
// filters are in the URL (?du=…&au=…&motif=…&limite=…: nothing personal); a replay runs only once asked for.

import { api } from '../lib/api.js';
import { COLORS, loadChartLibrary } from '../lib/charts.js';
import { h, icon, replace, uid } from '../lib/dom.js';
import { formatDate, formatNumber, plural } from '../lib/format.js';
import { motifLabel, store } from '../lib/store.js';
import {
  alertBox, badge, card, emptyState, figureTile, loading, outcomeBadge, pageHeader, rulesVersionTag, shortVersion, stackedTable, stepName, traceComparison,
} from '../lib/ui.js';

const DAY = 86_400_000;
const MAX_CLAIMS = 5000;
const DEFAULT_CLAIMS = 1000;
const MOVE_COLORS = [COLORS.warning, COLORS.danger, COLORS.purple, COLORS.brand, COLORS.teal, '#8a4b00', '#5f6b7a', '#c2185b'];

const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });

/** `paid` or a motif code, in words. */
const outcomeLabel = (outcome) => (outcome === 'paid' ? 'Payée' : motifLabel(outcome));

/** What the URL asks for; `run`: a replay was asked (the form sets `du`). */
function requestOf(query) {
  const day = (name, fallback) => (DAY_PATTERN.test(query.get(name) ?? '') ? query.get(name) : fallback);
  const limit = Number(query.get('limite'));
  return {
    run: query.has('du'),
    since: day('du', isoDay(Date.now() - 29 * DAY)),
    until: day('au', isoDay(Date.now())),
    motif: query.get('motif') ?? '',
    limit: Number.isInteger(limit) && limit >= 1 && limit <= MAX_CLAIMS ? limit : DEFAULT_CLAIMS,
  };
}

export default async function backtestPage(ctx) {
  ctx.setTitle('Rejeu des règles');
  const request = requestOf(ctx.query);
  const charts = [];
  ctx.onCleanup(() => charts.forEach((c) => c.destroy()));

  const ids = { since: uid('du'), until: uid('au'), motif: uid('motif'), limit: uid('limite') };
  const form = h('form', {
    class: 'filters bt-form', 'aria-label': 'Période et factures à rejouer',
    onsubmit: (event) => {
      event.preventDefault();
      const f = event.target.elements;
      const params = { du: f.du.value, au: f.au.value, limite: f.limite.value };
      if (f.motif.value) params.motif = f.motif.value;
      ctx.navigate(`/console/rejeu?${new URLSearchParams(params)}`);
    },
  },
  h('div', { class: 'field' }, h('label', { for: ids.since, class: 'label' }, 'Reçues du'),
    h('input', { id: ids.since, name: 'du', type: 'date', class: 'input', value: request.since, required: true })),
  h('div', { class: 'field' }, h('label', { for: ids.until, class: 'label' }, 'au (inclus)'),
    h('input', { id: ids.until, name: 'au', type: 'date', class: 'input', value: request.until, required: true })),
  h('div', { class: 'field field-grow' }, h('label', { for: ids.motif, class: 'label' }, 'Décision enregistrée'),
    h('select', { id: ids.motif, name: 'motif', class: 'input' },
      h('option', { value: '' }, 'Toutes'), h('option', { value: 'paid' }, 'Payée'),
      store.motifs.map((m) => h('option', { value: m.code }, m.label)))),
  h('div', { class: 'field' }, h('label', { for: ids.limit, class: 'label' }, 'Factures au plus'),
    h('input', { id: ids.limit, name: 'limite', type: 'number', class: 'input', min: 1, max: MAX_CLAIMS, step: 1, value: request.limit, required: true })),
  h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'run-backtest' }, icon('play'), 'Lancer le rejeu')));
  form.elements.motif.value = request.motif;

  const currentVersion = h('span', { id: 'current-rules-version' }, '…');
  const body = h('div', { class: 'bt-body', 'aria-live': 'polite' });
  replace(ctx.main, h('div', { class: 'page page-backtest' },
    pageHeader({
      title: 'Rejeu des règles', eyebrow: 'Back-test',
      meta: [h('span', null, 'Les règles actuelles rejouées sur les factures déjà décidées, avec les données de référence lues le jour de la décision.'),
        h('span', null, 'Règles actuelles ', currentVersion)],
    }),
    form, body));

  api('/api/rules/versions', { signal: ctx.signal }).then((v) => {
    replace(currentVersion, rulesVersionTag(v.current));
  }, () => replace(currentVersion, '—'));

  if (!request.run) {
    replace(body, h('div', { class: 'card' }, emptyState('Choisissez une période', 'Puis « Lancer le rejeu » : les décisions enregistrées sont comparées à celles des règles actuelles.', 'refresh')));
    return;
  }
  replace(body, loading('Rejeu des règles sur les factures de la période…'));
  let report;
  let Chart;
  try {
    [report, Chart] = await Promise.all([
      api('/api/backtest', { query: { since: request.since, until: request.until, motif: request.motif || undefined, limit: request.limit }, signal: ctx.signal }),
      loadChartLibrary().catch((error) => error),
    ]);
  } catch (error) {
    if (error.name === 'AbortError' || error.status === 401) throw error;
    replace(body, error.status === 400
      ? alertBox('warning', 'Demande invalide', error.errors?.map((e) => e.message).join(' · ') || error.message)
      : alertBox('danger', 'Le rejeu a échoué', error.message));
    return;
  }
  if (ctx.signal.aborted) return;
  render(report, Chart);

  function render(r, Chart) {
    const period = `du ${formatDate(request.since)} au ${formatDate(request.until)}`;
    if (!r.total) {
      replace(body, h('div', { class: 'card' }, emptyState('Aucune facture décidée sur la période', `Aucune facture reçue ${period} n’a de décision à rejouer.`, 'search')));
      return;
    }
    const tiles = h('div', { class: 'tiles', 'aria-label': 'Résultat du rejeu' },
      figureTile('total', 'factures rejouées', formatNumber(r.total), 'info', 'refresh', period),
      figureTile('stayed', 'même décision', formatNumber(r.stayed), 'success', 'check-circle', percent.format(r.stayed / r.total)),
      figureTile('moved', 'décision différente', formatNumber(r.moved), r.moved ? 'warning' : 'neutral', 'alert', percent.format(r.moved / r.total)),
      figureTile('rerouted', 'même motif, autre destinataire', formatNumber(r.rerouted), r.rerouted ? 'warning' : 'neutral', 'flow'));
    const notes = [
      r.failed
        ? alertBox('warning', `${formatNumber(r.failed)} facture(s) que les règles actuelles n’ont pas pu analyser`,
          'Décidées « Manque consigne » pour un gestionnaire, comme le ferait le traitement : l’erreur est dans leur trace.')
        : null,
      r.total < r.selected
        ? alertBox('info', `Rejeu limité aux ${formatNumber(r.total)} premières factures sur ${formatNumber(r.selected)}`,
          'Par critère d’archivage croissant ; augmentez « Factures au plus » (5 000 au plus) ou resserrez la période pour les autres.')
        : null,
      h('p', { class: 'help' }, `Règles ${shortVersion(r.rulesVersion)} : `,
        `${plural(r.facts.recordedClaims, 'facture rejouée', 'factures rejouées')} sur les données de référence lues lors de leur décision`,
        r.facts.currentClaims ? `, ${formatNumber(r.facts.currentClaims)} sur les données d’aujourd’hui (rien d’enregistré)` : '',
        ` · ${formatNumber(Math.round(r.rulesMs))} ms de calcul.`),
    ];

    // ---- The from → to matrix ----
    const froms = Object.keys(r.matrix).sort((a, b) => (r.perMotif[b]?.total ?? 0) - (r.perMotif[a]?.total ?? 0) || a.localeCompare(b));
    const tos = [...new Set(froms.flatMap((f) => Object.keys(r.matrix[f])))].sort((a, b) =>
      (froms.indexOf(a) < 0 ? 1e9 : froms.indexOf(a)) - (froms.indexOf(b) < 0 ? 1e9 : froms.indexOf(b)) || a.localeCompare(b));
    const movedTos = tos.filter((to) => froms.some((f) => f !== to && r.matrix[f][to]));
    const canvas = h('canvas', { role: 'img', 'aria-label': 'Pour chaque décision enregistrée, les factures qui la gardent et celles qui changent, par nouvelle décision' });
    const maxMove = Math.max(1, ...froms.flatMap((f) => tos.filter((t) => t !== f).map((t) => r.matrix[f][t] ?? 0)));
    const matrixTable = h('div', { class: 'table-scroll' }, h('table', { class: 'table bt-matrix', id: 'backtest-matrix' },
      h('caption', { class: 'visually-hidden' }, 'Décision enregistrée (lignes) → décision des règles actuelles (colonnes)'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Enregistrée ↓ · Actuelle →'),
        tos.map((t) => h('th', { scope: 'col', title: outcomeLabel(t) }, outcomeLabel(t))))),
      h('tbody', null, froms.map((f) => h('tr', { dataset: { from: f } },
        h('th', { scope: 'row' }, outcomeLabel(f)),
        tos.map((t) => {
          const n = r.matrix[f][t] ?? 0;
          const kind = !n ? 'cell-zero' : f === t ? 'cell-stay' : 'cell-move';
          return h('td', {
            class: kind, dataset: { to: t }, style: kind === 'cell-move' ? { '--heat': (0.2 + 0.6 * (n / maxMove)).toFixed(2) } : null,
            title: `${outcomeLabel(f)} → ${outcomeLabel(t)} : ${n}`,
          }, n ? formatNumber(n) : '·');
        }))))));
    const matrixCard = card('D’où vers où', [h('div', { class: 'chart-box' }, canvas), matrixTable],
      { id: 'graphique-matrice', icon: 'chart', class: 'bt-chart' });
    matrixCard.dataset.chart = 'matrix';

    // ---- Per recorded motif ----
    const perMotif = card('Par décision enregistrée', h('div', { class: 'table-scroll' }, stackedTable(h('table', { class: 'table', id: 'backtest-per-motif' },
      h('thead', null, h('tr', null, ['Décision enregistrée', 'Rejouées', 'Inchangées', 'Changées', 'Part changée'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, froms.map((f) => {
        const m = r.perMotif[f];
        return h('tr', { dataset: { motif: f } },
          h('td', null, outcomeBadge(f)), h('td', null, formatNumber(m.total)), h('td', null, formatNumber(m.stayed)),
          h('td', { class: m.moved ? 'strong' : null }, formatNumber(m.moved)), h('td', null, percent.format(m.moved / m.total)));
      }))))), { id: 'par-motif', icon: 'layers' });

    const steps = Object.entries(r.byStep).sort((a, b) => b[1] - a[1]);
    const byStep = steps.length
      ? card('Première étape qui change', h('ul', { class: 'bt-steps' }, steps.map(([step, n]) =>
        h('li', null, badge(`${step === '—' ? 'Aucune étape' : stepName(step)} : ${formatNumber(n)}`, 'warning', { icon: 'flow' })))), { id: 'par-etape', icon: 'flow' })
      : null;

    // ---- The moved claims ----
    const movedCard = card(`Factures dont la décision change (${formatNumber(r.moved)})`, r.movedClaims.length
      ? [h('ul', { class: 'bt-moved', id: 'backtest-moved' }, r.movedClaims.map(movedItem)),
        r.movedOmitted ? h('p', { class: 'help' }, `et ${plural(r.movedOmitted, 'autre facture non affichée', 'autres factures non affichées')} (les ${r.movedClaims.length} premières par critère d’archivage sont listées).`) : null]
      : h('p', { class: 'muted' }, 'Aucune : les règles actuelles prennent les mêmes décisions sur ces factures.'),
    { id: 'deplacees', icon: 'alert' });

    replace(body, tiles, ...notes, h('div', { class: 'bt-grid' }, matrixCard, h('div', { class: 'bt-body' }, perMotif, byStep)), movedCard);

    if (Chart instanceof Error) {
      matrixCard.querySelector('.chart-box')?.replaceWith(alertBox('warning', 'Graphique indisponible', Chart.message));
      return;
    }
    const dataset = (label, data, color) => ({ label, data, backgroundColor: color, borderWidth: 0 });
    charts.push(new Chart(canvas, {
      type: 'bar',
      data: {
        labels: froms.map(outcomeLabel),
        datasets: [
          dataset('Même décision', froms.map((f) => r.matrix[f][f] ?? 0), COLORS.success),
          ...movedTos.map((to, i) => dataset(`→ ${outcomeLabel(to)}`, froms.map((f) => (f === to ? 0 : r.matrix[f][to] ?? 0)), MOVE_COLORS[i % MOVE_COLORS.length])),
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, indexAxis: 'y',
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, grid: { color: COLORS.grid } },
          y: {
            stacked: true, grid: { display: false },
            ticks: { callback(value) { const t = this.getLabelForValue(value); return window.innerWidth < 720 && t.length > 22 ? `${t.slice(0, 21)}…` : t; } },
          },
        },
      },
    }));
  }

  function movedItem(m) {
    const details = h('details', { class: 'bt-traces' }, h('summary', null, 'Voir les traces côte à côte'));
    details.addEventListener('toggle', () => {
      if (!details.open || details.querySelector('.trace-compare')) return;
      details.append(traceComparison({
        before: m.before, after: m.after, changed: m.changed,
        beforeTitle: `Décision enregistrée${m.rulesVersion ? ` (règles ${shortVersion(m.rulesVersion)})` : ''}`,
        afterTitle: 'Règles actuelles',
      }));
    });
    return h('li', { class: 'bt-moved-item', dataset: { archiveKey: m.archiveKey } },
      h('div', { class: 'bt-moved-head' },
        h('a', { href: `/console/factures/${encodeURIComponent(m.archiveKey)}?rejeu=1`, class: 'mono strong', title: 'La facture, avec les deux traces' }, m.archiveKey),
        outcomeBadge(m.from), h('span', { class: 'replay-arrow', 'aria-label': 'devient' }, '→'), outcomeBadge(m.to),
        m.changed ? h('span', { class: 'muted small' }, `dès ${stepName(m.changed.step)}`) : null,
        rulesVersionTag(m.rulesVersion)),
      details);
  }
}
