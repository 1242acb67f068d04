import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**', '.tools/**', 'test/cluster/**'],
    testTimeout: 30_000,
    // Opening PGlite and applying the migrations in a beforeAll takes long on two busy cores.
    hookTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
    // One Temporal dev server and one PostgreSQL database per run, for *.integration.test.ts files.
    globalSetup: ['test/global-setup.ts'],
  },
});
