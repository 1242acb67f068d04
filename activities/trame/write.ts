// Writes the Trame SSTT workbook (spec §7; MO « Présentation du Tableau Excel Trame SSTT », « Consignes de saisie
// pour le Tableau Excel Trame SSTT » and the bordereau « Réponse au PS ») with exceljs's streaming WorkbookWriter:
// rows go to the zip as they come, so a 10 000-row Trame never sits in memory as a workbook model.
//
// Sheets, in tab order:
//   1. « Motifs externalisés »: the MO's 26 columns, header row frozen and filtered (« filtrer par N° PS »), protected.
//   2. « Réponse au PS »: the bordereau columns for the rows whose route is the practitioner, protected (an output).
//   3. « Listes »: the drop-down values (veryHidden), because Excel caps an inline list at 255 characters and the MO's
//      labels are far longer.
//
// Cells, by role (TRAME_COLUMNS[].role):
//   - operator (white, unlocked): what the SSTT operator fills (« saisir dans les cellules blanches et oranges »).
//   - agaps (orange, unlocked) when N° PS and invoice number are filled, else grey and locked: Raison sociale, Mail.
//   - manager (blue, unlocked): GESTIONNAIRE ALMERYS and ALMERYS – TRAITÉ LE. The MO greys them for the operator
//     (« réservé au Gestionnaire Almerys »), but here the operator is this program, which never types into the file:
//     its human reader is the Almerys manager, who fills exactly these two cells and uploads the file back to resolve
//     the tasks (spec §7). Grey-and-locked would force the manager to lift the protection the MO forbids lifting, so
//     they get their own fill (light blue: « not for the operator, for you ») and stay unlocked.
//   - managerReserved (grey, locked): FAX DU PS…COMMUNE. Also « réservé au Gestionnaire Almerys », but the program
//     prefills them from AGAPS and the upload reads nothing from them (a PS's coordinates are corrected in AGAPS, not
//     in a Trame), so they stay grey and locked like the MO's grey cells; `compareWithOriginal` reports any change.
// Header cells are locked. Cells below the last row keep Excel's default (locked): nobody adds rows to a Trame
// this program wrote — rows are matched back to invoices by critère d'archivage.
//
// Printing: both visible sheets print A4 landscape, one page wide, their header rows repeated on every page; each
// row is written as tall as its longest wrapped text needs (without a written height the wrapped reply was shown over
// the next rows in LibreOffice), and every cell uses the one font TRAME_FONT.

import { ARCHIVE_KEY_PATTERN, NIR_PATTERN, PRACTITIONER_NUMBER_PATTERN } from '../../rules/schema.js';
import { AppError } from '../../rules/errors.js';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { Alignment, Borders, DataValidation, Fill, Font, PageSetup, Style, Worksheet } from 'exceljs';
import { isIsoDate } from '../../rules/dates.js';
import { isMotifCode, MOTIFS, motifLabel } from '../../rules/motifs.js';
import {
  contentErrorLabel, CONTENT_ERRORS, isContentErrorCode, isMissingDetailCode, MISSING_DETAILS, missingDetailLabel,
} from '../../rules/sublists.js';
import { practitionerColumnsRequired, type TrameRow } from './rows.js';

export const MAIN_SHEET = 'Motifs externalisés';
export const REPLY_SHEET = 'Réponse au PS';
export const LISTS_SHEET = 'Listes';

export type TrameColumnKey = Exclude<keyof TrameRow, 'route'>;
/** Who may type in the column (see the file comment). */
export type TrameColumnRole = 'operator' | 'manager' | 'agaps' | 'managerReserved';
export type TrameListName = 'motifs' | 'missingDetails' | 'contentErrors';
export type TrameColumnType = 'text' | 'date' | 'amount' | 'list';

export interface TrameColumn {
  key: TrameColumnKey;
  /** The header text, exactly as the spec and the MO write it. */
  header: string;
  role: TrameColumnRole;
  type: TrameColumnType;
  /** For `list` columns: which drop-down. */
  list?: TrameListName;
  width: number;
  /** Wrapped text (the reply: « agrandir la cellule afin que tout le texte apparaisse »). */
  wrap?: boolean;
}

const column = (
  key: TrameColumnKey, header: string, role: TrameColumnRole, type: TrameColumnType, width: number,
  extra: Partial<Pick<TrameColumn, 'list' | 'wrap'>> = {},
): TrameColumn => ({ key, header, role, type, width, ...extra });

/** The sheet « Motifs externalisés », in the MO's order (column A first). */
export const TRAME_COLUMNS: readonly TrameColumn[] = [
  column('operator', 'OPERATEUR SSTT', 'operator', 'text', 18),
  column('treatedOn', 'SSTT – TRAITÉ LE', 'operator', 'date', 13),
  column('manager', 'GESTIONNAIRE ALMERYS', 'manager', 'text', 20),
  column('managerTreatedOn', 'ALMERYS – TRAITÉ LE', 'manager', 'date', 13),
  column('archiveKey', "CRITERE D'ARCHIVAGE", 'operator', 'text', 14),
  column('practitionerNumber', 'N° PS', 'operator', 'text', 12),
  column('nir', 'NUMERO DE SECURITE SOCIALE', 'operator', 'text', 17),
  column('invoiceNumber', 'NUMERO DE LA FACTURE', 'operator', 'text', 15),
  column('reply', 'REPONSE A VOTRE RECLAMATION', 'operator', 'text', 80, { wrap: true }),
  column('motif', 'MOTIF DE TRAITEMENT', 'operator', 'list', 32, { list: 'motifs' }),
  column('missingDetail', 'MANQUE DETAIL (détail manquant)', 'operator', 'list', 40, { list: 'missingDetails', wrap: true }),
  column('date', 'DATE', 'operator', 'date', 12),
  column('error', 'ERREUR CONTENU FACTURE (incohérence)', 'operator', 'list', 40, { list: 'contentErrors', wrap: true }),
  column('calculatedAmount', 'MONTANT CALCULÉ', 'operator', 'amount', 12),
  column('calculatedRc', 'PART RC CALCULÉE', 'operator', 'amount', 12),
  column('comment', 'COMMENTAIRES COMPLEMENTAIRES', 'operator', 'text', 32, { wrap: true }),
  column('practitionerName', 'RAISON SOCIALE DU PS', 'agaps', 'text', 28),
  column('practitionerEmail', 'MAIL DU PS', 'agaps', 'text', 30),
  column('fax', 'FAX DU PS', 'managerReserved', 'text', 14),
  column('streetNumber', 'N° DANS LA VOIE', 'managerReserved', 'text', 10),
  column('streetNumberComplement', 'COMPLÉMENT AU N° DANS LA VOIE', 'managerReserved', 'text', 12),
  column('streetType', 'TYPE DE VOIE', 'managerReserved', 'text', 10),
  column('streetName', 'LIBELLÉ DE VOIE', 'managerReserved', 'text', 28),
  column('addressComplement', 'COMPLÉMENT ADRESSE', 'managerReserved', 'text', 20),
  column('postalCode', 'CODE POSTAL', 'managerReserved', 'text', 10),
  column('city', 'COMMUNE', 'managerReserved', 'text', 22),
];

/** The sheet « Réponse au PS »: the MO's « BORDEREAU RECAPITULATIF », title on row 1, headers on row 2. */
export const REPLY_TITLE = 'BORDEREAU RECAPITULATIF';
export const REPLY_COLUMNS: readonly { key: 'archiveKey' | 'practitionerNumber' | 'nir' | 'invoiceNumber' | 'reply'; header: string; width: number }[] = [
  { key: 'archiveKey', header: "CRITERE D'ARCHIVAGE (réservé à Almerys)", width: 16 },
  { key: 'practitionerNumber', header: 'N° PS AM-FINESS', width: 12 },
  { key: 'nir', header: 'NUMERO DE SECURITE SOCIALE', width: 17 },
  { key: 'invoiceNumber', header: 'NUMERO DE LA FACTURE', width: 15 },
  { key: 'reply', header: 'REPONSE A VOTRE RECLAMATION', width: 100 },
];

/** The drop-down values, one column each on the sheet « Listes » (header on row 1, values from row 2). */
export const TRAME_LISTS: Record<TrameListName, { column: string; header: string; labels: readonly string[] }> = {
  motifs: { column: 'A', header: 'MOTIF DE TRAITEMENT', labels: MOTIFS.map((m) => m.label) },
  missingDetails: { column: 'B', header: 'MANQUE DETAIL (détail manquant)', labels: MISSING_DETAILS.map((d) => d.label) },
  contentErrors: { column: 'C', header: 'ERREUR CONTENU FACTURE (incohérence)', labels: CONTENT_ERRORS.map((e) => e.label) },
};

/** `Listes!$A$2:$A$24`: the range a drop-down reads its values from. */
export function listRange(name: TrameListName): string {
  const { column: c, labels } = TRAME_LISTS[name];
  return `${LISTS_SHEET}!$${c}$2:$${c}$${labels.length + 1}`;
}

/** Column letter of a 1-based index (the Trame has 26 columns: A…Z). */
export function columnLetter(index: number): string {
  let n = index;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

// ---- Fills and styles ----

export const TRAME_FILLS = {
  white: 'FFFFFFFF',
  grey: 'FFD9D9D9',
  orange: 'FFFFC000',
  /** The manager's two editable columns. */
  manager: 'FFDDEBF7',
} as const;
export type TrameFillName = keyof typeof TRAME_FILLS;

export const TEXT_FORMAT = '@';
export const DATE_FORMAT = 'dd/mm/yyyy';
export const AMOUNT_FORMAT = '0.00';

/**
 * One font for every cell (headers, data, the bordereau's title): Calibri 11, Excel's default. A style with a font
 * that names no family (`{ bold: true }`) is shown by LibreOffice in its own default, a serif, beside Calibri data.
 */
export const TRAME_FONT = { name: 'Calibri', family: 2, size: 11 } as const satisfies Partial<Font>;
const BOLD: Partial<Font> = { ...TRAME_FONT, bold: true };

const solid = (argb: string): Fill => ({ type: 'pattern', pattern: 'solid', fgColor: { argb } });
const thin = { style: 'thin' as const, color: { argb: 'FFA6A6A6' } };
const BORDER: Partial<Borders> = { top: thin, left: thin, bottom: thin, right: thin };

function numFmtOf(type: TrameColumnType): string {
  return type === 'date' ? DATE_FORMAT : type === 'amount' ? AMOUNT_FORMAT : TEXT_FORMAT;
}

/**
 * One style object per (fill, type, wrap): exceljs's style manager caches a style's id by object identity, so sharing
 * them keeps 260 000 cells cheap. Every text cell is a TEXT cell (numFmt `@`): leading zeros survive, and a value a
 * manager retypes is never parsed as a formula.
 */
const styleCache = new Map<string, Partial<Style>>();
function cellStyle(fill: TrameFillName, type: TrameColumnType, wrap: boolean): Partial<Style> {
  const key = `${fill}|${type}|${wrap}`;
  let style = styleCache.get(key);
  if (!style) {
    const alignment: Partial<Alignment> = { vertical: 'top', wrapText: wrap };
    style = {
      font: TRAME_FONT,
      numFmt: numFmtOf(type),
      fill: solid(TRAME_FILLS[fill]),
      border: BORDER,
      alignment,
      // Grey is the only locked fill; white, orange and the manager's blue are editable.
      protection: { locked: fill === 'grey' },
    };
    styleCache.set(key, style);
  }
  return style;
}

const HEADER_FILLS: Record<TrameColumnRole, TrameFillName> = {
  operator: 'white', manager: 'manager', agaps: 'orange', managerReserved: 'grey',
};
const headerStyles = new Map<TrameFillName, Partial<Style>>();
function headerStyle(fill: TrameFillName): Partial<Style> {
  let style = headerStyles.get(fill);
  if (!style) {
    style = {
      font: BOLD,
      fill: solid(TRAME_FILLS[fill]),
      border: BORDER,
      alignment: { vertical: 'middle', horizontal: 'center', wrapText: true },
      protection: { locked: true },
    };
    headerStyles.set(fill, style);
  }
  return style;
}

/** The fill of a data cell: its role, and for Raison sociale / Mail the MO's orange-or-grey rule. */
export function cellFill(col: TrameColumn, row: Pick<TrameRow, 'practitionerNumber' | 'invoiceNumber'>): TrameFillName {
  switch (col.role) {
    case 'operator':
      return 'white';
    case 'manager':
      return 'manager';
    case 'agaps':
      return practitionerColumnsRequired(row) ? 'orange' : 'grey';
    case 'managerReserved':
      return 'grey';
  }
}

// ---- Printing ----

/**
 * Page setup of the two visible sheets: A4 landscape, every column on one page wide (fitToWidth 1) and as many pages
 * tall as the rows need (fitToHeight 0), the header rows printed again at the top of each page.
 */
export function tramePageSetup(titleRows: string): Partial<PageSetup> {
  return {
    paperSize: 9, // A4
    orientation: 'landscape',
    fitToPage: true,
    fitToWidth: 1,
    fitToHeight: 0,
    printTitlesRow: titleRows,
    margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.5, header: 0.3, footer: 0.3 },
  };
}

/** Height of one line of TRAME_FONT, in points (Excel's default row height for Calibri 11). */
export const LINE_HEIGHT = 15;
/** Excel's ceiling for a row height, in points. */
export const MAX_ROW_HEIGHT = 409;

/**
 * How many lines `text` takes once wrapped in a column `width` characters wide (Excel's width unit: the width of a
 * digit). Greedy word wrap, a character counted as a digit's width (Calibri's letters are mostly narrower, which
 * leaves room for the cell's padding), a word longer than the line broken across lines, `\n` starting a new line.
 * `charWidth` scales the characters (bold capitals are wider than digits).
 */
export function wrappedLineCount(text: string, width: number, charWidth = 1): number {
  const capacity = Math.max(1, Math.floor(width / charWidth) - 1);
  let lines = 0;
  for (const paragraph of text.split(/\r?\n/)) {
    lines += 1;
    let line = 0;
    for (const word of paragraph.split(/[ \t]+/).filter(Boolean)) {
      if (line > 0 && line + 1 + word.length <= capacity) {
        line += 1 + word.length;
        continue;
      }
      if (line > 0) lines += 1;
      line = word.length;
      while (line > capacity) {
        lines += 1;
        line -= capacity;
      }
    }
  }
  return lines;
}

/** A row tall enough for the most lines among its wrapped cells (`cells`: [text, column width]). */
export function rowHeight(cells: Iterable<readonly [string | null, number]>, charWidth = 1, minimum = LINE_HEIGHT): number {
  let lines = 1;
  for (const [text, width] of cells) {
    if (text) lines = Math.max(lines, wrappedLineCount(text, width, charWidth));
  }
  return Math.min(MAX_ROW_HEIGHT, Math.max(minimum, lines * LINE_HEIGHT + 3));
}

/** Bold capitals (the header rows) are about a third wider than a digit. */
const HEADER_CHAR_WIDTH = 1.35;

// ---- Values ----

/**
 * Formula injection (CSV/Excel injection): a text beginning with `=`, `+`, `-`, `@` (or tab / carriage return) is
 * prefixed with a single quote. The cell is already a string cell with the TEXT format, which Excel never evaluates —
 * the quote is for where the value travels next (copied into another sheet, saved as CSV). A value that already
 * starts with quotes before such a character gets one more quote, so `unneutralise` is an exact inverse.
 */
const FORMULA_LIKE = /^'*[=+\-@\t\r]/;
export function neutralise(value: string): string {
  return FORMULA_LIKE.test(value) ? `'${value}` : value;
}
export function unneutralise(value: string): string {
  return value.startsWith("'") && FORMULA_LIKE.test(value) ? value.slice(1) : value;
}

/** `2016-01-05` → a Date at UTC midnight: exceljs writes it as the whole serial day. */
export function isoToExcelDate(iso: string): Date {
  return new Date(Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))));
}

function listLabel(col: TrameColumn, value: string): string {
  switch (col.list) {
    case 'motifs':
      return motifLabel(value as TrameRow['motif']);
    case 'missingDetails':
      return missingDetailLabel(value as NonNullable<TrameRow['missingDetail']>);
    default:
      return contentErrorLabel(value as NonNullable<TrameRow['error']>);
  }
}

/** The value exceljs writes: text (neutralised), a Date, a number, or null for an empty (styled) cell. */
export function cellValue(col: TrameColumn, row: TrameRow): string | number | Date | null {
  const value = row[col.key];
  if (value == null || value === '') return null;
  switch (col.type) {
    case 'date':
      return isoToExcelDate(value as string);
    case 'amount':
      return value as number;
    case 'list':
      return listLabel(col, value as string);
    case 'text':
      return neutralise(String(value));
  }
}

// ---- Format checks (« Consignes de saisie »), before anything is written ----

const ARCHIVE_KEY = ARCHIVE_KEY_PATTERN;
const PRACTITIONER_NUMBER = PRACTITIONER_NUMBER_PATTERN;
const NIR = NIR_PATTERN;

export class TrameFormatError extends AppError {
  override readonly name = 'TrameFormatError';
  readonly code = 'trame_format';
  constructor(readonly index: number, readonly column: string, message: string) {
    super(`Trame row ${index + 1} (${column}): ${message}`);
  }
}

/** Refuses a row the MO's formats forbid: better no file than a file a manager cannot upload back. */
export function assertTrameRow(row: TrameRow, index: number): void {
  const fail = (key: TrameColumnKey | 'route', message: string): never => {
    const header = TRAME_COLUMNS.find((c) => c.key === key)?.header ?? key;
    throw new TrameFormatError(index, header, message);
  };
  if (!ARCHIVE_KEY.test(row.archiveKey ?? '')) fail('archiveKey', 'must be 10 digits');
  if (row.practitionerNumber && !PRACTITIONER_NUMBER.test(row.practitionerNumber)) fail('practitionerNumber', 'must be 9 digits or empty');
  if (row.nir && !NIR.test(row.nir)) fail('nir', 'must be 13 characters without key or empty');
  if (!row.invoiceNumber || row.invoiceNumber.trim() === '') fail('invoiceNumber', 'must not be empty');
  if (!isMotifCode(row.motif)) fail('motif', 'must be a motif code');
  if (row.missingDetail != null && !isMissingDetailCode(row.missingDetail)) fail('missingDetail', 'must be a missing-detail code');
  if (row.error != null && !isContentErrorCode(row.error)) fail('error', 'must be a content-error code');
  if (!isIsoDate(row.treatedOn)) fail('treatedOn', 'must be a date written YYYY-MM-DD');
  for (const key of ['managerTreatedOn', 'date'] as const) {
    if (row[key] != null && !isIsoDate(row[key])) fail(key, 'must be a date written YYYY-MM-DD');
  }
  for (const key of ['calculatedAmount', 'calculatedRc'] as const) {
    if (row[key] != null && !Number.isFinite(row[key])) fail(key, 'must be a number');
  }
  if (row.route !== 'practitioner' && row.route !== 'manager') fail('route', 'must be practitioner or manager');
}

// ---- Data validations ----

/** exceljs 4.4 has `worksheet.dataValidations` at run time but not in its typings. */
interface DataValidationsOf {
  dataValidations: { add(range: string, validation: DataValidation): void };
}

const FIRST_DATE = new Date(Date.UTC(2000, 0, 1));
const LAST_DATE = new Date(Date.UTC(2099, 11, 31));

/**
 * One validation per column over the data rows (`J2:J10001`), never cell by cell (stack notes: overlapping ranges
 * make Excel « repair » the file). The three drop-downs are the MO's (« sélectionner … dans la liste déroulante
 * uniquement (aucune saisie possible) »): list type, error on any other input. The other rules mirror the format
 * consignes for a human who edits a white cell; Excel applies them on input only, so `readTrame` checks again.
 */
export function trameValidations(lastRow: number): { range: string; validation: DataValidation }[] {
  const out: { range: string; validation: DataValidation }[] = [];
  const stop = (errorTitle: string, error: string) => ({ showErrorMessage: true, errorStyle: 'stop', errorTitle, error });
  TRAME_COLUMNS.forEach((col, i) => {
    const letter = columnLetter(i + 1);
    const range = `${letter}2:${letter}${lastRow}`;
    const add = (validation: DataValidation) => out.push({ range, validation });
    if (col.type === 'list') {
      add({
        type: 'list',
        allowBlank: col.list !== 'motifs',
        formulae: [listRange(col.list!)],
        ...stop(col.header, 'Sélectionner une valeur de la liste déroulante uniquement (aucune saisie possible).'),
      });
    } else if (col.type === 'date') {
      add({
        type: 'date', operator: 'between', allowBlank: true, formulae: [FIRST_DATE, LAST_DATE],
        ...stop(col.header, 'Saisir une date au format jj/mm/aaaa.'),
      });
    } else if (col.type === 'amount') {
      add({
        type: 'decimal', operator: 'greaterThanOrEqual', allowBlank: true, formulae: [0],
        ...stop(col.header, 'Saisir un montant en euros.'),
      });
    } else if (col.key === 'archiveKey') {
      add({ type: 'textLength', operator: 'equal', allowBlank: false, formulae: [10], ...stop(col.header, "Saisir un critère d'archivage à 10 chiffres sans espace.") });
    } else if (col.key === 'practitionerNumber') {
      add({ type: 'textLength', operator: 'equal', allowBlank: true, formulae: [9], ...stop(col.header, 'Saisir un numéro PS à 9 chiffres sans espace.') });
    } else if (col.key === 'nir') {
      add({ type: 'textLength', operator: 'equal', allowBlank: true, formulae: [13], ...stop(col.header, 'Saisir un numéro de sécurité sociale de 13 caractères sans espace, sans clef.') });
    } else if (col.key === 'invoiceNumber') {
      add({ type: 'textLength', operator: 'greaterThanOrEqual', allowBlank: false, formulae: [1], ...stop(col.header, 'Le numéro de la facture est obligatoire (à défaut la date de fin de soins à l\'envers, ou « 0 »).') });
    }
  });
  return out;
}

// ---- The writer ----

export interface WriteTrameOptions {
  /** The workbook's title (document properties). */
  title?: string;
  /**
   * Password of the sheet protection. Default: none — protection then guards against slips, not against intent
   * (the MO asks operators « ne pas déverrouiller les cellules ni ôter la protection »). A password costs ~0.25 s
   * (SHA-512, 100 000 rounds), once: the three sheets share the hash.
   */
  password?: string;
  /** Name written in the document properties (creator). */
  creator?: string;
}

/** Sheet protection: grey (locked) cells refuse input; resizing rows/columns and filtering stay allowed. */
const PROTECTION = {
  selectLockedCells: true,
  selectUnlockedCells: true,
  formatColumns: true,
  formatRows: true,
  autoFilter: true,
  sort: false,
  insertRows: false,
  deleteRows: false,
  insertColumns: false,
  deleteColumns: false,
} as const;

/** Yields to the event loop every so many rows, so the zip drains what was written (bounded memory). */
const DRAIN_EVERY = 200;
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Streams the Trame to `output` (a file path, or a writable stream the zip is piped into and ended). Rows are checked
 * first (`assertTrameRow`): on a bad row, or any error, the file is removed (path) or the stream destroyed with the
 * error, so a truncated workbook never looks complete.
 */
export async function writeTrame(
  rows: AsyncIterable<TrameRow> | Iterable<TrameRow>,
  output: string | NodeJS.WritableStream,
  options: WriteTrameOptions = {},
): Promise<{ rowCount: number }> {
  const ownFile = typeof output === 'string';
  const stream = ownFile ? createWriteStream(output) : output;
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: stream as unknown as import('node:stream').Stream,
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = options.creator ?? 'tp-rejects';
  if (options.title) workbook.title = options.title;

  try {
    // Tab order = creation order: the main sheet first (and active), the veryHidden lists last.
    const main = workbook.addWorksheet(MAIN_SHEET, {
      views: [{ state: 'frozen', xSplit: 0, ySplit: 1, topLeftCell: 'A2', activeCell: 'A2' }],
      autoFilter: `A1:${columnLetter(TRAME_COLUMNS.length)}1`,
      pageSetup: tramePageSetup('1:1'),
    } as Partial<ExcelJS.AddWorksheetOptions>);
    const replies = workbook.addWorksheet(REPLY_SHEET, {
      views: [{ state: 'frozen', xSplit: 0, ySplit: 2, topLeftCell: 'A3', activeCell: 'A3' }],
      pageSetup: tramePageSetup('1:2'),
    });
    const lists = workbook.addWorksheet(LISTS_SHEET, { state: 'veryHidden' });

    main.columns = TRAME_COLUMNS.map((c) => ({ key: c.key, width: c.width }));
    replies.columns = REPLY_COLUMNS.map((c) => ({ key: c.key, width: c.width }));

    writeHeader(main);
    writeReplyHeader(replies);
    writeLists(lists);

    let rowCount = 0;
    let replyRow = 2;
    for await (const row of rows) {
      assertTrameRow(row, rowCount);
      rowCount += 1;
      writeMainRow(main, rowCount + 1, row);
      if (row.route === 'practitioner') writeReplyRow(replies, ++replyRow, row);
      if (rowCount % DRAIN_EVERY === 0) await drain();
    }

    const lastRow = Math.max(2, rowCount + 1);
    const mainValidations = (main as unknown as DataValidationsOf).dataValidations;
    for (const { range, validation } of trameValidations(lastRow)) mainValidations.add(range, validation);

    // One protect() (a password costs 100 000 SHA-512 rounds), the same protection on the three sheets.
    await main.protect(options.password ?? '', { ...PROTECTION });
    const protection = (main as unknown as { sheetProtection: object }).sheetProtection;
    for (const sheet of [main, replies, lists]) {
      writeProtectionInSchemaOrder(sheet);
      (sheet as unknown as { sheetProtection: object }).sheetProtection = { ...protection };
    }
    main.commit();
    replies.commit();
    lists.commit();
    await workbook.commit();
    return { rowCount };
  } catch (error) {
    // Stop the zip, then make sure nobody mistakes what was written for a Trame.
    (workbook as unknown as { zip?: { abort?: () => void } }).zip?.abort?.();
    const destroyable = stream as NodeJS.WritableStream & { destroy?: (error?: Error) => void };
    if (ownFile) {
      destroyable.destroy?.();
      await new Promise((resolve) => setImmediate(resolve));
      await unlink(output).catch(() => undefined);
    } else {
      destroyable.destroy?.(error as Error);
    }
    throw error;
  }
}

/**
 * exceljs 4.4's streaming WorksheetWriter writes `<sheetProtection>` after `<autoFilter>`, `<mergeCells>` and
 * `<dataValidations>`, but the schema (ECMA-376 CT_Worksheet) wants it right after `<sheetData>`; Excel then calls
 * the file corrupt and « repairs » it (exceljs issue: PR #2685, « Fix error saving files when streaming using
 * autofilter and sheet protection », unmerged). Until a release fixes it, this sheet writes its protection when it
 * closes `<sheetData>`, and nothing where exceljs would. The test « elements in schema order » reads the XML back.
 */
function writeProtectionInSchemaOrder(sheet: Worksheet): void {
  const internals = sheet as unknown as { _writeCloseSheetData?: () => void; _writeSheetProtection?: () => void };
  const closeSheetData = internals._writeCloseSheetData;
  const writeProtection = internals._writeSheetProtection;
  if (typeof closeSheetData !== 'function' || typeof writeProtection !== 'function') {
    throw new Error('exceljs WorksheetWriter internals changed: check the sheetProtection order fix in activities/trame/write.ts');
  }
  internals._writeCloseSheetData = () => {
    closeSheetData.call(sheet);
    writeProtection.call(sheet);
  };
  internals._writeSheetProtection = () => undefined;
}

function writeHeader(sheet: Worksheet): void {
  const header = sheet.getRow(1);
  TRAME_COLUMNS.forEach((col, i) => {
    const cell = header.getCell(i + 1);
    cell.value = col.header;
    cell.style = headerStyle(HEADER_FILLS[col.role]);
  });
  header.height = rowHeight(TRAME_COLUMNS.map((c) => [c.header, c.width] as const), HEADER_CHAR_WIDTH, 45);
  header.commit();
}

function writeMainRow(sheet: Worksheet, rowNumber: number, row: TrameRow): void {
  const excelRow = sheet.getRow(rowNumber);
  const wrapped: [string | null, number][] = [];
  for (let i = 0; i < TRAME_COLUMNS.length; i++) {
    const col = TRAME_COLUMNS[i];
    const cell = excelRow.getCell(i + 1);
    const value = cellValue(col, row);
    cell.value = value;
    cell.style = cellStyle(cellFill(col, row), col.type, col.wrap ?? false);
    if (col.wrap && typeof value === 'string') wrapped.push([value, col.width]);
  }
  excelRow.height = rowHeight(wrapped);
  excelRow.commit();
}

const REPLY_TITLE_STYLE: Partial<Style> = {
  font: { ...BOLD, size: 12 },
  alignment: { horizontal: 'center', vertical: 'middle' },
  protection: { locked: true },
};

function writeReplyHeader(sheet: Worksheet): void {
  const title = sheet.getRow(1);
  title.getCell(1).value = REPLY_TITLE;
  title.getCell(1).style = REPLY_TITLE_STYLE;
  sheet.mergeCells(1, 1, 1, REPLY_COLUMNS.length);
  title.commit();
  const header = sheet.getRow(2);
  REPLY_COLUMNS.forEach((col, i) => {
    const cell = header.getCell(i + 1);
    cell.value = col.header;
    cell.style = headerStyle('white');
  });
  header.height = rowHeight(REPLY_COLUMNS.map((c) => [c.header, c.width] as const), HEADER_CHAR_WIDTH, 30);
  header.commit();
}

/** The bordereau is an output (pasted into the PS e-mail): every cell white but locked. */
const replyStyles = new Map<boolean, Partial<Style>>();
function replyStyle(wrap: boolean): Partial<Style> {
  let style = replyStyles.get(wrap);
  if (!style) {
    style = { ...cellStyle('white', 'text', wrap), protection: { locked: true } };
    replyStyles.set(wrap, style);
  }
  return style;
}

function writeReplyRow(sheet: Worksheet, rowNumber: number, row: TrameRow): void {
  const excelRow = sheet.getRow(rowNumber);
  REPLY_COLUMNS.forEach((col, i) => {
    const cell = excelRow.getCell(i + 1);
    const value = row[col.key];
    cell.value = value ? neutralise(value) : null;
    cell.style = replyStyle(col.key === 'reply');
  });
  const reply = REPLY_COLUMNS.find((c) => c.key === 'reply')!;
  excelRow.height = rowHeight([[row.reply ? neutralise(row.reply) : null, reply.width]]);
  excelRow.commit();
}

function writeLists(sheet: Worksheet): void {
  const lists = Object.values(TRAME_LISTS);
  sheet.columns = lists.map(() => ({ width: 60 }));
  const rows = Math.max(...lists.map((l) => l.labels.length)) + 1;
  for (let r = 1; r <= rows; r++) {
    const excelRow = sheet.getRow(r);
    lists.forEach((list, i) => {
      const value = r === 1 ? list.header : list.labels[r - 2];
      if (value !== undefined) excelRow.getCell(i + 1).value = value;
    });
    excelRow.commit();
  }
}
