// The version of the rules a worker runs: the package version and a content hash of `rules/`'s sources and tables
// (tests and test helpers left out), computed once when the worker starts and returned by the activities that run
// the rules — the workflow sandbox cannot read files. Two workers with the same rules give the same version; a
// changed threshold, motif or reply text gives another, whatever the package version says.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RULES = join(ROOT, 'rules');

/** The files that make the rules: `rules/**` sources and data, without tests and test helpers. */
export function rulesFiles(dir = RULES): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testing') files.push(...rulesFiles(path));
    } else if (/\.(ts|js|json|csv)$/.test(entry.name) && !/\.(test|spec)\.ts$/.test(entry.name)) {
      files.push(path);
    }
  }
  return files.sort();
}

/** `<package version>+<first 12 hex digits of the SHA-256 of the rules' files>`, e.g. `0.1.0+3f9a0c41d2e7`. */
export function computeRulesVersion(root = ROOT): string {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const hash = createHash('sha256');
  for (const file of rulesFiles(join(root, 'rules'))) {
    // The path relative to rules/, with forward slashes: the same hash on every platform and checkout.
    hash.update(relative(join(root, 'rules'), file).split(sep).join('/')).update('\0');
    hash.update(readFileSync(file)).update('\0');
  }
  return `${version}+${hash.digest('hex').slice(0, 12)}`;
}

let current: string | null = null;

/** This process' rules version (computed on first use: at worker start, `worker.ts`). */
export function rulesVersion(): string {
  current ??= computeRulesVersion();
  return current;
}
