// The API's logger (pino, through fastify): what may be written to a log. A NIR (numéro de sécurité sociale) never
// is: request paths are logged without their query string and with NIR-shaped numbers masked; any `nir` field of
// a logged object (a body, params, a claim) is redacted and any other NIR-shaped string in it masked; errors are
// logged sanitised (no failed query's parameters) with NIR-shaped numbers masked in their message, frames and
// causes, and so are log messages themselves. Credentials (Authorization, Cookie, a login's key) are redacted too.

import type { FastifyServerOptions } from 'fastify';
import { sanitizeError, type SanitizedError } from './errors.js';

/** 13 to 15 characters shaped like a NIR (Corsica's 2A / 2B included), key or not. */
const NIR_SHAPED = /[0-9]{5}(?:[0-9]{2}|2[ABab])[0-9]{6}(?:[0-9]{2})?/g;

export const NIR_MASK = '[NIR]';

/** The text with anything shaped like a NIR masked. */
export function maskNir(text: string): string {
  return text.replace(NIR_SHAPED, NIR_MASK);
}

/** A request's path as logged: no query string, and anything shaped like a NIR (13 to 15 characters) masked. */
export function loggedPath(url: string): string {
  return maskNir(url.split('?')[0] ?? '');
}

/** A `nir` field anywhere down to this depth in a logged object is redacted. */
const NIR_DEPTH = 7;

/** pino `redact` paths: credentials, and every `nir` field of whatever is logged (bodies, params, claims). */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie',
  'res.headers["set-cookie"]',
  // A login body carries an API key.
  'req.body.key', 'body.key',
  ...Array.from({ length: NIR_DEPTH }, (_, depth) => [...Array<string>(depth).fill('*'), 'nir'].join('.')),
];

/** A plain object: `{…}`, or a null-prototype one (fastify's params, querystring). */
const isPlain = (value: object) => {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
};

/**
 * A copy of a logged value with NIR-shaped strings masked, in plain objects and arrays down to a few levels (a NIR in
 * a path parameter, a search, a free-text field). Anything else (errors, requests) is left to its serializer.
 */
export function maskNirDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskNir(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => maskNirDeep(item, depth + 1));
  if (!isPlain(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskNirDeep(item, depth + 1)]));
}

function maskError(error: SanitizedError): SanitizedError {
  return {
    ...error,
    message: maskNir(error.message),
    ...(error.stack ? { stack: maskNir(error.stack) } : {}),
    ...(error.cause ? { cause: maskError(error.cause) } : {}),
  };
}

/** An error as logged: sanitised (api/errors.ts), NIR-shaped numbers masked. */
export function serializeError(err: unknown): { [key: string]: unknown; type: string; message: string; stack: string } {
  const safe = maskError(sanitizeError(err));
  return { type: safe.name, ...safe, stack: safe.stack ?? '' };
}

type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/** The options of the API's logger (fastify's `logger`), at `level`. */
export function apiLoggerOptions(level = 'info'): LoggerOptions & { level: string } {
  return {
    level,
    redact: { paths: [...REDACTED_PATHS], censor: '[Redacted]' },
    serializers: {
      err: serializeError,
      error: serializeError,
      // The path without its query string (a search, `?q=`, can be a NIR), and no NIR pasted into the path either.
      // Only these four fields of a request, whatever was passed as `req`.
      req: (req: { method?: string; url?: string; hostname?: string; ip?: string }) =>
        ({ method: req.method, url: loggedPath(String(req.url ?? '')), hostname: req.hostname, remoteAddress: req.ip }),
    },
    formatters: {
      // Every string of a logged object (before the serializers and the redaction run).
      log: (object) => maskNirDeep(object) as Record<string, unknown>,
    },
    hooks: {
      // The message itself (`log.warn({…}, message)`, `log.info(message)`): NIR-shaped numbers masked.
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? maskNir(arg) : arg)) as typeof args;
        return method.apply(this, masked);
      },
    },
  };
}
