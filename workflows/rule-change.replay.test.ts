// A rule change never breaks a waiting workflow: the workflows are bundled with changed rules — a motif's table
// entry (its route and whether it waits for a manager), a reply text, and the analysis' steps (G4 retired, G5 after
// G6) — and every committed history (test/histories/, v1 to v5) still replays. The workflows started since v4 never run the
// rules' order (the analysis is one activity); the ones before replay their loop on a frozen copy of it
// (workflows/legacy-steps.ts). The control: that frozen copy changed the same way, and the step-by-step histories
// no longer replay — the test sees what it guards against. (A mere swap of two steps would go unseen by any replay:
// the SDK matches a local activity's marker by its type, not its arguments.)

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { ephemeralKeyring, FAILURE_CONVERTER_PATH } from '../activities/encryption.js';
import { dataConverterFromEnv } from '../temporal.js';
import { WORKFLOWS_PATH } from '../worker.js';

const ROOT = join(import.meta.dirname, '..');
const HISTORIES = join(ROOT, 'test', 'histories');
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).sort();
const dataConverter = dataConverterFromEnv({ PAYLOAD_KEYS: ephemeralKeyring() });
const tmp = mkdtempSync(join(tmpdir(), 'rule-change-'));

/**
 * A copy of a source file of this repository with `edit` applied, written outside it; its relative imports point
 * back to the real files (absolute paths), so that only this module changes.
 */
function changedCopy(relativePath: string, edit: (source: string) => string): string {
  const original = join(ROOT, relativePath);
  const source = readFileSync(original, 'utf8');
  const changed = edit(source);
  expect(changed, `${relativePath}: the edit changed nothing`).not.toBe(source);
  const absolute = changed.replace(/from '(\.{1,2}\/[^']+)'/g, (_, rel: string) => `from '${join(dirname(original), rel)}'`);
  const file = join(tmp, relativePath.replaceAll('/', '__'));
  writeFileSync(file, absolute);
  return file;
}

/** Bundles the workflows with some modules replaced (`rules/motifs.js` → a changed copy…). */
async function bundleWith(replacements: Record<string, string>): Promise<WorkflowBundleWithSourceMap> {
  const byName = Object.entries(replacements).map(([module, file]) => ({ suffix: `/${module}`, file }));
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    webpackConfigHook: (config) => {
      config.plugins = [...(config.plugins ?? []), {
        apply(compiler: { hooks: { normalModuleFactory: { tap(name: string, f: (factory: never) => void): void } } }) {
          compiler.hooks.normalModuleFactory.tap('rule-change', (factory: { hooks: { beforeResolve: { tap(n: string, f: (data: { request: string; context: string }) => void): void } } }) => {
            factory.hooks.beforeResolve.tap('rule-change', (data) => {
              const resolved = data.request.startsWith('.') ? join(data.context, data.request) : data.request;
              const hit = byName.find((r) => resolved.endsWith(r.suffix));
              if (hit) data.request = hit.file;
            });
          });
        },
      } as never];
      return config;
    },
  });
}

/** The motif table changed: « 100% RO » now returned to a manager, who must decide; its reply text reworded. */
const changedMotifs = () => changedCopy('rules/motifs.ts', (s) =>
  s.replace("motif('ro_100', '100% RO', 'practitioner')", "motif('ro_100', '100% RO', 'manager', [], true)"));
const changedReplies = () => changedCopy('rules/replies.ts', (s) => s.replace('Nous sommes au regret de vous informer', 'Après examen (règles modifiées), nous sommes au regret de vous informer'));
/**
 * The analysis' steps changed: the rights at the care date (G6) looked at before the beneficiary (G5), and the whole
 * invoice's check (G4) retired — a local activity fewer for a workflow that ran one per step.
 */
const changeSteps = (s: string) => {
  const line = (code: string) => new RegExp(`^ {2}\\{ code: '${code}'.*\\n`, 'm').exec(s)![0];
  const [g4, g5, g6] = [line('G4'), line('G5'), line('G6')];
  return s.replace(g4 + g5 + g6, g6 + g5);
};
const changedOrder = () => changedCopy('rules/analyze.ts', changeSteps);

async function replayAll(bundle: WorkflowBundleWithSourceMap, which: string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const file of which) {
    const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
    try {
      await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, history, file.split('.')[0]);
    } catch (error) {
      failed.push(`${file}: ${error instanceof DeterminismViolationError ? 'non-deterministic' : String(error).split('\n')[0]}`);
    }
  }
  return failed;
}

describe('a rule change and the workflows already running', () => {
  it('every committed history replays with a changed motif table, reply text and steps', async () => {
    expect(files.some((f) => f.includes('.v4-'))).toBe(true);
    expect(files.some((f) => f.includes('.v5-'))).toBe(true);
    const bundle = await bundleWith({
      'rules/motifs.ts': changedMotifs(), 'rules/motifs.js': changedMotifs(),
      'rules/replies.ts': changedReplies(), 'rules/replies.js': changedReplies(),
      'rules/analyze.ts': changedOrder(), 'rules/analyze.js': changedOrder(),
    });
    // The changed rules are really in the bundle.
    expect(bundle.code).toContain("'100% RO', 'manager', [], true");
    expect(bundle.code).toContain('règles modifiées');
    expect(await replayAll(bundle, files)).toEqual([]);
  }, 300_000);

  it('control: the step-by-step histories (v1…v3) do not replay when the steps their loop runs change', async () => {
    const frozen = changedCopy('workflows/legacy-steps.ts', (s) => s.replace("'G4', 'G5', 'G6'", "'G6', 'G5'"));
    const bundle = await bundleWith({ 'workflows/legacy-steps.ts': frozen, 'workflows/legacy-steps.js': frozen });
    const stepByStep = files.filter((f) => /\.v[123]-/.test(f) && !f.startsWith('batch-'));
    const failed = (await replayAll(bundle, stepByStep)).map((f) => f.split(':')[0]);
    // Those whose analysis went past G4 diverge — the paid ones at least, which run every step; the v4 and v5 ones do not.
    const paid = stepByStep.filter((f) => f.endsWith('-paid.json') && !f.includes('task'));
    expect(paid.length).toBeGreaterThanOrEqual(3);
    expect(failed).toEqual(expect.arrayContaining(paid));
    expect(await replayAll(bundle, files.filter((f) => /\.v[45]-/.test(f)))).toEqual([]);
  }, 300_000);
});
