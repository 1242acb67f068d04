// How long a request waits for a backing service: when PostgreSQL or Temporal is down or hung, the caller gets a
// 503 within these bounds instead of waiting (the database's own bound is its connect timeout, db/client.ts).

import { ServiceError, type Client } from '@temporalio/client';

/** Deadline of each Temporal call made for a request (AppDependencies.temporalTimeoutMs overrides it). */
export const TEMPORAL_TIMEOUT_MS = 2_500;
/** An Update waits for a worker to apply it in the workflow: longer than a call the frontend answers alone. */
export const TEMPORAL_UPDATE_TIMEOUT_MS = 10_000;

/**
 * `promise`, or a rejection once `signal` aborts (`reason`, else the signal's own), whichever comes first. With
 * `AbortSignal.timeout(ms)`: a bound on a wait that settles by then whatever the awaited call is doing.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, reason?: () => unknown): Promise<T> {
  const why = () => (reason ? reason() : signal.reason);
  if (signal.aborted) return Promise.reject(why());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(why());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * `fn`'s Temporal calls under a deadline `ms` from now: the calls in flight are cancelled then (the connection's abort
 * signal and gRPC deadline), and the answer settles by then even while the client is waiting to retry an unavailable
 * server (its backoff may sleep past the deadline): the error is then a ServiceError, a 503.
 */
export async function withinDeadline<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const calls = client.connection.withAbortSignal(signal, () => client.connection.withDeadline(Date.now() + ms, fn));
  return untilAborted(calls, signal, () => new ServiceError(`Temporal did not answer within ${ms} ms`));
}

/** How long /health waits for the database's answer on its own connection: /health answers within 2 s. */
export const DATABASE_PROBE_TIMEOUT_MS = 1_500;

/**
 * A request still without an answer after this is answered 503 (a service is hung mid-request: no connect timeout
 * or deadline caught it). AppDependencies.requestTimeoutMs overrides it; a route may set its own bound with
 * `config: { answerWithinMs }` (bulk work: a document of 5 000 invoices, a Trame).
 */
export const REQUEST_TIMEOUT_MS = 30_000;
export const BULK_REQUEST_TIMEOUT_MS = 5 * 60_000;

export const NOT_ANSWERING = 'Un service ne répond pas : la demande n\'a peut-être pas abouti, réessayez plus tard';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How long the route may take before the caller gets a 503 (default REQUEST_TIMEOUT_MS). */
    answerWithinMs?: number;
  }
}
