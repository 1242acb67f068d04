// The secret signing the console's session cookies: SESSION_SECRET, else a random one kept in
// `<dataDir>/session-secret` (mode 0600) so that sessions survive restarts. Set SESSION_SECRET when several API
// replicas serve the same console, or when the data directory is not persistent.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Environment } from '../config.js';
import { MIN_SESSION_SECRET_LENGTH } from './auth.js';

export const SESSION_SECRET_FILE = 'session-secret';

export interface SessionSecretSource {
  /** SESSION_SECRET (the Config's `sessionSecret`); unset: the one kept in `dataDir`. */
  secret?: string;
  /** Instead of `secret`: an environment, read by config.ts (tests). */
  env?: Environment;
  /** Where the generated secret is kept (the Config's `dataDir`); created if missing. */
  dataDir: string;
}

export function loadSessionSecret(source: SessionSecretSource): string {
  const { dataDir } = source;
  const fromEnv = source.env ? loadConfig(source.env).sessionSecret : source.secret;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_SESSION_SECRET_LENGTH) {
      throw new Error(`SESSION_SECRET must have at least ${MIN_SESSION_SECRET_LENGTH} characters (e.g. openssl rand -base64 32)`);
    }
    return fromEnv;
  }

  const file = join(dataDir, SESSION_SECRET_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': never overwrite a secret another process has just written.
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SESSION_SECRET_LENGTH) {
    throw new Error(`${file} holds a secret shorter than ${MIN_SESSION_SECRET_LENGTH} characters: delete it to have a new one generated`);
  }
  return secret;
}
