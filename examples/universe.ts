// The example case files as ONE data set: the demo database is seeded with the union of their `reference` objects,
// and every example invoice must still get its expected result against it. `mergeReferences` builds that union
// (lists concatenated, identical entries kept once) and refuses two different records under one key — the key the
// reference ports look records up by.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaseFile } from '../rules/case-file.js';
import { normalizeInvoiceNumber, normalizeName } from '../rules/text.js';
import type { AnalysisResult, CaseFile, ReferenceData } from '../rules/types.js';

export const EXAMPLE_CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'cases');

/** A case file's `expected`: the result without trace (and, unless given, without reply). */
export type ExpectedResult = Omit<AnalysisResult, 'trace' | 'reply'> & { reply?: string | null };

export interface ExampleCase {
  /** File name in examples/cases/, e.g. `paid.json`. */
  file: string;
  title: string;
  caseFile: CaseFile;
  expected: ExpectedResult;
}

/** Every `examples/cases/*.json`, in file-name order. Throws, naming each file and field, if one is invalid. */
export function loadExampleCases(dir: string = EXAMPLE_CASES_DIR): ExampleCase[] {
  const problems: string[] = [];
  const cases: ExampleCase[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let json: { title?: unknown; expected?: unknown };
    try {
      json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${file}: not JSON (${(error as Error).message})`);
      continue;
    }
    const reading = readCaseFile(json);
    if (!reading.ok) {
      problems.push(...reading.errors.map((e) => `${file}: ${e.path} ${e.message}`));
      continue;
    }
    if (!json.expected || typeof json.expected !== 'object') {
      problems.push(`${file}: no "expected" result`);
      continue;
    }
    cases.push({
      file,
      title: typeof json.title === 'string' ? json.title : file,
      caseFile: reading.caseFile,
      expected: json.expected as ExpectedResult,
    });
  }
  if (problems.length > 0) throw new Error(`Invalid example case files:\n  ${problems.join('\n  ')}`);
  return cases;
}

type ListName = keyof Required<ReferenceData>;

/** How each reference list is keyed: the way the reference ports find its records. */
const KEYS: { [L in ListName]: { label: string; key: (record: NonNullable<ReferenceData[L]>[number]) => string } } = {
  practitioners: { label: 'practitioner', key: (p) => p.number },
  beneficiaries: { label: 'beneficiary NIR', key: (b) => b.nir.toUpperCase() },
  catalogue: { label: 'catalogue code', key: (e) => e.code },
  // Case- (and accent-) insensitive, as VALERYS finds an insurer by the card's spelling.
  insurers: { label: 'insurer', key: (i) => normalizeName(i.name) },
  agica: {
    label: 'AGICA record (invoice n°, NIR, N° PS)',
    key: (r) => [normalizeInvoiceNumber(r.invoiceNumber), r.nir.toUpperCase(), r.practitionerNumber ?? ''].join(' / '),
  },
  payments: {
    label: 'payment (invoice n°, NIR, N° PS)',
    key: (p) => [normalizeInvoiceNumber(p.invoiceNumber), p.nir.toUpperCase(), p.practitionerNumber ?? ''].join(' / '),
  },
};
const LISTS = Object.keys(KEYS) as ListName[];

/** JSON with object keys sorted (and `undefined` members dropped): equal records give equal strings. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function short(value: unknown): string {
  const text = canonical(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** What differs between two records, field by field. */
function differences(a: object, b: object): string {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return [...new Set([...Object.keys(ra), ...Object.keys(rb)])]
    .filter((k) => canonical(ra[k]) !== canonical(rb[k]))
    .map((k) => `${k}: ${short(ra[k])} ≠ ${short(rb[k])}`)
    .join('; ');
}

interface Merge {
  merged: Required<ReferenceData>;
  conflicts: string[];
}

function merge(references: ReferenceData[], sources?: string[]): Merge {
  const source = (i: number) => sources?.[i] ?? `reference #${i + 1}`;
  const merged = Object.fromEntries(LISTS.map((l) => [l, []])) as unknown as Required<ReferenceData>;
  const conflicts: string[] = [];
  for (const list of LISTS) {
    const { label, key } = KEYS[list] as { label: string; key: (r: object) => string };
    const seen = new Map<string, { record: object; text: string; from: number }>();
    references.forEach((reference, i) => {
      for (const record of (reference[list] ?? []) as object[]) {
        const k = key(record);
        const text = canonical(record);
        const first = seen.get(k);
        if (!first) {
          seen.set(k, { record, text, from: i });
          (merged[list] as object[]).push(record);
        } else if (first.text !== text) {
          conflicts.push(
            `${label} ${JSON.stringify(k)}: ${source(first.from)} and ${source(i)} hold different records (${differences(first.record, record)})`,
          );
        }
      }
    });
  }
  return { merged, conflicts };
}

/** Every pair of different records that share a key (empty when the references form one consistent data set). */
export function referenceConflicts(references: ReferenceData[], sources?: string[]): string[] {
  return merge(references, sources).conflicts;
}

export class ReferenceConflictError extends Error {
  constructor(readonly conflicts: string[]) {
    super(`The reference data sets conflict:\n  ${conflicts.join('\n  ')}`);
    this.name = 'ReferenceConflictError';
  }
}

/**
 * The union of several `reference` objects: lists concatenated in order, identical entries kept once.
 * Throws a `ReferenceConflictError` listing them all when two different records share a key (N° PS, NIR,
 * catalogue code, insurer name, AGICA or payment invoice n° + NIR + N° PS). `sources` names each reference in messages.
 */
export function mergeReferences(references: ReferenceData[], sources?: string[]): ReferenceData {
  const { merged, conflicts } = merge(references, sources);
  if (conflicts.length > 0) throw new ReferenceConflictError(conflicts);
  return merged;
}

/** The demo data set: the merged reference of every example case file. */
export function exampleUniverse(cases: ExampleCase[] = loadExampleCases()): ReferenceData {
  return mergeReferences(
    cases.map((c) => c.caseFile.reference ?? {}),
    cases.map((c) => c.file),
  );
}
