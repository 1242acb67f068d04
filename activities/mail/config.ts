// E-mail settings and their defaults (README « Configuration »): MAIL_FROM, MANAGERS_EMAIL, RESEND_API_KEY,
// RESEND_BASE_URL, DATA_DIR. The transport is chosen by `transportFromEnv` (mailer.ts).

import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Sender of every e-mail (PS replies and escalations). */
export const DEFAULT_MAIL_FROM = 'Service Prestations Tiers-Payant <tiers-payant@almerys.example>';
/** Where escalations of overdue manager tasks go. */
export const DEFAULT_MANAGERS_EMAIL = 'gestionnaires@almerys.example';
/** MO §4: « Mettre en Copie Conforme Cachée « Ccc : » l'adresse service.azur@almerys.com » (never in Cc). */
export const ALMERYS_BCC = 'service.azur@almerys.com';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.data');
/** The file transport's folder when DATA_DIR is not set. */
export const DEFAULT_OUTBOX_DIR = join(DEFAULT_DATA_DIR, 'outbox');

export interface MailConfig {
  from: string;
  /** MANAGERS_EMAIL, split on commas. */
  managers: string[];
  /** Set: e-mails go through Resend; unset: they are written under `outboxDir`. */
  resendApiKey: string | undefined;
  resendBaseUrl: string | undefined;
  outboxDir: string;
}

function splitAddresses(value: string): string[] {
  return value.split(',').map((a) => a.trim()).filter((a) => a !== '');
}

export function mailConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MailConfig {
  const dataDir = env.DATA_DIR ? (isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(env.DATA_DIR)) : DEFAULT_DATA_DIR;
  const managers = splitAddresses(env.MANAGERS_EMAIL ?? '');
  return {
    from: env.MAIL_FROM?.trim() || DEFAULT_MAIL_FROM,
    managers: managers.length > 0 ? managers : [DEFAULT_MANAGERS_EMAIL],
    resendApiKey: env.RESEND_API_KEY?.trim() || undefined,
    resendBaseUrl: env.RESEND_BASE_URL?.trim() || undefined,
    outboxDir: join(dataDir, 'outbox'),
  };
}
