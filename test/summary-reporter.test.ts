// The closing line of test/summary-reporter.ts on a real vitest run of fixture files: a failed beforeAll or
// afterAll, and a file that cannot be loaded, are failures, not « skipped ».

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'summary-reporter-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function vitest(files: string[]): Promise<{ code: number; stdout: string }> {
  const config = join(scratch, `vitest.${files.join('-')}.config.mjs`);
  writeFileSync(config, `export default ${JSON.stringify({
    test: {
      root: join(REPO, 'test/fixtures/summary-reporter'),
      include: ['*.fixture.ts'],
      pool: 'forks',
      reporters: [join(REPO, 'test/summary-reporter.ts')],
    },
  })};\n`);
  try {
    const { stdout } = await promisify(execFile)('npx', ['vitest', 'run', '--config', config, ...files], { cwd: REPO });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1);

it('a failed beforeAll, a failed afterAll and a file that cannot be loaded are counted failed', async () => {
  const run = await vitest(['failing-hook', 'failing-after', 'broken', 'passing']);
  expect(run.code).toBe(1);
  // passed: failing-after's test and passing's; failed: the two hooks and the broken file; skipped: the two tests
  // behind the failed beforeAll and the one skipped on purpose.
  expect(lastLine(run.stdout)).toBe('2 passed, 3 failed, 3 skipped');
}, 60_000);

it('a run that passes says 0 failed', async () => {
  const run = await vitest(['passing']);
  expect(run.code).toBe(0);
  expect(lastLine(run.stdout)).toBe('1 passed, 0 failed, 1 skipped');
}, 60_000);
