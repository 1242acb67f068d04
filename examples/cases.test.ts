// Every case file of examples/cases/ (and the spec's own examples, when ../shared is beside the repo) gives its
// expected result. They document the rules and are the demo data set.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCaseFile } from '../rules/case-file.js';
import { analyzeCase, decisionOf } from '../rules/testing/cases.js';

const here = dirname(fileURLToPath(import.meta.url));
const dirs = [join(here, 'cases'), join(here, '..', '..', 'shared', 'spec', 'examples')].filter(existsSync);

describe.each(dirs)('case files in %s', (dir) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  it('exist', () => expect(files.length).toBeGreaterThan(0));
  it.each(files)('%s', async (file) => {
    const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const reading = readCaseFile(json);
    expect(reading.ok ? [] : reading.errors).toEqual([]);
    if (!reading.ok) return;
    const result = await analyzeCase(reading.caseFile);
    const { reply, ...expected } = json.expected;
    expect(decisionOf(result)).toEqual(expected);
    if (reply !== undefined) expect(result.reply).toEqual(reply);
    expect(result.reply === null).toBe(result.outcome === 'paid');
  });
});
