// « Tableau de bord » (managers, auditors, admins): the service level over a period — claims received and decided,
// share of tasks treated within the SLA against the 99 % commitment, charts per day, motif, PS, backlog age and
// durations, each with its CSV export (GET /api/dashboard, /api/dashboard.csv). Days are Paris days; the period is
// in the URL (?periode=7|30|perso&du=…&au=…: dates only, nothing personal). Charts: Chart.js (lib/charts.js).

import { api } from '../lib/api.js';
import { COLORS, loadChartLibrary } from '../lib/charts.js';
import { h, icon, replace, uid } from '../lib/dom.js';
import { formatDate, formatDateTime, formatNumber } from '../lib/format.js';
import { alertBox, card, figureTile, loading, pageHeader } from '../lib/ui.js';

const ZONE = 'Europe/Paris';
const DAY = 86_400_000;
const PRESETS = { 7: '7 jours', 30: '30 jours' };

// ---- Paris days ----

const isoDay = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
const wallClock = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
});

/** YYYY-MM-DD of an instant, in Paris. */
const parisDay = (ms) => isoDay.format(new Date(ms));

/** The instant of 00:00 in Paris on day YYYY-MM-DD. */
function parisMidnight(day) {
  const [y, m, d] = day.split('-').map(Number);
  const utc = Date.UTC(y, m - 1, d);
  const offset = (t) => {
    const p = Object.fromEntries(wallClock.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - t;
  };
  const guess = utc - offset(utc);
  return guess - (offset(guess) - offset(utc));
}

const addDays = (day, n) => parisDay(parisMidnight(day) + n * DAY + 12 * 3_600_000);

/** The period the URL asks for: [from, to) as instants, and its first and last days. */
function periodOf(query) {
  const today = parisDay(Date.now());
  const kind = query.get('periode') === 'perso' ? 'perso' : query.get('periode') === '30' ? '30' : '7';
  let first = addDays(today, -(Number(kind === 'perso' ? 7 : kind) - 1));
  let last = today;
  if (kind === 'perso') {
    const du = query.get('du');
    const au = query.get('au');
    if (/^\d{4}-\d{2}-\d{2}$/.test(du ?? '')) first = du;
    if (/^\d{4}-\d{2}-\d{2}$/.test(au ?? '')) last = au;
    if (last < first) [first, last] = [last, first];
  }
  return { kind, first, last, from: new Date(parisMidnight(first)).toISOString(), to: new Date(parisMidnight(addDays(last, 1))).toISOString() };
}

// ---- Formats ----

const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });
const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });

/** « 48 h », « 2 j », « 30 min »: the SLA and the backlog's bounds. */
export function formatSla(ms) {
  const hours = ms / 3_600_000;
  if (hours < 1) return `${decimal.format(ms / 60_000)} min`;
  return `${decimal.format(hours)} h`;
}

/** A duration in seconds: « 30 s », « 12 min », « 47 h », « — ». */
function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${decimal.format(seconds)} s`;
  if (seconds < 3600) return `${decimal.format(seconds / 60)} min`;
  return `${decimal.format(seconds / 3600)} h`;
}

const shortDay = (day) => formatDate(day).slice(0, 5);

// ---- Chart.js ----

function chartOptions({ horizontal = false, stacked = false, unit = '' } = {}) {
  const valueAxis = { beginAtZero: true, grid: { color: COLORS.grid }, ticks: { precision: unit ? undefined : 0 }, stacked };
  // A long category (a motif's label, a PS's name) is cut on a narrow screen: the tooltip and the CSV have it whole.
  const short = (text) => (typeof text === 'string' && window.innerWidth < 720 && text.length > 22 ? `${text.slice(0, 21)}…` : text);
  const categoryAxis = {
    grid: { display: false }, stacked,
    ticks: { autoSkip: true, maxRotation: 0, callback(value) { return short(this.getLabelForValue(value)); } },
  };
  return {
    responsive: true, maintainAspectRatio: false, animation: false, indexAxis: horizontal ? 'y' : 'x',
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 12 } },
      tooltip: { callbacks: { label: (c) => `${c.dataset.label} : ${decimal.format(c.parsed[horizontal ? 'x' : 'y'])}${unit}` } },
    },
    scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
  };
}

// ---- Page ----

export default async function dashboardPage(ctx) {
  ctx.setTitle('Tableau de bord');
  const period = periodOf(ctx.query);
  const charts = [];
  ctx.onCleanup(() => charts.forEach((c) => c.destroy()));

  const csvHref = (figure) => `/api/dashboard.csv?${new URLSearchParams({ from: period.from, to: period.to, figure })}`;
  const exportLink = (figure, what) => h('a', {
    class: 'btn btn-small btn-secondary', href: csvHref(figure), download: '', dataset: { export: figure },
    'aria-label': `Exporter en CSV : ${what}`,
  }, icon('archive'), 'Exporter CSV');

  const go = (params) => ctx.navigate(`/console/tableau-de-bord?${new URLSearchParams(params)}`);
  const fromId = uid('du');
  const toId = uid('au');
  const picker = h('form', {
    class: 'dash-period', 'aria-label': 'Période',
    onsubmit: (event) => {
      event.preventDefault();
      const du = event.target.elements.du.value;
      const au = event.target.elements.au.value;
      if (du && au) go({ periode: 'perso', du, au });
    },
  },
  h('div', { class: 'segmented', role: 'group', 'aria-label': 'Période' },
    Object.entries(PRESETS).map(([n, label]) => h('button', {
      type: 'button', class: 'segment', 'aria-pressed': String(period.kind === n), dataset: { period: n }, onclick: () => go({ periode: n }),
    }, label)),
    h('button', { type: 'button', class: 'segment', 'aria-pressed': String(period.kind === 'perso'), dataset: { period: 'perso' },
      onclick: () => document.getElementById(fromId)?.focus() }, 'Personnalisée')),
  h('span', { class: 'dash-dates' },
    h('label', { for: fromId, class: 'label' }, 'Du'), h('input', { id: fromId, name: 'du', type: 'date', class: 'input', value: period.first, required: true }),
    h('label', { for: toId, class: 'label' }, 'au'), h('input', { id: toId, name: 'au', type: 'date', class: 'input', value: period.last, required: true }),
    h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Appliquer')));

  const body = h('div', { class: 'dash-body', 'aria-live': 'polite' }, loading('Calcul des indicateurs…'));
  replace(ctx.main, h('div', { class: 'page page-dashboard' },
    pageHeader({
      title: 'Tableau de bord', eyebrow: 'Niveau de service',
      meta: [h('span', null, `Du ${formatDate(period.first)} au ${formatDate(period.last)} inclus (jours de Paris)`)],
    }),
    picker, body));

  const [d, Chart] = await Promise.all([
    api('/api/dashboard', { query: { from: period.from, to: period.to }, signal: ctx.signal }),
    loadChartLibrary().catch((error) => error),
  ]);
  if (ctx.signal.aborted) return;
  const sla = formatSla(d.slaMs);
  const target = percent.format(d.slaTarget);

  // ---- Tiles ----
  const c = d.claims;
  const share = d.sla.share;
  const slaTone = d.sla.met === null ? 'neutral' : d.sla.met ? 'success' : 'danger';
  const tiles = h('div', { class: 'tiles dash-tiles', 'aria-label': 'Indicateurs de la période' },
    figureTile('received', 'demandes reçues', formatNumber(c.received), 'info', 'inbox'),
    figureTile('decidedAuto', 'décidées automatiquement', formatNumber(c.decidedAuto), 'teal', 'flow', `sur ${formatNumber(c.decided)} décidées`),
    figureTile('decidedByManager', 'décidées par un gestionnaire', formatNumber(c.decidedByManager), 'neutral', 'user', `sur ${formatNumber(c.decided)} décidées`),
    figureTile('sla', `tâches traitées en ${sla}`, share === null ? '—' : percent.format(share), slaTone, d.sla.met === false ? 'alert' : 'check-circle',
      `objectif ${target} · ${formatNumber(d.sla.withinSla)} à temps, ${formatNumber(d.sla.late)} hors délai`),
    figureTile('paid', 'payées', formatNumber(c.paid), 'success', 'euro'),
    figureTile('replied', 'réponses au PS', formatNumber(c.replied), 'info', 'reply', c.closed ? `${formatNumber(c.closed)} clôturées` : null),
    figureTile('routed', 'orientées vers un gestionnaire', formatNumber(c.routed), 'warning', 'user-plus'),
    figureTile('escalated', 'escalades', formatNumber(d.escalations.escalated), d.escalations.open ? 'danger' : 'neutral', 'flag',
      `${formatNumber(d.escalations.open)} encore ouvertes`),
  );

  const slaBanner = d.sla.met === null
    ? alertBox('info', `Engagement : ${target} des demandes traitées en ${sla}`, 'Aucune tâche de la période n’a encore d’échéance passée.')
    : alertBox(d.sla.met ? 'success' : 'danger',
      d.sla.met ? `Engagement tenu : ${percent.format(share)} des tâches traitées en ${sla} (objectif ${target})`
        : `Engagement non tenu : ${percent.format(share)} des tâches traitées en ${sla} (objectif ${target})`,
      `${formatNumber(d.sla.tasks)} tâches créées sur la période : ${formatNumber(d.sla.withinSla)} traitées à temps, ${formatNumber(d.sla.late)} hors délai, ${formatNumber(d.sla.pending)} en cours dans le délai.`,
      { class: 'dash-sla' });

  // ---- Charts ----
  const chartCard = (figure, title, description, extra) => {
    const canvas = h('canvas', { role: 'img', 'aria-label': description });
    const section = card(title, [h('div', { class: 'chart-box' }, canvas), extra ?? null], {
      id: `graphique-${figure}`, class: 'dash-chart', actions: exportLink(figure, title),
    });
    section.dataset.chart = figure;
    return { section, canvas };
  };
  const draw = (canvas, config) => {
    if (Chart instanceof Error) return;
    charts.push(new Chart(canvas, config));
  };

  const days = chartCard('jours', 'Reçues et décidées par jour', `Demandes reçues et décidées chaque jour du ${formatDate(period.first)} au ${formatDate(period.last)}`);
  const motifs = chartCard('motifs', 'Demandes par motif', 'Demandes reçues sur la période, par motif de traitement');
  const ps = chartCard('ps', 'Demandes par PS (10 premiers)', 'Les professionnels de santé avec le plus de demandes reçues');
  const backlog = chartCard('anciennete', `Stock de tâches par ancienneté (${formatNumber(d.backlog.total)})`,
    `Tâches ouvertes par ancienneté, délai de traitement ${sla}`,
    h('p', { class: 'help' }, `${formatNumber(d.backlog.overdue)} tâches ouvertes au-delà de ${sla}, au ${formatDateTime(d.backlog.at)}.`));
  const durationRows = [['Réception → décision', d.durations.decision], ['Création de la tâche → résolution', d.durations.resolution]];
  const durations = chartCard('durees', 'Délais de traitement', `Médiane et 90e centile des délais, en heures ; délai de traitement ${sla}`,
    h('div', { class: 'table-scroll' }, h('table', { class: 'table dash-durations' },
      h('thead', null, h('tr', null, ['', 'Nombre', 'Médiane', '90e centile', `En ${sla}`].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, durationRows.map(([label, x], i) => h('tr', { dataset: { duration: i ? 'resolution' : 'decision' } },
        h('th', { scope: 'row' }, label), h('td', null, formatNumber(x.count)), h('td', { dataset: { stat: 'median' } }, formatSeconds(x.medianSeconds)),
        h('td', { dataset: { stat: 'p90' } }, formatSeconds(x.p90Seconds)),
        h('td', null, x.count ? percent.format(x.withinSla / x.count) : '—')))))));

  replace(body, slaBanner, tiles,
    Chart instanceof Error ? alertBox('warning', 'Graphiques indisponibles', Chart.message) : null,
    h('div', { class: 'dash-charts' }, days.section, motifs.section, ps.section, backlog.section, durations.section));

  draw(days.canvas, {
    type: 'bar',
    data: {
      labels: d.days.map((x) => shortDay(x.day)),
      datasets: [
        { type: 'bar', label: 'Reçues', data: d.days.map((x) => x.received), backgroundColor: COLORS.brand },
        { type: 'line', label: 'Décidées', data: d.days.map((x) => x.decided), borderColor: COLORS.teal, backgroundColor: COLORS.teal, tension: 0.2 },
        { type: 'line', label: 'Escalades', data: d.days.map((x) => x.escalated), borderColor: COLORS.danger, backgroundColor: COLORS.danger, borderDash: [4, 3] },
      ],
    },
    options: chartOptions(),
  });
  draw(motifs.canvas, {
    type: 'bar',
    data: { labels: d.motifs.map((m) => m.label), datasets: [{ label: 'Demandes', data: d.motifs.map((m) => m.count), backgroundColor: COLORS.purple }] },
    options: chartOptions({ horizontal: true }),
  });
  draw(ps.canvas, {
    type: 'bar',
    data: {
      labels: d.practitioners.map((p) => (p.practitionerNumber ? `${p.practitionerNumber}${p.name ? ` · ${p.name}` : ''}` : 'Sans N° PS')),
      datasets: [
        { label: 'Payées', data: d.practitioners.map((p) => p.paid), backgroundColor: COLORS.success },
        { label: 'Non payées (motif)', data: d.practitioners.map((p) => p.rejected), backgroundColor: COLORS.warning },
        { label: 'En analyse', data: d.practitioners.map((p) => p.received - p.paid - p.rejected), backgroundColor: COLORS.grid },
      ],
    },
    options: chartOptions({ horizontal: true, stacked: true }),
  });
  draw(backlog.canvas, {
    type: 'bar',
    data: {
      labels: d.backlog.buckets.map((b) => b.label),
      datasets: [{
        label: 'Tâches ouvertes', data: d.backlog.buckets.map((b) => b.count),
        backgroundColor: d.backlog.buckets.map((b) => (b.fromMs >= d.slaMs ? COLORS.danger : b.fromMs >= d.slaMs / 2 ? COLORS.warning : COLORS.brand)),
      }],
    },
    options: { ...chartOptions(), plugins: { ...chartOptions().plugins, legend: { display: false } } },
  });
  const inHours = (s) => (s === null ? null : Math.round((s / 3600) * 10) / 10);
  draw(durations.canvas, {
    type: 'bar',
    data: {
      labels: durationRows.map(([label]) => label),
      datasets: [
        { label: 'Médiane (h)', data: durationRows.map(([, x]) => inHours(x.medianSeconds)), backgroundColor: COLORS.brand },
        { label: '90e centile (h)', data: durationRows.map(([, x]) => inHours(x.p90Seconds)), backgroundColor: COLORS.warning },
        { label: `Délai (${sla})`, data: durationRows.map(() => d.slaMs / 3_600_000), backgroundColor: 'rgba(179, 38, 30, .25)' },
      ],
    },
    options: chartOptions({ unit: ' h' }),
  });
}
