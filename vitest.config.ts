import { defineConfig } from 'vitest/config';
import SummaryReporter from './__tests__/summary-reporter';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    setupFiles: ['__tests__/setup.ts'],
    testTimeout: 30_000,
    // The offline Terraform suite synthesizes, inits, validates and plans every stack in beforeAll.
    hookTimeout: 900_000,
    pool: 'forks',
    reporters: ['default', new SummaryReporter()],
  },
});
