import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run test:unit`: the fast loop for someone changing a construct, a stack or the config. Synth
// and unit tests only: Node and Go (synth builds the web app's first release), no Terraform, Python,
// PHP, MariaDB, haproxy or emulator. The gates run in `npm test`.
//
// Two projects, run side by side: the synth tests (config, constructs, stacks) share one worker
// thread and its loaded modules (`isolate: false`; importing cdktf, the provider and our constructs
// costs about a second per test file otherwise, half the loop's CPU), and the tests that start
// processes or read the repository keep a process per file. The synth tests hold no global state:
// no mocks, no environment or working-directory changes (__tests__/vitest-unit-config.test.ts).
const IN_PROCESS = ['__tests__/config/**/*.test.ts', '__tests__/constructs/**/*.test.ts', '__tests__/stacks/**/*.test.ts'];

// The projects extend this file's settings (timeouts, setup, pool), not the full suite's file list.
const { include: _everything, ...shared } = base.test!;

export default defineConfig({
  ...base,
  test: {
    ...shared,
    projects: [
      {
        extends: true,
        test: {
          name: 'synth',
          include: IN_PROCESS,
          // Runs the failure rules on the emulator (moto, from .venv): the full suite's.
          exclude: ['__tests__/stacks/failure-events.test.ts'],
          isolate: false,
          // One worker thread beside the other project's processes: with isolate off and several
          // forks, tinypool ends a worker mid-run ("Terminating worker thread").
          pool: 'threads',
          poolOptions: { threads: { singleThread: true } },
        },
      },
      {
        extends: true,
        test: {
          name: 'processes',
          include: [
            '__tests__/main.test.ts',
            '__tests__/layers.test.ts',
            '__tests__/package-lock.test.ts',
            '__tests__/summary-reporter.test.ts',
            '__tests__/setup.test.ts',
            '__tests__/constructors.test.ts',
            '__tests__/vitest-unit-config.test.ts',
            '__tests__/tools/docs.test.ts',
            '__tests__/bench/**/*.test.ts',
            '__tests__/harness/{emulator,policy,terraform-mirror}.test.ts',
          ],
        },
      },
    ],
  },
});
