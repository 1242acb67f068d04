// The Trame SSTT round trip: download the rows still open for managers (« Lignes ouvertes »), fill « Gestionnaire
// Almerys » and « Almerys – traité le » in Excel, upload the file (POST /api/trames) and read what became of each
// row. A malformed file applies nothing: one French error says what is wrong. Reached from the inbox (« Importer une
// Trame ») and from a batch's page (`?lot=<id>`).

import { ApiError, upload } from '../lib/api.js';
import { h, icon, replace, uid } from '../lib/dom.js';
import { formatDate, formatNumber, plural } from '../lib/format.js';
import { TRAME_OUTCOMES } from '../lib/labels.js';
import { canResolve } from '../lib/store.js';
import { alertBox, badge, card, downloadLink, openRowsLink, pageHeader, setBusy, stackedTable } from '../lib/ui.js';
import { invalidateCounts } from '../app.js';

/** Rows left empty listed by number in the report (the others counted). */
const BLANK_ROWS_LISTED = 200;

export default async function tramePage(ctx) {
  ctx.setTitle('Trame SSTT');
  const batchId = ctx.query.get('lot');
  const report = h('div', { class: 'trame-report', id: 'trame-report' });

  replace(ctx.main, h('div', { class: 'page page-trame' },
    pageHeader({
      title: 'Trame SSTT',
      eyebrow: 'Retours gestionnaire',
      back: batchId ? { href: `/console/lots/${encodeURIComponent(batchId)}`, label: `Lot ${batchId}` } : { href: '/console/taches', label: 'Tâches' },
      meta: [h('span', null, 'Remplissez « Gestionnaire Almerys » et « Almerys – traité le » dans Excel, puis importez le fichier : les tâches de ces lignes sont clôturées en votre nom.')],
      actions: [
        batchId ? downloadLink(`/api/batches/${encodeURIComponent(batchId)}/trame.xlsx`, 'Trame du lot') : null,
        openRowsLink({ primary: !batchId }),
      ],
    }),
    card('Les lignes à traiter', h('p', { class: 'card-intro' },
      '« Lignes ouvertes » : une Trame de toutes les lignes encore chez un gestionnaire, tous lots confondus. ',
      'La Trame d’un lot se télécharge depuis sa page (Lots).'), { icon: 'sheet' }),
    canResolve()
      ? uploadCard(ctx, report)
      : alertBox('info', 'Import réservé aux gestionnaires', 'Votre profil permet de télécharger les lignes ouvertes, pas d’importer une Trame.'),
    report));
}

function uploadCard(ctx, report) {
  const fileId = uid('trame-file');
  const input = h('input', {
    id: fileId, name: 'file', type: 'file', class: 'input input-file', required: true,
    accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'aria-describedby': `${fileId}-help ${fileId}-error`,
  });
  const fieldError = h('p', { class: 'field-error', id: `${fileId}-error` });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('upload'), 'Importer la Trame');
  const bar = h('progress', { class: 'upload-progress', max: '100', 'aria-labelledby': `${fileId}-progress` });
  const barLabel = h('span', { id: `${fileId}-progress`, role: 'status' });
  const progress = h('div', { class: 'upload-state', hidden: true }, bar, barLabel);

  const showProgress = (event) => {
    if (event.sent) {
      bar.removeAttribute('value'); // indeterminate: the server reads the file and closes the tasks
      barLabel.textContent = 'Fichier envoyé : import en cours…';
      return;
    }
    const pct = event.total ? Math.round((event.loaded / event.total) * 100) : 0;
    bar.value = pct;
    barLabel.textContent = `Envoi du fichier… ${pct} %`;
  };

  const form = h('form', { class: 'trame-upload', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const file = input.files?.[0];
    if (!file) {
      fieldError.textContent = 'Choisissez le fichier de la Trame remplie (.xlsx).';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    fieldError.textContent = '';
    input.removeAttribute('aria-invalid');
    const data = new FormData();
    data.append('file', file, file.name);
    replace(report);
    form.setAttribute('aria-busy', 'true');
    input.disabled = true;
    setBusy(submit, true, 'Import en cours…');
    progress.hidden = false;
    showProgress({ loaded: 0, total: file.size });
    let view;
    try {
      const result = await upload('/api/trames', data, { signal: ctx.signal, onProgress: showProgress });
      view = importedView(result, file.name);
      form.reset();
      invalidateCounts();
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (error instanceof ApiError && error.status === 401) return; // the login page is on its way
      view = refusedView(error, file.name);
    } finally {
      form.removeAttribute('aria-busy');
      input.disabled = false;
      progress.hidden = true;
      if (submit.isConnected) {
        setBusy(submit, false);
        replace(submit, icon('upload'), 'Importer la Trame');
      }
    }
    replace(report, view);
    report.querySelector('[data-report-title]')?.focus();
  } },
  h('div', { class: 'field' },
    h('label', { for: fileId, class: 'label' }, 'Trame remplie (.xlsx)'),
    input,
    h('p', { class: 'help', id: `${fileId}-help` },
      'Rien n’est appliqué si le fichier n’est pas la Trame SSTT, si une cellule verrouillée a été modifiée ou si une date est invalide. ',
      'Les lignes déjà traitées, prises par un collègue ou qui demandent une décision dans la console sont ignorées ; les autres sont appliquées.'),
    fieldError),
  h('div', { class: 'field-actions' }, submit),
  progress);

  return card('Importer une Trame remplie', form, { icon: 'upload', id: 'trame-import' });
}

/** The report of an import that was applied: every filled row, applied or ignored and why; the empty rows counted. */
function importedView(result, fileName) {
  const rows = [...(result.closed ?? []), ...(result.refused ?? []), ...(result.ignored ?? [])].sort((a, b) => a.row - b.row);
  const blank = rows.filter((r) => r.code === 'not_filled');
  const reported = rows.filter((r) => r.code !== 'not_filled');
  const applied = (result.closed ?? []).length;
  const skipped = reported.length - applied;
  const title = `Trame importée : ${plural(applied, 'ligne appliquée', 'lignes appliquées')}, ${plural(skipped, 'ignorée', 'ignorées')}`;
  const summary = alertBox(skipped ? 'warning' : 'success', null, h('div', null,
    h('p', { class: 'alert-title', tabindex: '-1', 'data-report-title': '' }, title),
    h('p', null, `${fileName} · ${plural(result.rows ?? rows.length, 'ligne lue', 'lignes lues')}`
      + (blank.length ? ` · ${plural(blank.length, 'ligne non remplie, laissée ouverte', 'lignes non remplies, laissées ouvertes')}` : '')
      + (result.batchId ? ` · lot ${result.batchId}` : ''))), { role: 'status' });

  // On a phone, one card per row (stackedTable).
  const table = reported.length ? h('div', { class: 'table-scroll' }, stackedTable(h('table', { class: 'table table-compact trame-rows' },
    h('caption', { class: 'visually-hidden' }, 'Rapport de l’import, ligne par ligne'),
    h('thead', null, h('tr', null, ['Ligne', 'Critère d’archivage', 'Résultat', 'Détail'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, reported.map((r) => {
      const o = TRAME_OUTCOMES[r.code] ?? { outcome: 'ignorée', tone: 'neutral', icon: 'info' };
      return h('tr', { dataset: { row: String(r.row), code: r.code } },
        h('td', { class: 'num' }, formatNumber(r.row)),
        h('td', null, h('a', { href: `/console/factures/${encodeURIComponent(r.archiveKey)}`, class: 'mono strong' }, r.archiveKey)),
        h('td', null, badge(o.why ? `${o.outcome} · ${o.why}` : o.outcome, o.tone, { icon: o.icon })),
        h('td', null, detail(r)));
    }))))) : h('p', { class: 'muted' }, 'Aucune ligne n’avait « Gestionnaire Almerys » et « Almerys – traité le » remplis.');

  return [summary, card('Rapport ligne par ligne', [table, blankRows(blank)], { icon: 'sheet', id: 'trame-rows' })];
}

function detail(r) {
  const taskHref = r.taskId ? `/console/taches/${encodeURIComponent(r.taskId)}` : null;
  if (r.code === 'closed') {
    return h('span', null, 'Clôturée en votre nom (', h('a', { href: taskHref }, `tâche ${r.taskId}`),
      `) : Gestionnaire Almerys « ${r.manager} », traité le ${formatDate(r.treatedOn)}`);
  }
  const open = taskHref ? h('a', { href: taskHref, 'aria-label': `Ouvrir la tâche ${r.taskId}` }, 'Ouvrir la tâche') : null;
  return h('span', null, r.reason ?? '', open ? [' · ', open] : null,
    r.detail ? h('span', { class: 'muted small' }, ` (${r.detail})`) : null);
}

function blankRows(blank) {
  if (!blank.length) return null;
  const listed = blank.slice(0, BLANK_ROWS_LISTED).map((r) => `${r.row} (${r.archiveKey})`).join(', ');
  return h('details', { class: 'trame-blank' },
    h('summary', null, blank.length > 1 ? `${formatNumber(blank.length)} lignes non remplies : laissées ouvertes` : '1 ligne non remplie : laissée ouverte'),
    h('p', { class: 'small' }, `Lignes ${listed}${blank.length > BLANK_ROWS_LISTED ? ', …' : ''}`));
}

/** A file refused: nothing applied. One error in a sentence; more in a table (row, column, what is wrong). */
function refusedView(error, fileName) {
  // In the order of the rows (the cells' formats are checked as the sheet is read, the locked cells after each page);
  // the line counting the errors not listed last.
  const errors = (error instanceof ApiError && Array.isArray(error.body?.errors) ? [...error.body.errors] : [])
    .sort((a, b) => (a.code === 'more_errors') - (b.code === 'more_errors') || a.row - b.row);
  const unreachable = error.status === 0;
  const title = unreachable ? 'Import interrompu' : 'Trame refusée : rien n’a été appliqué';
  const where = (e) => [e.row > 0 ? `Ligne ${e.row}` : null, e.column ? `colonne « ${e.column} »` : null].filter(Boolean).join(', ');
  let body;
  if (errors.length === 1) {
    const [e] = errors;
    body = h('p', { dataset: { code: e.code ?? '' } }, where(e) ? `${where(e)} : ${e.message}` : e.message);
  } else if (errors.length > 1) {
    const count = error.body.errorCount ?? errors.length;
    body = [h('p', null, `${plural(count, 'erreur', 'erreurs')} dans ${fileName} :`),
      h('div', { class: 'table-scroll' }, stackedTable(h('table', { class: 'table table-compact trame-errors' },
        h('caption', { class: 'visually-hidden' }, 'Erreurs du fichier'),
        h('thead', null, h('tr', null, ['Ligne', 'Colonne', 'Erreur'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, errors.map((e) => h('tr', { dataset: { code: e.code ?? '' } },
          h('td', { class: 'num' }, e.row > 0 ? formatNumber(e.row) : '—'),
          h('td', null, e.column ?? '—'),
          h('td', null, e.message)))))))];
  } else {
    body = h('p', null, error.message);
  }
  return alertBox('danger', null, h('div', null,
    h('p', { class: 'alert-title', tabindex: '-1', 'data-report-title': '' }, title), body), { role: 'alert' });
}
