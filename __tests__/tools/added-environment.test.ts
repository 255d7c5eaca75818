// An environment added by a file passes the suite: a generated environment in another region and
// account, beside the shipped ones, in a clone of this repository; the unit suite runs there whole,
// and the gates (offline validate and plan, then checkov with the reviewed waivers) pass on its stacks.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { environmentNames, parseEnvironmentConfig } from '../../config/load';
import { planAllOffline, synthesizeAll } from '../../harness/offline-terraform';
import { applySkips, loadSkips, productionOf, runCheckov } from '../../harness/policy';
import { projectPath } from '../../project';

const NAME = ['euc1', 'zz9', 'qa'].find((n) => !environmentNames().includes(n))!;

/** dev's file, moved to eu-central-1 and another account. */
const GENERATED = readFileSync(projectPath('environments', 'dev.yaml'), 'utf8')
  .replace(/eu-west-1/g, 'eu-central-1')
  .replace(/^accountId: .*$/m, 'accountId: "444444444444"');

describe(`an added environment (${NAME}, eu-central-1)`, () => {
  it('passes the unit suite, run whole in a clone that holds it', async () => {
    // GIVEN a clone with the generated file beside the shipped environments
    const clone = join(mkdtempSync(join(tmpdir(), 'added-env-')), 'repo');
    execFileSync('git', ['clone', '--quiet', '--shared', projectPath(), clone]);
    // The project-local installs npm test makes (node_modules, .venv, .cache), shared, not made again.
    for (const installed of ['node_modules', '.venv', '.cache']) symlinkSync(projectPath(installed), join(clone, installed));
    writeFileSync(join(clone, 'environments', `${NAME}.yaml`), GENERATED);
    // WHEN its unit suite runs THEN it passes
    const { DEPLOY_ENV: _ignored, ...env } = process.env;
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'vitest.unit.config.ts'], {
        cwd: clone,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d) => (text = (text + d).slice(-20_000)));
      child.stderr.on('data', (d) => (text = (text + d).slice(-20_000)));
      child.on('close', (c) => resolve({ code: c, output: text }));
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/Tests: \d+ passed, 0 failed/);
  }, 900_000);

  it('passes the gates: its stacks validate and plan offline, and checkov finds nothing unwaived', async () => {
    const config = parseEnvironmentConfig(parse(GENERATED), NAME);
    const results = await planAllOffline(synthesizeAll([config]));
    expect(results.map((r) => r.stack.name).sort()).toEqual([`cachet-${NAME}`, `web-${NAME}`]);
    const { findings } = applySkips(await runCheckov(results.map((r) => r.planFile)), loadSkips(), productionOf(results));
    expect(findings.filter((f) => f.result === 'failed').map((f) => `${f.stack} ${f.checkId} ${f.resource}`)).toEqual([]);
    expect(findings.filter((f) => f.result === 'passed').length).toBeGreaterThan(100);
  }, 900_000);
});
