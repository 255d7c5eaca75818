// The Deploy action's script (app/deploy/release.sh) against a fake `aws` on PATH that records
// every call and answers from files the test writes.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeAws } from './fake-aws';
import { userData } from '../../../stacks/web/web-server-fleet';
import { releaseTimings } from '../../../stacks/web/release-timings';
import { config } from '../../helpers/synth';

const SCRIPT = resolve(__dirname, '../../../app/deploy/release.sh');
const PREFERENCES = {
  MinHealthyPercentage: 100,
  MaxHealthyPercentage: 200,
  InstanceWarmup: 110,
  AutoRollback: true,
  AlarmSpecification: { Alarms: ['web-target-5xx'] },
  SkipMatching: false,
};
const BASE_USER_DATA = userData({
  releaseUri: 's3://releases/webapp/initial.tar.gz',
  region: 'eu-west-1',
  port: 8080,
  timings: releaseTimings(config('dev').webapp),
  trustedProxies: config('dev').webapp.network.publicSubnetCidrs,
});

interface Fake {
  /** Refresh statuses, one per poll: "Status\tPercent\tReason". */
  readonly statuses?: string[];
  readonly runningImage?: string;
  readonly userData?: string;
  /** `<service>-<command>` calls that fail. */
  readonly failing?: string[];
  readonly env?: Record<string, string | undefined>;
}

function release(fake: Fake = {}) {
  const aws = fakeAws(
    {
      ami: 'ami-0123456789abcdef0',
      'running-version': '6',
      'running-image': fake.runningImage ?? 'ami-0aaaaaaaaaaaaaaaa',
      statuses: (fake.statuses ?? ['Pending\t0\t', 'InProgress\t50\t', 'Successful\t100\t']).join('\n'),
    },
    fake.failing,
  );
  const archive = join(aws.dir, 'webapp.tar.gz');
  writeFileSync(archive, 'archive');
  const env: Record<string, string | undefined> = {
    ...aws.env,
    VERSION: '3f2c1a9',
    RELEASE_BUCKET: 'releases',
    ASG_NAME: 'web',
    LAUNCH_TEMPLATE_ID: 'lt-0123',
    USER_DATA: Buffer.from(fake.userData ?? BASE_USER_DATA).toString('base64'),
    AMI_PARAMETER: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    REFRESH_PREFERENCES: JSON.stringify(PREFERENCES),
    POLL_SECONDS: '0',
    ...fake.env,
  };
  const run = spawnSync('bash', [SCRIPT, archive], {
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)),
    encoding: 'utf8',
    timeout: 120_000,
  });
  const calls = aws.calls();
  /** The value following `flag` in the first call of `service command`. */
  const arg = (service: string, command: string, flag: string) => {
    const call = calls.find((c) => c[0] === service && c[1] === command);
    return call ? call[call.indexOf(flag) + 1] : undefined;
  };
  const count = (service: string, command: string) => calls.filter((c) => c[0] === service && c[1] === command).length;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls, arg, count, archive };
}

describe('release.sh on a healthy refresh', () => {
  const r = release();

  it('exits 0 after the refresh succeeds', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('released 3f2c1a9 (launch template version 7)');
  });

  it('publishes the archive under webapp/<version>.tar.gz in the release bucket', () => {
    const cp = r.calls.find((c) => c[0] === 's3' && c[1] === 'cp')!;
    expect(cp.slice(-2)).toEqual([r.archive, 's3://releases/webapp/3f2c1a9.tar.gz']);
  });

  it("adds a launch template version from the default one, with the current AMI and Terraform's user data naming the new release", () => {
    expect(r.arg('ec2', 'create-launch-template-version', '--source-version')).toBe('$Default');
    const data = JSON.parse(r.arg('ec2', 'create-launch-template-version', '--launch-template-data')!);
    expect(data.ImageId).toBe('ami-0123456789abcdef0');
    const script = Buffer.from(data.UserData, 'base64').toString('utf8');
    expect(script).toBe(BASE_USER_DATA.replace("release='s3://releases/webapp/initial.tar.gz'", "release='s3://releases/webapp/3f2c1a9.tar.gz'"));
  });

  it('starts the refresh to that version with the preferences as given: launch before terminate, rollback, alarm', () => {
    expect(r.arg('autoscaling', 'start-instance-refresh', '--auto-scaling-group-name')).toBe('web');
    expect(r.arg('autoscaling', 'start-instance-refresh', '--strategy')).toBe('Rolling');
    expect(JSON.parse(r.arg('autoscaling', 'start-instance-refresh', '--desired-configuration')!)).toEqual({
      LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '7' },
    });
    expect(JSON.parse(r.arg('autoscaling', 'start-instance-refresh', '--preferences')!)).toEqual(PREFERENCES);
  });

  it('polls the refresh it started until it ends', () => {
    expect(r.arg('autoscaling', 'describe-instance-refreshes', '--instance-refresh-ids')).toBe('refresh-1');
    expect(r.count('autoscaling', 'describe-instance-refreshes')).toBe(3);
  });
});

describe('release.sh when the refresh does not succeed', () => {
  it.each(['Failed', 'Cancelled', 'RollbackSuccessful', 'RollbackFailed'])('exits non-zero when the refresh ends %s', (status) => {
    const r = release({ statuses: ['InProgress\t30\t', `${status}\t30\tInstances failed to pass health checks`] });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`refresh refresh-1 ended ${status}: Instances failed to pass health checks`));
  });

  it('keeps waiting through a rollback and fails when it is done', () => {
    const r = release({ statuses: ['InProgress\t40\t', 'RollbackInProgress\t40\tAlarm web-target-5xx', 'RollbackSuccessful\t100\tAlarm web-target-5xx'] });
    expect(r.status).not.toBe(0);
    expect(r.count('autoscaling', 'describe-instance-refreshes')).toBe(3);
    expect(r.stderr).toContain('ended RollbackSuccessful');
  });

  it('rolls the refresh back and exits non-zero when it outlasts the timeout', () => {
    const r = release({ statuses: ['InProgress\t10\t'], env: { REFRESH_TIMEOUT_SECONDS: '0' } });
    expect(r.status).not.toBe(0);
    expect(r.count('autoscaling', 'rollback-instance-refresh')).toBe(1);
    expect(r.stderr).toContain('still InProgress after 0s');
  });

  it('fails without polling when the refresh cannot start (one already running)', () => {
    const r = release({ failing: ['autoscaling-start-instance-refresh'] });
    expect(r.status).not.toBe(0);
    expect(r.count('autoscaling', 'describe-instance-refreshes')).toBe(0);
  });

  it('stops before touching the group when the upload fails', () => {
    const r = release({ failing: ['s3-cp'] });
    expect(r.status).not.toBe(0);
    expect(r.count('ec2', 'create-launch-template-version') + r.count('autoscaling', 'start-instance-refresh')).toBe(0);
  });
});

describe('release.sh on the first release', () => {
  it('refreshes without auto rollback when the running version resolves its AMI through SSM (AWS cannot roll back to it)', () => {
    const r = release({ runningImage: 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' });
    expect(r.status).toBe(0);
    const prefs = JSON.parse(r.arg('autoscaling', 'start-instance-refresh', '--preferences')!);
    expect(prefs).toMatchObject({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200, AutoRollback: false });
    expect(prefs.AlarmSpecification).toBeUndefined();
    expect(r.stdout).toContain('this first release refreshes without auto rollback');
  });
});

describe('release.sh refuses bad input before calling AWS', () => {
  it.each([
    [{ ASG_NAME: undefined }, /environment variable ASG_NAME is not set/],
    [{ VERSION: '../v1' }, /VERSION '\.\.\/v1' is not a version/],
    [{ REFRESH_PREFERENCES: '{not json' }, /REFRESH_PREFERENCES is not JSON/],
    [{ POLL_SECONDS: 'soon' }, /poll 'soon' must be a whole number of seconds/],
  ])('refuses %j', (env, error) => {
    const r = release({ env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(error);
    expect(r.calls).toEqual([]);
  });

  it('refuses user data without a release line, before calling AWS', () => {
    const r = release({ userData: '#!/bin/bash\necho no release here\n' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("USER_DATA has 0 release='...' lines, expected exactly 1");
    expect(r.calls).toEqual([]);
  });
});
