// HTTP errors: one shape `{ message, errors? }`; infrastructure down → 503 with a clear message, never a crash.

import { DrizzleQueryError } from 'drizzle-orm';
import { AppError, isDataException, safeMessage, sqlState, unavailableDependency } from '../rules/errors.js';
import type { FieldError } from '../rules/schema.js';

export class HttpError extends AppError {
  override readonly name = 'HttpError';
  readonly code: string;
  constructor(readonly statusCode: number, message: string, readonly errors?: FieldError[]) {
    super(message);
    this.code = `http_${statusCode}`;
  }
}

export const badRequest = (errors: FieldError[]) =>
  new HttpError(400, `Invalid request: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
export const notFound = (what: string) => new HttpError(404, `${what} not found`);

export const VALUE_NOT_STORED = 'Invalid request: a value could not be stored';

/**
 * The HTTP status and message for an unexpected error: 503 when a backing service is unreachable, 400 when
 * PostgreSQL refused a value that got past the schemas (a data exception).
 */
export function classifyError(err: unknown): { statusCode: number; message: string } {
  switch (unavailableDependency(err)) {
    case 'temporal': return { statusCode: 503, message: 'The Temporal server is unavailable: the request was not processed, try again later' };
    case 'database': return { statusCode: 503, message: 'The database is unavailable: the request was not processed, try again later' };
    default: return isDataException(err) ? { statusCode: 400, message: VALUE_NOT_STORED } : { statusCode: 500, message: 'Internal error' };
  }
}

export interface SanitizedError {
  name: string;
  code?: string | number;
  message: string;
  /** The stack's frames only: its first line repeats the message. */
  stack?: string;
  cause?: SanitizedError;
}

/**
 * An error as it may be logged: name, code, message, frames, cause — nothing else. A failed query's text and
 * parameters (drizzle's `Failed query: … params: …`, postgres.js's `.query` / `.parameters`, PostgreSQL's `detail`)
 * can hold a NIR or health data: they are left out, and quoted values in PostgreSQL's messages are masked.
 */
export function sanitizeError(err: unknown, depth = 0): SanitizedError {
  if (!(err instanceof Error) && (typeof err !== 'object' || err === null)) return { name: typeof err, message: String(err) };
  const x = err as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown; cause?: unknown };
  // drizzle's error keeps the name `Error`: told apart by its class.
  const name = err instanceof DrizzleQueryError ? 'DrizzleQueryError' : typeof x.name === 'string' ? x.name : 'Error';
  const code = typeof x.code === 'string' || typeof x.code === 'number' ? x.code : undefined;
  const raw = typeof x.message === 'string' ? x.message : '';
  const message = name === 'DrizzleQueryError' ? 'Failed query' : sqlState(err) || /^Failed query\b/.test(raw) ? safeMessage(err, 2000) : raw;
  const frames = typeof x.stack === 'string' ? x.stack.split('\n').filter((line) => /^\s+at /.test(line)).join('\n') : '';
  return {
    name,
    ...(code !== undefined ? { code } : {}),
    message,
    ...(frames ? { stack: frames } : {}),
    ...(x.cause !== undefined && depth < 4 ? { cause: sanitizeError(x.cause, depth + 1) } : {}),
  };
}
