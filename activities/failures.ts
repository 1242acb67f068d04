// How an activity's error reaches its workflow: as an ApplicationFailure that says whether Temporal should retry.
//
//   AppError (rules/errors.ts)       its own type (`MailAddressRefusedError`…) and `nonRetryable: !retryable`.
//   a dependency unreachable         `DependencyUnavailable`, retryable: retried with backoff for as long as it takes
//                                    (a database restart must not turn claims into manager tasks).
//   anything else (a bug, bad data)  `UnexpectedError`, retryable for DATA_ERROR_ATTEMPTS attempts in a row (the
//                                    attempts during an outage do not count), then `PersistentError`, non-retryable:
//                                    an error that comes back the same way every time is not a poison pill looping for
//                                    ever; the workflow turns it into a manager task carrying the message.
//
// Only the message travels (its first line, bounded): never the error object, whose properties can hold a query's
// parameters (a NIR) that would end up in the history and the worker's logs.

import { ApplicationFailure } from '@temporalio/activity';
import { AppError, safeMessage, unavailableDependency } from '../rules/errors.js';
import { FAILURE_TYPES } from '../workflows/contract.js';
import { runningActivity } from './context.js';

/** Attempts before an unexpected error is taken for a deterministic one. */
export const DATA_ERROR_ATTEMPTS = 3;

/** The attempt, and which activity execution it is (its run and activity id), when called as an activity. */
function currentAttempt(): { attempt: number; execution: string | null } {
  const info = runningActivity()?.info;
  if (!info) return { attempt: 1, execution: null }; // called directly, outside an activity (tests, the API)
  return { attempt: info.attempt, execution: `${info.workflowExecution?.runId ?? ''}:${info.activityId}` };
}

/**
 * The last attempt of each activity execution that met an outage, in this process (bounded): unexpected errors are
 * counted from there. A retry on another worker starts counting from its own attempt number, the cautious side.
 */
const lastOutage = new Map<string, number>();
const OUTAGES_KEPT = 10_000;

export function toApplicationFailure(error: unknown, { attempt, execution } = currentAttempt()): ApplicationFailure {
  if (error instanceof ApplicationFailure) {
    // Thrown as such by code of ours: kept, but with a message as safe as any other.
    return ApplicationFailure.create({ type: error.type ?? undefined, message: safeMessage(error), nonRetryable: Boolean(error.nonRetryable) });
  }
  const message = safeMessage(error);
  if (error instanceof AppError) {
    return ApplicationFailure.create({ type: error.name, message, nonRetryable: !error.retryable, details: [{ code: error.code }] });
  }
  const unavailable = unavailableDependency(error);
  if (unavailable) {
    if (execution) {
      lastOutage.delete(execution);
      lastOutage.set(execution, attempt);
      if (lastOutage.size > OUTAGES_KEPT) lastOutage.delete(lastOutage.keys().next().value!);
    }
    return ApplicationFailure.retryable(`${unavailable === 'database' ? 'PostgreSQL' : 'Temporal'} unavailable: ${message}`, FAILURE_TYPES.dependencyUnavailable);
  }
  const inARow = attempt - ((execution && lastOutage.get(execution)) || 0);
  if (inARow >= DATA_ERROR_ATTEMPTS) {
    return ApplicationFailure.nonRetryable(`${message} (the same error ${inARow} times)`, FAILURE_TYPES.persistent);
  }
  return ApplicationFailure.retryable(message, FAILURE_TYPES.unexpected);
}

type AnyFunction = (...args: never[]) => Promise<unknown>;

/** The same activities, each throwing only ApplicationFailures classified as above. */
export function withFailureTypes<T extends Record<string, AnyFunction>>(activities: T): T {
  const wrapped: Record<string, AnyFunction> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (error) {
        throw toApplicationFailure(error);
      }
    };
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}
