// `npm run diff`: the changes between two syntheses, resource by resource and attribute by
// attribute; end to end in a clone whose working tree changes an environment file.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../project';
import { WebStack } from '../../stacks/web/web-stack';
import { formatStackDiff, stackDiff } from '../../tools/diff';
import { config } from '../helpers/synth';

const web = (patch: Parameters<typeof config>[1] = {}) => JSON.parse(Testing.synth(new WebStack(Testing.app(), config('dev', patch))));

describe('stackDiff', () => {
  it('finds nothing between two syntheses of the same config', () => {
    expect(stackDiff(web(), web())).toEqual([]);
  });

  it('names the changed attribute of the changed resource, with both values', () => {
    const changes = stackDiff(web(), web({ webapp: { maxInstances: 3 } }));
    const group = changes.find((c) => c.address.startsWith('aws_autoscaling_group.fleet_group_'))!;
    expect(group).toMatchObject({ kind: '~', attributes: [{ path: 'max_size', before: 2, after: 3 }] });
  });

  it('lists what a feature adds, and what turning it off removes', () => {
    const on = web({ webapp: { enableWaf: true } });
    const off = web({ webapp: { enableWaf: false } });
    expect(
      stackDiff(off, on)
        .filter((c) => c.kind === '+')
        .map((c) => c.address),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_wafv2_web_acl\.load-balancer_waf_/)]));
    expect(stackDiff(on, off).every((c) => c.kind !== '+' || !c.address.includes('waf'))).toBe(true);
  });

  it('warns that a renamed construct id replaces the resource', () => {
    const before = { resource: { aws_s3_bucket: { old_bucket_1: { bucket_prefix: 'x' } } } };
    const after = { resource: { aws_s3_bucket: { new_bucket_2: { bucket_prefix: 'x' } } } };
    const text = formatStackDiff('web-dev', stackDiff(before, after));
    expect(text).toMatch(/^## web-dev: 1 to add, 0 to change, 1 to remove\n\+ aws_s3_bucket\.new_bucket_2\n- aws_s3_bucket\.old_bucket_1\n/);
    expect(text).toMatch(/a renamed construct id, which Terraform replaces/);
  });
});

describe('npm run diff', () => {
  it('shows a change in the working tree against HEAD, with the synthesized attribute', async () => {
    // GIVEN a clone whose working tree gives dev's web app another instance type
    const clone = join(mkdtempSync(join(tmpdir(), 'diff-clone-')), 'repo');
    execFileSync('git', ['clone', '--quiet', '--shared', projectPath(), clone]);
    symlinkSync(projectPath('node_modules'), join(clone, 'node_modules'));
    const file = join(clone, 'environments', 'dev.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/\n {2}instanceType: t3\.micro\n/);
    writeFileSync(file, text.replace(/\n {2}instanceType: t3\.micro\n/, '\n  instanceType: t3.small\n'));
    // WHEN diffed
    // (asynchronously: two syntheses can outlast vitest's 60 s RPC timeout on a busy machine)
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/diff.ts', 'web-dev'], {
      cwd: clone,
      encoding: 'utf8',
      timeout: 240_000,
    });
    // THEN the launch template's type changes, and nothing is added or removed (a failure throws, with its output)
    expect(result.stdout).toMatch(/## web-dev: 0 to add, \d+ to change, 0 to remove/);
    expect(result.stdout).toMatch(/~ aws_launch_template\.fleet_launch-template_\w+\n(?: {4}.*\n)*? {4}instance_type: "t3\.micro" -> "t3\.small"/);
    // AND the temporary worktree is gone
    expect(execFileSync('git', ['worktree', 'list'], { cwd: clone, encoding: 'utf8' }).trim().split('\n')).toHaveLength(1);
  }, 300_000);

  it('refuses a base that is not a commit, before synthesizing anything', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'tools/diff.ts', '--base', 'no-such-ref'], { cwd: projectPath(), encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--base "no-such-ref" is not a commit of this repository/);
  });

  it('refuses an unknown stack', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'tools/diff.ts', 'web-qa'], { cwd: projectPath(), encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown stack web-qa; use one of cachet-dev/);
  });
});
