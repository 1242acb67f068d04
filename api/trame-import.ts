// Re-import of a Trame SSTT filled by a manager: each row with « GESTIONNAIRE ALMERYS » and « ALMERYS – TRAITÉ LE »
// closes its invoice's open task (as `close`), in the name of the manager who uploads the file (the cell's name is
// kept in the comment: it is typed text, not an identity). A task another manager has claimed is theirs: its row is
// refused (reported, not closed). Nothing is applied from a file with errors: unknown rows, edited locked cells,
// wrong formats → a per-row report. Every error and every row's outcome has a stable `code` and a French message (the
// console shows them as they are).
//
// In bounded memory and linear time: the file is read a page of rows at a time (activities/trame/read.ts), each page's
// invoices in one query, their Trame rows as written rebuilt together; only the rows to close are kept, and their
// tasks are looked up a page at a time too.

import { buildTrameRows } from '../activities/trame/service.js';
import {
  compareWithOriginal, readTramePages, TrameErrors, type ImportedTrameRow, type TrameImportError,
  type TrameReadLimits,
} from '../activities/trame/read.js';
import { MAIN_SHEET, TRAME_COLUMNS } from '../activities/trame/write.js';
import { ARCHIVE_KEY_PATTERN as ARCHIVE_KEY } from '../rules/schema.js';
import type { Principal } from '../db/api-keys.js';
import { openTasksOf, type OpenTask } from '../db/trame-import.js';
import { formatFrenchDate } from '../rules/dates.js';
import { WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { resolveTaskUpdate } from '../workflows/contract.js';
import type { AppDependencies } from './dependencies.js';
import { TEMPORAL_UPDATE_TIMEOUT_MS, withinDeadline } from './deadlines.js';
import { TaskConflict } from '../db/tasks.js';

/**
 * What became of a row of a well-formed file: its task closed (`closed`); its task claimed by another manager
 * (`refused`, left to them); or (`ignored`) the manager's two cells left empty, no open task, a motif that needs a
 * decision in the console (« A contrôler », « Manque Consigne »), the close failed (try the file again).
 */
export const TRAME_ROW_OUTCOMES = [
  'closed', 'claimed_by_other', 'not_filled', 'already_treated', 'needs_console_decision', 'close_failed',
] as const;
export type TrameRowOutcome = (typeof TRAME_ROW_OUTCOMES)[number];

export interface TrameImportReport {
  /** Data rows read. */
  rows: number;
  /** Tasks closed: `by` the manager who uploaded, `manager` the « GESTIONNAIRE ALMERYS » cell. */
  closed: { row: number; archiveKey: string; taskId: string; by: string; manager: string; treatedOn: string; code: 'closed' }[];
  /** Rows whose task another manager has claimed: left to them. `reason` in French. */
  refused: { row: number; archiveKey: string; taskId: string; assignee: string; code: 'claimed_by_other'; reason: string }[];
  /** Rows left as they are, `reason` in French; `detail` the technical cause of a failed close. */
  ignored: {
    row: number; archiveKey: string; code: Exclude<TrameRowOutcome, 'closed' | 'claimed_by_other'>; reason: string;
    /** The open task, when there is one. */
    taskId?: string;
    detail?: string;
  }[];
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
const [MANAGER_HEADER, MANAGER_TREATED_ON_HEADER] = (['manager', 'managerTreatedOn'] as const)
  .map((key) => TRAME_COLUMNS.find((c) => c.key === key)!.header);
const LOCKED_CELL_CHANGED = `Cellule verrouillée modifiée : seules « ${MANAGER_HEADER} » et « ${MANAGER_TREATED_ON_HEADER} » sont à remplir`;
const NOT_FILLED = `Pas encore traitée : « ${MANAGER_HEADER} » et « ${MANAGER_TREATED_ON_HEADER} » sont vides`;
const ALREADY_TREATED = 'Aucune tâche ouverte : la facture est déjà traitée';
const CLOSE_FAILED = 'La tâche n\'a pas pu être clôturée : importez la Trame à nouveau pour réessayer';

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
        errors.add({ row: row.row, column: ARCHIVE_KEY_HEADER, code: 'unknown_invoice', message: `Critère d'archivage inconnu : ${row.archiveKey}` });
        continue;
      }
      batches.add(record.batchId);
      const original = originals.get(row.archiveKey);
      if (!original) {
        errors.add({
          row: row.row, column: ARCHIVE_KEY_HEADER, code: 'invoice_paid', message: `La facture ${row.archiveKey} a été payée : elle n'a pas de ligne dans la Trame`,
        });
        continue;
      }
      // The row as written that day: the operator's « traité le » is the file's.
      for (const column of compareWithOriginal(row, { ...original, treatedOn: row.treatedOn ?? original.treatedOn })) {
        errors.add({ row: row.row, column, code: 'locked_cell_changed', message: LOCKED_CELL_CHANGED });
      }
      if (row.manager && row.managerTreatedOn) toClose.push({ row: row.row, archiveKey: row.archiveKey, manager: row.manager, treatedOn: row.managerTreatedOn });
      else ignored.push({ row: row.row, archiveKey: row.archiveKey, code: 'not_filled', reason: NOT_FILLED });
    }
  };

  const { rowCount } = await readTramePages(content, { limits: options.limits, errors, pageSize: IMPORT_PAGE_SIZE, onPage: checkPage });
  const report: TrameImportReport = {
    rows: rowCount, closed: [], refused: [], ignored: [], errors: [], errorCount: 0, batchId: batches.size === 1 ? [...batches][0] : null,
  };
  if (rowCount === 0 && errors.total === 0) errors.add({ row: 0, code: 'empty_sheet', message: `La feuille « ${MAIN_SHEET} » n'a aucune ligne.` });
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
  const alreadyTreated = () => report.ignored.push({ row, archiveKey, code: 'already_treated', reason: ALREADY_TREATED });
  if (!task) {
    alreadyTreated();
    return;
  }
  if (task.waitsForDecision) {
    // « A contrôler » and « Manque Consigne » cannot finish without a decision taken in the console.
    report.ignored.push({
      row, archiveKey, taskId: task.id, code: 'needs_console_decision',
      reason: `« ${task.motifLabel} » demande une décision dans la console : ouvrez la tâche ${task.id} pour la prendre`,
    });
    return;
  }
  const refuse = (assignee: string) => report.refused.push({
    row, archiveKey, taskId: task.id, assignee, code: 'claimed_by_other',
    reason: `Tâche prise en charge par ${assignee} : seule cette personne peut la clôturer (ou la libérer)`,
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
        refuse((await deps.tasks.summary(task.id))?.assignee ?? 'un autre gestionnaire');
        return;
      }
      if (err instanceof TaskConflict) {
        alreadyTreated();
        return;
      }
      throw err;
    }
  }
  const timeout = deps.temporalTimeoutMs ?? TEMPORAL_UPDATE_TIMEOUT_MS;
  try {
    // Accepted (validated by the workflow, recorded in its history) within the deadline: the close will be applied.
    const update = await withinDeadline(deps.client, timeout, () =>
      deps.client.workflow.getHandle(task.workflowId).startUpdate(resolveTaskUpdate, {
        args: [{
          taskId: task.id, action: 'close', motif: null, by: principal.name,
          comment: `GESTIONNAIRE ALMERYS : ${item.manager.slice(0, 200)} ; Almerys – traité le ${formatFrenchDate(item.treatedOn)} (Trame SSTT importée par ${principal.name})`,
        }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      }));
    // Then its result, for as long again; a busy worker that has accepted but not applied it yet does not make the
    // row « not closed » (it would be, moments later, and a second upload would find it already treated).
    await withinDeadline(deps.client, timeout, () => update.result()).catch((err: unknown) => {
      if (err instanceof WorkflowUpdateFailedError) throw err;
    });
    report.closed.push({ row, archiveKey, taskId: task.id, by: principal.name, manager: item.manager, treatedOn: item.treatedOn, code: 'closed' });
  } catch (err) {
    report.ignored.push({ row, archiveKey, taskId: task.id, code: 'close_failed', reason: CLOSE_FAILED, detail: (err as Error).message });
  }
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
