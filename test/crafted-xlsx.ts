// Hostile uploads, built in memory in a few seconds: a Trame whose sheet inflates to more than a gigabyte (a « zip
// bomb », its central directory honest or lying about the sizes), a Trame of a million rows, a Trame with its parts
// in another order. The zip is written here by hand (local headers, central directory) so that it can lie.

import { crc32, constants, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { sampleRow, trameBuffer, zipEntry } from '../activities/trame/testing.js';
import { zipEntries } from '../activities/trame/zip.js';

export interface Part {
  name: string;
  /** The part's bytes as written, and what it inflates to. */
  compressed: Buffer;
  method: 0 | 8;
  crc: number;
  size: number;
}

/** Writes a zip of these parts, in this order; `declare` changes the uncompressed size its headers state. */
export function zipOf(parts: Part[], declare: (part: Part) => number = (p) => p.size): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const name = Buffer.from(part.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(part.method, 8);
    local.writeUInt32LE(part.crc >>> 0, 14);
    local.writeUInt32LE(part.compressed.length, 18);
    local.writeUInt32LE(declare(part), 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(part.method, 10);
    central.writeUInt32LE(part.crc >>> 0, 16);
    central.writeUInt32LE(part.compressed.length, 20);
    central.writeUInt32LE(declare(part), 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, part.compressed);
    centrals.push(central, name);
    offset += local.length + name.length + part.compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export function deflated(name: string, content: string | Buffer): Part {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  return { name, compressed: deflateRawSync(bytes), method: 8, crc: crc32(bytes), size: bytes.length };
}

/** The parts of an .xlsx written by this program (names in file order), inflated. */
export function partsOf(xlsx: Buffer): Map<string, string> {
  return new Map([...zipEntries(xlsx).keys()].map((n) => [n, zipEntry(xlsx, n)]));
}

const MAIN = 'xl/worksheets/sheet1.xml';

/** A Trame of one row, split around its sheet's rows: what comes before the first data row, and after the last. */
async function template(): Promise<{ parts: Map<string, string>; head: string; tail: string }> {
  const parts = partsOf(await trameBuffer([sampleRow()]));
  const sheet = parts.get(MAIN)!;
  const firstData = sheet.indexOf('<row r="2"');
  const afterRows = sheet.indexOf('</sheetData>');
  return { parts, head: sheet.slice(0, firstData), tail: sheet.slice(afterRows) };
}

/** The Trame's parts with its main sheet replaced (the other parts as written, in the same order). */
async function withMainSheet(sheet: Part, declare?: (part: Part) => number): Promise<Buffer> {
  const { parts } = await template();
  return zipOf([...parts].map(([name, text]) => (name === MAIN ? sheet : deflated(name, text))), declare);
}

/**
 * A valid Trame whose main sheet inflates to `inflatedBytes` (header row, then `<row r="2"/>` over and over):
 * about 2 MB per GB. The same megabyte, deflated after a full flush, gives the same bytes every time: they are
 * repeated instead of deflating a gigabyte. `lie`: the headers and central directory declare 1 000 bytes.
 */
export async function zipBomb(inflatedBytes: number, options: { lie?: boolean } = {}): Promise<Buffer> {
  const { head, tail } = await template();
  const block = Buffer.from('<row r="2"/>'.repeat(Math.floor((1024 * 1024) / 12)), 'utf8');
  const repeats = Math.ceil(inflatedBytes / block.length);
  const deflate = createDeflateRaw({ level: 9 });
  const flushed = (data: Buffer, kind: number) => new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    deflate.on('data', onData);
    deflate.write(data);
    deflate.flush(kind, () => {
      deflate.off('data', onData);
      resolve(Buffer.concat(chunks));
    });
  });
  const start = await flushed(Buffer.from(head, 'utf8'), constants.Z_FULL_FLUSH);
  const once = await flushed(block, constants.Z_FULL_FLUSH);
  const again = await flushed(block, constants.Z_FULL_FLUSH);
  if (!once.equals(again)) throw new Error('a full flush did not give the same bytes twice');
  const end = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
    deflate.on('end', () => resolve(Buffer.concat(chunks)));
    deflate.end(Buffer.from(tail, 'utf8'));
  });
  let crc = crc32(head);
  for (let i = 0; i < repeats; i++) crc = crc32(block, crc);
  crc = crc32(tail, crc);
  const size = Buffer.byteLength(head) + repeats * block.length + Buffer.byteLength(tail);
  const compressed = Buffer.concat([start, ...Array.from({ length: repeats }, () => once), end]);
  return withMainSheet({ name: MAIN, compressed, method: 8, crc, size }, options.lie ? () => 1000 : undefined);
}

/**
 * A Trame of `rows` data rows, each with only its critère d'archivage (inline strings), deflated as it is generated:
 * a million rows are about 80 MB of XML and 2 MB of zip.
 */
export async function manyRows(rows: number): Promise<Buffer> {
  const { head, tail } = await template();
  const deflate = createDeflateRaw({ level: 1 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve) => deflate.on('end', resolve));
  let crc = 0;
  let size = 0;
  const write = async (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    crc = crc32(bytes, crc);
    size += bytes.length;
    if (!deflate.write(bytes)) await new Promise((resolve) => deflate.once('drain', resolve));
  };
  await write(head);
  let batch = '';
  for (let r = 2; r < rows + 2; r++) {
    batch += `<row r="${r}"><c r="E${r}" t="inlineStr"><is><t>${2800000000 + r}</t></is></c></row>`;
    if (batch.length > 1 << 20) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch + tail);
  deflate.end();
  await done;
  return withMainSheet({ name: MAIN, compressed: Buffer.concat(chunks), method: 8, crc, size });
}

/** An .xlsx with its parts in another order (the worksheets first, the workbook and its relationships last). */
export function reordered(xlsx: Buffer): Buffer {
  const parts = [...partsOf(xlsx)];
  const rank = (name: string) => (name.startsWith('xl/worksheets/') ? 0 : name.includes('sharedStrings') ? 1 : name.startsWith('xl/workbook') || name.includes('_rels') ? 3 : 2);
  parts.sort((a, b) => rank(a[0]) - rank(b[0]));
  return zipOf(parts.map(([name, text]) => deflated(name, text)));
}
