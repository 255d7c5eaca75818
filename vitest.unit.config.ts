import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run test:unit`: the fast loop for someone changing a construct, a stack or the config. Synth
// and unit tests only: Node and Go (synth builds the web app's first release), no Terraform, Python,
// PHP, MariaDB, haproxy or emulator. The gates run in `npm test`.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      '__tests__/config/**/*.test.ts',
      '__tests__/constructs/**/*.test.ts',
      '__tests__/stacks/**/*.test.ts',
      '__tests__/main.test.ts',
      '__tests__/layers.test.ts',
      '__tests__/package-lock.test.ts',
      '__tests__/summary-reporter.test.ts',
      '__tests__/tools/docs.test.ts',
      '__tests__/bench/**/*.test.ts',
      '__tests__/harness/{emulator,policy,terraform-mirror}.test.ts',
    ],
    // Runs the failure rules on the emulator (moto, from .venv): the full suite's.
    exclude: ['__tests__/stacks/failure-events.test.ts'],
  },
});
