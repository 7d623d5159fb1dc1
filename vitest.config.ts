// Owns the vitest configuration: which files are tests, timeouts, worker pool.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.cache/**'],
    environment: 'node',
    // corpus-wide tests and the fuzz test parse megabytes of IR
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // forks: a crashing or stack-overflowing parser takes down one child, not the runner;
    // the fuzz test relies on real process isolation for deep-recursion cases
    pool: 'forks',
    poolOptions: { forks: { singleFork: false } },
    reporters: ['default'],
  },
});
