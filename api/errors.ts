// HTTP errors: one class (HttpError, an AppError of rules/errors.ts: a stable `code`, `retryable`), one shape
// `{ message, errors? }`, and one mapping of any error to it (toHttpError, used by the app's error handler):
// our own refusals as they are, fastify's 4xx as fastify says them, the shared errors that have a meaning in HTTP
// (a task conflict), a backing service unreachable → 503 (retryable), a value PostgreSQL refused → 400, else 500.

import { TaskConflict } from '../db/tasks.js';
import { AppError, isDataException, unavailableDependency } from '../rules/errors.js';
import type { FieldError } from '../rules/schema.js';

/** An error as it may be logged (its home is logging.ts, shared by every process). */
export { sanitizeError, type SanitizedError } from '../logging.js';

export interface HttpErrorOptions {
  /** Default `http_<status>`. */
  code?: string;
  /** Default: true for 503 (the same request may succeed later). */
  retryable?: boolean;
  cause?: unknown;
  /** The error was not ours (a bug, a dependency): the handler logs it, sanitised. */
  unexpected?: boolean;
}

export class HttpError extends AppError {
  override readonly name = 'HttpError';
  readonly code: string;
  override readonly retryable: boolean;
  readonly unexpected: boolean;
  constructor(readonly statusCode: number, message: string, readonly errors?: FieldError[], options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? `http_${statusCode}`;
    this.retryable = options.retryable ?? statusCode === 503;
    this.unexpected = options.unexpected ?? false;
  }

  /** The response body: `{ message, errors? }`. */
  body(): { message: string; errors?: FieldError[] } {
    return { message: this.message, ...(this.errors ? { errors: this.errors } : {}) };
  }
}

export const badRequest = (errors: FieldError[]) =>
  new HttpError(400, `Invalid request: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors, { code: 'invalid_request' });
export const notFound = (what: string) => new HttpError(404, `${what} not found`, undefined, { code: 'not_found' });

export const VALUE_NOT_STORED = 'Invalid request: a value could not be stored';
export const TEMPORAL_UNAVAILABLE = 'The Temporal server is unavailable: the request was not processed, try again later';
export const DATABASE_UNAVAILABLE = 'The database is unavailable: the request was not processed, try again later';

/** fastify's own 4xx (malformed JSON, unsupported media type, body too large…): not an AppError, a `statusCode`. */
function frameworkClientError(err: unknown): { statusCode: number; message: string; code?: string } | null {
  const e = err as { statusCode?: unknown; message?: unknown; code?: unknown } | null;
  if (!e || err instanceof AppError || typeof e.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return null;
  return { statusCode: e.statusCode, message: String(e.message), code: typeof e.code === 'string' ? e.code : undefined };
}

/** Any error as the HTTP error the API answers. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof TaskConflict) return new HttpError(err.reason === 'not_found' ? 404 : 409, err.message, undefined, { code: err.code, cause: err });
  const framework = frameworkClientError(err);
  if (framework) return new HttpError(framework.statusCode, framework.message, undefined, { code: framework.code, cause: err });
  switch (unavailableDependency(err)) {
    case 'temporal': return new HttpError(503, TEMPORAL_UNAVAILABLE, undefined, { code: 'temporal_unavailable', cause: err, unexpected: true });
    case 'database': return new HttpError(503, DATABASE_UNAVAILABLE, undefined, { code: 'database_unavailable', cause: err, unexpected: true });
    default:
      return isDataException(err)
        ? new HttpError(400, VALUE_NOT_STORED, undefined, { code: 'value_not_stored', cause: err, unexpected: true })
        : new HttpError(500, 'Internal error', undefined, { code: 'internal_error', cause: err, unexpected: true });
  }
}
