// npm run test:cluster — the production topology (scripts/cluster.ts) under crashes: test/cluster/. Separate from
// `npm test` (vitest.config.ts excludes test/cluster/): it builds and starts the real Temporal server.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/cluster/**/*.test.ts'],
    // One topology at a time on this machine: the files run one after the other.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 15 * 60_000,
    reporters: ['default'],
  },
});
