// Reading a case file (spec §8). Also accepts the spec examples' wrapper `{ "case": …, "expected": … }`.

import { CaseFileSchema, validate, type FieldError } from './schema.js';
import type { CaseFile } from './types.js';

export type CaseFileReading = { ok: true; caseFile: CaseFile } | { ok: false; errors: FieldError[] };

export function unwrapCaseFile(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (!('invoice' in v) && v.case && typeof v.case === 'object') return v.case;
  }
  return value;
}

export function readCaseFile(value: unknown): CaseFileReading {
  const body = unwrapCaseFile(value);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, errors: [{ path: '(root)', message: 'doit être un objet JSON { receivedOn, invoice, reference }' }] };
  }
  const errors = validate(CaseFileSchema, body);
  return errors.length ? { ok: false, errors } : { ok: true, caseFile: body as CaseFile };
}
