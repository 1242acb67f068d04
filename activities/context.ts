// The activity running now, for code that also runs outside one (called directly: a test, a script, the API).

import { Context } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import { createLogger, temporalLogger } from '../logging.js';

/** The running activity's Context, or undefined outside an activity. */
export function runningActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

let outside: Logger | undefined;

/**
 * Where an activity logs: `Context.current().log`, the Runtime's logger (worker.ts installs the process' pino logger
 * there: logging.ts) with the activity's attributes (type, id, attempt, workflow). Outside an activity, a logger of
 * warnings and errors of this module's own, with the same redaction.
 */
export function activityLog(): Logger {
  const context = runningActivity();
  if (context) return context.log;
  outside ??= temporalLogger(createLogger({ name: 'activities', level: 'warn' }));
  return outside;
}

/**
 * A key for what the running activity writes, the same through its retries and unique in its workflow's history:
 * `<run id>/<activity id>` (a local activity's id is its sequence number in the run). Undefined outside an activity.
 */
export function activityKey(): string | undefined {
  const info = runningActivity()?.info;
  const runId = info?.workflowExecution?.runId;
  return info && runId ? `${runId}/${info.activityId}` : undefined;
}
