// HTTP errors: one shape `{ message, errors? }`; infrastructure down → 503 with a clear message, never a crash.

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

/** The HTTP status and message for an unexpected error: 503 when a backing service is unreachable. */
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
    e = x.cause;
  }
  return { statusCode: 500, message: 'Internal error' };
}
