// The synth tests share one process (vitest.unit.config.ts, `isolate: false`): a file that mocks a
// module, stubs the environment or a global, fakes the clock or changes the working directory would
// change what every file after it sees. None does, and a new one fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listFiles } from '../constructs/zip';
import { projectPath } from '../project';
import unitConfig from '../vitest.unit.config';

const GLOBAL_STATE =
  /\bvi\.(?:mock|doMock|stubEnv|stubGlobal|spyOn|useFakeTimers)\b|process\.env(?:\.\w+|\[[^\]]+\])\s*=(?!=)|delete process\.env|process\.chdir\(/;

/** Files that change the environment for one test and put it back in a `finally` block. */
const RESTORED = new Set(['__tests__/stacks/web/webapp-release.test.ts']);

/** The test files below a project folder, as project-relative paths. */
const testFiles = (dir: string) =>
  listFiles(projectPath(dir))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `${dir}/${f}`);

const shared = unitConfig.test!.projects!.map((p) => (typeof p === 'object' && 'test' in p ? p.test : undefined)).find((t) => t?.isolate === false)!;

describe('the synth tests that share a process', () => {
  const files = shared.include!.flatMap((pattern) => testFiles(pattern.replace(/\/\*\*\/\*\.test\.ts$/, '')));

  it('are the config, construct and stack tests', () => {
    expect(files.length).toBeGreaterThan(25);
    expect(new Set(files.map((f) => f.split('/')[1]))).toEqual(new Set(['config', 'constructs', 'stacks']));
  });

  it('leave no global state behind (mocks, stubs, fake timers, environment or directory changes)', () => {
    const offending = files.filter((file) => !RESTORED.has(file) && GLOBAL_STATE.test(readFileSync(projectPath(file), 'utf8')));
    expect(offending).toEqual([]);
  });

  it.each([...RESTORED])('%s puts back what it changes, in a finally block', (file) => {
    expect(readFileSync(projectPath(file), 'utf8')).toMatch(/\} finally \{[^}]*delete process\.env/);
  });

  it.each([
    "vi.mock('../../config/load')",
    "vi.stubEnv('DEPLOY_ENV', 'qa')",
    "process.env.DEPLOY_ENV = 'qa'",
    "process.env['CDKTF_OUTDIR'] = dir",
    'delete process.env.DEPLOY_ENV',
    "process.chdir('/tmp')",
  ])('finds global state when a file has it: %s', (line) => {
    expect(GLOBAL_STATE.test(line)).toBe(true);
  });

  it('does not take reading the environment for changing it', () => {
    expect(GLOBAL_STATE.test("if (process.env.UPDATE_ADDRESSES === '1') update();")).toBe(false);
  });
});
