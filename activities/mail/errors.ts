// What the mail provider answered when a send failed, sorted by who can fix it:
//
//   MailTransportError      network, 5xx, 409 (idempotent request in progress), 429 (rate limit, quota): retry.
//   MailAccountError        the provider refuses *us* (401/403: a wrong API key, an unverified sender domain; a
//                           sender address it will not take): not the PS's fault. Retried with backoff for as long as
//                           it takes, and raised as an alert (error log, a count in /health) until someone fixes it.
//   MailAddressRefusedError the provider refuses the *recipient's address* (a validation error on `to`): retrying
//                           cannot help; the workflow hands the claim to a manager with the reason.
//   MailRejectedError       any other permanent refusal of the e-mail (4xx): retrying cannot help either.
//   InvalidMailError        the e-mail we built is malformed (no recipient, bad id): not worth retrying.
//
// Temporal reads `error.name` as the failure type: the workflows inspect it (workflows/contract.ts MAIL_FAILURES).

import { AppError } from '../../rules/errors.js';

abstract class ProviderError extends AppError {
  readonly status: number | null;
  /** The provider's error name (`validation_error`…). */
  readonly providerCode: string | null;
  constructor(message: string, options: { status?: number | null; code?: string | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status ?? null;
    this.providerCode = options.code ?? null;
  }
}

export class MailTransportError extends ProviderError {
  override readonly name = 'MailTransportError';
  readonly code = 'mail_transport';
  override readonly retryable = true;
}

export class MailAccountError extends ProviderError {
  override readonly name = 'MailAccountError';
  readonly code = 'mail_account';
  override readonly retryable = true;
}

export class MailRejectedError extends ProviderError {
  override readonly name: string = 'MailRejectedError';
  readonly code: string = 'mail_rejected';
}

export class MailAddressRefusedError extends MailRejectedError {
  override readonly name = 'MailAddressRefusedError';
  override readonly code = 'mail_address_refused';
}

export class InvalidMailError extends AppError {
  override readonly name = 'InvalidMailError';
  readonly code = 'invalid_mail';
}

/** A refusal for good (the row is `failed` until someone retries it): MailRejectedError or MailAddressRefusedError. */
export function isMailRejected(error: unknown): error is MailRejectedError {
  return error instanceof MailRejectedError;
}

/** What an outbox row records of its last failure (`outbox.error_kind`). */
export type { MailErrorKind } from '../../db/outbox.js';
import type { MailErrorKind } from '../../db/outbox.js';

export function mailErrorKind(error: unknown): MailErrorKind {
  if (error instanceof MailAddressRefusedError) return 'address';
  if (error instanceof MailRejectedError) return 'rejected';
  if (error instanceof MailAccountError) return 'account';
  if (error instanceof InvalidMailError) return 'invalid';
  return 'transport';
}

/** The refusal recorded on a `failed` row, thrown again to a caller that sends it once more. */
export function refusalOf(kind: string | null, message: string): MailRejectedError {
  return kind === 'address' ? new MailAddressRefusedError(message) : new MailRejectedError(message);
}

/**
 * How a provider's HTTP answer is classified (Resend's statuses and names; see the table above).
 * `message` is read for a 400/422 to tell a refused recipient from another invalid field.
 */
export function classifyProviderError(status: number | null, name: string | null, message: string): 'transport' | 'account' | 'address' | 'rejected' {
  if (status === null || status >= 500 || status === 409 || status === 429 || status < 400) return 'transport';
  if (status === 401 || status === 403) return 'account';
  if (name === 'invalid_from_address' || /`from`|\bfrom\b|sender|domain/i.test(message)) return 'account';
  if (/`to`|\bto\b field|recipient|e-?mail address|adresse/i.test(message)) return 'address';
  return 'rejected';
}

/** The error to throw for a provider's answer (`message`: the provider's own words; `prefix`: who answered). */
export function providerError(status: number | null, name: string | null, message: string, prefix = ''): ProviderError {
  const options = { status, code: name };
  const text = `${prefix}${message}`;
  switch (classifyProviderError(status, name, message)) {
    case 'transport': return new MailTransportError(text, options);
    case 'account': return new MailAccountError(text, options);
    case 'address': return new MailAddressRefusedError(text, options);
    case 'rejected': return new MailRejectedError(text, options);
  }
}
