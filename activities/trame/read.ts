// Reads a Trame SSTT back (spec §7: « A manager can fill Gestionnaire Almerys and Almerys – traité le and upload
// the file back: the rows resolve the matching tasks »). `readTrame` maps the sheet « Motifs externalisés » by header
// text and checks the MO's formats; `compareWithOriginal` lists the cells that were not the manager's to change.
// The caller (the upload route) looks the original rows up by critère d'archivage and refuses the whole file when
// `errors` is not empty or a row differs from its original.
//
// exceljs's normal (in-memory) reader: an uploaded Trame is a few MB at most, and unlike the streaming reader it does
// not depend on the order of the zip entries (Excel re-saves them in its own order).

import ExcelJS from 'exceljs';
import type { Cell, CellValue, Worksheet } from 'exceljs';
import { isIsoDate } from '../../rules/dates.js';
import { MOTIFS } from '../../rules/motifs.js';
import { CONTENT_ERRORS, MISSING_DETAILS } from '../../rules/sublists.js';
import type { IsoDate } from '../../rules/types.js';
import type { TrameRow } from './rows.js';
import {
  ARCHIVE_KEY, MAIN_SHEET, NIR, PRACTITIONER_NUMBER, TRAME_COLUMNS, columnLetter, unneutralise,
  type TrameColumn, type TrameColumnKey,
} from './write.js';

/**
 * Every cell of one data row, as read (codes for the drop-downs, ISO dates, euros) — any of them may be empty —
 * and its row number in Excel. `archiveKey` is the key the caller matches the original row with ('' when the cell
 * is empty: an error is reported).
 */
export type ImportedTrameRow = { row: number; archiveKey: string } & {
  [K in Exclude<keyof TrameRow, 'route' | 'archiveKey'>]: TrameRow[K] | null;
};

export interface TrameImportError {
  /** Excel row number: 1 for the header row, 0 for the workbook itself (unreadable file, missing sheet). */
  row: number;
  /** The column's header text. */
  column?: string;
  message: string;
}

export interface TrameImport {
  rows: ImportedTrameRow[];
  errors: TrameImportError[];
}

const MOTIF_BY_LABEL = new Map(MOTIFS.map((m) => [normalizeLabel(m.label), m.code]));
const DETAIL_BY_LABEL = new Map(MISSING_DETAILS.map((d) => [normalizeLabel(d.label), d.code]));
const ERROR_BY_LABEL = new Map(CONTENT_ERRORS.map((e) => [normalizeLabel(e.label), e.code]));

/** Header and label comparison: Unicode NFC, whitespace collapsed, trimmed; otherwise exact. */
function normalizeLabel(value: string): string {
  return value.normalize('NFC').replace(/\s+/g, ' ').trim();
}

/** Reads the sheet « Motifs externalisés » of a Trame (a file path or the file's bytes). Never throws on bad input. */
export async function readTrame(input: Buffer | string): Promise<TrameImport> {
  const workbook = new ExcelJS.Workbook();
  try {
    if (typeof input === 'string') await workbook.xlsx.readFile(input);
    else await workbook.xlsx.load(input as unknown as ArrayBuffer);
  } catch {
    return { rows: [], errors: [{ row: 0, message: 'not a readable .xlsx workbook' }] };
  }
  const sheet = workbook.getWorksheet(MAIN_SHEET);
  if (!sheet) return { rows: [], errors: [{ row: 0, message: `the workbook has no sheet « ${MAIN_SHEET} »` }] };

  const errors: TrameImportError[] = [];
  const positions = mapHeaders(sheet, errors);
  if (!positions) return { rows: [], errors };

  const date1904 = Boolean((workbook.properties as { date1904?: boolean } | undefined)?.date1904);
  const rows: ImportedTrameRow[] = [];
  const seen = new Map<string, number>();
  sheet.eachRow({ includeEmpty: false }, (excelRow, rowNumber) => {
    if (rowNumber === 1) return;
    const cells = positions.map((position) => excelRow.getCell(position));
    if (cells.every((cell) => isEmptyValue(cell.value))) return; // a formatted but empty row
    const imported = readRow(rowNumber, cells, errors, date1904);
    checkRow(imported, errors);
    if (imported.archiveKey) {
      const first = seen.get(imported.archiveKey);
      if (first !== undefined) {
        errors.push({ row: rowNumber, column: header('archiveKey'), message: `same critère d'archivage as row ${first}` });
      } else {
        seen.set(imported.archiveKey, rowNumber);
      }
    }
    rows.push(imported);
  });
  return { rows, errors };
}

function header(key: TrameColumnKey): string {
  return TRAME_COLUMNS.find((c) => c.key === key)!.header;
}

/**
 * Column number of each TRAME_COLUMNS entry, found by header text. A header elsewhere than its MO position is an
 * error (« moved to column B »), a header nowhere is an error (« missing »); either way no row is read (the file is
 * refused, and cell errors against a shifted layout would only bury the real one). Extra columns after the last one
 * are ignored.
 */
function mapHeaders(sheet: Worksheet, errors: TrameImportError[]): number[] | null {
  const found = new Map<string, number>();
  sheet.getRow(1).eachCell({ includeEmpty: false }, (cell, col) => {
    const text = textOf(cell.value);
    if (text && !found.has(normalizeLabel(text))) found.set(normalizeLabel(text), col);
  });
  let wrong = false;
  const positions = TRAME_COLUMNS.map((col, i) => {
    const expected = i + 1;
    const at = found.get(normalizeLabel(col.header));
    if (at === undefined) {
      wrong = true;
      errors.push({ row: 1, column: col.header, message: `header missing (expected in column ${columnLetter(expected)})` });
      return -1;
    }
    if (at !== expected) {
      wrong = true;
      errors.push({
        row: 1, column: col.header, message: `header moved to column ${columnLetter(at)} (expected ${columnLetter(expected)})`,
      });
    }
    return at;
  });
  return wrong ? null : positions;
}

// ---- Cell values ----

function isEmptyValue(value: CellValue): boolean {
  if (value == null) return true;
  if (typeof value === 'string') return value.trim() === '';
  return false;
}

class CellError extends Error {}

/** The text of a cell: strings as written (un-neutralised), numbers as typed, rich text and hyperlinks as their text. */
function textOf(value: CellValue): string | null {
  if (value == null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('hyperlink' in value) return textOf(value.text as CellValue);
  if ('formula' in value || 'sharedFormula' in value) {
    // A formula a manager typed: its cached result is what Excel showed them.
    const result = (value as { result?: CellValue }).result;
    if (result === undefined) throw new CellError('formula without a computed value');
    if (typeof result === 'object' && result && 'error' in result) throw new CellError(`formula error ${result.error}`);
    return textOf(result as CellValue);
  }
  if ('error' in value) throw new CellError(`cell error ${value.error}`);
  return null;
}

function readText(value: CellValue): string | null {
  const text = textOf(value);
  if (text == null) return null;
  const trimmed = unneutralise(text.replace(/\r\n/g, '\n')).trim();
  return trimmed === '' ? null : trimmed;
}

/** Excel serial day → ISO date (1900 system; 1904 when the workbook says so). */
function serialToIso(serial: number, date1904: boolean): IsoDate | null {
  if (!Number.isFinite(serial) || serial < 1 || serial > 2958465) return null;
  const ms = Math.round((Math.floor(serial) - (date1904 ? 24107 : 25569)) * 86_400_000);
  return new Date(ms).toISOString().slice(0, 10);
}

/** A real date cell, a serial number, or text `jj/mm/aaaa` / `aaaa-mm-jj`. */
function readDate(value: CellValue, date1904: boolean): IsoDate | null {
  let v = value;
  if (v && typeof v === 'object' && !(v instanceof Date) && ('formula' in v || 'sharedFormula' in v)) {
    v = (v as { result?: CellValue }).result ?? null;
  }
  if (v == null || (typeof v === 'string' && v.trim() === '')) return null;
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new CellError('must be a date (jj/mm/aaaa)');
    return v.toISOString().slice(0, 10);
  }
  if (typeof v === 'number') {
    const iso = serialToIso(v, date1904);
    if (!iso) throw new CellError('must be a date (jj/mm/aaaa)');
    return iso;
  }
  const text = readText(v);
  if (text == null) return null;
  const french = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const iso = french ? `${french[3]}-${french[2].padStart(2, '0')}-${french[1].padStart(2, '0')}` : text;
  if (!isIsoDate(iso)) throw new CellError('must be a date (jj/mm/aaaa)');
  return iso;
}

function readAmount(value: CellValue): number | null {
  let v = value;
  if (v && typeof v === 'object' && ('formula' in v || 'sharedFormula' in v)) v = (v as { result?: CellValue }).result ?? null;
  if (v == null) return null;
  if (typeof v === 'number') return v;
  const text = readText(v);
  if (text == null) return null;
  const n = Number(text.replace(/\s/g, '').replace(',', '.'));
  if (!/^-?\d+(?:[.,]\d+)?$/.test(text.replace(/\s/g, '')) || !Number.isFinite(n)) throw new CellError('must be an amount in euros');
  return n;
}

function readList<T>(value: CellValue, byLabel: Map<string, T>): T | null {
  const text = readText(value);
  if (text == null) return null;
  const code = byLabel.get(normalizeLabel(text));
  if (code === undefined) throw new CellError('not a value of the drop-down list');
  return code;
}

function readCell(col: TrameColumn, cell: Cell, date1904: boolean): unknown {
  switch (col.type) {
    case 'date':
      return readDate(cell.value, date1904);
    case 'amount':
      return readAmount(cell.value);
    case 'list':
      return readList(cell.value, col.list === 'motifs' ? MOTIF_BY_LABEL : col.list === 'missingDetails' ? DETAIL_BY_LABEL : ERROR_BY_LABEL);
    case 'text':
      return readText(cell.value);
  }
}

function readRow(rowNumber: number, cells: Cell[], errors: TrameImportError[], date1904: boolean): ImportedTrameRow {
  const values: Record<string, unknown> = { row: rowNumber };
  TRAME_COLUMNS.forEach((col, i) => {
    try {
      values[col.key] = readCell(col, cells[i], date1904);
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      values[col.key] = null;
      errors.push({ row: rowNumber, column: col.header, message: error.message });
    }
  });
  values.archiveKey ??= '';
  return values as unknown as ImportedTrameRow;
}

/** « Consignes de saisie »: the formats, and the manager's two cells filled together or not at all. */
function checkRow(row: ImportedTrameRow, errors: TrameImportError[]): void {
  const fail = (key: TrameColumnKey, message: string) => errors.push({ row: row.row, column: header(key), message });
  if (!row.archiveKey) fail('archiveKey', 'must not be empty');
  else if (!ARCHIVE_KEY.test(row.archiveKey)) fail('archiveKey', 'must be 10 digits without spaces');
  if (row.practitionerNumber != null && !PRACTITIONER_NUMBER.test(row.practitionerNumber)) {
    fail('practitionerNumber', 'must be 9 digits without spaces');
  }
  if (row.nir != null && !NIR.test(row.nir)) fail('nir', 'must be 13 characters without spaces or key');
  if (row.invoiceNumber == null) fail('invoiceNumber', 'must not be empty (invoice number, end-of-care date reversed, or 0)');
  if (row.motif == null && !errors.some((e) => e.row === row.row && e.column === header('motif'))) fail('motif', 'must not be empty');
  const managerCellError = errors.some((e) => e.row === row.row && e.column === header('managerTreatedOn'));
  if (row.manager != null && row.managerTreatedOn == null && !managerCellError) {
    fail('managerTreatedOn', `must be filled when ${header('manager')} is`);
  }
  if (row.managerTreatedOn != null && row.manager == null) fail('manager', `must be filled when ${header('managerTreatedOn')} is`);
}

// ---- Comparison with what was written ----

function comparable(col: TrameColumn, value: unknown): string | number | null {
  if (value == null) return null;
  if (col.type === 'amount') return Math.round(Number(value) * 100);
  const text = String(value).replace(/\r\n/g, '\n').trim();
  return text === '' ? null : text;
}

/**
 * The header texts of the cells that differ from the row as written, except the manager's two columns (GESTIONNAIRE
 * ALMERYS, ALMERYS – TRAITÉ LE): the white operator cells, the orange/grey AGAPS cells and the grey Fax…Commune cells
 * are the SSTT operator's record, not the manager's to change. Amounts compare to the cent; text trimmed.
 */
export function compareWithOriginal(imported: ImportedTrameRow, original: TrameRow): string[] {
  return TRAME_COLUMNS.filter((col) => col.role !== 'manager')
    .filter((col) => comparable(col, imported[col.key]) !== comparable(col, original[col.key]))
    .map((col) => col.header);
}
