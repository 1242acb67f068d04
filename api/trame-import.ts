// Re-import of a Trame SSTT filled by a manager: each row with « GESTIONNAIRE ALMERYS » and « ALMERYS – TRAITÉ LE »
// closes its invoice's open task (as `close`), in the name of the manager who uploads the file (the cell's name is
// kept in the comment: it is typed text, not an identity). A task another manager has claimed is theirs: its row is
// refused (reported, not closed). Nothing is applied from a file with errors: unknown rows, edited locked cells,
// wrong formats → a per-row report.
//
// In bounded memory and linear time: the file is read a page of rows at a time (activities/trame/read.ts), each page's
// invoices in one query, their Trame rows as written rebuilt together; only the rows to close are kept, and their
// tasks are looked up a page at a time too.

import { buildTrameRows } from '../activities/trame/service.js';
import {
  compareWithOriginal, readTramePages, TrameErrors, type ImportedTrameRow, type TrameImportError,
  type TrameReadLimits,
} from '../activities/trame/read.js';
import { ARCHIVE_KEY_PATTERN as ARCHIVE_KEY } from '../rules/schema.js';
import type { Principal } from '../db/api-keys.js';
import { openTasksOf, type OpenTask } from '../db/trame-import.js';
import { formatFrenchDate } from '../rules/dates.js';
import { resolveTaskUpdate } from '../workflows/contract.js';
import type { AppDependencies } from './dependencies.js';
import { TEMPORAL_UPDATE_TIMEOUT_MS } from './deadlines.js';
import { TaskConflict } from '../db/tasks.js';

export interface TrameImportReport {
  /** Data rows read. */
  rows: number;
  /** Tasks closed: `by` the manager who uploaded, `manager` the « GESTIONNAIRE ALMERYS » cell. */
  closed: { archiveKey: string; taskId: string; by: string; manager: string; treatedOn: string }[];
  /** Rows whose task another manager has claimed: left to them. */
  refused: { row: number; archiveKey: string; taskId: string; assignee: string; reason: string }[];
  ignored: { row: number; archiveKey: string; reason: string }[];
  /** The first errors (MAX_REPORTED_ERRORS, then one line saying how many more). */
  errors: TrameImportError[];
  /** Every error, listed or not. */
  errorCount: number;
  /** The batch the rows belong to, when they all belong to one. */
  batchId: string | null;
}

export interface TrameImportOptions {
  /** The authenticated manager: the tasks are closed in their name. */
  principal: Principal;
  limits?: Partial<TrameReadLimits>;
}

/** Rows read, and invoices and tasks looked up, at a time. */
export const IMPORT_PAGE_SIZE = 500;
/** Tasks closed at once (one Temporal Update each). */
const CLOSING_CONCURRENCY = 8;

const ARCHIVE_KEY_HEADER = "CRITERE D'ARCHIVAGE";

interface ToClose { row: number; archiveKey: string; manager: string; treatedOn: string }

/** Throws `TrameTooLarge` for a file past the limits (nothing applied). */
/** What an import reads and changes. */
export type TrameImportDependencies = Pick<AppDependencies, 'invoices' | 'trames' | 'tasks' | 'database' | 'client' | 'operatorName' | 'temporalTimeoutMs'>;

export async function importTrame(deps: TrameImportDependencies, content: Buffer, options: TrameImportOptions): Promise<TrameImportReport> {
  const errors = new TrameErrors();
  const toClose: ToClose[] = [];
  const ignored: TrameImportReport['ignored'] = [];
  const batches = new Set<string | null>();
  const seen = new Set<string>();

  const checkPage = async (page: ImportedTrameRow[]) => {
    // A row without a valid critère, or one already seen, is reported by readTramePages.
    const rows = page.filter((r) => ARCHIVE_KEY.test(r.archiveKey) && !seen.has(r.archiveKey));
    for (const row of rows) seen.add(row.archiveKey);
    if (rows.length === 0) return;
    const records = await deps.invoices.byKeys(rows.map((r) => r.archiveKey));
    const originals = new Map((await buildTrameRows([...records.values()], deps)).map((o) => [o.archiveKey, o]));
    for (const row of rows) {
      const record = records.get(row.archiveKey);
      if (!record) {
        errors.add({ row: row.row, column: ARCHIVE_KEY_HEADER, message: `unknown critère d'archivage ${row.archiveKey}` });
        continue;
      }
      batches.add(record.batchId);
      const original = originals.get(row.archiveKey);
      if (!original) {
        errors.add({ row: row.row, column: ARCHIVE_KEY_HEADER, message: `invoice ${row.archiveKey} was paid: it has no Trame row` });
        continue;
      }
      // The row as written that day: the operator's « traité le » is the file's.
      for (const column of compareWithOriginal(row, { ...original, treatedOn: row.treatedOn ?? original.treatedOn })) {
        errors.add({ row: row.row, column, message: 'a locked cell was changed' });
      }
      if (row.manager && row.managerTreatedOn) toClose.push({ row: row.row, archiveKey: row.archiveKey, manager: row.manager, treatedOn: row.managerTreatedOn });
      else ignored.push({ row: row.row, archiveKey: row.archiveKey, reason: 'not treated yet (no « Gestionnaire Almerys » / « Almerys – traité le »)' });
    }
  };

  const { rowCount } = await readTramePages(content, { limits: options.limits, errors, pageSize: IMPORT_PAGE_SIZE, onPage: checkPage });
  const report: TrameImportReport = {
    rows: rowCount, closed: [], refused: [], ignored: [], errors: [], errorCount: 0, batchId: batches.size === 1 ? [...batches][0] : null,
  };
  if (rowCount === 0 && errors.total === 0) errors.add({ row: 0, message: 'The sheet « Motifs externalisés » has no row' });
  if (errors.total) {
    report.errors = errors.list();
    report.errorCount = errors.total;
    return report;
  }
  report.ignored = ignored;

  for (let i = 0; i < toClose.length; i += IMPORT_PAGE_SIZE) {
    const page = toClose.slice(i, i + IMPORT_PAGE_SIZE);
    const tasks = await openTasksOf(deps.database.db, page.map((item) => item.archiveKey));
    await inParallel(page, CLOSING_CONCURRENCY, (item) => closeRow(deps, options.principal, item, tasks.get(item.archiveKey), report));
  }
  return report;
}

/** Closes one row's task in the uploader's name, or says why not in the report. */
async function closeRow(deps: TrameImportDependencies, principal: Principal, item: ToClose, task: OpenTask | undefined, report: TrameImportReport): Promise<void> {
  const { row, archiveKey } = item;
  if (!task) {
    report.ignored.push({ row, archiveKey, reason: 'no open task (already treated)' });
    return;
  }
  if (task.waitsForDecision) {
    // « A contrôler » and « Manque Consigne » cannot finish without a decision taken in the console.
    report.ignored.push({ row, archiveKey, reason: `« ${task.motifLabel} » needs a decision in the console` });
    return;
  }
  const refuse = (assignee: string) => report.refused.push({
    row, archiveKey, taskId: task.id, assignee, reason: `task claimed by ${assignee}: only they can close it (or release it)`,
  });
  if (task.assignee && task.assignee !== principal.name) {
    refuse(task.assignee);
    return;
  }
  if (!task.assignee) {
    // Claimed first, atomically: a manager claiming it meanwhile keeps it.
    try {
      await deps.tasks.claim(task.id, principal.name);
    } catch (err) {
      if (err instanceof TaskConflict && err.reason === 'claimed_by_other') {
        refuse((await deps.tasks.summary(task.id))?.assignee ?? 'another manager');
        return;
      }
      if (err instanceof TaskConflict) {
        report.ignored.push({ row, archiveKey, reason: 'no open task (already treated)' });
        return;
      }
      throw err;
    }
  }
  const timeout = deps.temporalTimeoutMs ?? TEMPORAL_UPDATE_TIMEOUT_MS;
  try {
    await deps.client.connection.withDeadline(Date.now() + timeout, () =>
      deps.client.workflow.getHandle(task.workflowId).executeUpdate(resolveTaskUpdate, {
        args: [{
          taskId: task.id, action: 'close', motif: null, by: principal.name,
          comment: `GESTIONNAIRE ALMERYS : ${item.manager.slice(0, 200)} ; Almerys – traité le ${formatFrenchDate(item.treatedOn)} (Trame SSTT importée par ${principal.name})`,
        }],
      }));
    report.closed.push({ archiveKey, taskId: task.id, by: principal.name, manager: item.manager, treatedOn: item.treatedOn });
  } catch (err) {
    report.ignored.push({ row, archiveKey, reason: `not closed: ${(err as Error).message}` });
  }
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
