// How an activity's error reaches its workflow: as an ApplicationFailure that says whether Temporal should retry.
//
//   AppError (rules/errors.ts)       its own type (`MailAddressRefusedError`…) and `nonRetryable: !retryable`.
//   a dependency unreachable         `DependencyUnavailable`, retryable: retried with backoff for as long as it takes
//                                    (a database restart must not turn claims into manager tasks).
//   anything else (a bug, bad data)  `UnexpectedError`, retryable for the first DATA_ERROR_ATTEMPTS attempts, then
//                                    `PersistentError`, non-retryable: an error that comes back the same way every
//                                    time is not a poison pill looping for ever; the workflow turns it into a
//                                    manager task carrying the message.
//
// Only the message travels (its first line, bounded): never the error object, whose properties can hold a query's
// parameters (a NIR) that would end up in the history and the worker's logs.

import { ApplicationFailure, Context } from '@temporalio/activity';
import { AppError, safeMessage, unavailableDependency } from '../rules/errors.js';
import { FAILURE_TYPES } from '../workflows/contract.js';

/** Attempts before an unexpected error is taken for a deterministic one. */
export const DATA_ERROR_ATTEMPTS = 3;

function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1; // called directly, outside an activity (tests, the API)
  }
}

export function toApplicationFailure(error: unknown, attempt = currentAttempt()): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const message = safeMessage(error);
  if (error instanceof AppError) {
    return ApplicationFailure.create({ type: error.name, message, nonRetryable: !error.retryable, details: [{ code: error.code }] });
  }
  const unavailable = unavailableDependency(error);
  if (unavailable) {
    return ApplicationFailure.retryable(`${unavailable === 'database' ? 'PostgreSQL' : 'Temporal'} unavailable: ${message}`, FAILURE_TYPES.dependencyUnavailable);
  }
  if (attempt >= DATA_ERROR_ATTEMPTS) {
    return ApplicationFailure.nonRetryable(`${message} (the same error ${attempt} times)`, FAILURE_TYPES.persistent);
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
