// Registers cdktf's assertion matchers with vitest (cdktf ships an adapter for jest only).
// Properties are matched by partial deep equality: arrays and objects may hold more than asserted.
import { testingMatchers } from 'cdktf';
import { afterAll, afterEach, expect } from 'vitest';
import { removeScratchDirs } from '../harness/scratch';

type Constructor = testingMatchers.TerraformConstructor;

function partialMatch(items: unknown[], asserted: Record<string, unknown>): boolean {
  if (Object.keys(asserted).length === 0) return items.length > 0;
  return expect.arrayContaining([expect.objectContaining(asserted)]).asymmetricMatch(items);
}

const toHaveResourceWithProperties = testingMatchers.getToHaveResourceWithProperties(partialMatch);
const toHaveDataSourceWithProperties = testingMatchers.getToHaveDataSourceWithProperties(partialMatch);
const toHaveProviderWithProperties = testingMatchers.getToHaveProviderWithProperties(partialMatch);
const jest = testingMatchers.returnMatcherToJest;

expect.extend({
  toHaveResource: (received: string, type: Constructor) => jest(toHaveResourceWithProperties(received, type, {})),
  toHaveResourceWithProperties: (received: string, type: Constructor, props: Record<string, unknown>) =>
    jest(toHaveResourceWithProperties(received, type, props)),
  toHaveDataSource: (received: string, type: Constructor) => jest(toHaveDataSourceWithProperties(received, type, {})),
  toHaveDataSourceWithProperties: (received: string, type: Constructor, props: Record<string, unknown>) =>
    jest(toHaveDataSourceWithProperties(received, type, props)),
  toHaveProviderWithProperties: (received: string, type: Constructor, props: Record<string, unknown>) =>
    jest(toHaveProviderWithProperties(received, type, props)),
});

// vitest's worker waits 60 s for the main process to acknowledge each test update, on a timer of the
// worker's own event loop: a test that holds that loop for a minute (a synchronous child process, a
// long computation) ends the run with "Timeout calling onTaskUpdate", naming nothing. This watch
// names the test instead, from the first blocked stretch of BLOCK_WARNING_MS, so the cause can be
// fixed before a busy machine stretches it to a minute (docs/testing.md, "No worker may block").
const BLOCK_WARNING_MS = 10_000;
const watched = globalThis as { eventLoopWatch?: NodeJS.Timeout };
if (watched.eventLoopWatch === undefined) {
  let last = performance.now();
  watched.eventLoopWatch = setInterval(() => {
    const now = performance.now();
    const blocked = now - last - 1_000;
    last = now;
    if (blocked >= BLOCK_WARNING_MS) {
      const test = expect.getState().currentTestName ?? '(between tests: a hook or the file itself)';
      console.warn(
        `[event loop] held for ${(blocked / 1000).toFixed(0)} s, in ${(expect.getState().testPath ?? '?').replace(`${process.cwd()}/`, '')} > ${test}`,
      );
    }
  }, 1_000);
  watched.eventLoopWatch.unref();
}

// vitest runs a file's tests one after another on microtasks alone: synchronous tests never let the
// event loop turn between them, so their blocking adds up (a file of forty one-second spawnSync tests
// held it for 59 s). A full turn after each test (timers, then I/O: the main process's answers)
// bounds a stretch to one test.
afterEach(async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setImmediate(resolve));
});

interface CdktfMatchers<R = unknown> {
  toHaveResource(type: Constructor): R;
  toHaveResourceWithProperties(type: Constructor, properties: Record<string, unknown>): R;
  toHaveDataSource(type: Constructor): R;
  toHaveDataSourceWithProperties(type: Constructor, properties: Record<string, unknown>): R;
  toHaveProviderWithProperties(type: Constructor, properties: Record<string, unknown>): R;
}

declare module 'vitest' {
  // Declaration merging: these add cdktf's matchers to vitest's interfaces, so they have no members of
  // their own; vitest declares Assertion<T = any>, and a merged declaration must repeat that.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends CdktfMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends CdktfMatchers {}
}

// cdktf captures a full stack trace for every token it creates (tokens/private/stack-trace.js: a plain
// object through Error.captureStackTrace, with no depth limit), and vitest's source-map support maps
// every frame of every one: that was half the CPU of a synth test (the synth project of test:unit ran
// 34 s, 18 s with it skipped). Those traces only decorate token-resolution errors; `npm run synth`'s
// bundle drops them the same way (tools/synth.mjs). Errors, and every other caller, keep mapped traces.
const skipped = globalThis as { creationStacksSkipped?: boolean };
const mapped = Error.prepareStackTrace;
if (!skipped.creationStacksSkipped && mapped !== undefined) {
  skipped.creationStacksSkipped = true;
  const fromCdktf = /[\\/]node_modules[\\/](cdktf|constructs)[\\/]/;
  Error.prepareStackTrace = (target: Error, callSites: NodeJS.CallSite[]) =>
    !(target instanceof Error) && fromCdktf.test(callSites[0]?.getFileName() ?? '') ? '' : mapped(target, callSites);
}

// The harness's scratch directories (a build's source copy holds a gigabyte once `npm ci` has run
// in it) live as long as the file that made them: a full run used to leave several gigabytes behind.
afterAll(async () => {
  await removeScratchDirs();
});
