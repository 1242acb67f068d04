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

import type { Database } from '../../db/client.js';
import {
  createOutboxRepository, MAIL_KINDS, type MailFilter, type OutgoingMail, type SentMail,
} from '../../db/outbox.js';
import { activityLog } from '../context.js';
import { InvalidMailError, isMailRejected, mailErrorKind, refusalOf } from './errors.js';
import type { MailTransport } from './transports.js';

export * from './errors.js';
export * from './transports.js';
export { MAIL_KINDS, MAIL_STATUSES, type MailFilter, type MailKind, type MailStatus, type OutgoingMail, type SentMail } from '../../db/outbox.js';

/** `error`: something a person must act on (the provider refuses our account or sender). */
export type Log = (message: string, level: 'info' | 'error') => void;

/** The activity's logger (activities/context.ts activityLog): the worker's, with the activity's attributes. */
const defaultLog: Log = (message, level) => activityLog()[level](`mail: ${message}`);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

function sameContent(stored: OutgoingMail, mail: OutgoingMail): boolean {
  return (
    stored.subject === mail.subject && stored.html === mail.html && stored.text === mail.text && stored.from === mail.from &&
    stored.to.join(',') === mail.to.join(',') && stored.bcc.join(',') === (mail.bcc ?? []).join(',')
  );
}

export interface MailerOptions {
  db: Database;
  transport: MailTransport;
  log?: Log;
}

export function createMailer({ db, transport, log = defaultLog }: MailerOptions) {
  const outbox = createOutboxRepository(db);

  /** Calls the transport for a claimed (`sending`) row and records the outcome. */
  async function deliver(mail: OutgoingMail, attempts: number): Promise<SentMail> {
    const id = mail.id;
    let providerId: string;
    try {
      ({ providerId } = await transport.send(mail));
    } catch (error) {
      const rejected = isMailRejected(error) || error instanceof InvalidMailError;
      const kind = mailErrorKind(error);
      const recorded = await outbox.recordFailure(id, { rejected, error: messageOf(error), errorKind: kind });
      if (!recorded) {
        const sent = await outbox.get(id);
        if (sent?.status === 'sent') return sent;
      }
      const what = rejected ? 'refused' : 'failed';
      // The provider refusing our key or sender is an alert: nobody but an admin can fix it.
      log(`mail ${id} (${transport.name}, attempt ${attempts}): ${what}${kind === 'account' ? ' (our account or sender: check RESEND_API_KEY and MAIL_FROM)' : ''}: ${messageOf(error)}`,
        kind === 'account' ? 'error' : 'info');
      throw error;
    }
    const sent = await outbox.recordSent(id, providerId);
    log(`mail ${id} sent through ${transport.name} (${providerId}), attempt ${attempts}`, 'info');
    return sent;
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
      await outbox.insert(mail);
      return this.sendStored(mail.id, mail);
    },

    /**
     * Sends the stored row `id` (pending, or sending after an attempt that died): the same outcomes as `send`.
     * `expected`: the e-mail the caller meant, to notice a content that changed since the row was written.
     */
    async sendStored(id: string, expected?: OutgoingMail): Promise<SentMail> {
      const claimed = await outbox.claim(id);
      if (!claimed) {
        const row = await outbox.get(id);
        if (!row) throw new InvalidMailError(`e-mail ${id} not found in the outbox`);
        if (row.status === 'sent') return row;
        throw refusalOf(row.errorKind, `e-mail ${id} was refused earlier: ${row.error ?? 'no reason recorded'}`);
      }
      if (expected && !claimed.mail.retries && !sameContent(claimed.mail, expected)) {
        log(`mail ${id}: its content changed since it was first written; sending the first version`, 'info');
      }
      return deliver(claimed.mail, claimed.attempts);
    },

    /**
     * Makes a refused e-mail sendable again, to `to` when given (the address fixed), under a new idempotency key;
     * `sendStored(id)` then sends it. A `pending` row (retried already: the last attempt may even have been taken by
     * the provider) keeps its key and address, so that sending it again can never send it twice. Null when there is no
     * such row; a sent one is left as it is.
     */
    async requeue(id: string, options: { to?: string[] } = {}): Promise<SentMail | null> {
      return outbox.requeue(id, options.to?.map((a) => a.trim()).filter((a) => a !== ''));
    },

    /** E-mails the provider keeps refusing for reasons of ours (key, sender): an alert until someone fixes it. */
    alerts: () => outbox.alerts(),
    get: (id: string) => outbox.get(id),
    /** Newest first. */
    list: (filter: MailFilter = {}) => outbox.list(filter),
  };
}

export type Mailer = ReturnType<typeof createMailer>;
