// Test support for the Trame SSTT: a complete row, writing to a Buffer, and reading one part of the .xlsx zip.

import { PassThrough } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import type { TrameRow } from './rows.js';
import { writeTrame, type WriteTrameOptions } from './write.js';

/** A practitioner-routed Acte déjà payé row with every column filled. */
export function sampleRow(overrides: Partial<TrameRow> = {}): TrameRow {
  return {
    operator: 'sstt-automate',
    treatedOn: '2016-02-23',
    manager: null,
    managerTreatedOn: null,
    archiveKey: '2870044786',
    practitionerNumber: '750044778',
    nir: '2670499324070',
    invoiceNumber: '531341',
    reply: 'Nous sommes au regret de vous informer que nous ne pouvons donner une suite favorable à votre demande.',
    motif: 'acte_deja_paye',
    missingDetail: null,
    date: '2016-01-01',
    error: null,
    calculatedAmount: 3.15,
    calculatedRc: 1.26,
    comment: '123',
    practitionerName: 'infirmiers du parc',
    practitionerEmail: 'contact@ide-parc.example.org',
    fax: '0473000000',
    streetNumber: '46',
    streetNumberComplement: 'bis',
    streetType: 'rue',
    streetName: 'du Ressort',
    addressComplement: 'bâtiment B',
    postalCode: '63000',
    city: 'Clermont-Ferrand',
    route: 'practitioner',
    ...overrides,
  };
}

/** Writes the Trame into memory (through the stream output of `writeTrame`). */
export async function trameBuffer(
  rows: Iterable<TrameRow> | AsyncIterable<TrameRow>, options?: WriteTrameOptions,
): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await writeTrame(rows, sink, options);
  return Buffer.concat(chunks);
}

/** The text of one part of a zip (e.g. `xl/worksheets/sheet1.xml`), from its central directory. */
export function zipEntry(zip: Buffer, name: string): string {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const entryName = zip.toString('utf8', at + 46, at + 46 + nameLength).replace(/^\//, '');
    if (entryName === name) {
      const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(dataStart, dataStart + size);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`no ${name} in the zip`);
}
