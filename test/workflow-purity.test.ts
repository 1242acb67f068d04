import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, checkWorkflowModules } from './workflow-purity.js';

const root = join(import.meta.dirname, '..');

describe('workflow determinism check', () => {
  it('the workflows and everything they import (rules/) use no Node module, clock or randomness', () => {
    const { violations, modules } = checkWorkflowModules(join(root, 'workflows', 'index.ts'), root);
    expect(modules).toEqual(expect.arrayContaining(['workflows/invoice.ts', 'rules/analyze.ts', 'rules/steps/g6-check-rights-at-care-date.ts']));
    expect(violations).toEqual([]);
  });

  it('catches each kind of violation', () => {
    const bad = [
      "import { readFile } from 'node:fs';",
      "import fs from 'fs';",
      "import postgres from 'postgres';",
      "import type { Client } from '@temporalio/client';",
      "import { sleep } from '@temporalio/workflow';",
      'const t = Date.now();',
      'const d = new Date();',
      'const r = Math.random();',
      'const e = process.env.X;',
      'setTimeout(() => 1, 10);',
      '// Date.now() in a comment is fine',
    ].join('\n');
    const problems = checkSource('bad.ts', bad).violations.map((v) => `${v.line}: ${v.problem}`);
    expect(problems).toEqual([
      '1: imports the Node module « node:fs »',
      '2: imports the Node module « fs »',
      '3: imports the package « postgres »',
      '6: uses Date.now()',
      '7: uses new Date()',
      '8: uses Math.random()',
      '9: uses process.*',
      '10: uses timers (use sleep from @temporalio/workflow)',
    ]);
  });
});
