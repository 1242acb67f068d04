// HTTP errors: one shape `{ message, errors? }`; infrastructure down → 503 with a clear message, never a crash.

import { DrizzleQueryError } from 'drizzle-orm';
import type { FieldError } from '../rules/schema.js';

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly errors?: FieldError[]) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (errors: FieldError[]) =>
  new HttpError(400, `Invalid request: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
export const notFound = (what: string) => new HttpError(404, `${what} not found`);

const DATABASE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'CONNECTION_CLOSED', 'CONNECTION_ENDED',
  'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03', '53300',
]);
// gRPC: UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED (deadline), RESOURCE_EXHAUSTED.
const GRPC_UNAVAILABLE = new Set([14, 4, 1, 8]);
/** SQLSTATE class 22, « data exception »: a value PostgreSQL refused (bad encoding, out of range, malformed…). */
const DATA_EXCEPTION = /^22[0-9A-Z]{3}$/;
/** A SQLSTATE: five digits or capital letters. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

export const VALUE_NOT_STORED = 'Invalid request: a value could not be stored';

/**
 * The HTTP status and message for an unexpected error: 503 when a backing service is unreachable, 400 when
 * PostgreSQL refused a value that got past the schemas (a data exception).
 */
export function classifyError(err: unknown): { statusCode: number; message: string } {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const x = e as { name?: string; code?: unknown; cause?: unknown };
    if (x.name === 'ServiceError' || (typeof x.code === 'number' && GRPC_UNAVAILABLE.has(x.code) && 'details' in (x as object))) {
      const code = (x.cause as { code?: number } | undefined)?.code ?? x.code;
      if (typeof code !== 'number' || GRPC_UNAVAILABLE.has(code)) {
        return { statusCode: 503, message: 'The Temporal server is unavailable: the request was not processed, try again later' };
      }
    }
    if (typeof x.code === 'string' && DATABASE_CODES.has(x.code)) {
      return { statusCode: 503, message: 'The database is unavailable: the request was not processed, try again later' };
    }
    if (typeof x.code === 'string' && DATA_EXCEPTION.test(x.code)) return { statusCode: 400, message: VALUE_NOT_STORED };
    e = x.cause;
  }
  return { statusCode: 500, message: 'Internal error' };
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
  let message = typeof x.message === 'string' ? x.message : '';
  if (name === 'DrizzleQueryError' || message.startsWith('Failed query:')) message = 'Failed query';
  else if (typeof code === 'string' && SQLSTATE.test(code)) message = message.replace(/"[^"]*"/g, '"…"');
  const frames = typeof x.stack === 'string' ? x.stack.split('\n').filter((line) => /^\s+at /.test(line)).join('\n') : '';
  return {
    name,
    ...(code !== undefined ? { code } : {}),
    message,
    ...(frames ? { stack: frames } : {}),
    ...(x.cause !== undefined && depth < 4 ? { cause: sanitizeError(x.cause, depth + 1) } : {}),
  };
}
