// What the product throws: one base class, and each error says whether trying again can help.
//
//   retryable: a dependency is down or busy (the database, Temporal, the mail provider): the same call can succeed
//              later, so Temporal retries it with backoff, for as long as it takes.
//   not retryable: the data or a refusal (an invalid invoice, an address the provider refuses, a task already
//              resolved): every attempt would fail the same way, so the workflow turns it into a decision instead.
//
// Pure: no I/O, so that rules/, activities/, db/, api/ and the workflows' contract can all use it.

export abstract class AppError extends Error {
  /** A stable, machine-readable code (`mail_address_refused`, `task_conflict`…). */
  abstract readonly code: string;
  /** True when the same call may succeed if made again later. */
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// PostgreSQL (postgres.js, PGlite) and Node network codes that say « not reachable right now ».
const DATABASE_UNAVAILABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  // admin shutdown, crash shutdown, cannot connect now, serialization/deadlock, read-only (a failover), cancelled
  '57P01', '57P02', '57P03', '40001', '40P01', '25006', '57014',
]);
/** SQLSTATE classes that say « not now »: connection exception, insufficient resources, system error. */
const DATABASE_UNAVAILABLE_CLASS = /^(08|53|58)[0-9A-Z]{3}$/;
// gRPC: CANCELLED (deadline), DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE.
const GRPC_UNAVAILABLE = new Set([1, 4, 8, 14]);

export type Unavailable = 'database' | 'temporal' | null;

/** Which dependency an error says is unreachable (its `cause` chain included), or null for any other error. */
export function unavailableDependency(error: unknown): Unavailable {
  let e: unknown = error;
  for (let depth = 0; e && depth < 6; depth++) {
    const x = e as { name?: string; code?: unknown; cause?: unknown; details?: unknown };
    if (x.name === 'ServiceError' || (typeof x.code === 'number' && GRPC_UNAVAILABLE.has(x.code) && 'details' in (x as object))) {
      const code = (x.cause as { code?: number } | undefined)?.code ?? x.code;
      if (typeof code !== 'number' || GRPC_UNAVAILABLE.has(code)) return 'temporal';
    }
    if (typeof x.code === 'string' && (DATABASE_UNAVAILABLE.has(x.code) || DATABASE_UNAVAILABLE_CLASS.test(x.code))) return 'database';
    e = x.cause;
  }
  return null;
}

/** The SQLSTATE of a PostgreSQL error (`22P05`…), if the error is one. */
export function sqlState(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/** A PostgreSQL « data exception » (SQLSTATE class 22) in the error or its causes: a value it refused to store. */
export function isDataException(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (sqlState(e)?.startsWith('22')) return true;
  }
  return false;
}

/** drizzle's error for a failed query: its message is the query and its parameters (`Failed query: … params: …`). */
const FAILED_QUERY = /^Failed query\b/;

/**
 * The error's message, safe to log or to record in a workflow history: its first line, at most `max` characters,
 * without what a query carried. Never the error object itself, never a failed query's text: postgres.js errors carry
 * the query's parameters and drizzle writes them into its message (a NIR, a name); PostgreSQL quotes the values it
 * refuses (masked here).
 */
export function safeMessage(error: unknown, max = 500): string {
  let e: unknown = error;
  let prefix = '';
  if (e instanceof Error && FAILED_QUERY.test(e.message)) {
    prefix = 'Failed query: ';
    e = e.cause;
  }
  let message = e === undefined ? '' : e instanceof Error ? e.message : String(e);
  if (FAILED_QUERY.test(message)) message = '';
  // Our own errors say what they mean; any other may quote the value it choked on (PostgreSQL, JSON.parse…).
  if (!(e instanceof AppError)) message = message.replace(/"[^"]*"/g, '"…"');
  const line = `${prefix}${message.split('\n')[0] ?? ''}`.replace(/: $/, '');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
