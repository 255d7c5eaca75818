import { defineConfig } from 'vitest/config';
import SummaryReporter from './__tests__/summary-reporter';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    setupFiles: ['__tests__/setup.ts'],
    // Tests start processes (Terraform, PHP, Go, the emulator): a busy machine must not fail them,
    // and a hung one still fails within two minutes.
    testTimeout: 120_000,
    // The offline Terraform suite synthesizes, inits, validates and plans every stack in beforeAll.
    hookTimeout: 900_000,
    pool: 'forks',
    // The slow files (emulator, drill, offline Terraform) mostly wait on subprocesses: run them side
    // by side even on two cores. Three, not four: each fork holds 2-3 GB, and with four (and the
    // added-environment test's nested suite) fresh-clone runs ended in a worker RPC timeout.
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    reporters: ['default', new SummaryReporter()],
  },
});
