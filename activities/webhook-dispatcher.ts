// The webhooks' dispatcher, in every worker process: starts one delivery workflow per delivery row the triggers wrote
// (migration 0008). Told at commit by PostgreSQL (LISTEN `webhook_events`), and sweeping every WEBHOOK_SWEEP_INTERVAL
// (and at start) for rows nobody started: a NOTIFY lost with a connection, a worker killed between the two. The
// workflow id is the delivery's, so two workers starting the same one start it once.

import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { WebhookConfig } from '../config.js';
import type { OpenDatabase } from '../db/client.js';
import { WEBHOOK_EVENTS_CHANNEL, type WebhookRepository } from '../db/webhooks.js';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE, webhookDeliveryWorkflowId, type WebhookDeliveryInput } from '../workflows/contract.js';

export interface WebhookDispatcherOptions {
  webhooks: WebhookRepository;
  client: Client;
  taskQueue: string;
  /** LISTEN on the database (none: the sweep alone). */
  listen?: OpenDatabase['listen'];
  config: WebhookConfig;
  log: { warn(message: string): void; info(message: string): void };
}

/** Delivery rows started per query. */
const PAGE = 100;

export function createWebhookDispatcher({ webhooks, client, taskQueue, listen, config, log }: WebhookDispatcherOptions) {
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  let stopped = false;

  async function start(delivery: { id: number; eventId: string; endpointId: string }): Promise<void> {
    const input: WebhookDeliveryInput = {
      deliveryId: delivery.id, timeoutMs: config.timeoutMs, initialIntervalMs: config.initialIntervalMs,
      maxIntervalMs: config.maxIntervalMs, retryForMs: config.retryForMs,
    };
    try {
      await client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
        taskQueue, workflowId: webhookDeliveryWorkflowId(delivery), args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      const deliveries = await webhooks.undispatched(PAGE);
      for (const delivery of deliveries) {
        await start(delivery);
        await webhooks.markDispatched([delivery.id]);
      }
      if (deliveries.length === PAGE) again = true;
    } while (again && !stopped);
  }

  /** Starts what is waiting; called again while it runs, it goes round once more. */
  function dispatch(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((error: unknown) => log.warn(`webhooks: dispatching failed (${(error as Error).message.split('\n')[0]}); the next sweep tries again`))
      .finally(() => { running = null; });
    return running;
  }

  return {
    dispatch,
    async start(): Promise<void> {
      if (listen) {
        try {
          unlisten = await listen(WEBHOOK_EVENTS_CHANNEL, () => void dispatch());
        } catch (error) {
          log.warn(`webhooks: cannot LISTEN on ${WEBHOOK_EVENTS_CHANNEL} (${(error as Error).message}); sweeping every ${config.sweepMs} ms only`);
        }
      }
      timer = setInterval(() => void dispatch(), config.sweepMs);
      timer.unref();
      await dispatch();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      await unlisten?.().catch(() => undefined);
      await running;
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
