// npm run analyze -- <case.json> [more.json …]
// One JSON result per line on stdout, in order (spec §8). Exit 0; exit 2 with a message naming each bad field.

import { readFile } from 'node:fs/promises';
import { analyzeInvoice } from '../rules/analyze.js';
import { readCaseFile } from '../rules/case-file.js';
import { createMemoryPorts } from '../rules/memory-ports.js';
import { formatFieldErrors } from '../rules/schema.js';

const files = process.argv.slice(2).filter((a) => a !== '--');
if (files.length === 0) {
  process.stderr.write('usage: npm run analyze -- <case.json> [more.json …]\n');
  process.exit(2);
}

// Every file is read and checked before anything is printed: bad input yields no partial output.
const cases = [];
const problems: string[] = [];
for (const file of files) {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `invalid JSON: ${(err as Error).message}`;
    problems.push(`${file}: ${reason}`);
    continue;
  }
  const reading = readCaseFile(json);
  if (!reading.ok) {
    problems.push(`${file}: invalid case file\n${formatFieldErrors(reading.errors).replace(/^/gm, '  ')}`);
    continue;
  }
  cases.push(reading.caseFile);
}
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(2);
}
for (const c of cases) {
  const { result } = await analyzeInvoice(c.invoice, c.receivedOn, createMemoryPorts(c.reference));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
