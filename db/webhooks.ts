// Webhooks: the endpoints admins register, the events (a transactional outbox: migration 0008's triggers write each
// event and its deliveries in the transaction that changed the invoice, task or batch, then NOTIFY
// `webhook_events`), and each delivery's attempts and outcome. The worker's dispatcher starts one delivery workflow per
// row (activities/webhook-dispatcher.ts); its activity reads the job here and records what the receiver answered.

import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Invoice } from '../rules/types.js';
import { rowsOf, type Database } from './client.js';
import { invoices, managerTasks, webhookDeliveries, webhookEndpoints, webhookEvents } from './schema.js';

/** The events a receiver may subscribe to (`webhook.test`: a ping sent on demand to one endpoint). */
export const WEBHOOK_EVENT_TYPES = ['invoice.decided', 'invoice.replied', 'task.created', 'task.resolved', 'batch.closed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** The channel the triggers NOTIFY at commit, with the event's id. */
export const WEBHOOK_EVENTS_CHANNEL = 'webhook_events';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  personalData: boolean;
  enabled: boolean;
  consecutiveFailures: number;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: number;
  eventId: string;
  eventType: string;
  sequence: number;
  archiveKey: string | null;
  taskId: string | null;
  batchId: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** What a delivery attempt sends: the event as the receiver gets it, the endpoint's URL and secret. */
export interface DeliveryJob {
  deliveryId: number;
  status: DeliveryStatus;
  endpoint: { id: string; url: string; secret: string; enabled: boolean; disabledAt: string | null; disabledReason: string | null };
  /** The JSON body (personal data only for an endpoint marked for it). */
  payload: WebhookPayload;
}

/** The body of every webhook: Standard Webhooks' `type`, `timestamp`, `data`, with the event id and its sequence. */
export interface WebhookPayload {
  id: string;
  type: string;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  /** `invoice:<critère>` or `batch:<id>`. */
  subject: string;
  /** 1, 2, 3… per subject, in the order the changes were committed: receivers order an invoice's events with it. */
  sequence: number;
  data: Record<string, unknown>;
}

/** Where the endpoint's failures stand after an attempt: disabled now (admins to be told) or not. */
export interface FailurePolicy {
  /** Failed attempts in a row that disable an endpoint… */
  maxConsecutiveFailures: number;
  /** …once its first failure in the row is at least this old. */
  failingForMs: number;
}

const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());

/** `whsec_` then 32 random bytes in base64: the Standard Webhooks secret format. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

type EndpointRow = typeof webhookEndpoints.$inferSelect;

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id, url: row.url, description: row.description, events: row.events as WebhookEventType[],
    personalData: row.personalData, enabled: row.enabled, consecutiveFailures: row.consecutiveFailures,
    failingSince: iso(row.failingSince), disabledAt: iso(row.disabledAt), disabledReason: row.disabledReason,
    createdBy: row.createdBy, createdAt: iso(row.createdAt)!, updatedAt: iso(row.updatedAt)!,
  };
}

/** The beneficiary and free texts of an invoice: only for an endpoint marked for personal data. */
function personalPart(invoice: Invoice | undefined, decision: Record<string, unknown> | null | undefined) {
  const b = invoice?.beneficiary;
  return {
    beneficiary: b ? { nir: b.nir ?? null, lastName: b.lastName ?? null, firstName: b.firstName ?? null, birthDate: b.birthDate ?? null } : null,
    invoiceNumber: invoice?.invoiceNumber ?? null,
    reply: (decision?.reply as string | null | undefined) ?? null,
    comment: (decision?.comment as string | null | undefined) ?? null,
  };
}

export function createWebhookRepository(db: Database) {
  /** Pending deliveries of a disabled endpoint: cancelled (their workflows stop at their next attempt). */
  async function cancelPending(endpointId: string): Promise<void> {
    await db.update(webhookDeliveries).set({ status: 'cancelled' })
      .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'pending')));
  }

  async function endpointRow(id: string): Promise<EndpointRow | null> {
    const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).limit(1);
    return row ?? null;
  }

  return {
    async create(input: { url: string; events: WebhookEventType[]; description?: string | null; personalData?: boolean; createdBy?: string | null }) {
      const secret = newWebhookSecret();
      const [row] = await db.insert(webhookEndpoints).values({
        id: `ep_${randomBytes(12).toString('hex')}`, url: input.url, events: [...new Set(input.events)], secret,
        description: input.description ?? null, personalData: input.personalData ?? false, createdBy: input.createdBy ?? null,
      }).returning();
      return { endpoint: toEndpoint(row!), secret };
    },

    async list(): Promise<WebhookEndpoint[]> {
      const rows = await db.select().from(webhookEndpoints).orderBy(webhookEndpoints.createdAt, webhookEndpoints.id);
      return rows.map(toEndpoint);
    },

    async get(id: string): Promise<WebhookEndpoint | null> {
      const row = await endpointRow(id);
      return row ? toEndpoint(row) : null;
    },

    /** Changes what is given; enabling again clears the failures and the reason it was disabled. */
    async update(id: string, change: { url?: string; events?: WebhookEventType[]; description?: string | null; personalData?: boolean; enabled?: boolean }) {
      const set: Record<string, unknown> = { updatedAt: sql`now()` };
      if (change.url !== undefined) set.url = change.url;
      if (change.events !== undefined) set.events = [...new Set(change.events)];
      if (change.description !== undefined) set.description = change.description;
      if (change.personalData !== undefined) set.personalData = change.personalData;
      if (change.enabled === true) Object.assign(set, { enabled: true, consecutiveFailures: 0, failingSince: null, disabledAt: null, disabledReason: null });
      if (change.enabled === false) Object.assign(set, { enabled: false, disabledAt: sql`coalesce(${webhookEndpoints.disabledAt}, now())`, disabledReason: 'manual' });
      const [row] = await db.update(webhookEndpoints).set(set as Partial<EndpointRow>).where(eq(webhookEndpoints.id, id)).returning();
      if (row && change.enabled === false) await cancelPending(id);
      return row ? toEndpoint(row) : null;
    },

    /** A new secret (the old one stops signing at once). */
    async rotateSecret(id: string): Promise<string | null> {
      const secret = newWebhookSecret();
      const updated = await db.update(webhookEndpoints).set({ secret, updatedAt: sql`now()` }).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id });
      return updated.length ? secret : null;
    },

    /** Deletes the endpoint and its deliveries. */
    async remove(id: string): Promise<boolean> {
      const deleted = await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id });
      return deleted.length > 0;
    },

    /** A `webhook.test` event for this endpoint alone (its delivery is dispatched like any other). */
    async ping(id: string): Promise<{ eventId: string } | null> {
      const [row] = rowsOf(await db.execute(sql`select "webhook_ping"(${id}) as "id"`));
      return typeof row?.id === 'string' ? { eventId: row.id } : null;
    },

    /** Deliveries of an endpoint, newest first (keyset: `before` a delivery id). */
    async deliveries(endpointId: string, filter: { status?: DeliveryStatus; before?: number; limit?: number } = {}): Promise<WebhookDelivery[]> {
      const rows = await db.select({ d: webhookDeliveries, e: webhookEvents }).from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
        .where(and(
          eq(webhookDeliveries.endpointId, endpointId),
          filter.status ? eq(webhookDeliveries.status, filter.status) : undefined,
          filter.before ? lt(webhookDeliveries.id, filter.before) : undefined,
        ))
        .orderBy(desc(webhookDeliveries.id)).limit(filter.limit ?? 50);
      return rows.map(({ d, e }) => ({
        id: d.id, eventId: e.id, eventType: e.type, sequence: e.sequence, archiveKey: e.archiveKey, taskId: e.taskId, batchId: e.batchId,
        status: d.status as DeliveryStatus, attempts: d.attempts, lastStatus: d.lastStatus, lastError: d.lastError,
        lastAttemptAt: iso(d.lastAttemptAt), deliveredAt: iso(d.deliveredAt), createdAt: iso(d.createdAt)!,
      }));
    },

    /** Deliveries whose workflow has not been started yet, oldest first. */
    async undispatched(limit = 100): Promise<{ id: number; eventId: string; endpointId: string }[]> {
      return db.select({ id: webhookDeliveries.id, eventId: webhookDeliveries.eventId, endpointId: webhookDeliveries.endpointId })
        .from(webhookDeliveries).where(isNull(webhookDeliveries.dispatchedAt)).orderBy(webhookDeliveries.id).limit(limit);
    },

    async markDispatched(ids: number[]): Promise<void> {
      for (const id of ids) await db.update(webhookDeliveries).set({ dispatchedAt: sql`now()` }).where(eq(webhookDeliveries.id, id));
    },

    /** What an attempt sends; null when the delivery is gone (its endpoint deleted). */
    async job(deliveryId: number): Promise<DeliveryJob | null> {
      const [row] = await db.select({ d: webhookDeliveries, e: webhookEvents, p: webhookEndpoints }).from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
        .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
        .where(eq(webhookDeliveries.id, deliveryId)).limit(1);
      if (!row) return null;
      const { d, e, p } = row;
      const data = { ...(e.data as Record<string, unknown>) };
      if (p.personalData && e.archiveKey) {
        const [invoice] = await db.select({ invoice: invoices.invoice, decision: invoices.decision }).from(invoices)
          .where(eq(invoices.archiveKey, e.archiveKey)).limit(1);
        const personal: Record<string, unknown> = personalPart(invoice?.invoice, invoice?.decision as Record<string, unknown> | null);
        if (e.taskId) {
          const [task] = await db.select({ resolution: managerTasks.resolution, resolvedBy: managerTasks.resolvedBy }).from(managerTasks)
            .where(eq(managerTasks.id, e.taskId)).limit(1);
          personal.comment = (task?.resolution as { comment?: string | null } | null)?.comment ?? null;
          personal.resolvedBy = task?.resolvedBy ?? null;
        }
        data.personal = personal;
      }
      return {
        deliveryId: d.id, status: d.status as DeliveryStatus,
        endpoint: { id: p.id, url: p.url, secret: p.secret, enabled: p.enabled, disabledAt: iso(p.disabledAt), disabledReason: p.disabledReason },
        payload: { id: e.id, type: e.type, timestamp: iso(e.createdAt)!, subject: e.subject, sequence: e.sequence, data },
      };
    },

    /** An attempt starts: counted before the request leaves (a worker may die while the receiver holds it). */
    async attemptStarted(deliveryId: number): Promise<void> {
      await db.update(webhookDeliveries).set({ attempts: sql`${webhookDeliveries.attempts} + 1`, lastAttemptAt: sql`now()` })
        .where(eq(webhookDeliveries.id, deliveryId));
    },

    /** The receiver answered 2xx: delivered, and the endpoint's failures forgotten. */
    async delivered(deliveryId: number, endpointId: string, status: number): Promise<void> {
      await db.update(webhookDeliveries).set({ status: 'delivered', lastStatus: status, lastError: null, deliveredAt: sql`coalesce(${webhookDeliveries.deliveredAt}, now())` })
        .where(eq(webhookDeliveries.id, deliveryId));
      await db.update(webhookEndpoints).set({ consecutiveFailures: 0, failingSince: null })
        .where(and(eq(webhookEndpoints.id, endpointId), sql`${webhookEndpoints.consecutiveFailures} > 0`));
    },

    /**
     * A failed attempt, on the delivery and its endpoint. True when this failure disabled the endpoint (exactly one
     * attempt does: the one whose update switched `enabled` off); its pending deliveries are then cancelled.
     */
    async failed(deliveryId: number, endpointId: string, outcome: { status: number | null; error: string }, policy: FailurePolicy): Promise<boolean> {
      await db.update(webhookDeliveries).set({ lastStatus: outcome.status, lastError: outcome.error.slice(0, 500) })
        .where(eq(webhookDeliveries.id, deliveryId));
      const [endpoint] = await db.update(webhookEndpoints)
        .set({ consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1`, failingSince: sql`coalesce(${webhookEndpoints.failingSince}, now())` })
        .where(eq(webhookEndpoints.id, endpointId))
        .returning({ failures: webhookEndpoints.consecutiveFailures, failingSince: webhookEndpoints.failingSince, enabled: webhookEndpoints.enabled });
      if (!endpoint?.enabled || endpoint.failures < policy.maxConsecutiveFailures) return false;
      if (Date.now() - new Date(endpoint.failingSince!).getTime() < policy.failingForMs) return false;
      const reason = `${endpoint.failures} échecs consécutifs depuis le ${new Date(endpoint.failingSince!).toISOString()} (dernier : ${outcome.error.slice(0, 200)})`;
      const disabled = await db.update(webhookEndpoints)
        .set({ enabled: false, disabledAt: sql`now()`, disabledReason: reason, updatedAt: sql`now()` })
        .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.enabled, true))).returning({ id: webhookEndpoints.id });
      if (disabled.length) await cancelPending(endpointId);
      return disabled.length > 0;
    },

    cancelPending,

    /** Retries exhausted: the delivery failed for good. */
    async gaveUp(deliveryId: number, error: string): Promise<void> {
      await db.update(webhookDeliveries).set({ status: 'failed', lastError: error.slice(0, 500) })
        .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')));
    },
  };
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
