// E-mail settings (README « Configuration »): MAIL_FROM, MANAGERS_EMAIL, RESEND_API_KEY, RESEND_BASE_URL, DATA_DIR,
// read by config.ts into the Config's `mail`. The transport is chosen by `transportFor` (mailer.ts).

import { join } from 'node:path';
import { DEFAULT_DATA_DIR } from '../../config.js';

export { DEFAULT_DATA_DIR, DEFAULT_MAIL_FROM, DEFAULT_MANAGERS_EMAIL, type MailConfig } from '../../config.js';
/** MO §4: « Mettre en Copie Conforme Cachée « Ccc : » l'adresse service.azur@almerys.com » (never in Cc). */
export const ALMERYS_BCC = 'service.azur@almerys.com';

/** The file transport's folder when DATA_DIR is not set. */
export const DEFAULT_OUTBOX_DIR = join(DEFAULT_DATA_DIR, 'outbox');
