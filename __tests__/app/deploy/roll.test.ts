// The operator's way to roll the web fleet onto Terraform's current launch template without a code
// change (app/deploy/roll.sh), against the fake `aws` on PATH that records every call. The release it
// starts is the pipeline's, whose new version starts from the default one (release.test.ts).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeAws } from './fake-aws';

const SCRIPT = resolve(__dirname, '../../../app/deploy/roll.sh');
const COMMIT = '3f2c1a9e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a39';

interface Fake {
  readonly running?: string;
  readonly defaultVersion?: string;
  readonly description?: string;
  readonly args?: string[];
  readonly failing?: string[];
}

function roll(fake: Fake = {}) {
  const aws = fakeAws(
    {
      'running-version': fake.running ?? '6',
      'default-version': fake.defaultVersion ?? '8',
      'running-description': fake.description ?? `release ${COMMIT}`,
    },
    fake.failing,
  );
  const run = spawnSync('bash', [SCRIPT, ...(fake.args ?? ['statuspage-dev-web', 'statuspage-dev-web-web', 'lt-0123abcd'])], {
    env: aws.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const calls = aws.calls();
  return { ...run, calls, started: calls.filter((c) => c[0] === 'codepipeline') };
}

describe('roll.sh', () => {
  it('starts the pipeline on the commit the fleet runs when Terraform made a newer default version', () => {
    // GIVEN the fleet on version 6 (release <commit>) and Terraform's change as default version 8
    const r = roll();
    // THEN the pipeline starts on that commit, through its Source action
    expect(r.status, r.stderr).toBe(0);
    expect(r.started).toEqual([
      [
        'codepipeline',
        'start-pipeline-execution',
        '--name',
        'statuspage-dev-web',
        '--source-revisions',
        `actionName=Source,revisionType=COMMIT_ID,revisionValue=${COMMIT}`,
        '--query',
        'pipelineExecutionId',
        '--output',
        'text',
      ],
    ]);
    expect(r.stdout).toContain('execution execution-1');
    expect(r.stdout).toContain('aws codepipeline get-pipeline-execution --pipeline-name statuspage-dev-web --pipeline-execution-id execution-1');
  });

  it('reads the running version of the group and the description of that version of the template', () => {
    const r = roll();
    const [groups] = r.calls.filter((c) => c[1] === 'describe-auto-scaling-groups');
    expect(groups).toContain('statuspage-dev-web-web');
    const [versions] = r.calls.filter((c) => c[1] === 'describe-launch-template-versions');
    expect(versions.slice(2, 6)).toEqual(['--launch-template-id', 'lt-0123abcd', '--versions', '6']);
  });

  it('starts nothing when the default version is older than the running one (no template change since the release)', () => {
    const r = roll({ running: '9', defaultVersion: '8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/nothing to roll/);
    expect(r.started).toEqual([]);
  });

  it('releases the running commit again when asked, even with no template change', () => {
    const r = roll({ running: '9', defaultVersion: '8', args: ['p', 'g', 'lt-0123abcd', '--even-if-current'] });
    expect(r.status).toBe(0);
    expect(r.started).toHaveLength(1);
  });

  it.each([
    ["Terraform's first version (the initial release; the CLI prints None for no description)", 'None'],
    ['a release by hand whose version is not a commit', 'release v1.2.3'],
  ])('refuses when the fleet runs %s, and starts nothing', (_label, description) => {
    const r = roll({ description });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/which no pipeline release of a commit made; push a commit to release instead/);
    expect(r.started).toEqual([]);
  });

  it("fails when the pipeline cannot start, with AWS's error", () => {
    const r = roll({ failing: ['codepipeline-start-pipeline-execution'] });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('An error occurred (codepipeline-start-pipeline-execution)');
  });

  it.each([
    [['a', 'b'], 2, /usage: app\/deploy\/roll\.sh/],
    [['a', 'b', 'lt-0123', '--bogus'], 2, /usage/],
    [['a', 'b', 'not-a-template'], 1, /LAUNCH_TEMPLATE_ID 'not-a-template' is not a launch template id/],
  ])('refuses the arguments %j before any call', (args, status, error) => {
    const r = roll({ args });
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(error);
    expect(r.calls).toEqual([]);
  });

  it('answers --help with what it does, and calls nothing', () => {
    const r = roll({ args: ['--help'] });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Rolls the web fleet onto Terraform's current launch template/);
    expect(r.calls).toEqual([]);
  });
});
