// The processes' loggers (pino): what may be written to a log, configured once for the worker, the API and npm start.
// A NIR (numéro de sécurité sociale) never is: any `nir` field of a logged object (a claim, a body, params) is
// redacted and any other NIR-shaped string in it masked; errors are logged sanitised (no failed query's text or
// parameters) with NIR-shaped numbers masked in their message, frames and causes; and so are log messages themselves.
// Credentials (Authorization, Cookie, a login's key) are redacted too.
//
//   createLogger        a pino logger at the Config's LOG_LEVEL, writing JSON lines to the process' stderr
//   loggerOptions       the same options, for a logger built elsewhere (fastify's: api/logging.ts)
//   temporalLogger      the Temporal SDK's Logger over a pino logger (worker.ts: Runtime.install({ logger })): the
//                       SDK's, the workflows' and the activities' log lines go through the same redaction
//
// Imports config.ts and rules/ only (eslint.config.js: every layer but rules/ and workflows/ may use it).

import pino, { type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';
import { DrizzleQueryError } from 'drizzle-orm';
import { DEFAULT_LOG_LEVEL, type LogLevel } from './config.js';
import { safeMessage, sqlState } from './rules/errors.js';

export type { PinoLogger };

/** 13 to 15 characters shaped like a NIR (Corsica's 2A / 2B included), key or not. */
const NIR_SHAPED = /[0-9]{5}(?:[0-9]{2}|2[ABab])[0-9]{6}(?:[0-9]{2})?/g;

export const NIR_MASK = '[NIR]';

/** The text with anything shaped like a NIR masked. */
export function maskNir(text: string): string {
  return text.replace(NIR_SHAPED, NIR_MASK);
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

function maskError(error: SanitizedError): SanitizedError {
  return {
    ...error,
    message: maskNir(error.message),
    ...(error.stack ? { stack: maskNir(error.stack) } : {}),
    ...(error.cause ? { cause: maskError(error.cause) } : {}),
  };
}

/** An error as logged: sanitised (sanitizeError), NIR-shaped numbers masked. */
export function serializeError(err: unknown): { [key: string]: unknown; type: string; message: string; stack: string } {
  const safe = maskError(sanitizeError(err));
  return { type: safe.name, ...safe, stack: safe.stack ?? '' };
}

/** The options of every logger of the product, at `level`: redaction, error serializers, NIR masking. */
export function loggerOptions(level: LogLevel = DEFAULT_LOG_LEVEL): LoggerOptions & { level: LogLevel } {
  return {
    level,
    redact: { paths: [...REDACTED_PATHS], censor: '[Redacted]' },
    serializers: { err: serializeError, error: serializeError },
    formatters: {
      // Every string of a logged object (before the serializers and the redaction run).
      log: (object) => maskNirDeep(object) as Record<string, unknown>,
    },
    hooks: {
      // The message itself (`log.warn({…}, message)`, `log.info(message)`) and its interpolated values.
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? maskNir(arg) : arg)) as typeof args;
        return method.apply(this, masked);
      },
    },
  };
}

let stderr: DestinationStream | undefined;

/**
 * Where the processes log: their stderr, one stream per process, written synchronously (a line logged just before
 * `process.exit` is not lost). Stdout stays for what a command prints (npm start's addresses).
 */
export function logDestination(): DestinationStream {
  stderr ??= pino.destination({ dest: 2, sync: true });
  return stderr;
}

export interface CreateLoggerOptions {
  /** Default: LOG_LEVEL's default (info). A Config's `logLevel` in the processes. */
  level?: LogLevel;
  /** The process or part that logs (`worker`, `api`): each line's `name`. */
  name?: string;
  /** Default: the process' stderr (logDestination). */
  destination?: DestinationStream;
}

/** A logger with the product's options (loggerOptions). */
export function createLogger({ level, name, destination = logDestination() }: CreateLoggerOptions = {}): PinoLogger {
  return pino({ ...loggerOptions(level), ...(name ? { name } : {}) }, destination);
}

const PINO_LEVELS: Record<TemporalLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

/**
 * The Temporal SDK's Logger writing to `log` (`Runtime.install({ logger })`, `bundleWorkflowCode({ logger })`): a
 * line's attributes (sdkComponent, the workflow's or activity's ids and type, an `error`…) become its fields, an error
 * under any name serialized as errors are (sanitised, NIR masked). Symbol-keyed attributes (the SDK's timestamp) are
 * left out: pino stamps the line.
 */
export function temporalLogger(log: PinoLogger): TemporalLogger {
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    const fields = Object.fromEntries(Object.entries(meta ?? {}).map(([key, value]) => [key, value instanceof Error ? serializeError(value) : value]));
    log[PINO_LEVELS[level] ?? 'info'](fields, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
