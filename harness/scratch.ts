// Scratch directories of the harness (a build's source copy, which `npm ci` fills with a gigabyte of
// packages; a pipeline's artifacts), made under the system's temp directory and remembered, so that
// the test suite removes them after each file (__tests__/setup.ts) instead of leaving gigabytes per
// run. A command-line tool that uses the harness keeps them, for the operator to read.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** A fresh directory `<tmp>/<prefix>XXXXXX`, removed by `removeScratchDirs`. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/**
 * Removes every scratch directory made so far in this process; resolves with how many. Asynchronous:
 * a source copy holds a hundred thousand files once `npm ci` has run, and removing four of them in
 * one synchronous call held a test worker's event loop for 25 s.
 */
export async function removeScratchDirs(): Promise<number> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  return dirs.length;
}
