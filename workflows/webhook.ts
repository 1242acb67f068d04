// webhookDeliveryWorkflow: one event to one endpoint, at least once. Its activity POSTs the signed event; a failure
// (no answer, not 2xx) is retried with a backoff that grows to WEBHOOK_RETRY_MAX_INTERVAL, for WEBHOOK_RETRY_FOR in
// all; a worker that dies mid-request leaves the attempt to time out and be retried elsewhere. Each delivery has its
// own workflow: a failing event never holds back another.

import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { createWebhookActivities } from '../activities/webhooks.js';
import type { WebhookDeliveryInput } from './contract.js';

type Activities = ReturnType<typeof createWebhookActivities>;

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<{ status: string }> {
  const { deliverWebhook } = proxyActivities<Activities>({
    // The request's own timeout, and room to record its outcome.
    startToCloseTimeout: input.timeoutMs + 10_000,
    scheduleToCloseTimeout: input.retryForMs,
    retry: { initialInterval: input.initialIntervalMs, backoffCoefficient: 2, maximumInterval: input.maxIntervalMs },
  });
  const { recordWebhookGiveUp } = proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  try {
    return await deliverWebhook({ deliveryId: input.deliveryId, timeoutMs: input.timeoutMs });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await recordWebhookGiveUp({ deliveryId: input.deliveryId, error: (error.cause ?? error).message });
    return { status: 'failed' };
  }
}
