// Test support for the Trame SSTT: a complete row, writing to a Buffer, and reading one part of the .xlsx zip.

import { PassThrough } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import type { TrameRow } from './rows.js';
import { writeTrame, type WriteTrameOptions } from './write.js';
import { storedData, zipEntries } from './zip.js';

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
  const part = zipEntries(zip).get(name);
  if (!part) throw new Error(`no ${name} in the zip`);
  const data = storedData(zip, part);
  return (part.method === 8 ? inflateRawSync(data) : data).toString('utf8');
}
