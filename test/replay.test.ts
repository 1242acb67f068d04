// Auditors' replay: every committed history (test/histories/) replays with the current workflow code, so a
// workflow change that would break running invoices fails here. And the replay does catch a divergence.

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { ephemeralKeyring } from '../activities/encryption.js';
import { dataConverterFromEnv } from '../temporal.js';
import { workflowBundle } from '../worker.js';

const dir = join(import.meta.dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const idOf = (file: string) => file.split('.')[0];
// The production data converter: payloads in clear (histories recorded before encryption) decode as they are.
const dataConverter = dataConverterFromEnv({ PAYLOAD_KEYS: ephemeralKeyring() });

describe('committed workflow histories', () => {
  it('there are some', () => expect(files.length).toBeGreaterThanOrEqual(4));

  it.each(files)('%s replays with the current workflow code', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter }, history, idOf(file));
  }, 60_000);

  it('a history that diverges from the code is reported as non-deterministic', async () => {
    const json = JSON.parse(readFileSync(join(dir, files[0]), 'utf8'));
    const scheduled = json.events.find((e: { activityTaskScheduledEventAttributes?: unknown }) => e.activityTaskScheduledEventAttributes);
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'someOtherActivity';
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter }, historyFromJSON(json), idOf(files[0])))
      .rejects.toBeInstanceOf(DeterminismViolationError);
  }, 60_000);
});

describe('npm run replay -- --file', () => {
  const run = promisify(execFile);
  const replay = async (...args: string[]) => {
    try {
      const { stdout } = await run('npx', ['tsx', 'bin/replay.ts', ...args], { cwd: join(import.meta.dirname, '..') });
      return { code: 0, stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string };
      return { code: e.code, stdout: e.stdout };
    }
  };

  it('exit 0 on the committed histories, 1 on a divergent one, 2 on an unreadable file', async () => {
    const ok = await replay('--file', ...files.map((f) => join(dir, f)));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`${files.length} replayed, 0 failed`);

    const tmp = mkdtempSync(join(tmpdir(), 'replay-'));
    const json = JSON.parse(readFileSync(join(dir, files[0]), 'utf8'));
    json.events.find((e: { activityTaskScheduledEventAttributes?: unknown }) => e.activityTaskScheduledEventAttributes)
      .activityTaskScheduledEventAttributes.activityType.name = 'someOtherActivity';
    writeFileSync(join(tmp, files[0]), JSON.stringify(json));
    const bad = await replay('--file', join(tmp, files[0]));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('NON-DETERMINISTIC');

    writeFileSync(join(tmp, 'junk.json'), 'not json');
    expect((await replay('--file', join(tmp, 'junk.json'))).code).toBe(2);
  }, 120_000);
});
