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
import { readPriceTable } from '../../tools/cost/estimate';
import { formatCostChange, formatStackDiff, stackCost, stackDiff } from '../../tools/diff';
import { git } from '../helpers/repository';
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
    expect(text).toMatch(/^## web-dev: 1 to add, 0 to change, 1 to remove\n\n```diff\n\+ aws_s3_bucket\.new_bucket_2\n- aws_s3_bucket\.old_bucket_1\n```\n/);
    expect(text).toMatch(/a renamed construct id, which Terraform replaces/);
  });
});

describe('formatCostChange', () => {
  const table = readPriceTable();
  const dev = config('dev');

  it('says when the monthly estimate does not change', () => {
    const cost = stackCost(web(), dev, table);
    expect(formatCostChange(cost, cost)).toMatch(/^Monthly estimate: \$[\d.]+ to \$[\d.]+ -> \$[\d.]+ to \$[\d.]+ \(no change\)\n$/);
  });

  it('gives an added alarm its price, and only the alarms row', () => {
    // GIVEN the dev web stack, and the same with one alarm more
    const before = web();
    const after = web();
    after.resource.aws_cloudwatch_metric_alarm.extra_alarm = { alarm_name: 'extra' };
    // WHEN the estimates are compared
    const text = formatCostChange(stackCost(before, dev, table), stackCost(after, dev, table));
    // THEN the difference is one alarm-month, and the only row is the alarms'
    expect(text).toMatch(new RegExp(`\\(\\+\\$${table.prices.alarmMonth.usd.toFixed(2)} a month\\)`));
    expect(text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| item'))).toEqual([expect.stringMatching(/^\| CloudWatch alarms \| /)]);
  });

  it('counts a new stack from nothing', () => {
    const text = formatCostChange(stackCost(undefined, dev, table), stackCost(web(), dev, table));
    expect(text).toMatch(/^Monthly estimate: \$0\.00 -> \$[\d.]+ to \$[\d.]+ \(\+\$[\d.]+ to \+\$[\d.]+ a month\)/);
  });

  it('says why there is no estimate when the base config cannot be read', () => {
    expect(formatCostChange(stackCost(web(), 'environments/dev.yaml: a problem', table), stackCost(web(), dev, table))).toBe(
      "Monthly estimate: not available (the base's: environments/dev.yaml: a problem)\n",
    );
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

  it('reports a committed change against its parent, with its cost, in the file --report names', async () => {
    // GIVEN a clone with one commit more: dev's web instances a size up
    const clone = join(mkdtempSync(join(tmpdir(), 'diff-clone-')), 'repo');
    execFileSync('git', ['clone', '--quiet', '--shared', projectPath(), clone]);
    symlinkSync(projectPath('node_modules'), join(clone, 'node_modules'));
    const file = join(clone, 'environments', 'dev.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n {2}instanceType: t3\.micro\n/, '\n  instanceType: t3.small\n'));
    git(clone, 'commit', '--quiet', '-am', 'web instances a size up');
    const report = join(clone, '..', 'report.md');
    // WHEN diffed against the parent commit, with a report file
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/diff.ts', 'web-dev', '--base', 'HEAD~1', '--report', report], {
      cwd: clone,
      encoding: 'utf8',
      timeout: 240_000,
    });
    // THEN the report is what was printed: exactly that change, and what it adds to the month
    const text = readFileSync(report, 'utf8');
    expect(text).toBe(result.stdout);
    expect(text).toMatch(
      /## web-dev: 0 to add, 1 to change, 0 to remove\n\n```diff\n~ aws_launch_template\.fleet_launch-template_\w+\n {4}instance_type: "t3\.micro" -> "t3\.small"\n```\n/,
    );
    const table = readPriceTable();
    // (the estimate rounds each item to cents, then the difference)
    const cents = (n: number) => Math.round(n * 100) / 100;
    const month = (type: string, n: number) => cents(n * (730 * table.prices[`ec2.${type}`].usd + 8 * table.prices.ebsGp3GigabyteMonth.usd));
    const [min, max] = [1, 2].map((n) => cents(month('t3.small', n) - month('t3.micro', n)).toFixed(2));
    expect(text).toMatch(new RegExp(`\\(\\+\\$${min} to \\+\\$${max} a month\\)`));
    expect(text).toMatch(/\| Web instances \(Auto Scaling group\) \| .*t3\.micro.* \| .*t3\.small.* \|/);
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
