// The mail transports: Resend (the provider, through its SDK) and files under a folder (no provider configured).
// Each is idempotent on `idempotencyKeyOf(mail)`: a second call with the same key sends nothing new.

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resend } from 'resend';
import type { MailConfig } from '../../config.js';
import type { OutgoingMail } from '../../db/outbox.js';
import { MailTransportError, providerError } from './errors.js';

/** The provider's idempotency key: the id, then a new one per explicit retry (the provider keeps keys 24 h). */
export function idempotencyKeyOf(mail: { id: string; retries?: number }): string {
  return mail.retries ? `${mail.id}:retry-${mail.retries}` : mail.id;
}

/** Delivers an e-mail. Must be idempotent on `idempotencyKeyOf(mail)`: a second call with the same key sends nothing new. */
export interface MailTransport {
  name: string;
  send(mail: OutgoingMail): Promise<{ providerId: string }>;
}

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
