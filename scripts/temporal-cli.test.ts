import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureTemporalCli, findOnPath } from './temporal-cli.js';

describe('ensureTemporalCli', () => {
  const saved = { PATH: process.env.PATH, TEMPORAL_CLI: process.env.TEMPORAL_CLI };
  let dir: string;
  let fake: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'temporal-cli-'));
    fake = join(dir, 'temporal');
    writeFileSync(fake, '#!/bin/sh\necho fake\n');
    chmodSync(fake, 0o755);
    writeFileSync(join(dir, 'not-executable'), '');
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.TEMPORAL_CLI === undefined) delete process.env.TEMPORAL_CLI;
    else process.env.TEMPORAL_CLI = saved.TEMPORAL_CLI;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers TEMPORAL_CLI, without building anything', async () => {
    process.env.TEMPORAL_CLI = fake;
    const log: string[] = [];
    expect(await ensureTemporalCli((line) => log.push(line))).toBe(fake);
    expect(log).toEqual([]);
  });

  it('refuses a TEMPORAL_CLI that is not executable', async () => {
    process.env.TEMPORAL_CLI = join(dir, 'not-executable');
    await expect(ensureTemporalCli(() => undefined)).rejects.toThrow(/not an executable file/);
  });

  it('then takes `temporal` from PATH', async () => {
    delete process.env.TEMPORAL_CLI;
    process.env.PATH = `/nonexistent:${dir}:${saved.PATH}`;
    expect(await ensureTemporalCli(() => undefined)).toBe(fake);
  });

  it('findOnPath skips missing and non-executable entries', () => {
    expect(findOnPath('temporal', `/nonexistent::${dir}`)).toBe(fake);
    expect(findOnPath('not-executable', dir)).toBeNull();
  });
});
