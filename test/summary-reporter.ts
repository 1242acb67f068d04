// Prints one closing line `N passed, N failed, N skipped` after vitest's own summary, for tools that read it.
// A failed hook (beforeAll/afterAll: its tests are then reported skipped) and a file that could not be loaded count
// as failed, each once, so that the line never says « 0 failed » of a run that failed.

import type { Reporter, TestModule } from 'vitest/node';

function summarize(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
  let passed = 0;
  let failed = unhandledErrors.length;
  let skipped = 0;
  for (const module of testModules) {
    let failedHere = 0;
    // errors(): what failed outside any test — a hook of the file or of a suite, the file's loading.
    for (const entity of [module, ...module.children.allSuites()]) if (entity.errors().length > 0) failedHere++;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') passed++;
      else if (state === 'failed') failedHere++;
      else skipped++;
    }
    // A file vitest says failed without telling why still failed.
    if (module.state() === 'failed' && failedHere === 0) failedHere = 1;
    failed += failedHere;
  }
  return { passed, failed, skipped };
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const { passed, failed, skipped } = summarize(testModules, unhandledErrors);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
