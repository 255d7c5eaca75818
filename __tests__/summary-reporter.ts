// Prints where the time went (the slowest test files, their seconds and share of all files' time,
// against the run's wall time) and one plain closing line, `Tests: N passed, N failed[, N skipped][, N
// errors]`, after vitest's own summary, for tools that read a run's result from its last lines. An
// unhandled error fails the run with every test passed (exit 1), so the line counts those too.
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/** The slowest files shown. */
const SHOWN = 8;

export function timeReport(durations: ReadonlyArray<readonly [string, number]>, wallMs: number): string[] {
  const total = durations.reduce((sum, [, ms]) => sum + ms, 0);
  if (total === 0) return [];
  const slowest = [...durations].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
  return [
    `Where the time went: ${(total / 1000).toFixed(0)} s in ${durations.length} files, ${(wallMs / 1000).toFixed(0)} s wall (${(total / wallMs).toFixed(1)} files at a time on average)`,
    ...slowest.map(([file, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)} s ${((100 * ms) / total).toFixed(0).padStart(3)} %  ${file}`),
  ];
}

/** The run's result in one line: `Tests: N passed, N failed[, N skipped][, N errors]`. */
export function closingLine(passed: number, failed: number, skipped: number, errors: number): string {
  return `Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${errors ? `, ${errors} error${errors > 1 ? 's' : ''}` : ''}`;
}

export default class SummaryReporter implements Reporter {
  private started = Date.now();

  onTestRunStart(): void {
    this.started = Date.now();
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    // A file's time: preparing, collecting (importing) and running it.
    const durations = modules.map((m) => {
      const d = m.diagnostic();
      return [
        m.moduleId.replace(`${process.cwd()}/`, ''),
        d.prepareDuration + d.environmentSetupDuration + d.collectDuration + d.setupDuration + d.duration,
      ] as const;
    });
    const lines = [...timeReport(durations, Date.now() - this.started), closingLine(passed, failed, skipped, unhandledErrors.length)];
    // After every other reporter's summary: at exit (stdout is synchronous for files and pipes).
    process.once('exit', () => process.stdout.write(`\n${lines.join('\n')}\n`));
  }
}
