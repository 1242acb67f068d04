// Reads a Trame SSTT back (spec §7: « A manager can fill Gestionnaire Almerys and Almerys – traité le and upload
// the file back: the rows resolve the matching tasks »). `readTrame` maps the sheet « Motifs externalisés » by header
// text and checks the MO's formats; `compareWithOriginal` lists the cells that were not the manager's to change.
// The caller (the upload route) looks the original rows up by critère d'archivage and refuses the whole file when
// `errors` is not empty or a row differs from its original.
//
// An upload is untrusted: it is read in bounded memory and time whatever it holds. The zip's parts are found through
// its central directory (zip.ts), so that the order Excel or LibreOffice re-save them in does not matter, and inflated
// as they are parsed, every byte counted against `maxUncompressedBytes`; the sheet is parsed row by row (exceljs's
// streaming WorksheetReader) and handed over a page at a time (`readTramePages`), past `maxRows` rows it stops. Each
// row is checked once, on its own (its errors in a set of its own, the critères seen in a map): linear in the rows.
// At most MAX_REPORTED_ERRORS errors are listed, the others counted.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pipeline, type Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Cell, CellValue, Row } from 'exceljs';
import { DEFAULT_TRAME_LIMITS } from '../../config.js';
import { isIsoDate } from '../../rules/dates.js';
import { MOTIFS } from '../../rules/motifs.js';
import { CONTENT_ERRORS, MISSING_DETAILS } from '../../rules/sublists.js';
import type { IsoDate } from '../../rules/types.js';
import type { TrameRow } from './rows.js';
import {
  ARCHIVE_KEY_PATTERN as ARCHIVE_KEY, NIR_PATTERN as NIR, PRACTITIONER_NUMBER_PATTERN as PRACTITIONER_NUMBER,
} from '../../rules/schema.js';
import { MAIN_SHEET, TRAME_COLUMNS, columnLetter, unneutralise, type TrameColumn, type TrameColumnKey } from './write.js';
import { XmlGuard } from './xml-guard.js';
import { BoundedZip, ZipTooLarge } from './zip.js';

/**
 * Every cell of one data row, as read (codes for the drop-downs, ISO dates, euros) — any of them may be empty —
 * and its row number in Excel. `archiveKey` is the key the caller matches the original row with ('' when the cell
 * is empty: an error is reported).
 */
export type ImportedTrameRow = { row: number; archiveKey: string } & {
  [K in Exclude<keyof TrameRow, 'route' | 'archiveKey'>]: TrameRow[K] | null;
};

/**
 * Why a file is refused (nothing of it applied), as a stable code for the console and scripts; `message` says it in
 * French for the manager.
 */
export type TrameErrorCode =
  // The workbook itself (row 0) and its header row (row 1): not the Trame SSTT, or not as it was written.
  | 'unreadable' | 'sheet_missing' | 'empty_sheet' | 'header_missing' | 'header_moved'
  // A cell's format.
  | 'required' | 'bad_archive_key' | 'bad_practitioner_number' | 'bad_nir' | 'bad_date' | 'bad_amount' | 'not_in_list'
  | 'formula_without_value' | 'formula_error' | 'cell_error' | 'manager_pair_incomplete'
  // A row against the others, and against what was written (api/trame-import.ts).
  | 'duplicate_row' | 'unknown_invoice' | 'invoice_paid' | 'locked_cell_changed'
  // The errors past MAX_REPORTED_ERRORS, counted in one line.
  | 'more_errors';

export interface TrameImportError {
  /** Excel row number: 1 for the header row, 0 for the workbook itself (unreadable file, missing sheet). */
  row: number;
  /** The column's header text. */
  column?: string;
  code: TrameErrorCode;
  /** In French. */
  message: string;
}

export interface TrameImport {
  rows: ImportedTrameRow[];
  errors: TrameImportError[];
}

export interface TrameReadLimits {
  /** Bytes the workbook's parts may inflate to, all together (counted as inflated, not as declared). */
  maxUncompressedBytes: number;
  /** Data rows (the header row and empty rows not counted). */
  maxRows: number;
}

/** A file past one of the bounds: nothing of it is applied. `limit` says which (413 for the size, 422 for the rows). */
export class TrameTooLarge extends Error {
  override readonly name = 'TrameTooLarge';
  constructor(readonly limit: 'uncompressed' | 'rows', readonly max: number, message: string) {
    super(message);
  }
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1024 / 1024).toLocaleString('fr-FR')} Mo`;
const integer = (n: number) => n.toLocaleString('fr-FR');

export function uncompressedTooLarge(max: number, declared = false): TrameTooLarge {
  return new TrameTooLarge('uncompressed', max,
    `Trame refusée : une fois décompressé, le classeur ${declared ? 'annonce plus de' : 'dépasse'} ${megabytes(max)} `
    + `(limite TRAME_MAX_UNCOMPRESSED_BYTES = ${max} octets). Un classeur Trame SSTT de ${integer(20_000)} lignes en fait bien moins : `
    + 'envoyez la Trame telle que le service l\'a produite, en plusieurs fichiers si elle est très longue.');
}

export function tooManyRows(max: number): TrameTooLarge {
  return new TrameTooLarge('rows', max,
    `Trame refusée : la feuille « ${MAIN_SHEET} » a plus de ${integer(max)} lignes (limite TRAME_MAX_ROWS = ${max}). `
    + 'Découpez-la en plusieurs fichiers.');
}

/** The errors of one file: the first MAX_REPORTED_ERRORS listed, every one counted. */
export const MAX_REPORTED_ERRORS = 1000;

export class TrameErrors {
  private readonly listed: TrameImportError[] = [];
  private count = 0;
  add(error: TrameImportError): void {
    this.count++;
    if (this.listed.length < MAX_REPORTED_ERRORS) this.listed.push(error);
  }
  get total(): number {
    return this.count;
  }
  /** The errors listed, and one more saying how many were not. */
  list(): TrameImportError[] {
    const more = this.count - this.listed.length;
    return more > 0
      ? [...this.listed, { row: 0, code: 'more_errors', message: `${integer(more)} autres erreurs non détaillées (seules les ${integer(MAX_REPORTED_ERRORS)} premières le sont)` }]
      : [...this.listed];
  }
}

const MOTIF_BY_LABEL = new Map(MOTIFS.map((m) => [normalizeLabel(m.label), m.code]));
const DETAIL_BY_LABEL = new Map(MISSING_DETAILS.map((d) => [normalizeLabel(d.label), d.code]));
const ERROR_BY_LABEL = new Map(CONTENT_ERRORS.map((e) => [normalizeLabel(e.label), e.code]));

/** Header and label comparison: Unicode NFC, whitespace collapsed, trimmed; otherwise exact. */
function normalizeLabel(value: string): string {
  return value.normalize('NFC').replace(/\s+/g, ' ').trim();
}

// ---- The workbook's parts, through exceljs's streaming reader ----

// exceljs 4.4.0 (pinned): the streaming WorkbookReader's part parsers, driven here part by part instead of through its
// own unzip (which reads parts in file order, inflates without any bound and decodes each chunk apart).
interface Relationship { Id: string; Type: string; Target: string }
interface StreamingWorkbook {
  workbookRels?: Relationship[];
  model?: { sheets?: { name: string; rId: string }[] };
  properties?: { model?: { date1904?: boolean } };
  sharedStrings?: string[];
  _parseRels(part: Readable): Promise<void>;
  _parseWorkbook(part: Readable): Promise<void>;
  _parseStyles(part: Readable): Promise<void>;
  _parseWorksheet(part: Readable, sheetNo: string): Generator<{ eventType: string; value: AsyncIterable<Row> }>;
}
type SaxEvent = { eventType: 'opentag' | 'closetag'; value: { name: string } } | { eventType: 'text'; value: string };
const parseSax = createRequire(import.meta.url)('exceljs/lib/utils/parse-sax') as (part: Readable) => AsyncIterable<SaxEvent[]>;

/** The small parts (workbook, relationships, styles): a few kB in any real workbook. */
const SMALL_PART_MAX_BYTES = 16 * 1024 * 1024;
/** Shared strings per row allowed: the 26 columns, the « Réponse au PS » sheet's, and room. */
const STRINGS_PER_ROW = 64;

class Unreadable extends Error {}

/** A part's XML text, inflated within the zip's bound (and `maxBytes` for this part), its shape bounded (xml-guard.ts). */
function openXml(zip: BoundedZip, name: string, maxBytes?: number): Readable {
  const guard = new XmlGuard();
  pipeline(zip.open(name, maxBytes), guard, () => undefined);
  return guard;
}

/** A relationship's target as a zip path (relative to xl/, or absolute). */
function partPath(target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts: string[] = ['xl'];
  for (const piece of target.split('/')) {
    if (piece === '..') parts.pop();
    else if (piece !== '.' && piece !== '') parts.push(piece);
  }
  return parts.join('/');
}

/** The shared strings as plain text (rich text runs joined, phonetic runs left out), at most `max` of them. */
async function sharedStrings(part: Readable, max: number, limits: TrameReadLimits): Promise<string[]> {
  const strings: string[] = [];
  let text: string | null = null;
  let inText = false;
  let phonetic = 0;
  for await (const events of parseSax(part)) {
    for (const event of events) {
      if (event.eventType === 'text') {
        if (inText && phonetic === 0 && text !== null) text += event.value;
      } else if (event.eventType === 'opentag') {
        if (event.value.name === 'si') text = '';
        else if (event.value.name === 'rPh') phonetic++;
        else if (event.value.name === 't') inText = true;
      } else if (event.value.name === 'si') {
        if (strings.length >= max) {
          throw new TrameTooLarge('rows', limits.maxRows, `Trame refusée : le classeur contient plus de ${integer(max)} textes distincts `
            + `(${STRINGS_PER_ROW} par ligne permise, limite TRAME_MAX_ROWS = ${limits.maxRows}). Découpez-la en plusieurs fichiers.`);
        }
        strings.push(text ?? '');
        text = null;
      } else if (event.value.name === 'rPh') phonetic--;
      else if (event.value.name === 't') inText = false;
    }
  }
  return strings;
}

interface OpenedSheet {
  rows: AsyncIterable<Row>;
  date1904: boolean;
}

/** The sheet « Motifs externalisés », ready to be read row by row; null when the workbook has no such sheet. */
async function openMainSheet(zip: BoundedZip, limits: TrameReadLimits): Promise<OpenedSheet | null> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(undefined as never, {
    worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore',
  }) as unknown as StreamingWorkbook;
  if (!zip.has('xl/workbook.xml') || !zip.has('xl/_rels/workbook.xml.rels')) throw new Unreadable();
  await reader._parseRels(openXml(zip, 'xl/_rels/workbook.xml.rels', SMALL_PART_MAX_BYTES));
  await reader._parseWorkbook(openXml(zip, 'xl/workbook.xml', SMALL_PART_MAX_BYTES));
  const rels = reader.workbookRels ?? [];
  const sheet = (reader.model?.sheets ?? []).find((s) => s.name === MAIN_SHEET);
  if (!sheet) return null;
  const sheetRel = rels.find((r) => r.Id === sheet.rId);
  if (!sheetRel || !zip.has(partPath(sheetRel.Target))) throw new Unreadable();
  const ofType = (type: string) => {
    const rel = rels.find((r) => r.Type.endsWith(`/${type}`));
    return rel && zip.has(partPath(rel.Target)) ? partPath(rel.Target) : null;
  };
  const styles = ofType('styles');
  const strings = ofType('sharedStrings');
  const sheetPath = partPath(sheetRel.Target);
  // First what the parts to parse inflate to, without parsing: a bomb is refused in a fraction of a second.
  await zip.measure([sheetPath, ...(strings ? [strings] : []), ...(styles ? [styles] : [])]);
  if (styles) await reader._parseStyles(openXml(zip, styles, SMALL_PART_MAX_BYTES));
  reader.sharedStrings = strings ? await sharedStrings(openXml(zip, strings), limits.maxRows * STRINGS_PER_ROW + 1000, limits) : [];
  const [emitted] = reader._parseWorksheet(openXml(zip, sheetPath), '1');
  return { rows: emitted.value, date1904: Boolean(reader.properties?.model?.date1904) };
}

export interface ReadTrameOptions {
  limits?: Partial<TrameReadLimits>;
  /** Rows handed to `onPage` at a time (default 500). */
  pageSize?: number;
  /** Receives the rows a page at a time, in sheet order; the next page is read once it has returned. */
  onPage?: (rows: ImportedTrameRow[]) => Promise<void> | void;
  /** Where the errors go (a fresh list by default). */
  errors?: TrameErrors;
}

/**
 * Reads the sheet « Motifs externalisés » of a Trame (a file path or the file's bytes), a page of rows at a time.
 * Bad content is reported in `errors` (never thrown); a file past a bound throws `TrameTooLarge`, having read no
 * more than the bound.
 */
export async function readTramePages(input: Buffer | string, options: ReadTrameOptions = {}): Promise<{ rowCount: number; errors: TrameErrors }> {
  const limits: TrameReadLimits = {
    maxUncompressedBytes: options.limits?.maxUncompressedBytes ?? DEFAULT_TRAME_LIMITS.maxUncompressedBytes,
    maxRows: options.limits?.maxRows ?? DEFAULT_TRAME_LIMITS.maxRows,
  };
  const pageSize = options.pageSize ?? 500;
  const errors = options.errors ?? new TrameErrors();
  let rowCount = 0;
  const unreadable = () => {
    errors.add({ row: 0, code: 'unreadable', message: UNREADABLE });
    return { rowCount: 0, errors };
  };
  try {
    const zip = new BoundedZip(typeof input === 'string' ? await readFile(input) : input, limits.maxUncompressedBytes);
    const sheet = await openMainSheet(zip, limits);
    if (!sheet) {
      errors.add({ row: 0, code: 'sheet_missing', message: `Le classeur n'a pas de feuille « ${MAIN_SHEET} » : ce n'est pas une Trame SSTT.` });
      return { rowCount, errors };
    }
    let positions: number[] | null | undefined;
    let page: ImportedTrameRow[] = [];
    const seen = new Map<string, number>();
    for await (const excelRow of sheet.rows) {
      if (positions === undefined) {
        // The header row is row 1; a sheet starting lower has no header row.
        positions = mapHeaders(excelRow.number === 1 ? excelRow : null, errors);
        if (!positions) break;
        if (excelRow.number === 1) continue;
      }
      const cells = positions!.map((position) => excelRow.getCell(position));
      if (cells.every((cell) => isEmptyValue(cell.value))) continue; // a formatted but empty row
      if (++rowCount > limits.maxRows) throw tooManyRows(limits.maxRows);
      const imported = readAndCheckRow(excelRow.number, cells, errors, sheet.date1904);
      if (imported.archiveKey) {
        const first = seen.get(imported.archiveKey);
        if (first !== undefined) {
          errors.add({ row: excelRow.number, column: header('archiveKey'), code: 'duplicate_row', message: `Même critère d'archivage qu'à la ligne ${first}` });
        } else {
          seen.set(imported.archiveKey, excelRow.number);
        }
      }
      page.push(imported);
      if (page.length >= pageSize) {
        await handOver(page);
        page = [];
      }
    }
    if (positions === undefined) mapHeaders(null, errors); // no row at all: no header row either
    if (page.length) await handOver(page);
    return { rowCount, errors };
  } catch (error) {
    if (error instanceof FromPage) throw error.error;
    if (error instanceof ZipTooLarge) throw uncompressedTooLarge(limits.maxUncompressedBytes, error.declared);
    if (error instanceof TrameTooLarge) throw error;
    // Anything else is the zip, XML or a part exceljs cannot make sense of.
    return unreadable();
  }

  async function handOver(page: ImportedTrameRow[]): Promise<void> {
    try {
      await options.onPage?.(page);
    } catch (error) {
      throw new FromPage(error);
    }
  }
}

/** An error of the page's receiver (a database down…): not the file's, passed on as it is. */
class FromPage {
  constructor(readonly error: unknown) {}
}

/** Reads the sheet « Motifs externalisés » of a Trame whole (its rows in memory). Throws only `TrameTooLarge`. */
export async function readTrame(input: Buffer | string, limits?: Partial<TrameReadLimits>): Promise<TrameImport> {
  const rows: ImportedTrameRow[] = [];
  const { errors } = await readTramePages(input, { limits, onPage: (page) => void rows.push(...page) });
  return { rows, errors: errors.list() };
}

const HEADERS = new Map(TRAME_COLUMNS.map((c) => [c.key, c.header]));
function header(key: TrameColumnKey): string {
  return HEADERS.get(key)!;
}

/**
 * Column number of each TRAME_COLUMNS entry, found by header text in row 1 (`null`: the sheet has no row 1). A header
 * elsewhere than its MO position is an error (« moved to column B »), a header nowhere is an error (« missing »);
 * either way no row is read (the file is refused, and cell errors against a shifted layout would only bury the real
 * one). Extra columns after the last one are ignored.
 */
function mapHeaders(headerRow: Row | null, errors: TrameErrors): number[] | null {
  const found = new Map<string, number>();
  headerRow?.eachCell({ includeEmpty: false }, (cell, col) => {
    const text = safeText(cell.value);
    if (text && !found.has(normalizeLabel(text))) found.set(normalizeLabel(text), col);
  });
  let wrong = false;
  const positions = TRAME_COLUMNS.map((col, i) => {
    const expected = i + 1;
    const at = found.get(normalizeLabel(col.header));
    if (at === undefined) {
      wrong = true;
      errors.add({ row: 1, column: col.header, code: 'header_missing', message: `En-tête absent (attendu en colonne ${columnLetter(expected)})` });
      return -1;
    }
    if (at !== expected) {
      wrong = true;
      errors.add({
        row: 1, column: col.header, code: 'header_moved', message: `En-tête déplacé en colonne ${columnLetter(at)} (attendu en ${columnLetter(expected)})`,
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

class CellError extends Error {
  constructor(readonly code: TrameErrorCode, message: string) {
    super(message);
  }
}

const UNREADABLE = "Ce fichier n'est pas un classeur Excel (.xlsx) lisible.";
const BAD_DATE = (): CellError => new CellError('bad_date', 'Doit être une date (jj/mm/aaaa)');

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
    if (result === undefined) throw new CellError('formula_without_value', 'Formule sans valeur calculée (enregistrez le classeur depuis Excel)');
    if (typeof result === 'object' && result && 'error' in result) throw new CellError('formula_error', `Formule en erreur (${result.error})`);
    return textOf(result as CellValue);
  }
  if ('error' in value) throw new CellError('cell_error', `Cellule en erreur (${value.error})`);
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
    if (Number.isNaN(v.getTime())) throw BAD_DATE();
    return v.toISOString().slice(0, 10);
  }
  if (typeof v === 'number') {
    const iso = serialToIso(v, date1904);
    if (!iso) throw BAD_DATE();
    return iso;
  }
  const text = readText(v);
  if (text == null) return null;
  const french = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const iso = french ? `${french[3]}-${french[2].padStart(2, '0')}-${french[1].padStart(2, '0')}` : text;
  if (!isIsoDate(iso)) throw BAD_DATE();
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
  if (!/^-?\d+(?:[.,]\d+)?$/.test(text.replace(/\s/g, '')) || !Number.isFinite(n)) throw new CellError('bad_amount', 'Doit être un montant en euros');
  return n;
}

function readList<T>(value: CellValue, byLabel: Map<string, T>): T | null {
  const text = readText(value);
  if (text == null) return null;
  const code = byLabel.get(normalizeLabel(text));
  if (code === undefined) throw new CellError('not_in_list', "N'est pas une valeur de la liste déroulante");
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

/** A header cell's text; a cell in error has none. */
function safeText(value: CellValue): string | null {
  try {
    return textOf(value);
  } catch (error) {
    if (error instanceof CellError) return null;
    throw error;
  }
}

/**
 * One row read and checked against the « Consignes de saisie »: the formats, and the manager's two cells filled
 * together or not at all. The row's own errors only are looked at (a set of its columns in error): linear in rows.
 */
function readAndCheckRow(rowNumber: number, cells: Cell[], errors: TrameErrors, date1904: boolean): ImportedTrameRow {
  const values: Record<string, unknown> = { row: rowNumber };
  const inError = new Set<TrameColumnKey>();
  TRAME_COLUMNS.forEach((col, i) => {
    try {
      values[col.key] = readCell(col, cells[i], date1904);
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      values[col.key] = null;
      inError.add(col.key);
      errors.add({ row: rowNumber, column: col.header, code: error.code, message: error.message });
    }
  });
  values.archiveKey ??= '';
  const row = values as unknown as ImportedTrameRow;
  const fail = (key: TrameColumnKey, code: TrameErrorCode, message: string) => errors.add({ row: rowNumber, column: header(key), code, message });
  if (!row.archiveKey) fail('archiveKey', 'required', 'Ne doit pas être vide');
  else if (!ARCHIVE_KEY.test(row.archiveKey)) fail('archiveKey', 'bad_archive_key', 'Doit comporter 10 chiffres, sans espace');
  if (row.practitionerNumber != null && !PRACTITIONER_NUMBER.test(row.practitionerNumber)) {
    fail('practitionerNumber', 'bad_practitioner_number', 'Doit comporter 9 chiffres, sans espace');
  }
  if (row.nir != null && !NIR.test(row.nir)) fail('nir', 'bad_nir', 'Doit comporter 13 caractères, sans espace ni clé');
  if (row.invoiceNumber == null) fail('invoiceNumber', 'required', 'Ne doit pas être vide (numéro de facture, date de fin de soins inversée, ou 0)');
  if (row.motif == null && !inError.has('motif')) fail('motif', 'required', 'Ne doit pas être vide');
  if (row.manager != null && row.managerTreatedOn == null && !inError.has('managerTreatedOn')) {
    fail('managerTreatedOn', 'manager_pair_incomplete', `Doit être rempli quand « ${header('manager')} » l'est`);
  }
  if (row.managerTreatedOn != null && row.manager == null) {
    fail('manager', 'manager_pair_incomplete', `Doit être rempli quand « ${header('managerTreatedOn')} » l'est`);
  }
  return row;
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
