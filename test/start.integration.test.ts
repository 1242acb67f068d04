// The README's first command on a fresh data folder: `npm start` starts the dev server, the database with the demo
// data, the worker and the API; an example submitted with `npm run submit` is decided; SIGTERM stops it all.
// Its output is not a terminal here: the dev keys go into <DATA_DIR>/dev-keys.txt (0600), never into the output,
// which carries the API's request log (NIR-free, see api/logging.test.ts).

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { probeTemporalUi } from './temporal-ui.js';
import { lowFreePort } from '../scripts/temporal-cli.js';

const root = join(import.meta.dirname, '..');
const A_CONTROLER_NIR = '1960549494225'; // examples/cases/a_controler.json
const chromiumPath = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Every file and folder under `dir`, with its permission bits. */
function modesOf(dir: string): { path: string; mode: number; directory: boolean }[] {
  const out = [{ path: dir, mode: statSync(dir).mode & 0o777, directory: true }];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...modesOf(path));
    else if (entry.isFile()) out.push({ path, mode: statSync(path).mode & 0o777, directory: false });
  }
  return out;
}

describe('npm start', () => {
  it('runs the whole product on embedded defaults', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tp-start-'));
    // Outside the ephemeral range: npm start binds them seconds later, while the suite opens connections all along.
    const [port, temporalPort, uiPort] = [await lowFreePort(), await lowFreePort(), await lowFreePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort) };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => { output += d; });
    child.stderr!.on('data', (d) => { output += d; });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let cameUp = false;
    try {
      for (let i = 0; ; i++) {
        if (output.includes('Rejets TP Simple is running')) break;
        if (child.exitCode != null || i > 600) throw new Error(`npm start did not come up:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      cameUp = true;
      expect(output).toContain(`OpenAPI      http://127.0.0.1:${port}/docs`);
      expect(output).toContain(`Temporal UI  http://127.0.0.1:${port}/temporal/`);
      expect(output).toContain('Loaded the demo reference data');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);

      const keysFile = join(dataDir, 'dev-keys.txt');
      expect(output).toContain(`API keys: written to ${keysFile} (mode 0600`);
      expect(statSync(keysFile).mode & 0o777).toBe(0o600);
      const submitter = /submitter\s+(tpr_\S+)/.exec(readFileSync(keysFile, 'utf8'))?.[1];
      expect(submitter, 'a submitter key written at first start').toBeTruthy();
      const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/submit.ts', 'examples/cases/a_controler.json', 'examples/cases/paid.json'], {
        cwd: root, env: { ...process.env, API_URL: `http://127.0.0.1:${port}`, API_KEY: submitter },
      });
      expect(stdout).toMatch(/a_controler\.json: \d{10} → awaiting_manager · a_controler · manager/);
      expect(stdout).toMatch(/paid\.json: 2901122334 → paid/);
      // The API logs its requests (at info level), without the keys.
      expect(output).toMatch(/"msg":"request completed"/);
      expect(output).not.toContain('tpr_');

      // The Temporal UI under the console's origin: decoded for a logged-in manager, ciphertext for anyone else.
      const manager = /manager\s+(tpr_\S+)/.exec(readFileSync(keysFile, 'utf8'))?.[1];
      if (chromiumPath) {
        const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
        try {
          const ui = await probeTemporalUi(browser, {
            base: `http://127.0.0.1:${port}`, direct: `http://127.0.0.1:${uiPort}/temporal`, managerKey: manager!, submitterKey: submitter!,
            workflowId: 'invoice-2901122401', secret: A_CONTROLER_NIR,
          });
          expect(ui).toMatchObject({
            redirectedToLogin: true, decodedForManager: true, directShowsWorkflow: true, directShowsSecret: false,
            submitterStatus: 403, anonymousStatus: 401,
          });
          expect(ui.codecStatuses.proxied.length).toBeGreaterThan(0);
          expect(new Set(ui.codecStatuses.proxied)).toEqual(new Set([200]));
          expect(new Set(ui.codecStatuses.direct)).toEqual(new Set([401]));
        } finally {
          await browser.close();
        }
      }
    } finally {
      child.kill('SIGTERM');
      // When it never came up, the error above (with its output) is the one to read.
      if (cameUp) expect(await exited, output.slice(-2000)).toBe(0);
      // The data folder is the user's alone, and Temporal's state holds no personal data in clear.
      expect(modesOf(dataDir).filter((m) => m.mode !== (m.directory ? 0o700 : 0o600))).toEqual([]);
      for (const file of readdirSync(dataDir).filter((f) => f.startsWith('temporal.db'))) {
        const bytes = readFileSync(join(dataDir, file)).toString('latin1');
        expect(bytes.includes(A_CONTROLER_NIR) || bytes.includes('LEFEVRE'), `${file} holds a NIR or a name in clear`).toBe(false);
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
