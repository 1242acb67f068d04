// Exactly-once e-mail through the `outbox` table (spec §7: « Sent once: a retried activity or a restarted worker never
// sends twice »). Every e-mail is written before it is sent, under an id that is also the provider's idempotency key:
//
//   pending ──claim──▶ sending ──transport ok──▶ sent
//      ▲                  │
//      └──transport error─┤ (retryable: the error is recorded, the caller — a Temporal activity — retries)
//                         └──permanent refusal──▶ failed (MailRejectedError: non-retryable)
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
import { mailConfigFromEnv } from './config.js';

export type MailKind = 'ps_reply' | 'escalation';
export const MAIL_KINDS: readonly MailKind[] = ['ps_reply', 'escalation'];
export type MailStatus = 'pending' | 'sending' | 'sent' | 'failed';

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
}

/** Delivers an e-mail. Must be idempotent on `mail.id`: a second call with the same id sends nothing new. */
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
  /** The last error, when the last attempt failed. */
  error: string | null;
}

export interface MailFilter {
  batchId?: string;
  practitionerNumber?: string;
  kind?: MailKind;
  limit?: number;
  offset?: number;
}

export type Log = (message: string) => void;

// ---- Errors ----

/** What the provider answered (HTTP status, error name) when a send failed. */
abstract class ProviderError extends Error {
  readonly status: number | null;
  readonly code: string | null;
  constructor(message: string, options: { status?: number | null; code?: string | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status ?? null;
    this.code = options.code ?? null;
  }
}

/**
 * The provider refused the e-mail for good (a 4xx other than 409/429: bad address, invalid payload…). Retrying
 * cannot help: list `MailRejectedError` in the activity's `nonRetryableErrorTypes` (Temporal uses `error.name`).
 */
export class MailRejectedError extends ProviderError {
  override readonly name = 'MailRejectedError';
}

/** A failure worth retrying: network, 5xx, 409 (idempotent request in progress), 429 (rate limit, quota). */
export class MailTransportError extends ProviderError {
  override readonly name = 'MailTransportError';
}

/** The mail itself is malformed (no recipient, bad id…): a programming error, not worth retrying either. */
export class InvalidMailError extends Error {
  override readonly name = 'InvalidMailError';
}

export function isMailRejected(error: unknown): error is MailRejectedError {
  return error instanceof Error && error.name === 'MailRejectedError';
}

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

export function createMailer({ db, transport, log = () => undefined }: MailerOptions) {
  async function read(id: string): Promise<Row | undefined> {
    const rows = await db.select().from(outbox).where(eq(outbox.id, id)).limit(1);
    return rows[0];
  }

  return {
    transport: transport.name,

    /**
     * Sends the e-mail once, whatever the number of calls: a `sent` row is returned as it is, without calling the
     * transport. Throws the transport's error when the attempt failed (the row stays retryable), or a
     * MailRejectedError when the provider refused it for good (the row is `failed`, and stays so).
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

      // Claim: pending → sending (also sending → sending: the previous attempt died without recording its outcome).
      const [claimed] = await db
        .update(outbox)
        .set({ status: 'sending', attempts: sql`${outbox.attempts} + 1` })
        .where(and(eq(outbox.id, mail.id), inArray(outbox.status, ['pending', 'sending'])))
        .returning();
      if (!claimed) {
        const row = await read(mail.id);
        if (!row) throw new Error(`outbox row ${mail.id} vanished`);
        if (row.status === 'sent') return toSentMail(row);
        throw new MailRejectedError(`e-mail ${mail.id} was refused earlier: ${row.error ?? 'no reason recorded'}`);
      }
      if (!sameContent(claimed, mail)) {
        log(`mail ${mail.id}: its content changed since it was first written; sending the first version`);
      }

      let providerId: string;
      try {
        ({ providerId } = await transport.send(toOutgoing(claimed)));
      } catch (error) {
        const rejected = isMailRejected(error);
        const [row] = await db
          .update(outbox)
          .set({ status: rejected ? 'failed' : 'pending', error: messageOf(error).slice(0, 2000) })
          // A parallel attempt may have succeeded meanwhile: never demote a sent e-mail.
          .where(and(eq(outbox.id, mail.id), ne(outbox.status, 'sent')))
          .returning();
        if (!row) {
          const sent = await read(mail.id);
          if (sent?.status === 'sent') return toSentMail(sent);
        }
        log(`mail ${mail.id} (${transport.name}, attempt ${claimed.attempts}): ${rejected ? 'refused' : 'failed'}: ${messageOf(error)}`);
        throw error;
      }

      const [sent] = await db
        .update(outbox)
        .set({ status: 'sent', providerId, sentAt: sql`now()`, error: null })
        .where(eq(outbox.id, mail.id))
        .returning();
      log(`mail ${mail.id} sent through ${transport.name} (${providerId}), attempt ${claimed.attempts}`);
      return toSentMail(sent);
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

/** 4xx other than 409 (idempotency conflict) and 429 (rate limit, quota): the provider will not take this e-mail. */
export function isPermanentRefusal(status: number | null): boolean {
  return status !== null && status >= 400 && status < 500 && status !== 409 && status !== 429;
}

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
        { idempotencyKey: mail.id, signal: AbortSignal.timeout(timeoutMs) },
      );
      if (error) {
        // `statusCode: null` is the SDK's « could not reach the API »; an API error body without a status is mapped by name.
        const status =
          typeof error.statusCode === 'number' ? error.statusCode
          : error.statusCode === null ? null
          : (RESEND_STATUS_BY_NAME[error.name] ?? null);
        const message = `Resend ${status ?? 'network'} ${error.name}: ${error.message}`;
        if (isPermanentRefusal(status)) throw new MailRejectedError(message, { status, code: error.name });
        throw new MailTransportError(message, { status, code: error.name });
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
  await writeFile(temporary, content, 'utf8');
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
      await mkdir(dir, { recursive: true });
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
export function transportFromEnv(env: NodeJS.ProcessEnv = process.env): MailTransport {
  const config = mailConfigFromEnv(env);
  if (config.resendApiKey) {
    // `env` decides, not process.env (which the SDK would read when no base URL is given).
    return createResendTransport({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl ?? RESEND_DEFAULT_BASE_URL });
  }
  return createFileTransport({ dir: config.outboxDir });
}
