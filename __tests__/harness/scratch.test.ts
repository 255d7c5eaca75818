// The harness's scratch directories are made fresh and removed together (the setup file removes
// them after each test file).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeScratchDirs, scratchDir } from '../../harness/scratch';

describe('scratch directories', () => {
  it('are made fresh under the prefix and removed with their contents', async () => {
    // GIVEN two scratch directories, one holding a file
    const [a, b] = [scratchDir('scratch-test-'), scratchDir('scratch-test-')];
    writeFileSync(join(a, 'file'), 'x');
    expect(a).not.toBe(b);
    expect(a).toMatch(/\/scratch-test-\w{6}$/);
    // WHEN they are removed THEN both are gone, and a second removal has nothing left
    expect(await removeScratchDirs()).toBeGreaterThanOrEqual(2);
    expect([existsSync(a), existsSync(b)]).toEqual([false, false]);
    expect(await removeScratchDirs()).toBe(0);
  });
});
