// The `outbox` table: every e-mail written before it is sent, under an id that is also the provider's idempotency key.
// The state machine that drives it (pending → sending → sent | failed) is the mailer's (activities/mail/mailer.ts);
// here, its rows and the queries that move them, each one conditional so that two attempts never both win.

import { and, desc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import type { Database } from './client.js';
import { outbox } from './schema.js';

export type MailKind = 'ps_reply' | 'escalation' | 'webhook_disabled';
export const MAIL_KINDS: readonly MailKind[] = ['ps_reply', 'escalation', 'webhook_disabled'];
export const MAIL_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];
/** Why the last attempt failed: the transport (retryable), our account or sender, the address, a refusal, a bad e-mail. */
export const MAIL_ERROR_KINDS = ['transport', 'account', 'address', 'rejected', 'invalid'] as const;
export type MailErrorKind = (typeof MAIL_ERROR_KINDS)[number];

/** An e-mail to send, as the mailer is given it. */
export interface OutgoingMail {
  /** Idempotency key, e.g. `ps-reply:<batchId>:<N° PS>:<n>`, `escalation:<taskId>`. At most 256 characters. */
  id: string;
  kind: MailKind;
  from: string;
  to: string[];
  bcc: string[];
  subject: string;
  html: string;
  text: string;
  batchId?: string | null;
  practitionerNumber?: string | null;
  /** Critères d'archivage of the invoices this e-mail answers. */
  archiveKeys?: string[];
  /** Explicit retries so far (set by the outbox): the transport's idempotency key is `idempotencyKeyOf(mail)`. */
  retries?: number;
}

/** The outbox row: the e-mail as written, and what became of it. */
export interface SentMail extends Omit<OutgoingMail, 'batchId' | 'practitionerNumber' | 'archiveKeys' | 'retries'> {
  status: MailStatus;
  batchId: string | null;
  practitionerNumber: string | null;
  archiveKeys: string[];
  /** Resend's id, or the file transport's metadata file (relative to its folder). */
  providerId: string | null;
  attempts: number;
  createdAt: string;
  sentAt: string | null;
  /** The last error, when the last attempt failed, and its kind (`address`: the recipient was refused…). */
  error: string | null;
  errorKind: MailErrorKind | null;
  /** Explicit retries of a failed e-mail (each sends under a new idempotency key). */
  retries: number;
}

export interface MailFilter {
  batchId?: string;
  practitionerNumber?: string;
  kind?: MailKind;
  status?: MailStatus;
  limit?: number;
  offset?: number;
}

type Row = typeof outbox.$inferSelect;

function toSentMail(row: Row): SentMail {
  return {
    ...toOutgoing(row),
    batchId: row.batchId,
    practitionerNumber: row.practitionerNumber,
    archiveKeys: row.archiveKeys,
    status: row.status as MailStatus,
    providerId: row.providerId,
    attempts: row.attempts,
    createdAt: new Date(row.createdAt).toISOString(),
    sentAt: row.sentAt ? new Date(row.sentAt).toISOString() : null,
    error: row.error,
    errorKind: (row.errorKind as MailErrorKind | null) ?? null,
    retries: row.retries,
  };
}

/** What is sent is the stored row: a retry sends exactly what the first attempt sent (same idempotent payload). */
function toOutgoing(row: Row): OutgoingMail {
  return {
    id: row.id,
    kind: row.kind as MailKind,
    from: row.from,
    to: row.to,
    bcc: row.bcc,
    subject: row.subject,
    html: row.html,
    text: row.text,
    batchId: row.batchId,
    practitionerNumber: row.practitionerNumber,
    archiveKeys: row.archiveKeys,
    retries: row.retries,
  };
}

export function createOutboxRepository(db: Database) {
  async function read(id: string): Promise<Row | undefined> {
    const rows = await db.select().from(outbox).where(eq(outbox.id, id)).limit(1);
    return rows[0];
  }

  return {
    /** Writes the e-mail as `pending` unless a row has this id already (the first one stands). */
    async insert(mail: OutgoingMail): Promise<void> {
      await db
        .insert(outbox)
        .values({
          id: mail.id,
          kind: mail.kind,
          batchId: mail.batchId ?? null,
          practitionerNumber: mail.practitionerNumber ?? null,
          from: mail.from,
          to: mail.to,
          bcc: mail.bcc ?? [],
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          archiveKeys: mail.archiveKeys ?? [],
          status: 'pending',
        })
        .onConflictDoNothing({ target: outbox.id });
    },

    /**
     * Claims the row for an attempt: pending → sending, and also sending → sending (the previous attempt died without
     * recording its outcome), counting the attempt. Null when it is in neither state.
     */
    async claim(id: string): Promise<{ mail: OutgoingMail; attempts: number } | null> {
      const [claimed] = await db
        .update(outbox)
        .set({ status: 'sending', attempts: sql`${outbox.attempts} + 1`, lastAttemptAt: sql`now()` })
        .where(and(eq(outbox.id, id), inArray(outbox.status, ['pending', 'sending'])))
        .returning();
      return claimed ? { mail: toOutgoing(claimed), attempts: claimed.attempts } : null;
    },

    /** The attempt failed: `failed` for good when `rejected`, else `pending` again — never a row already sent (null). */
    async recordFailure(id: string, failure: { rejected: boolean; error: string; errorKind: MailErrorKind }): Promise<SentMail | null> {
      const [row] = await db
        .update(outbox)
        .set({ status: failure.rejected ? 'failed' : 'pending', error: failure.error.slice(0, 2000), errorKind: failure.errorKind })
        // A parallel attempt may have succeeded meanwhile: never demote a sent e-mail.
        .where(and(eq(outbox.id, id), ne(outbox.status, 'sent')))
        .returning();
      return row ? toSentMail(row) : null;
    },

    async recordSent(id: string, providerId: string): Promise<SentMail> {
      const [sent] = await db
        .update(outbox)
        .set({ status: 'sent', providerId, sentAt: sql`now()`, error: null, errorKind: null })
        .where(eq(outbox.id, id))
        .returning();
      return toSentMail(sent!);
    },

    /**
     * A refused e-mail made sendable again, to `to` when given, under a new idempotency key (retries + 1). Only a
     * `failed` row moves; otherwise the row as it is (null when there is none).
     */
    async requeue(id: string, to?: string[]): Promise<SentMail | null> {
      const [row] = await db
        .update(outbox)
        .set({ status: 'pending', retries: sql`${outbox.retries} + 1`, ...(to && to.length > 0 ? { to } : {}) })
        .where(and(eq(outbox.id, id), eq(outbox.status, 'failed')))
        .returning();
      if (row) return toSentMail(row);
      const current = await read(id);
      return current ? toSentMail(current) : null;
    },

    /** E-mails the provider keeps refusing for reasons of ours (key, sender), and those refused for good. */
    async alerts(): Promise<{ account: number; failed: number }> {
      const [row] = await db.select({
        account: sql<number>`count(*) filter (where ${outbox.status} in ('pending', 'sending') and ${outbox.errorKind} = 'account')::int`,
        failed: sql<number>`count(*) filter (where ${outbox.status} = 'failed')::int`,
      }).from(outbox);
      return { account: Number(row?.account ?? 0), failed: Number(row?.failed ?? 0) };
    },

    async get(id: string): Promise<SentMail | null> {
      const row = await read(id);
      return row ? toSentMail(row) : null;
    },

    /** Newest first. */
    async list(filter: MailFilter = {}): Promise<{ items: SentMail[]; total: number }> {
      const conditions: SQL[] = [];
      if (filter.batchId) conditions.push(eq(outbox.batchId, filter.batchId));
      if (filter.practitionerNumber) conditions.push(eq(outbox.practitionerNumber, filter.practitionerNumber));
      if (filter.kind) conditions.push(eq(outbox.kind, filter.kind));
      if (filter.status) conditions.push(eq(outbox.status, filter.status));
      const where = conditions.length ? and(...conditions) : undefined;
      const [rows, [{ count }]] = await Promise.all([
        db.select().from(outbox).where(where).orderBy(desc(outbox.createdAt), desc(outbox.id))
          .limit(filter.limit ?? 50).offset(filter.offset ?? 0),
        db.select({ count: sql<number>`count(*)::int` }).from(outbox).where(where),
      ]);
      return { items: rows.map(toSentMail), total: Number(count) };
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
