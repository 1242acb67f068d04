import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deflated, manyRows, partsOf, reordered, zipBomb, zipOf } from '../../test/crafted-xlsx.js';
import {
  compareWithOriginal, MAX_REPORTED_ERRORS, readTrame, readTramePages, TrameErrors, TrameTooLarge, type ImportedTrameRow,
} from './read.js';
import type { TrameRow } from './rows.js';
import { sampleRow, trameBuffer } from './testing.js';
import { MAIN_SHEET, TRAME_COLUMNS, writeTrame } from './write.js';

const ORIGINALS: TrameRow[] = [
  sampleRow({ archiveKey: '0870044786', practitionerNumber: '012345678', postalCode: '01000' }),
  sampleRow({
    archiveKey: '2871028269', practitionerNumber: '', nir: '', motif: 'manque_ps', date: null, comment: null,
    practitionerName: null, practitionerEmail: null, calculatedAmount: null, calculatedRc: null, route: 'manager',
    fax: null, streetNumber: null, streetNumberComplement: null, streetType: null, streetName: null, addressComplement: null,
    postalCode: null, city: null,
  }),
  sampleRow({
    archiveKey: '2871028270', nir: '185032A123045', invoiceNumber: '=1+1', comment: "'-quoted", motif: 'manque_detail',
    missingDetail: 'detail_actes', date: null, reply: 'ligne 1\nligne 2',
  }),
  sampleRow({ archiveKey: '2871028271', invoiceNumber: '0', motif: 'erreur_contenu_facture', error: 'soins_a_cheval', calculatedAmount: 1234.5 }),
];

const col = (key: string) => TRAME_COLUMNS.findIndex((c) => c.key === key) + 1;
/** The one error of bytes that are not a workbook. */
const UNREADABLE = { row: 0, code: 'unreadable', message: "Ce fichier n'est pas un classeur Excel (.xlsx) lisible." };

/** The Trame after a human edited it in Excel (exceljs's normal workbook standing in for Excel). */
async function edited(buffer: Buffer, edit: (ws: ExcelJS.Worksheet, wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buffer as unknown as ArrayBuffer);
  edit(wb.getWorksheet(MAIN_SHEET)!, wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function withoutRow({ row: _row, ...values }: ImportedTrameRow) {
  return values;
}
/** A TrameRow as `readTrame` returns it: no route, and an empty N° PS / NIR read as null. */
function withoutRoute({ route: _route, ...values }: TrameRow) {
  return { ...values, practitionerNumber: values.practitionerNumber || null, nir: values.nir || null };
}

let original: Buffer;
beforeAll(async () => {
  original = await trameBuffer(ORIGINALS);
});

describe('readTrame: round trip', () => {
  it('reads back every cell of every row, with no error', async () => {
    const { rows, errors } = await readTrame(original);
    expect(errors).toEqual([]);
    expect(rows.map((r) => r.row)).toEqual([2, 3, 4, 5]);
    expect(rows.map(withoutRow)).toEqual(ORIGINALS.map(withoutRoute));
    rows.forEach((r, i) => expect(compareWithOriginal(r, ORIGINALS[i])).toEqual([]));
  });

  it('reads a file path, and a Trame Excel re-saved (normal writer)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trame-read-'));
    try {
      const file = join(dir, 'trame.xlsx');
      await writeTrame(ORIGINALS, file);
      expect((await readTrame(file)).rows.map(withoutRow)).toEqual(ORIGINALS.map(withoutRoute));
      const resaved = await edited(original, () => undefined);
      expect((await readTrame(resaved)).rows.map(withoutRow)).toEqual(ORIGINALS.map(withoutRoute));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the manager's two cells (a date, a date typed as text, a formula's result) and ignores them in the comparison", async () => {
    const file = await edited(original, (ws) => {
      ws.getCell(2, col('manager')).value = 'M. Durand';
      ws.getCell(2, col('managerTreatedOn')).value = new Date(Date.UTC(2016, 2, 15));
      ws.getCell(3, col('manager')).value = 'Mme Martin';
      ws.getCell(3, col('managerTreatedOn')).value = '16/03/2016';
      ws.getCell(4, col('manager')).value = 'Mme Martin';
      ws.getCell(4, col('managerTreatedOn')).value = { formula: 'TODAY()', result: new Date(Date.UTC(2016, 2, 17)) } as ExcelJS.CellFormulaValue;
    });
    const { rows, errors } = await readTrame(file);
    expect(errors).toEqual([]);
    expect(rows.slice(0, 3).map((r) => [r.manager, r.managerTreatedOn])).toEqual([
      ['M. Durand', '2016-03-15'], ['Mme Martin', '2016-03-16'], ['Mme Martin', '2016-03-17'],
    ]);
    rows.forEach((r, i) => expect(compareWithOriginal(r, ORIGINALS[i])).toEqual([]));
  });

  it('skips formatted but empty rows', async () => {
    const file = await edited(original, (ws) => {
      ws.getCell(9, col('manager')).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
      ws.getCell(9, col('comment')).value = '   ';
    });
    const { rows, errors } = await readTrame(file);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(4);
  });
});

describe('compareWithOriginal', () => {
  it('lists an edited grey cell, an edited white cell and an edited orange cell', async () => {
    const file = await edited(original, (ws) => {
      ws.getCell(2, col('city')).value = 'Lyon';
      ws.getCell(2, col('motif')).value = 'Histo Client';
      ws.getCell(2, col('practitionerEmail')).value = 'autre@example.org';
      ws.getCell(2, col('calculatedAmount')).value = 3.16;
    });
    const { rows, errors } = await readTrame(file);
    expect(errors).toEqual([]);
    expect(compareWithOriginal(rows[0], ORIGINALS[0])).toEqual(['MOTIF DE TRAITEMENT', 'MONTANT CALCULÉ', 'MAIL DU PS', 'COMMUNE']);
    expect(compareWithOriginal(rows[1], ORIGINALS[1])).toEqual([]);
  });

  it('sees a cleared cell and a filled empty one; amounts compare to the cent, text trimmed', () => {
    const base = { ...withoutRoute(ORIGINALS[1]), row: 3 } as ImportedTrameRow;
    expect(compareWithOriginal({ ...base, operator: null, fax: '0102030405' }, ORIGINALS[1])).toEqual(['OPERATEUR SSTT', 'FAX DU PS']);
    const first = { ...withoutRoute(ORIGINALS[0]), row: 2 } as ImportedTrameRow;
    expect(compareWithOriginal({ ...first, calculatedAmount: 3.1500001, reply: ` ${first.reply} ` }, ORIGINALS[0])).toEqual([]);
  });
});

describe('readTrame: errors', () => {
  it('reports wrong formats, each with its row and column', async () => {
    const file = await edited(original, (ws) => {
      ws.getCell(2, col('archiveKey')).value = '087004478'; // 9 digits
      ws.getCell(2, col('practitionerNumber')).value = 12345678; // a number: the leading zero is lost
      ws.getCell(3, col('nir')).value = '267049932407'; // 12 characters
      ws.getCell(3, col('invoiceNumber')).value = null;
      ws.getCell(4, col('date')).value = 'hier';
      ws.getCell(4, col('calculatedRc')).value = 'beaucoup';
      ws.getCell(5, col('motif')).value = 'Autre motif';
      ws.getCell(5, col('missingDetail')).value = 'Autre détail';
    });
    const { errors } = await readTrame(file);
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [2, "CRITERE D'ARCHIVAGE"],
      [2, 'N° PS'],
      [3, 'NUMERO DE SECURITE SOCIALE'],
      [3, 'NUMERO DE LA FACTURE'],
      [4, 'DATE'],
      [4, 'PART RC CALCULÉE'],
      [5, 'MOTIF DE TRAITEMENT'],
      [5, 'MANQUE DETAIL (détail manquant)'],
    ]);
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['bad_archive_key', 'Doit comporter 10 chiffres, sans espace'],
      ['bad_practitioner_number', 'Doit comporter 9 chiffres, sans espace'],
      ['bad_nir', 'Doit comporter 13 caractères, sans espace ni clé'],
      ['required', 'Ne doit pas être vide (numéro de facture, date de fin de soins inversée, ou 0)'],
      ['bad_date', 'Doit être une date (jj/mm/aaaa)'],
      ['bad_amount', 'Doit être un montant en euros'],
      ['not_in_list', "N'est pas une valeur de la liste déroulante"],
      ['not_in_list', "N'est pas une valeur de la liste déroulante"],
    ]);
  });

  it('requires GESTIONNAIRE ALMERYS and ALMERYS – TRAITÉ LE together', async () => {
    const file = await edited(original, (ws) => {
      ws.getCell(2, col('manager')).value = 'M. Durand'; // no date
      ws.getCell(3, col('managerTreatedOn')).value = new Date(Date.UTC(2016, 2, 15)); // no name
      ws.getCell(4, col('manager')).value = 'M. Durand';
      ws.getCell(4, col('managerTreatedOn')).value = '31/02/2016'; // no such day
    });
    const { errors } = await readTrame(file);
    expect(errors).toEqual([
      { row: 2, column: 'ALMERYS – TRAITÉ LE', code: 'manager_pair_incomplete', message: 'Doit être rempli quand « GESTIONNAIRE ALMERYS » l\'est' },
      { row: 3, column: 'GESTIONNAIRE ALMERYS', code: 'manager_pair_incomplete', message: 'Doit être rempli quand « ALMERYS – TRAITÉ LE » l\'est' },
      { row: 4, column: 'ALMERYS – TRAITÉ LE', code: 'bad_date', message: 'Doit être une date (jj/mm/aaaa)' },
    ]);
  });

  it('refuses two rows with the same critère d\'archivage', async () => {
    const file = await edited(original, (ws) => {
      ws.getCell(5, col('archiveKey')).value = '0870044786';
    });
    const { errors } = await readTrame(file);
    expect(errors).toEqual([{ row: 5, column: "CRITERE D'ARCHIVAGE", code: 'duplicate_row', message: "Même critère d'archivage qu'à la ligne 2" }]);
  });

  it('refuses a missing header, and reads no row', async () => {
    const file = await edited(original, (ws) => {
      ws.getCell(1, col('nir')).value = 'NIR';
    });
    const { rows, errors } = await readTrame(file);
    expect(rows).toEqual([]);
    expect(errors).toEqual([{ row: 1, column: 'NUMERO DE SECURITE SOCIALE', code: 'header_missing', message: 'En-tête absent (attendu en colonne G)' }]);
  });

  it('refuses moved headers', async () => {
    const file = await edited(original, (ws) => {
      ws.getCell(1, 1).value = 'SSTT – TRAITÉ LE';
      ws.getCell(1, 2).value = 'OPERATEUR SSTT';
    });
    const { rows, errors } = await readTrame(file);
    expect(rows).toEqual([]);
    expect(errors).toEqual([
      { row: 1, column: 'OPERATEUR SSTT', code: 'header_moved', message: 'En-tête déplacé en colonne B (attendu en A)' },
      { row: 1, column: 'SSTT – TRAITÉ LE', code: 'header_moved', message: 'En-tête déplacé en colonne A (attendu en B)' },
    ]);
  });

  it('refuses a workbook without the sheet, and bytes that are not a workbook', async () => {
    const file = await edited(original, (ws) => {
      ws.name = 'Feuil1';
    });
    expect(await readTrame(file)).toEqual({
      rows: [], errors: [{ row: 0, code: 'sheet_missing', message: 'Le classeur n\'a pas de feuille « Motifs externalisés » : ce n\'est pas une Trame SSTT.' }],
    });
    expect(await readTrame(Buffer.from('OPERATEUR SSTT;N° PS\n'))).toEqual({
      rows: [], errors: [UNREADABLE],
    });
  });
});

describe('readTrame: files that cannot hurt', () => {
  it('reads parts in any order (LibreOffice and Excel re-save them in their own)', async () => {
    const { rows, errors } = await readTrame(reordered(original));
    expect(errors).toEqual([]);
    expect(rows.map(withoutRow)).toEqual(ORIGINALS.map(withoutRoute));
  });

  it('reads accented text longer than the chunks it is inflated in, character for character', async () => {
    const reply = `${'é'.repeat(20_000)}…${'ç'.repeat(10_000)}`;
    const { rows, errors } = await readTrame(await trameBuffer([sampleRow({ reply })]));
    expect(errors).toEqual([]);
    expect(rows[0].reply).toBe(reply);
  });

  it('refuses a zip bomb by the sizes it declares, or by the bytes it inflates when it lies, before parsing it', async () => {
    const honest = await zipBomb(1.2e9);
    const lying = await zipBomb(1.2e9, { lie: true });
    expect(honest.length).toBeLessThan(4e6);
    await expect(readTrame(honest)).rejects.toMatchObject({ name: 'TrameTooLarge', limit: 'uncompressed', max: 128 * 1024 * 1024 });
    const refusal = await readTrame(lying, { maxUncompressedBytes: 10e6 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(TrameTooLarge);
    expect((refusal as TrameTooLarge).message).toMatch(/^Trame refusée : une fois décompressé, le classeur dépasse 10 Mo \(limite TRAME_MAX_UNCOMPRESSED_BYTES = 10000000 octets\)/);
  }, 60_000);

  it('refuses a sheet of more rows than the limit, having read one more', async () => {
    const file = await manyRows(3000);
    const refusal = await readTrame(file, { maxRows: 1000 }).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ name: 'TrameTooLarge', limit: 'rows', max: 1000 });
    expect((refusal as Error).message).toBe(
      `Trame refusée : la feuille « Motifs externalisés » a plus de ${(1000).toLocaleString('fr-FR')} lignes (limite TRAME_MAX_ROWS = 1000). Découpez-la en plusieurs fichiers.`,
    );
    expect((await readTrame(file, { maxRows: 3000 })).rows).toHaveLength(3000);
  }, 60_000);

  it('refuses a cell longer than any Excel allows, and tags nested a thousand deep, as unreadable', async () => {
    const huge = zipOf([...partsOf(original)].map(([name, text]) => deflated(name, name === 'xl/worksheets/sheet1.xml'
      ? text.replace('<sheetData>', `<sheetData><!--${'x'.repeat(2e6)}-->`) : text)));
    expect((await readTrame(huge)).errors).toEqual([UNREADABLE]);
    const deep = zipOf([...partsOf(original)].map(([name, text]) => deflated(name, name === 'xl/worksheets/sheet1.xml'
      ? text.replace('<sheetData>', `<sheetData>${'<x>'.repeat(1000)}${'</x>'.repeat(1000)}`) : text)));
    expect((await readTrame(deep)).errors).toEqual([UNREADABLE]);
  });

  it('checks each row on its own: the errors already found are never read back while reading', async () => {
    class CountingErrors extends TrameErrors {
      reads = 0;
      override list() {
        this.reads++;
        return super.list();
      }
      override get total() {
        this.reads++;
        return super.total;
      }
    }
    // Every row with errors (only its critère d'archivage: no invoice number, no motif): the old check rescanned them all.
    const errors = new CountingErrors();
    const { rowCount } = await readTramePages(await manyRows(2000), { errors });
    expect(rowCount).toBe(2000);
    expect(errors.reads).toBe(0);
    expect(errors.total).toBeGreaterThanOrEqual(2000 * 2);
    const listed = errors.list();
    expect(listed).toHaveLength(MAX_REPORTED_ERRORS + 1);
    const french = (n: number) => n.toLocaleString('fr-FR');
    expect(listed.at(-1)).toEqual({
      row: 0, code: 'more_errors',
      message: `${french(errors.total - MAX_REPORTED_ERRORS)} autres erreurs non détaillées (seules les ${french(MAX_REPORTED_ERRORS)} premières le sont)`,
    });
  });
});

describe('readTrame: shared strings', () => {
  it('refuses more distinct texts than the rows allowed can hold (64 a row)', async () => {
    const parts = [...partsOf(await edited(original, () => undefined))];
    expect(parts.some(([name]) => name === 'xl/sharedStrings.xml')).toBe(true);
    const flood = zipOf(parts.map(([name, text]) => deflated(name, name === 'xl/sharedStrings.xml'
      ? text.replace(/<\/sst>$/, `${'<si><t>x</t></si>'.repeat(2000)}</sst>`) : text)));
    await expect(readTrame(flood, { maxRows: 10 })).rejects.toMatchObject({ name: 'TrameTooLarge', limit: 'rows' });
    expect((await readTrame(flood, { maxRows: 100 })).errors).toEqual([]);
  });
});
