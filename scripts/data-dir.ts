// The data folder of the embedded default (DATA_DIR, .data/) holds health data: PGlite's files, temporal.db, the
// e-mail files (a bordereau carries a NIR), the payload keys and the session secret. It is the user's alone: the
// folder and every folder in it 0700, every file 0600 — including those an older version created 0644.

import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Sets 0700 on `dir` and the folders in it and 0600 on its files (symbolic links are left alone). */
export function restrictDataDir(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) restrictDataDir(path);
    else if ((lstatSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}

/**
 * On Ctrl-C or SIGTERM, once: `stop()`, then the data folder's modes taken back (files created meanwhile), then exit 0.
 * For the commands that run the whole product in the foreground (npm start, npm run cluster).
 */
export function stopOnSignals(dataDir: string, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handle = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    await stop(signal);
    restrictDataDir(dataDir);
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void handle(signal));
}
