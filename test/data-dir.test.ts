// `npm run api` and `npm run worker` without DATABASE_URL keep their embedded database under DATA_DIR, as npm start
// does; a bad variable stops them at start, naming it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Runs `script` until its output matches `until` or it exits; returns its output and exit code (null: stopped). */
function run(script: string, env: NodeJS.ProcessEnv, until: RegExp): Promise<{ output: string; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve) => {
    const seen = (chunk: Buffer) => {
      output += chunk;
      if (until.test(output)) child.kill('SIGKILL');
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => resolve({ output, code }));
  });
}

function environment(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', TEMPORAL_ADDRESS: '127.0.0.1:1', ...extra };
  delete env.DATABASE_URL;
  return env;
}

describe('the embedded database of npm run api and npm run worker', () => {
  it('npm run api: PGlite under DATA_DIR', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tp-api-data-')), 'data');
    const { output } = await run('api/server.ts', environment(dataDir), /api: .*\n/);
    expect(output).toMatch(/api: listening on/);
    expect(existsSync(join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
  }, 90_000);

  it('npm run worker: PGlite under DATA_DIR, then it waits for Temporal', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tp-worker-data-')), 'data');
    const { output } = await run('worker.ts', environment(dataDir, { WORKER_CONNECT_TIMEOUT: '1s' }), /worker: .*\n/);
    expect(output).toMatch(/worker: .*127\.0\.0\.1:1/);
    expect(existsSync(join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
  }, 90_000);

  it('a bad variable: exit 1 before anything is opened, every bad one named', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tp-bad-config-')), 'data');
    const { output, code } = await run('worker.ts', environment(dataDir, { TASK_SLA: 'two days', WORKER_METRICS_PORT: 'x' }), /$^/);
    expect(code).toBe(1);
    expect(output).toContain('TASK_SLA=« two days »: expected a duration');
    expect(output).toContain('WORKER_METRICS_PORT=« x »: expected a port number');
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);
});
