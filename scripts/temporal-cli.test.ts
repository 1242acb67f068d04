import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { ensureTemporalCli, findOnPath, freePort, startDevServer } from './temporal-cli.js';

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
    expect(await ensureTemporalCli((line) => log.push(line), loadConfig(process.env).tools)).toBe(fake);
    expect(log).toEqual([]);
  });

  it('refuses a TEMPORAL_CLI that is not executable', async () => {
    process.env.TEMPORAL_CLI = join(dir, 'not-executable');
    await expect(ensureTemporalCli(() => undefined, loadConfig(process.env).tools)).rejects.toThrow(/not an executable file/);
  });

  it('then takes `temporal` from PATH', async () => {
    delete process.env.TEMPORAL_CLI;
    process.env.PATH = `/nonexistent:${dir}:${saved.PATH}`;
    expect(await ensureTemporalCli(() => undefined, loadConfig(process.env).tools)).toBe(fake);
  });

  it('otherwise builds it with go install into the tools folder, streaming go\'s output', async () => {
    delete process.env.TEMPORAL_CLI;
    const goDir = join(dir, 'go-bin');
    const binDir = join(dir, 'tools-bin');
    mkdirSync(goDir);
    // A stand-in for go: checks its arguments, then "builds" into $GOBIN.
    writeFileSync(join(goDir, 'go'), [
      '#!/bin/sh',
      '[ "$1 $2" = "install github.com/temporalio/cli/cmd/temporal@v1.5.1" ] || exit 3',
      'echo "go: downloading go.temporal.io/server v1.29.1" >&2',
      'mkdir -p "$GOBIN" && printf "#!/bin/sh\\n" > "$GOBIN/temporal" && chmod +x "$GOBIN/temporal"',
    ].join('\n'));
    chmodSync(join(goDir, 'go'), 0o755);
    const log: string[] = [];
    const binary = await ensureTemporalCli((line) => log.push(line), { binDir, searchPath: goDir, goRoots: [] });
    expect(binary).toBe(join(binDir, 'temporal'));
    expect(log[0]).toMatch(/^Building the Temporal CLI, this takes a few minutes the first time/);
    expect(log).toContain('  go: downloading go.temporal.io/server v1.29.1');
    expect(log.at(-1)).toMatch(/^Temporal CLI built in \d+ s: /);
    // Once built, it is simply found.
    expect(await ensureTemporalCli(() => undefined, { binDir, searchPath: '', goRoots: [] })).toBe(binary);
  });

  it('reports a failed build', async () => {
    delete process.env.TEMPORAL_CLI;
    const goDir = join(dir, 'failing-go');
    mkdirSync(goDir);
    writeFileSync(join(goDir, 'go'), '#!/bin/sh\necho "go: module lookup disabled" >&2\nexit 1\n');
    chmodSync(join(goDir, 'go'), 0o755);
    const log: string[] = [];
    await expect(ensureTemporalCli((line) => log.push(line), { binDir: join(dir, 'nothing'), searchPath: goDir, goRoots: [] }))
      .rejects.toThrow(/go install github.com\/temporalio\/cli\/cmd\/temporal@v1.5.1 failed \(exit 1\)/);
    expect(log).toContain('  go: module lookup disabled');
  });

  it('returns null without a CLI and without Go (the SDK then downloads its dev server)', async () => {
    delete process.env.TEMPORAL_CLI;
    const log: string[] = [];
    expect(await ensureTemporalCli((line) => log.push(line), { binDir: join(dir, 'empty'), searchPath: '', goRoots: [] }))
      .toBeNull();
    expect(log).toEqual(["No Temporal CLI and no Go toolchain: falling back to the SDK's download of the dev server."]);
  });

  it('findOnPath skips missing and non-executable entries', () => {
    expect(findOnPath('temporal', `/nonexistent::${dir}`)).toBe(fake);
    expect(findOnPath('not-executable', dir)).toBeNull();
  });
});

describe('startDevServer', () => {
  it('reports a server that exits at once, with its output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'temporal-exit-'));
    const binary = join(dir, 'temporal');
    writeFileSync(binary, '#!/bin/sh\necho "listen tcp: address already in use" >&2\nexit 1\n');
    chmodSync(binary, 0o755);
    try {
      await expect(startDevServer({ binary, port: await freePort(), uiPort: false, log: () => undefined }))
        .rejects.toThrow(/temporal server start-dev exited \(1\):\nlisten tcp: address already in use/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
