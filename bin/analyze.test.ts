// `npm run analyze` as a user runs it: a real process, its stdout, stderr and exit code.

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { baseCase } from '../rules/testing/cases.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'analyze-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const analyze = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'bin/analyze.ts', ...args], { cwd: join(import.meta.dirname, '..') });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('npm run analyze', () => {
  it('prints one JSON result per line, in order, and exits 0', async () => {
    const paid = file('paid.json', baseCase());
    const late = baseCase();
    late.receivedOn = '2019-01-01';
    const r = await analyze(paid, file('late.json', { case: late, expected: {} }), paid);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.motif)).toEqual([null, 'facture_plus_2_ans', null]);
    expect(lines[1]).toMatchObject({ outcome: 'rejected', route: 'practitioner', email: 'contact@ide-parc.example.org' });
    expect(Object.keys(lines[0])).toEqual([
      'outcome', 'motif', 'detail', 'error', 'date', 'comment', 'route', 'email', 'humanTask', 'waitsForDecision', 'dematerialise', 'reply', 'trace',
    ]);
  }, 60_000);

  it('invalid JSON or invalid fields → exit 2, each bad field named, nothing on stdout', async () => {
    const bad = baseCase() as unknown as { invoice: Record<string, unknown> };
    bad.invoice.archiveKey = '12';
    (bad.invoice.beneficiary as Record<string, unknown>).nir = 'ABC';
    const r = await analyze(file('ok.json', baseCase()), file('bad.json', bad), file('broken.json', '{"receivedOn":'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('invoice.archiveKey: doit comporter 10 chiffres');
    expect(r.stderr).toContain('invoice.beneficiary.nir: doit comporter 13 caractères');
    expect(r.stderr).toMatch(/broken\.json: invalid JSON/);
  }, 60_000);

  it('no file, or a missing one → exit 2 with a usage or a reason', async () => {
    expect((await analyze()).code).toBe(2);
    const r = await analyze(join(dir, 'nope.json'));
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toContain('file not found');
  }, 60_000);
});
