// Re-import of a Trame SSTT filled by a manager: each row with « GESTIONNAIRE ALMERYS » and « ALMERYS – TRAITÉ LE »
// closes its invoice's open task (as `close`, recording who and when). Nothing is applied from a file with errors:
// unknown rows, edited locked cells, wrong formats → a per-row report.

import { buildTrameRows } from '../activities/outputs.js';
import { compareWithOriginal, readTrame, type TrameImportError } from '../activities/trame/read.js';
import { formatFrenchDate } from '../rules/dates.js';
import { resolveTaskUpdate } from '../workflows/contract.js';
import type { AppDependencies } from './app.js';
import { TEMPORAL_UPDATE_TIMEOUT_MS } from './deadlines.js';

export interface TrameImportReport {
  rows: number;
  closed: { archiveKey: string; taskId: string; manager: string; treatedOn: string }[];
  ignored: { row: number; archiveKey: string; reason: string }[];
  errors: TrameImportError[];
}

export async function importTrame(deps: AppDependencies, content: Buffer, actor: string): Promise<TrameImportReport> {
  const parsed = await readTrame(content);
  const errors: TrameImportError[] = [...parsed.errors];
  const report: TrameImportReport = { rows: parsed.rows.length, closed: [], ignored: [], errors };
  if (parsed.rows.length === 0 && errors.length === 0) errors.push({ row: 0, message: 'The sheet « Motifs externalisés » has no row' });

  const seen = new Map<string, number>();
  const toClose: { row: number; archiveKey: string; manager: string; treatedOn: string }[] = [];
  for (const row of parsed.rows) {
    if (!row.archiveKey) continue; // already reported by readTrame
    const first = seen.get(row.archiveKey);
    if (first !== undefined) {
      errors.push({ row: row.row, column: "CRITERE D'ARCHIVAGE", message: `same critère d'archivage as row ${first}` });
      continue;
    }
    seen.set(row.archiveKey, row.row);
    const record = await deps.invoices.get(row.archiveKey);
    if (!record) {
      errors.push({ row: row.row, column: "CRITERE D'ARCHIVAGE", message: `unknown critère d'archivage ${row.archiveKey}` });
      continue;
    }
    const [original] = await buildTrameRows([record], deps);
    if (!original) {
      errors.push({ row: row.row, column: "CRITERE D'ARCHIVAGE", message: `invoice ${row.archiveKey} was paid: it has no Trame row` });
      continue;
    }
    // The row as written that day: the operator's « traité le » is the file's.
    for (const column of compareWithOriginal(row, { ...original, treatedOn: row.treatedOn ?? original.treatedOn })) {
      errors.push({ row: row.row, column, message: 'a locked cell was changed' });
    }
    if (row.manager && row.managerTreatedOn) toClose.push({ row: row.row, archiveKey: row.archiveKey, manager: row.manager, treatedOn: row.managerTreatedOn });
    else report.ignored.push({ row: row.row, archiveKey: row.archiveKey, reason: 'not treated yet (no « Gestionnaire Almerys » / « Almerys – traité le »)' });
  }
  if (errors.length) {
    report.ignored = [];
    return report;
  }

  // Each row's task is closed with the resolve Update: a worker must apply it.
  const timeout = deps.temporalTimeoutMs ?? TEMPORAL_UPDATE_TIMEOUT_MS;
  for (const item of toClose) {
    const open = (await deps.tasks.ofInvoice(item.archiveKey)).filter((t) => t.status === 'open').at(-1);
    if (!open) {
      report.ignored.push({ row: item.row, archiveKey: item.archiveKey, reason: 'no open task (already treated)' });
      continue;
    }
    if (open.waitsForDecision) {
      // « A contrôler » and « Manque Consigne » cannot finish without a decision taken in the console.
      report.ignored.push({ row: item.row, archiveKey: item.archiveKey, reason: `« ${open.motifLabel} » needs a decision in the console` });
      continue;
    }
    try {
      await deps.client.connection.withDeadline(Date.now() + timeout, () =>
        deps.client.workflow.getHandle(open.workflowId).executeUpdate(resolveTaskUpdate, {
          args: [{
            taskId: open.id, action: 'close', motif: null, by: item.manager,
            comment: `Almerys – traité le ${formatFrenchDate(item.treatedOn)} (Trame SSTT importée par ${actor})`,
          }],
        }));
      report.closed.push({ archiveKey: item.archiveKey, taskId: open.id, manager: item.manager, treatedOn: item.treatedOn });
    } catch (err) {
      report.ignored.push({ row: item.row, archiveKey: item.archiveKey, reason: `not closed: ${(err as Error).message}` });
    }
  }
  return report;
}
