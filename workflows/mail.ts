// mailRetryWorkflow: an e-mail the provider refused, sent again once someone fixed its address (an explicit retry
// from the console or the API, which requeued the outbox row). Durable like every other side effect: a worker that
// dies mid-way finishes it on another; the outbox's state machine makes a second send impossible.

import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { finalFailure } from './failures.js';

type Activities = ReturnType<typeof createActivities>;

/** Bounded: an hour of attempts (the provider down); a new refusal ends it at once, recorded on the row. */
const delivery = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes', backoffCoefficient: 2 },
});

export function mailRetryWorkflowId(mailId: string, retry: number): string {
  return `mail-retry-${mailId}-${retry}`;
}

export async function mailRetryWorkflow(input: { id: string }): Promise<{ status: string; error: string | null }> {
  try {
    const sent = await delivery.deliverStoredMail(input);
    return { status: sent.status, error: null };
  } catch (error) {
    const failure = finalFailure(error);
    if (!failure) throw error;
    return { status: 'failed', error: failure.message };
  }
}
