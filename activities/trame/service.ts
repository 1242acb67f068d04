// The Trame SSTT as a service: its rows from the claims' records, the workbook, the open rows' export. Used by the
// batch's activity (its Trame) and by the API (« Lignes ouvertes », a Trame sent back checked against its originals).

import { PassThrough } from 'node:stream';
import { dayInFrance } from '../../rules/dates.js';
import type { InvoiceRecord, InvoiceRepository } from '../../db/invoices.js';
import type { TrameRepository } from '../../db/trames.js';
import { trameRowFor, type TrameRow } from './rows.js';
import { writeTrame } from './write.js';

export interface TrameDependencies {
  invoices: InvoiceRepository;
  trames: TrameRepository;
  /** « OPERATEUR SSTT » in the Trame. */
  operatorName: string;
}

/** Collects a stream into one Buffer. */
async function toBuffer(write: (out: NodeJS.WritableStream) => Promise<unknown>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => { out.on('end', resolve); out.on('error', reject); });
  await write(out);
  if (!out.writableEnded) out.end();
  await done;
  return Buffer.concat(chunks);
}

/** Trame rows of the rejected invoices among `records` (« une ligne par facture non payée »), in their order. */
export async function buildTrameRows(
  records: InvoiceRecord[], deps: Pick<TrameDependencies, 'trames' | 'operatorName'>,
): Promise<TrameRow[]> {
  const rejected = records.filter((r) => r.decision && r.decision.outcome === 'rejected');
  const practitioners = await deps.trames.practitionersWithAddress(
    rejected.map((r) => r.invoice.practitionerNumber).filter((n): n is string => Boolean(n)),
  );
  const treatedOn = dayInFrance(new Date());
  return rejected.map((r) => trameRowFor({
    invoice: r.invoice,
    decision: r.decision!,
    practitioner: r.invoice.practitionerNumber ? practitioners.get(r.invoice.practitionerNumber) ?? null : null,
    calculatedAmount: r.calculatedAmount,
    calculatedRc: r.calculatedRc,
    operator: deps.operatorName,
    treatedOn,
  }));
}

/** A workbook in memory. */
export function trameWorkbook(rows: TrameRow[]): Promise<Buffer> {
  return toBuffer((out) => writeTrame(rows, out));
}

/** The Trame of the rows still open for managers (an API export, not a workflow activity). */
export async function openManagerTrame(
  deps: TrameDependencies,
): Promise<{ content: Buffer; rowCount: number }> {
  const keys = await deps.trames.openManagerArchiveKeys();
  const byKey = await deps.invoices.byKeys(keys);
  const records = keys.flatMap((k) => byKey.get(k) ?? []);
  const rows = await buildTrameRows(records, deps);
  return { content: await trameWorkbook(rows), rowCount: rows.length };
}
