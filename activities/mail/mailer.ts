// Exactly-once e-mail through the `outbox` table (spec §7: « Sent once: a retried activity or a restarted worker never
// sends twice »). Every e-mail is written before it is sent, under an id that is also the provider's idempotency key:
//
//   pending ──claim──▶ sending ──transport ok──▶ sent
//      ▲                  │
//      └──transport error─┤ (retryable, MailTransportError / MailAccountError: the error and its kind are recorded,
//      │                  │  the caller — a Temporal activity — retries)
//      │                  └──permanent refusal──▶ failed (MailRejectedError / MailAddressRefusedError: non-retryable)
//      └────────────────────── retry(id, { to }) ◀──┘ (an explicit retry, once the address is fixed)
//
// A worker that dies after the provider accepted the e-mail but before `sent` is recorded leaves the row `sending`;
// the retry claims it again and calls the transport with the same idempotency key, which answers with the first
// e-mail's id instead of sending a second one (Resend keeps keys 24 h; the file transport forever).

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { and, desc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import { Resend } from 'resend';
import type { Database } from '../../db/client.js';
import { outbox } from '../../db/schema.js';
import type { Environment } from '../../config.js';
import { mailConfigFromEnv, type MailConfig } from './config.js';
import {
  InvalidMailError, isMailRejected, MailTransportError, mailErrorKind, providerError, refusalOf, type MailErrorKind,
} from './errors.js';

export * from './errors.js';

export type MailKind = 'ps_reply' | 'escalation';
export const MAIL_KINDS: readonly MailKind[] = ['ps_reply', 'escalation'];
export const MAIL_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

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

/** Delivers an e-mail. Must be idempotent on `idempotencyKeyOf(mail)`: a second call with the same key sends nothing new. */
export interface MailTransport {
  name: string;
  send(mail: OutgoingMail): Promise<{ providerId: string }>;
}

/** The outbox row. */
export interface SentMail {
  id: string;
  kind: MailKind;
  status: MailStatus;
  from: string;
  to: string[];
  bcc: string[];
  subject: string;
  html: string;
  text: string;
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

/** `error`: something a person must act on (the provider refuses our account or sender). */
export type Log = (message: string, level: 'info' | 'error') => void;

const defaultLog: Log = (message, level) => {
  if (level === 'error') console.error(`mail: ${message}`);
};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---- The outbox ----

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

/** The provider's idempotency key: the id, then a new one per explicit retry (the provider keeps keys 24 h). */
export function idempotencyKeyOf(mail: { id: string; retries?: number }): string {
  return mail.retries ? `${mail.id}:retry-${mail.retries}` : mail.id;
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

function validate(mail: OutgoingMail): void {
  const problems: string[] = [];
  if (typeof mail.id !== 'string' || mail.id.trim() === '') problems.push('no id');
  else if (mail.id.length > 256) problems.push('id longer than 256 characters (the idempotency key limit)');
  if (!MAIL_KINDS.includes(mail.kind)) problems.push(`unknown kind ${String(mail.kind)}`);
  if (!mail.from) problems.push('no sender');
  if (!Array.isArray(mail.to) || mail.to.filter((a) => a.trim() !== '').length === 0) problems.push('no recipient');
  if (!mail.subject) problems.push('no subject');
  if (!mail.html && !mail.text) problems.push('no body');
  if (problems.length > 0) throw new InvalidMailError(`e-mail ${mail.id}: ${problems.join(', ')}`);
}

function sameContent(row: Row, mail: OutgoingMail): boolean {
  return (
    row.subject === mail.subject && row.html === mail.html && row.text === mail.text && row.from === mail.from &&
    row.to.join(',') === mail.to.join(',') && row.bcc.join(',') === (mail.bcc ?? []).join(',')
  );
}

export interface MailerOptions {
  db: Database;
  transport: MailTransport;
  log?: Log;
}

export function createMailer({ db, transport, log = defaultLog }: MailerOptions) {
  async function read(id: string): Promise<Row | undefined> {
    const rows = await db.select().from(outbox).where(eq(outbox.id, id)).limit(1);
    return rows[0];
  }

  /** Calls the transport for a claimed (`sending`) row and records the outcome. */
  async function deliver(claimed: Row): Promise<SentMail> {
    const id = claimed.id;
    let providerId: string;
    try {
      ({ providerId } = await transport.send(toOutgoing(claimed)));
    } catch (error) {
      const rejected = isMailRejected(error) || error instanceof InvalidMailError;
      const kind = mailErrorKind(error);
      const [row] = await db
        .update(outbox)
        .set({ status: rejected ? 'failed' : 'pending', error: messageOf(error).slice(0, 2000), errorKind: kind })
        // A parallel attempt may have succeeded meanwhile: never demote a sent e-mail.
        .where(and(eq(outbox.id, id), ne(outbox.status, 'sent')))
        .returning();
      if (!row) {
        const sent = await read(id);
        if (sent?.status === 'sent') return toSentMail(sent);
      }
      const what = rejected ? 'refused' : 'failed';
      // The provider refusing our key or sender is an alert: nobody but an admin can fix it.
      log(`mail ${id} (${transport.name}, attempt ${claimed.attempts}): ${what}${kind === 'account' ? ' (our account or sender: check RESEND_API_KEY and MAIL_FROM)' : ''}: ${messageOf(error)}`,
        kind === 'account' ? 'error' : 'info');
      throw error;
    }

    const [sent] = await db
      .update(outbox)
      .set({ status: 'sent', providerId, sentAt: sql`now()`, error: null, errorKind: null })
      .where(eq(outbox.id, id))
      .returning();
    log(`mail ${id} sent through ${transport.name} (${providerId}), attempt ${claimed.attempts}`, 'info');
    return toSentMail(sent);
  }

  return {
    transport: transport.name,

    /**
     * Sends the e-mail once, whatever the number of calls: a `sent` row is returned as it is, without calling the
     * transport. Throws the transport's error when the attempt failed (the row stays retryable), or a
     * MailRejectedError / MailAddressRefusedError when the provider refused it for good (the row is `failed` until
     * someone requeues it).
     */
    async send(mail: OutgoingMail): Promise<SentMail> {
      validate(mail);
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

      return this.sendStored(mail.id, mail);
    },

    /**
     * Sends the stored row `id` (pending, or sending after an attempt that died): the same outcomes as `send`.
     * `expected`: the e-mail the caller meant, to notice a content that changed since the row was written.
     */
    async sendStored(id: string, expected?: OutgoingMail): Promise<SentMail> {
      // Claim: pending → sending (also sending → sending: the previous attempt died without recording its outcome).
      const [claimed] = await db
        .update(outbox)
        .set({ status: 'sending', attempts: sql`${outbox.attempts} + 1`, lastAttemptAt: sql`now()` })
        .where(and(eq(outbox.id, id), inArray(outbox.status, ['pending', 'sending'])))
        .returning();
      if (!claimed) {
        const row = await read(id);
        if (!row) throw new InvalidMailError(`e-mail ${id} not found in the outbox`);
        if (row.status === 'sent') return toSentMail(row);
        throw refusalOf(row.errorKind, `e-mail ${id} was refused earlier: ${row.error ?? 'no reason recorded'}`);
      }
      if (expected && claimed.retries === 0 && !sameContent(claimed, expected)) {
        log(`mail ${id}: its content changed since it was first written; sending the first version`, 'info');
      }
      return deliver(claimed);
    },

    /**
     * Makes a refused e-mail sendable again, to `to` when given (the address fixed), under a new idempotency key;
     * `sendStored(id)` then sends it. A `pending` row (retried already: the last attempt may even have been taken by
     * the provider) keeps its key and address, so that sending it again can never send it twice. Null when there is no
     * such row; a sent one is left as it is.
     */
    async requeue(id: string, options: { to?: string[] } = {}): Promise<SentMail | null> {
      const to = options.to?.map((a) => a.trim()).filter((a) => a !== '');
      const [row] = await db
        .update(outbox)
        .set({ status: 'pending', retries: sql`${outbox.retries} + 1`, ...(to && to.length > 0 ? { to } : {}) })
        .where(and(eq(outbox.id, id), eq(outbox.status, 'failed')))
        .returning();
      if (row) return toSentMail(row);
      const current = await read(id);
      return current ? toSentMail(current) : null;
    },

    /** E-mails the provider keeps refusing for reasons of ours (key, sender): an alert until someone fixes it. */
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

export type Mailer = ReturnType<typeof createMailer>;

// ---- Resend ----

export const RESEND_DEFAULT_BASE_URL = 'https://api.resend.com';

export interface ResendTransportOptions {
  apiKey: string;
  /** Default: RESEND_BASE_URL, else https://api.resend.com (read by the SDK). */
  baseUrl?: string;
  /** Abort a request that takes longer (default 30 s); the attempt is then retryable. */
  timeoutMs?: number;
}

/** Resend error names whose HTTP status may be missing from the error object. */
const RESEND_STATUS_BY_NAME: Record<string, number> = {
  invalid_idempotency_key: 400,
  validation_error: 422,
  missing_required_field: 422,
  invalid_attachment: 422,
  invalid_from_address: 422,
  invalid_parameter: 422,
  missing_api_key: 401,
  restricted_api_key: 401,
  invalid_api_key: 403,
  invalid_access: 403,
  security_error: 451,
  not_found: 404,
  method_not_allowed: 405,
  invalid_idempotent_request: 409,
  concurrent_idempotent_requests: 409,
  rate_limit_exceeded: 429,
  daily_quota_exceeded: 429,
  monthly_quota_exceeded: 429,
  application_error: 500,
  internal_server_error: 500,
};

export function createResendTransport({ apiKey, baseUrl, timeoutMs = 30_000 }: ResendTransportOptions): MailTransport {
  if (!apiKey) throw new Error('createResendTransport: no API key');
  const resend = new Resend(apiKey, baseUrl ? { baseUrl } : undefined);
  return {
    name: 'resend',
    async send(mail) {
      // `send()` never throws: network failures come back as `error` with a null status.
      const { data, error } = await resend.emails.send(
        {
          from: mail.from,
          to: mail.to,
          ...(mail.bcc.length > 0 ? { bcc: mail.bcc } : {}),
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          tags: [{ name: 'kind', value: mail.kind }],
        },
        { idempotencyKey: idempotencyKeyOf(mail), signal: AbortSignal.timeout(timeoutMs) },
      );
      if (error) {
        // `statusCode: null` is the SDK's « could not reach the API »; an API error body without a status is mapped by name.
        const status =
          typeof error.statusCode === 'number' ? error.statusCode
          : error.statusCode === null ? null
          : (RESEND_STATUS_BY_NAME[error.name] ?? null);
        throw providerError(status, error.name, error.message, `Resend ${status ?? 'network'} ${error.name}: `);
      }
      if (!data?.id) throw new MailTransportError('Resend answered without an e-mail id');
      return { providerId: data.id };
    },
  };
}

// ---- Files (the embedded default) ----

/** A file name for the id: itself when it is safe, else a readable form plus a hash of the id (no collisions). */
export function safeFileName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 150);
  if (readable === id) return id;
  return `${readable}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, content, { encoding: 'utf8', mode: 0o600 }); // a bordereau holds a NIR
  await rename(temporary, path);
}

/**
 * Writes each e-mail as `<dir>/<safe id>.html`, `.txt` and `.json` (metadata, written last). The provider id is the
 * `.json` file's name relative to `dir`; an id already written is not written again.
 */
export function createFileTransport({ dir }: { dir: string }): MailTransport {
  return {
    name: 'file',
    async send(mail) {
      const base = safeFileName(mail.id);
      const providerId = `${base}.json`;
      const metadataPath = join(dir, providerId);
      try {
        const existing = JSON.parse(await readFile(metadataPath, 'utf8')) as { id?: string };
        if (existing.id === mail.id) return { providerId };
        throw new MailTransportError(`${metadataPath} holds another e-mail (${String(existing.id)})`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeAtomically(join(dir, `${base}.html`), mail.html);
      await writeAtomically(join(dir, `${base}.txt`), mail.text);
      const metadata = {
        id: mail.id,
        kind: mail.kind,
        from: mail.from,
        to: mail.to,
        bcc: mail.bcc,
        subject: mail.subject,
        batchId: mail.batchId ?? null,
        practitionerNumber: mail.practitionerNumber ?? null,
        archiveKeys: mail.archiveKeys ?? [],
        html: `${base}.html`,
        text: `${base}.txt`,
        writtenAt: new Date().toISOString(),
      };
      await writeAtomically(metadataPath, JSON.stringify(metadata, null, 2) + '\n');
      return { providerId };
    },
  };
}

/** Resend when RESEND_API_KEY is set (RESEND_BASE_URL honoured), else files under DATA_DIR/outbox (.data/outbox). */
export function transportFor(config: MailConfig): MailTransport {
  if (config.resendApiKey) {
    // The configuration decides, not process.env (which the SDK would read when no base URL is given).
    return createResendTransport({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl ?? RESEND_DEFAULT_BASE_URL });
  }
  return createFileTransport({ dir: config.outboxDir });
}

/** The transport of an environment (tests): transportFor(mailConfigFromEnv(env)). */
export function transportFromEnv(env: Environment): MailTransport {
  return transportFor(mailConfigFromEnv(env));
}
