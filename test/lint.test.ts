// ESLint over the whole tree (eslint.config.js): typescript-eslint's recommended rules, the layers of the code as
// import rules, and the determinism of workflows/ and rules/ (no Node module, clock, randomness, process or timer).

import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

/** `line: rule` of each problem ESLint finds in `source` as if it were the file `path`. */
async function problems(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(root, path) });
  return [...new Set(result!.messages.map((m) => `${m.line}: ${m.ruleId}`))];
}

describe('eslint', () => {
  it('finds nothing in the tree', async () => {
    const results = await eslint.lintFiles(['.']);
    const formatted = await (await eslint.loadFormatter('stylish')).format(results.filter((r) => r.errorCount + r.warningCount > 0));
    expect(formatted).toBe('');
  }, 180_000);

  it('keeps workflow code deterministic', async () => {
    const bad = [
      "import { readFile } from 'node:fs';",
      "import postgres from 'postgres';",
      "import type { Client } from '@temporalio/client';",
      "import { sleep } from '@temporalio/workflow';",
      'export const t = Date.now();',
      'export const d = new Date();',
      'export const r = Math.random();',
      'export const e = process.env.X;',
      'setTimeout(() => 1, 10);',
      "export const ok = new Date('2016-02-23');",
      'void readFile; void postgres; void sleep;',
      'export type C = Client;',
    ].join('\n');
    expect(await problems('workflows/bad.ts', bad)).toEqual([
      '1: @typescript-eslint/no-restricted-imports',
      '2: @typescript-eslint/no-restricted-imports',
      '3: @typescript-eslint/no-restricted-imports',
      '5: no-restricted-properties',
      '6: no-restricted-syntax',
      '7: no-restricted-properties',
      '8: no-restricted-syntax',
      '9: no-restricted-syntax',
    ]);
  });

  it('refuses an import from a higher layer', async () => {
    expect(await problems('rules/bad.ts', "import { openDatabase } from '../db/client.js';\nvoid openDatabase;\n")).toEqual(['1: @typescript-eslint/no-restricted-imports']);
    expect(await problems('db/bad.ts', "import { invoiceWorkflow } from '../workflows/invoice.js';\nvoid invoiceWorkflow;\n")).toEqual(['1: @typescript-eslint/no-restricted-imports']);
    expect(await problems('activities/bad.ts', "import { buildApp } from '../api/app.js';\nvoid buildApp;\n")).toEqual(['1: @typescript-eslint/no-restricted-imports']);
    expect(await problems('activities/bad.ts', "import { invoiceWorkflow } from '../workflows/invoice.js';\nvoid invoiceWorkflow;\n")).toEqual(['1: @typescript-eslint/no-restricted-imports']);
    expect(await problems('workflows/bad.ts', "import { createActivities } from '../activities/index.js';\nvoid createActivities;\n")).toEqual(['1: @typescript-eslint/no-restricted-imports']);
    // The loggers (logging.ts): for every layer but rules/ and workflows/; and they import nothing above config.ts and rules/.
    const logs = "import { createLogger } from '../logging.js';\nvoid createLogger;\n";
    expect(await problems('rules/bad.ts', logs)).toEqual(['1: @typescript-eslint/no-restricted-imports']);
    expect(await problems('workflows/bad.ts', logs)).toEqual(['1: @typescript-eslint/no-restricted-imports']);
    for (const layer of ['db', 'activities', 'api']) expect(await problems(`${layer}/ok.ts`, logs)).toEqual([]);
    expect(await problems('logging.ts', "import { openDatabase } from './db/client.js';\nvoid openDatabase;\n")).toEqual(['1: @typescript-eslint/no-restricted-imports']);
    // What the layers allow.
    expect(await problems('activities/ok.ts', "import { invoiceWorkflowId } from '../workflows/contract.js';\nimport { openDatabase } from '../db/client.js';\nvoid invoiceWorkflowId; void openDatabase;\n")).toEqual([]);
    expect(await problems('workflows/ok.ts', "import type { createActivities } from '../activities/index.js';\nexport type A = typeof createActivities;\n")).toEqual([]);
  });
});
