// Bulk actions on tasks (POST /api/tasks/bulk): take, release or close several at once. Closing is asked once more,
// naming the count; the answer is one result per task, shown as a report (each refusal with its reason).

import { api } from './api.js';
import { h, icon } from './dom.js';
import { plural } from './format.js';
import { alertBox, confirmDialog } from './ui.js';

export const BULK_ACTIONS = {
  claim: { label: 'Prendre', icon: 'user-plus', done: 'prise en charge' },
  release: { label: 'Relâcher', icon: 'user-minus', done: 'relâchée' },
  close: { label: 'Clôturer', icon: 'archive', done: 'clôturée' },
};

/**
 * Runs `action` on the tasks (`[{ id, archiveKey }]`); null when the manager cancelled the confirmation, else the
 * results per task, as the API gives them.
 */
export async function runBulk(action, tasks, signal) {
  if (action === 'close') {
    const n = tasks.length;
    const ok = await confirmDialog({
      title: `Clôturer ${plural(n, 'tâche', 'tâches')} ?`,
      body: [
        h('p', null, `${n > 1 ? `Les ${n} factures seront clôturées` : 'La facture sera clôturée'} (traitées chez Almerys) : aucune réponse ne sera envoyée au PS.`),
        h('ul', { class: 'dialog-list' }, tasks.slice(0, 10).map((t) => h('li', { class: 'mono' }, t.archiveKey))),
        n > 10 ? h('p', { class: 'muted' }, `… et ${n - 10} autres.`) : null,
      ],
      confirmLabel: n > 1 ? `Clôturer les ${n} tâches` : 'Clôturer la tâche',
      id: 'bulk-confirm',
    });
    if (!ok) return null;
  }
  const body = action === 'close'
    ? { action: 'resolve', taskIds: tasks.map((t) => t.id), resolution: { action: 'close' } }
    : { action, taskIds: tasks.map((t) => t.id) };
  const { results } = await api('/api/tasks/bulk', { method: 'POST', body, signal });
  return results;
}

/** The report of a bulk action: how many went through, then each task with what happened to it. */
export function bulkReport(action, tasks, results, onClose) {
  const a = BULK_ACTIONS[action];
  const keyOf = new Map(tasks.map((t) => [t.id, t.archiveKey]));
  const done = results.filter((r) => r.ok).length;
  const tone = done === results.length ? 'success' : done === 0 ? 'danger' : 'warning';
  const line = (r) => h('li', { class: ['bulk-result', r.ok ? 'bulk-ok' : 'bulk-refused'], dataset: { taskId: r.taskId, ok: String(r.ok) } },
    icon(r.ok ? 'check' : 'x'), h('span', { class: 'mono' }, keyOf.get(r.taskId) ?? r.taskId), ' — ',
    r.ok ? (r.status === 202 ? `${a.label} : accepté, en cours d’application` : capitalize(a.done)) : r.message ?? 'Refusée');
  return h('div', { id: 'bulk-report', class: 'bulk-report', role: 'status' },
    alertBox(tone, `${a.label} : ${done} sur ${plural(results.length, 'tâche', 'tâches')} ${done > 1 ? 'traitées' : 'traitée'}`,
      h('ul', { class: 'bulk-results' }, results.map(line)),
      { role: 'status', extra: h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: onClose }, 'Fermer le compte rendu') }));
}

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);
