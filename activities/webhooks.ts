// Webhook deliveries: the signed POST of one event to one endpoint (Standard Webhooks: `webhook-id`,
// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` keyed with the
// base64 part of the endpoint's `whsec_` secret), the outcome recorded on the delivery and its endpoint, the endpoint
// disabled after too many failures in a row and the admins told by e-mail. At least once: the event id is the same on
// every attempt, receivers de-duplicate on it.

import { createHmac } from 'node:crypto';
import { AppError } from '../rules/errors.js';
import type { FailurePolicy, WebhookRepository } from '../db/webhooks.js';
import { composeWebhookDisabledEmail } from './mail/compose.js';
import type { Mailer } from './mail/mailer.js';
import { activityLog } from './context.js';
import { withFailureTypes } from './failures.js';

export interface WebhookDependencies {
  webhooks: WebhookRepository;
  mailer: Mailer;
  mailFrom: string;
  /** Who is told when an endpoint is disabled (ADMINS_EMAIL, else MANAGERS_EMAIL). */
  adminsEmail: string[];
  consoleUrl?: string;
  /** WEBHOOK_DISABLE_AFTER_FAILURES, WEBHOOK_DISABLE_AFTER. */
  failurePolicy: FailurePolicy;
}

/** The receiver did not take the event (no answer, or not 2xx): retried with backoff. */
export class WebhookDeliveryFailed extends AppError {
  override readonly name = 'WebhookDeliveryFailed';
  readonly code = 'webhook_delivery_failed';
  override readonly retryable = true;
}

/** The Standard Webhooks signature of a body: `v1,<base64>`. */
export function webhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The headers of a signed request. */
export function signedHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'tp-rejects-webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': webhookSignature(secret, id, timestamp, body),
  };
}

/** What went wrong, in a line fit for the delivery's row (never the body: it may echo the payload). */
function failureOf(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'pas de réponse dans le délai';
  return (e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error)).slice(0, 200);
}

export function createWebhookActivities(deps: WebhookDependencies) {
  const { webhooks } = deps;

  /** The admins' notice of an endpoint disabled automatically (once per disabling: its outbox id). */
  async function noticeDisabled(endpoint: { id: string; url: string; disabledAt: string | null; disabledReason: string | null }) {
    if (!endpoint.disabledAt || !endpoint.disabledReason || endpoint.disabledReason === 'manual') return;
    await deps.mailer.send(composeWebhookDisabledEmail({
      endpoint: { id: endpoint.id, url: endpoint.url, reason: endpoint.disabledReason, disabledAt: endpoint.disabledAt },
      to: deps.adminsEmail, from: deps.mailFrom, consoleUrl: deps.consoleUrl,
    }));
  }

  return withFailureTypes({
    /** One attempt: POST the signed event; 2xx delivered, anything else thrown (retried), disabled endpoint: cancelled. */
    async deliverWebhook(input: { deliveryId: number; timeoutMs: number }): Promise<{ status: 'delivered' | 'cancelled' }> {
      const job = await webhooks.job(input.deliveryId);
      if (!job) return { status: 'cancelled' }; // its endpoint was deleted
      if (job.status === 'delivered') return { status: 'delivered' };
      if (!job.endpoint.enabled || job.status === 'cancelled') {
        await webhooks.cancelPending(job.endpoint.id);
        await noticeDisabled(job.endpoint);
        return { status: 'cancelled' };
      }
      const body = JSON.stringify(job.payload);
      const timestamp = Math.floor(Date.now() / 1000);
      await webhooks.attemptStarted(job.deliveryId);
      let status: number | null = null;
      let error: string;
      try {
        const response = await fetch(job.endpoint.url, {
          method: 'POST', headers: signedHeaders(job.endpoint.secret, job.payload.id, timestamp, body), body,
          redirect: 'manual', signal: AbortSignal.timeout(input.timeoutMs),
        });
        status = response.status;
        await response.body?.cancel().catch(() => undefined);
        if (status >= 200 && status < 300) {
          await webhooks.delivered(job.deliveryId, job.endpoint.id, status);
          return { status: 'delivered' };
        }
        error = `HTTP ${status}`;
      } catch (e) {
        error = failureOf(e);
      }
      const disabled = await webhooks.failed(job.deliveryId, job.endpoint.id, { status, error }, deps.failurePolicy);
      if (disabled) {
        const endpoint = await webhooks.job(job.deliveryId);
        activityLog().warn(`webhooks: endpoint ${job.endpoint.id} disabled after repeated failures (${error}); admins told`);
        if (endpoint) await noticeDisabled(endpoint.endpoint);
        return { status: 'cancelled' };
      }
      throw new WebhookDeliveryFailed(`webhook ${job.payload.id} to endpoint ${job.endpoint.id}: ${error}`);
    },

    /** Retries exhausted: the delivery failed for good (listed so with its last error). */
    async recordWebhookGiveUp(input: { deliveryId: number; error: string }): Promise<void> {
      await webhooks.gaveUp(input.deliveryId, input.error);
    },
  });
}
