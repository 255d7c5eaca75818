// vitest ends a run with "Timeout calling onTaskUpdate" when a worker's event loop does not turn for
// a minute, all tests passed (the fresh-clone CI failure of 2026-12-06: a file of forty one-second
// spawnSync tests, which vitest runs back to back on microtasks). The setup file turns the loop
// after every test; here a file of three 25 s blocking tests passes with it and fails without it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectPath } from '../project';
import { runProcess } from './helpers/process';

const BLOCKING_TESTS = `import { execFileSync } from 'node:child_process';
import { it } from 'vitest';
it.each([1, 2, 3])('blocks its worker for 25 s (%i)', () => {
  execFileSync('sleep', ['25']);
}, 60_000);
`;

const made: string[] = [];

/** Runs the blocking file in its own vitest, with or without the project's setup file. */
async function runBlockingFile(setupFiles: string[]) {
  mkdirSync(projectPath('.cache'), { recursive: true });
  const dir = mkdtempSync(projectPath('.cache', 'worker-event-loop-'));
  made.push(dir);
  writeFileSync(join(dir, 'blocking.test.ts'), BLOCKING_TESTS);
  const config = join(dir, 'vitest.config.ts');
  writeFileSync(
    config,
    `export default { test: { root: ${JSON.stringify(projectPath())}, include: [${JSON.stringify(`${relative(projectPath(), dir)}/*.test.ts`)}], exclude: [], setupFiles: ${JSON.stringify(setupFiles)}, pool: 'forks', reporters: ['dot'] } };\n`,
  );
  return runProcess(process.execPath, [projectPath('node_modules/vitest/vitest.mjs'), 'run', '--config', config], { cwd: projectPath(), timeout: 300_000 });
}

describe('a worker whose tests block its event loop for 75 s in all', () => {
  // Both runs sleep side by side; neither uses the processor.
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const runs = { withSetup: runBlockingFile([projectPath('__tests__/setup.ts')]), withoutSetup: runBlockingFile([]) };

  it('finishes without an error when the setup file turns the loop between tests', async () => {
    const result = await runs.withSetup;
    expect(result.stdout + result.stderr).not.toMatch(/Timeout calling/);
    expect(result.status).toBe(0);
  }, 300_000);

  it('fails the run with the RPC timeout without it (the failure is real)', async () => {
    const result = await runs.withoutSetup;
    expect(result.stdout + result.stderr).toMatch(/Timeout calling "onTaskUpdate"/);
    expect(result.status).toBe(1);
  }, 300_000);
});
