// ESLint (flat config): typescript-eslint's recommended rules, and the layers of the code as import rules.
//
//   rules/       the MO's logic, pure: imports nothing of the project
//   config.ts    the configuration (the one reader of process.env): imports nothing of the project; every layer but
//                rules/ and workflows/ may use it
//   logging.ts   the processes' loggers (pino; the NIR's redaction and masking configured once): imports config.ts and
//                rules/ only; every layer but rules/ and workflows/ may use it
//   workflows/   deterministic: rules/, its own files (the contract), and only *types* of activities/
//   db/          repositories: rules/ and db/
//   activities/  side effects: rules/, db/, the workflows' contract
//   api/         the HTTP API: anything below it; nothing but api/ and the entry points imports it
//   temporal.ts  the Temporal clients and data converter of the processes (worker, API, CLIs)
//   entry points worker.ts, scripts/, bin/, bench/, test/: anything
// `npm test` runs it (test/lint.test.ts); `npx eslint .` shows the same.

import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** `../` any number of times, then one of the project's top-level folders or files. */
const up = (...targets) => `^(\\.\\./)+(${targets.join('|')})(/|\\.js$|$)`;
const HIGHER = { api: 'api', entry: 'worker|temporal|scripts|bin|bench|test' };
const message = (layer, allowed) => `${layer} may import ${allowed} only (eslint.config.js: the layers)`;
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** `@typescript-eslint/no-restricted-imports` with the given forbidden patterns. */
function layer(files, patterns, paths = []) {
  return {
    files,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns, paths }] },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tools/**', '.scratch/**', 'test-results/**', 'coverage/**', 'db/migrations/**', 'api/console/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      // Types say what a value is; `any` appears where a test reads JSON.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  layer(['config.ts'], [
    { regex: '^[.]{1,2}/', message: 'config.ts imports nothing of the project: every layer reads it' },
  ]),
  layer(['logging.ts'], [
    { regex: '^[.]{1,2}/(?!config\\.js$|rules/)', message: 'logging.ts may import config.ts and rules/ only: every layer but rules/ and workflows/ logs through it' },
  ]),
  layer(['rules/**/*.ts'], [
    { regex: up('workflows', 'activities', 'db', 'api', 'examples', 'config', 'logging', HIGHER.entry), message: message('rules/', 'rules/ (and libraries)') },
  ], nodeBuiltins.map((name) => ({ name, message: 'rules/ are pure, and run in the workflows\' sandbox: no Node module' }))),
  layer(['db/**/*.ts'], [
    { regex: up('workflows', 'activities', 'api', 'examples', HIGHER.entry), message: message('db/', 'rules/ and db/') },
  ]),
  layer(['activities/**/*.ts'], [
    { regex: up('api', 'examples', HIGHER.entry), message: message('activities/', 'rules/, db/ and the workflows\' contract') },
    { regex: '^(\\.\\./)+workflows/(?!contract\\.js$)', message: message('activities/', 'rules/, db/ and the workflows\' contract') },
  ]),
  {
    // Determinism: the workflows and the rules they run never read a clock, draw a random number, read the process
    // or set a timer (the SDK offers workflowInfo, uuid4 and sleep; « today » is the claim's receivedOn).
    files: ['workflows/**/*.ts', 'rules/**/*.ts'],
    ignores: ['**/*.test.ts', 'rules/testing/**'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'no clock in workflows/ and rules/ (workflowInfo, or the claim\'s receivedOn)' },
        { object: 'Math', property: 'random', message: 'no randomness in workflows/ and rules/ (uuid4 from @temporalio/workflow)' },
      ],
      'no-restricted-syntax': ['error',
        { selector: 'NewExpression[callee.name="Date"][arguments.length=0]', message: 'no clock in workflows/ and rules/ (new Date() without a value)' },
        { selector: 'MemberExpression[object.name="process"]', message: 'no process.* in workflows/ and rules/' },
        { selector: 'CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]', message: 'no timers in workflows/ and rules/ (sleep from @temporalio/workflow)' },
        { selector: 'CallExpression[callee.name="require"]', message: 'no require() in workflows/ and rules/' },
      ],
    },
  },
  layer(['workflows/**/*.ts'], [
    { regex: up('db', 'api', 'examples', 'config', 'logging', HIGHER.entry), message: message('workflows/', 'rules/, workflows/ and types of activities/') },
    { regex: up('activities'), allowTypeImports: true, message: 'workflows/ may import only types of activities/ (a workflow runs activities through proxies)' },
    // Packages: the workflow SDK and its common types only (bundled into the sandbox); Node modules never.
    { regex: '^(?![.]|@temporalio/(workflow|common)(/|$))', message: 'workflows/ may import @temporalio/workflow, @temporalio/common and relative modules only' },
  ], nodeBuiltins.map((name) => ({ name, message: 'workflows/ run in a deterministic sandbox: no Node module' }))),
  {
    // Test files may use what they need from any layer (they test it).
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
