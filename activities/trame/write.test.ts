import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTIFS } from '../../rules/motifs.js';
import { CONTENT_ERRORS, MISSING_DETAILS } from '../../rules/sublists.js';
import { sampleRow, trameBuffer, zipEntry } from './testing.js';
import {
  LINE_HEIGHT, LISTS_SHEET, MAIN_SHEET, MAX_ROW_HEIGHT, neutralise, REPLY_SHEET, TRAME_COLUMNS, TRAME_FILLS, TrameFormatError,
  unneutralise, wrappedLineCount, writeTrame,
} from './write.js';

// The spec's §7 list, verbatim.
const HEADERS = [
  'OPERATEUR SSTT', 'SSTT – TRAITÉ LE', 'GESTIONNAIRE ALMERYS', 'ALMERYS – TRAITÉ LE', "CRITERE D'ARCHIVAGE", 'N° PS',
  'NUMERO DE SECURITE SOCIALE', 'NUMERO DE LA FACTURE', 'REPONSE A VOTRE RECLAMATION', 'MOTIF DE TRAITEMENT',
  'MANQUE DETAIL (détail manquant)', 'DATE', 'ERREUR CONTENU FACTURE (incohérence)', 'MONTANT CALCULÉ', 'PART RC CALCULÉE',
  'COMMENTAIRES COMPLEMENTAIRES', 'RAISON SOCIALE DU PS', 'MAIL DU PS', 'FAX DU PS', 'N° DANS LA VOIE',
  'COMPLÉMENT AU N° DANS LA VOIE', 'TYPE DE VOIE', 'LIBELLÉ DE VOIE', 'COMPLÉMENT ADRESSE', 'CODE POSTAL', 'COMMUNE',
];

const ROWS = [
  // Row 2: practitioner route, every column filled, N° PS with a leading zero.
  sampleRow({ archiveKey: '0870044786', practitionerNumber: '012345678', postalCode: '01000' }),
  // Row 3: manager route, no N° PS (Manque PS): Raison sociale / Mail grey.
  sampleRow({
    archiveKey: '2871028269', practitionerNumber: '', motif: 'manque_ps', date: null, comment: null, practitionerName: null,
    practitionerEmail: null, calculatedAmount: null, calculatedRc: null, route: 'manager',
  }),
  // Row 4: formula-like values everywhere text can carry them.
  sampleRow({
    archiveKey: '2871028270', invoiceNumber: '=HYPERLINK("http://evil.example","x")', comment: '+33 4 73 00 00 00',
    practitionerName: '-cabinet', practitionerEmail: '@evil.example', streetName: '=1+1', motif: 'manque_detail',
    missingDetail: 'part_rc', date: null, route: 'practitioner',
  }),
  // Row 5: Erreur contenu facture, invoice number `0` (no number, no care date): grey Raison sociale / Mail.
  sampleRow({
    archiveKey: '2871028271', invoiceNumber: '0', motif: 'erreur_contenu_facture', error: 'document_non_conforme', date: null,
    practitionerName: null, practitionerEmail: null, route: 'manager',
  }),
];
const LAST = ROWS.length + 1;

let buffer: Buffer;
let workbook: ExcelJS.Workbook;
let main: ExcelJS.Worksheet;

beforeAll(async () => {
  buffer = await trameBuffer(ROWS, { title: 'Trame SSTT — lot 42' });
  workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  main = workbook.getWorksheet(MAIN_SHEET)!;
});

const col = (key: string) => TRAME_COLUMNS.findIndex((c) => c.key === key) + 1;
const cell = (row: number, key: string) => main.getRow(row).getCell(col(key));
const fillOf = (c: ExcelJS.Cell) => (c.fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb;
const locked = (c: ExcelJS.Cell) => c.protection?.locked ?? true;
type Validations = { dataValidations: { model: Record<string, ExcelJS.DataValidation | undefined> } };
const validations = (ws: ExcelJS.Worksheet) => (ws as unknown as Validations).dataValidations.model;

describe('writeTrame: sheets and headers', () => {
  it('writes « Motifs externalisés », « Réponse au PS » and the veryHidden « Listes », in that order', () => {
    expect(workbook.worksheets.map((w) => [w.name, w.state])).toEqual([
      [MAIN_SHEET, 'visible'], [REPLY_SHEET, 'visible'], [LISTS_SHEET, 'veryHidden'],
    ]);
    expect(workbook.title).toBe('Trame SSTT — lot 42');
  });

  it('has the MO columns in the MO order, with exactly the spec header texts', () => {
    expect(TRAME_COLUMNS.map((c) => c.header)).toEqual(HEADERS);
    const values = (main.getRow(1).values as unknown[]).slice(1);
    expect(values).toEqual(HEADERS);
  });

  it('writes one row per Trame row and freezes the header row', () => {
    expect(main.rowCount).toBe(LAST);
    expect(main.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(main.autoFilter).toBe('A1:Z1');
  });

  it('sets column widths and wraps the reply', () => {
    TRAME_COLUMNS.forEach((c, i) => expect(main.getColumn(i + 1).width).toBe(c.width));
    expect(cell(2, 'reply').alignment?.wrapText).toBe(true);
    expect(cell(2, 'archiveKey').alignment?.wrapText).toBeFalsy();
  });
});

describe('writeTrame: drop-down lists', () => {
  it('puts the MO labels on the hidden sheet « Listes »', () => {
    const lists = workbook.getWorksheet(LISTS_SHEET)!;
    const column = (n: number) => (lists.getColumn(n).values as unknown[]).slice(2).filter((v) => v != null);
    expect(column(1)).toEqual(MOTIFS.map((m) => m.label));
    expect(column(1)).toHaveLength(23);
    expect(column(2)).toEqual(MISSING_DETAILS.map((d) => d.label));
    expect(column(3)).toEqual(CONTENT_ERRORS.map((e) => e.label));
  });

  it.each([
    ['motif', 'J', 'Listes!$A$2:$A$24'],
    ['missingDetail', 'K', 'Listes!$B$2:$B$8'],
    ['error', 'M', 'Listes!$C$2:$C$13'],
  ])('%s (column %s) is a list validation reading %s over every data row', (key, letter, range) => {
    expect(TRAME_COLUMNS[col(key) - 1].header).toBe(HEADERS[col(key) - 1]);
    const model = validations(main);
    for (let r = 2; r <= LAST; r++) {
      expect(model[`${letter}${r}`]).toMatchObject({ type: 'list', formulae: [range], showErrorMessage: true, errorStyle: 'stop' });
    }
    expect(model[`${letter}1`]).toBeUndefined();
    expect(model[`${letter}${LAST + 1}`]).toBeUndefined();
  });

  it('writes each validation as one range, never cell by cell', () => {
    const xml = zipEntry(buffer, 'xl/worksheets/sheet1.xml');
    const sqrefs = [...xml.matchAll(/<dataValidation [^>]*sqref="([^"]+)"/g)].map((m) => m[1]);
    expect(sqrefs).toEqual(expect.arrayContaining([`J2:J${LAST}`, `K2:K${LAST}`, `M2:M${LAST}`]));
    expect(sqrefs.every((s) => /^[A-Z]2:[A-Z]\d+$/.test(s))).toBe(true);
    expect(new Set(sqrefs).size).toBe(sqrefs.length);
  });

  it('checks the format consignes on input: 10, 9 and 13 characters, dates', () => {
    const model = validations(main);
    expect(model.E2).toMatchObject({ type: 'textLength', operator: 'equal', formulae: [10] });
    expect(model.F2).toMatchObject({ type: 'textLength', operator: 'equal', formulae: [9], allowBlank: true });
    expect(model.G2).toMatchObject({ type: 'textLength', operator: 'equal', formulae: [13], allowBlank: true });
    expect(model.D2).toMatchObject({ type: 'date', operator: 'between' });
  });
});

describe('writeTrame: protection and fills', () => {
  it('protects every sheet (no password by default), allowing resize and filter', () => {
    for (const ws of workbook.worksheets) {
      const protection = (ws as unknown as { sheetProtection: Record<string, unknown> }).sheetProtection;
      expect(protection).toMatchObject({ sheet: true, formatColumns: true, formatRows: true, autoFilter: true });
      expect(protection.hashValue).toBeUndefined();
    }
  });

  it('hashes a password when one is given', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await trameBuffer([sampleRow()], { password: 'almerys' })) as unknown as ArrayBuffer);
    const protections = wb.worksheets.map((ws) => (ws as unknown as { sheetProtection: Record<string, unknown> }).sheetProtection);
    expect(protections).toHaveLength(3);
    for (const protection of protections) {
      expect(protection).toMatchObject({ sheet: true, algorithmName: 'SHA-512', hashValue: protections[0].hashValue });
      expect(protection.hashValue).toEqual(expect.any(String));
    }
  });

  it('white operator cells: editable', () => {
    for (const key of ['operator', 'treatedOn', 'archiveKey', 'practitionerNumber', 'nir', 'invoiceNumber', 'reply',
      'motif', 'missingDetail', 'date', 'error', 'calculatedAmount', 'calculatedRc', 'comment']) {
      expect([key, fillOf(cell(2, key)), locked(cell(2, key))]).toEqual([key, TRAME_FILLS.white, false]);
    }
  });

  it("the manager's two columns: their own fill, editable (the upload reads them)", () => {
    for (const key of ['manager', 'managerTreatedOn']) {
      for (let r = 2; r <= LAST; r++) expect([fillOf(cell(r, key)), locked(cell(r, key))]).toEqual([TRAME_FILLS.manager, false]);
    }
  });

  it('Raison sociale and Mail: orange and editable when N° PS and invoice number are filled, grey and locked otherwise', () => {
    for (const key of ['practitionerName', 'practitionerEmail']) {
      expect([fillOf(cell(2, key)), locked(cell(2, key))]).toEqual([TRAME_FILLS.orange, false]);
      expect([fillOf(cell(3, key)), locked(cell(3, key))]).toEqual([TRAME_FILLS.grey, true]); // no N° PS
      expect([fillOf(cell(5, key)), locked(cell(5, key))]).toEqual([TRAME_FILLS.grey, true]); // invoice number 0
    }
    expect(cell(2, 'practitionerName').value).toBe('infirmiers du parc');
  });

  it('Fax…Commune: grey and locked', () => {
    const keys = TRAME_COLUMNS.filter((c) => c.role === 'managerReserved').map((c) => c.key);
    expect(keys).toEqual(['fax', 'streetNumber', 'streetNumberComplement', 'streetType', 'streetName', 'addressComplement', 'postalCode', 'city']);
    for (const key of keys) expect([fillOf(cell(2, key)), locked(cell(2, key))]).toEqual([TRAME_FILLS.grey, true]);
  });

  it('header cells are locked, and so are cells below the last row', () => {
    for (let c = 1; c <= HEADERS.length; c++) expect(locked(main.getRow(1).getCell(c))).toBe(true);
    expect(locked(main.getRow(LAST + 1).getCell(col('manager')))).toBe(true);
  });
});

describe('writeTrame: formats and values', () => {
  it('keeps critère, N° PS, NIR, invoice number and postal code as TEXT (leading zeros survive)', () => {
    for (const key of ['archiveKey', 'practitionerNumber', 'nir', 'invoiceNumber', 'postalCode', 'comment', 'manager']) {
      expect([key, cell(2, key).numFmt]).toEqual([key, '@']);
    }
    expect(cell(2, 'archiveKey').value).toBe('0870044786');
    expect(cell(2, 'practitionerNumber').value).toBe('012345678');
    expect(cell(2, 'postalCode').value).toBe('01000');
    expect(cell(2, 'nir').value).toBe('2670499324070');
    expect(cell(2, 'practitionerNumber').type).toBe(ExcelJS.ValueType.String);
  });

  it('writes dates as real dates shown dd/mm/yyyy, amounts as numbers with 2 decimals', () => {
    expect(cell(2, 'treatedOn').value).toEqual(new Date('2016-02-23T00:00:00Z'));
    expect(cell(2, 'date').value).toEqual(new Date('2016-01-01T00:00:00Z'));
    for (const key of ['treatedOn', 'managerTreatedOn', 'date']) expect(cell(2, key).numFmt).toBe('dd/mm/yyyy');
    expect(cell(2, 'calculatedAmount').value).toBe(3.15);
    expect(cell(2, 'calculatedRc').value).toBe(1.26);
    expect(cell(2, 'calculatedAmount').numFmt).toBe('0.00');
    expect(cell(3, 'calculatedAmount').value).toBeNull();
  });

  it('writes the drop-down labels, not the codes', () => {
    expect(cell(2, 'motif').value).toBe('Acte déjà payé');
    expect(cell(4, 'missingDetail').value).toBe('Montant de la part RC');
    expect(cell(5, 'error').value).toBe(CONTENT_ERRORS.find((e) => e.code === 'document_non_conforme')!.label);
    expect(cell(5, 'invoiceNumber').value).toBe('0');
  });

  it('neutralises formula-like text: a quote in front, a string cell, no formula in the XML', () => {
    expect(cell(4, 'invoiceNumber').value).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(cell(4, 'comment').value).toBe("'+33 4 73 00 00 00");
    expect(cell(4, 'practitionerName').value).toBe("'-cabinet");
    expect(cell(4, 'practitionerEmail').value).toBe("'@evil.example");
    expect(cell(4, 'streetName').value).toBe("'=1+1");
    for (const key of ['invoiceNumber', 'comment', 'streetName']) expect(cell(4, key).type).toBe(ExcelJS.ValueType.String);
    expect(zipEntry(buffer, 'xl/worksheets/sheet1.xml')).not.toMatch(/<f[ >]/);
  });

  it('neutralise / unneutralise are inverses, also for values that already start with a quote', () => {
    for (const v of ['=1+1', '+1', '-1', '@a', '\t=1', "'=1", "''+x", "'plain", 'plain', '']) {
      expect(unneutralise(neutralise(v))).toBe(v);
    }
    expect(neutralise('plain')).toBe('plain');
  });

  it('writes the worksheet elements in schema order (sheetProtection right after sheetData)', () => {
    for (const part of ['sheet1', 'sheet2', 'sheet3']) {
      const xml = zipEntry(buffer, `xl/worksheets/${part}.xml`).replace(/<sheetData>[\s\S]*<\/sheetData>/, '<sheetData/>');
      const order = [...xml.matchAll(/<(sheetViews|sheetFormatPr|cols|sheetData|sheetProtection|autoFilter|mergeCells|dataValidations|pageMargins|pageSetup)[ />]/g)]
        .map((m) => m[1]);
      const schema = ['sheetViews', 'sheetFormatPr', 'cols', 'sheetData', 'sheetProtection', 'autoFilter', 'mergeCells', 'dataValidations', 'pageMargins', 'pageSetup'];
      expect(order).toEqual(schema.filter((e) => order.includes(e)));
      expect(order).toContain('sheetProtection');
    }
  });
});

describe('writeTrame: « Réponse au PS »', () => {
  it('holds the bordereau columns for the practitioner-routed rows only', () => {
    const ws = workbook.getWorksheet(REPLY_SHEET)!;
    expect(ws.getRow(1).getCell(1).value).toBe('BORDEREAU RECAPITULATIF');
    expect((ws.getRow(2).values as unknown[]).slice(1)).toEqual([
      "CRITERE D'ARCHIVAGE (réservé à Almerys)", 'N° PS AM-FINESS', 'NUMERO DE SECURITE SOCIALE', 'NUMERO DE LA FACTURE',
      'REPONSE A VOTRE RECLAMATION',
    ]);
    expect(ws.rowCount).toBe(4);
    expect((ws.getRow(3).values as unknown[]).slice(1)).toEqual(['0870044786', '012345678', '2670499324070', '531341', ROWS[0].reply]);
    expect(ws.getRow(4).getCell(1).value).toBe('2871028270');
    expect(ws.getRow(4).getCell(4).value).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(ws.getRow(3).getCell(2).numFmt).toBe('@');
    expect(ws.getRow(3).getCell(5).alignment?.wrapText).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
  });
});

describe('writeTrame: printing', () => {
  const words = (n: number) => Array.from({ length: n }, (_, i) => `mot${i % 10}`).join(' ');
  // Replies of growing length (each word 4 characters + a space): 1, then about 3, 6 and 12 lines at width 80.
  const LENGTHS = [5, 40, 90, 180];
  let printed: ExcelJS.Workbook;

  beforeAll(async () => {
    const rows = LENGTHS.map((n, i) => sampleRow({ archiveKey: String(2870044790 + i), reply: words(n) }));
    printed = new ExcelJS.Workbook();
    await printed.xlsx.load((await trameBuffer(rows)) as unknown as ArrayBuffer);
  });

  it.each([
    [MAIN_SHEET, '1:1'],
    [REPLY_SHEET, '1:2'],
  ])('« %s »: A4 landscape, one page wide, as many pages tall as needed, rows %s repeated on each page', (name, titles) => {
    const setup = printed.getWorksheet(name)!.pageSetup;
    expect(setup).toMatchObject({
      orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: titles,
    });
  });

  it('declares the repeated rows as the sheets\' Print_Titles in workbook.xml', async () => {
    const written = await trameBuffer([sampleRow()]);
    const xml = zipEntry(written, 'xl/workbook.xml').replaceAll('&apos;', "'");
    expect(xml).toContain(`<definedName name="_xlnm.Print_Titles" localSheetId="0">'${MAIN_SHEET}'!$1:$1</definedName>`);
    expect(xml).toContain(`<definedName name="_xlnm.Print_Titles" localSheetId="1">'${REPLY_SHEET}'!$1:$2</definedName>`);
    for (const part of ['sheet1', 'sheet2']) {
      const sheet = zipEntry(written, `xl/worksheets/${part}.xml`);
      expect(sheet).toMatch(/<pageSetUpPr fitToPage="1"\/>/);
      expect(sheet).toMatch(/<pageSetup [^>]*orientation="landscape"[^>]*fitToWidth="1" fitToHeight="0"/);
    }
  });

  it('uses one font family for headers and data, on both sheets', () => {
    const fonts = new Set<string>();
    for (const ws of [workbook.getWorksheet(MAIN_SHEET)!, workbook.getWorksheet(REPLY_SHEET)!]) {
      ws.eachRow((row) => row.eachCell({ includeEmpty: true }, (c) => { fonts.add(`${c.font?.name}`); }));
    }
    expect([...fonts]).toEqual(['Calibri']);
    expect(cell(1, 'reply').font).toMatchObject({ name: 'Calibri', bold: true, size: 11 });
    expect(cell(2, 'reply').font).toMatchObject({ name: 'Calibri', size: 11 });
    expect(cell(2, 'reply').font?.bold).toBeFalsy();
  });

  it('makes each row tall enough for its wrapped reply: heights grow with the text', () => {
    const ws = printed.getWorksheet(MAIN_SHEET)!;
    const width = TRAME_COLUMNS.find((c) => c.key === 'reply')!.width;
    const heights = LENGTHS.map((_, i) => ws.getRow(i + 2).height);
    expect(heights[0]).toBeGreaterThanOrEqual(LINE_HEIGHT);
    for (let i = 1; i < heights.length; i++) expect(heights[i]).toBeGreaterThan(heights[i - 1]);
    // At least one line per `width` characters of text, each line LINE_HEIGHT points.
    LENGTHS.forEach((n, i) => expect(heights[i]).toBeGreaterThanOrEqual(Math.ceil((n * 5 - 1) / width) * LINE_HEIGHT));
    const replies = printed.getWorksheet(REPLY_SHEET)!;
    const replyHeights = LENGTHS.map((_, i) => replies.getRow(i + 3).height);
    for (let i = 1; i < replyHeights.length; i++) expect(replyHeights[i]).toBeGreaterThan(replyHeights[i - 1]);
  });

  it('fits the header row to its wrapped headers', () => {
    expect(main.getRow(1).height).toBeGreaterThanOrEqual(3 * LINE_HEIGHT);
  });

  it('counts wrapped lines: words kept whole, long words broken, line breaks kept, capped at Excel\'s maximum height', () => {
    expect(wrappedLineCount('', 10)).toBe(1);
    expect(wrappedLineCount('abc def', 10)).toBe(1);
    expect(wrappedLineCount('abcd efgh ijkl', 10)).toBe(2);
    expect(wrappedLineCount('a'.repeat(25), 10)).toBe(3);
    expect(wrappedLineCount('abc\ndef\n\nghi', 40)).toBe(4);
    expect(wrappedLineCount('ABCDEFGH', 10, 1.35)).toBe(2);
    expect(MAX_ROW_HEIGHT).toBe(409);
  });

  it('never writes a row taller than Excel allows', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await trameBuffer([sampleRow({ reply: words(3000) })])) as unknown as ArrayBuffer);
    expect(wb.getWorksheet(MAIN_SHEET)!.getRow(2).height).toBe(MAX_ROW_HEIGHT);
  });
});

describe('writeTrame: inputs and outputs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trame-write-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes to a file path from an async iterable and returns the row count', async () => {
    async function* rows() {
      for (let i = 0; i < 3; i++) yield sampleRow({ archiveKey: String(2870044780 + i) });
    }
    const file = join(dir, 'async.xlsx');
    expect(await writeTrame(rows(), file)).toEqual({ rowCount: 3 });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.getWorksheet(MAIN_SHEET)!.getRow(4).getCell(5).value).toBe('2870044782');
  });

  it('writes an empty Trame (header only), validations still in place', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await trameBuffer([])) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(MAIN_SHEET)!;
    expect(ws.rowCount).toBe(1);
    expect(validations(ws).J2).toMatchObject({ type: 'list' });
  });

  it.each([
    ['a 9-digit critère', { archiveKey: '287004478' }, "CRITERE D'ARCHIVAGE"],
    ['an 8-digit N° PS', { practitionerNumber: '75004477' }, 'N° PS'],
    ['a NIR with its key', { nir: '267049932407012' }, 'NUMERO DE SECURITE SOCIALE'],
    ['an empty invoice number', { invoiceNumber: '' }, 'NUMERO DE LA FACTURE'],
    ['a date not ISO', { date: '01/01/2016' }, 'DATE'],
  ])('refuses %s, and removes the partial file', async (_what, change, header) => {
    const file = join(dir, 'bad.xlsx');
    const write = writeTrame([sampleRow(), sampleRow({ archiveKey: '2870044787', ...change })], file);
    await expect(write).rejects.toThrow(TrameFormatError);
    await expect(write).rejects.toThrow(header);
    expect(existsSync(file)).toBe(false);
  });

  it('destroys a stream output with the error, so a truncated file never looks complete', async () => {
    const { PassThrough } = await import('node:stream');
    const sink = new PassThrough();
    sink.resume();
    const failing = (function* () {
      yield sampleRow();
      throw new Error('cursor lost');
    })();
    await expect(writeTrame(failing, sink)).rejects.toThrow('cursor lost');
    expect(sink.destroyed).toBe(true);
  });
});
