// The README's first command on a fresh data folder: `npm start` starts the dev server, the database with the demo
// data, the worker and the API; an example submitted with `npm run submit` is decided; SIGTERM stops it all.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../scripts/temporal-cli.js';

const root = join(import.meta.dirname, '..');

describe('npm start', () => {
  it('runs the whole product on embedded defaults', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tp-start-'));
    const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort) };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => { output += d; });
    child.stderr!.on('data', (d) => { output += d; });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      for (let i = 0; ; i++) {
        if (output.includes('Rejets TP Simple is running')) break;
        if (child.exitCode != null || i > 600) throw new Error(`npm start did not come up:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(output).toContain(`OpenAPI      http://127.0.0.1:${port}/docs`);
      expect(output).toContain(`Temporal UI  http://127.0.0.1:${uiPort}`);
      expect(output).toContain('Loaded the demo reference data');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);

      const submitter = /submitter\s+(tpr_\S+)/.exec(output)?.[1];
      expect(submitter, 'a submitter key printed at first start').toBeTruthy();
      const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/submit.ts', 'examples/cases/a_controler.json', 'examples/cases/paid.json'], {
        cwd: root, env: { ...process.env, API_URL: `http://127.0.0.1:${port}`, API_KEY: submitter },
      });
      expect(stdout).toMatch(/a_controler\.json: \d{10} → awaiting_manager · a_controler · manager/);
      expect(stdout).toMatch(/paid\.json: 2901122334 → paid/);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
