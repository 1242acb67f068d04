// Reading an activity's failure in a workflow: whether it ended for good, and what a manager should be told.

import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { mailRefusalReason } from '../rules/routing.js';
import { FAILURE_TYPES } from './contract.js';

/**
 * The non-retryable failure an activity ended with, if that is how it ended (else null: rethrow it). A regular
 * activity's comes wrapped in an ActivityFailure; a local activity's arrives as the ApplicationFailure itself.
 */
export function finalFailure(error: unknown): ApplicationFailure | null {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure && failure.nonRetryable ? failure : null;
}

/** Why a PS e-mail could not go, when its activity ended for good (a refusal, the same error every time); else null. */
export function mailFailureReason(error: unknown): string | null {
  const failure = finalFailure(error);
  if (!failure) return null;
  if (failure.type === FAILURE_TYPES.addressRefused) return mailRefusalReason('address', failure.message);
  if (failure.type === FAILURE_TYPES.mailRejected || failure.type === FAILURE_TYPES.invalidMail) return mailRefusalReason('rejected', failure.message);
  return mailRefusalReason('failed', failure.message);
}
