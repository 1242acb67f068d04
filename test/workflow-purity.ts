// The determinism check of workflow code: every module the workflows import (transitively, within the repo)
// must be free of Node built-ins, I/O packages, clocks and randomness. Deterministic alternatives exist in
// @temporalio/workflow (sleep, uuid4, workflowInfo) — the SDK even patches Date and Math.random, but the
// rule here is stricter: workflow code and rules/ never read a clock at all ("today" is `receivedOn`).

import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Packages a workflow module may import. */
const ALLOWED_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];
const FORBIDDEN_CALLS: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew\s+Date\s*\(/, 'new Date()'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\bprocess\./, 'process.*'],
  [/\b(setTimeout|setInterval|setImmediate)\s*\(/, 'timers (use sleep from @temporalio/workflow)'],
  [/\brequire\s*\(/, 'require()'],
];

export interface Violation { file: string; line: number; problem: string }

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Checks one module's source; returns its violations and the relative modules it imports at run time. */
export function checkSource(file: string, source: string): { violations: Violation[]; imports: string[] } {
  const code = stripComments(source);
  const violations: Violation[] = [];
  const imports: string[] = [];
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;
  for (const m of code.matchAll(IMPORT)) {
    const typeOnly = Boolean(m[2]);
    const spec = m[3] ?? m[4] ?? m[5];
    if (!spec || typeOnly) continue;
    const at = lineOf(m.index! + (m[0].startsWith('\n') ? 1 : 0));
    if (spec.startsWith('.')) imports.push(spec);
    else if (NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0])) violations.push({ file, line: at, problem: `imports the Node module « ${spec} »` });
    else if (!ALLOWED_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))) violations.push({ file, line: at, problem: `imports the package « ${spec} »` });
  }
  code.split('\n').forEach((text, i) => {
    for (const [pattern, what] of FORBIDDEN_CALLS) if (pattern.test(text)) violations.push({ file, line: i + 1, problem: `uses ${what}` });
  });
  return { violations, imports };
}

/** Walks the workflow modules from `entry`, following relative run-time imports. */
export function checkWorkflowModules(entry: string, root: string): { violations: Violation[]; modules: string[] } {
  const seen = new Set<string>();
  const violations: Violation[] = [];
  const visit = (path: string) => {
    const file = path.replace(/\.js$/, '.ts');
    if (seen.has(file)) return;
    seen.add(file);
    const result = checkSource(relative(root, file), readFileSync(file, 'utf8'));
    violations.push(...result.violations);
    for (const spec of result.imports) visit(resolve(dirname(file), spec));
  };
  visit(entry);
  return { violations, modules: [...seen].map((f) => relative(root, f)).sort() };
}
