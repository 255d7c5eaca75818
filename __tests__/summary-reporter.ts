// Prints one plain closing line, `Tests: N passed, N failed[, N skipped]`, after vitest's own
// summary, for tools that read a run's result from its last lines.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
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
    const line = `Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    // After every other reporter's summary: at exit (stdout is synchronous for files and pipes).
    process.once('exit', () => process.stdout.write(`\n${line}\n`));
  }
}
