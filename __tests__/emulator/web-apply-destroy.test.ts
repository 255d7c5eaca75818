// The web dev stack's whole life on the emulator (moto on loopback), as Terratest's
// ApplyAndIdempotent would run it, with every script AWS runs for us run the way AWS runs it:
//   apply -> read back -> boot the launch template's user data as a fresh apply leaves it (it must
//   serve) -> the pipeline's Build action (local CodeBuild) and Deploy action against the emulator ->
//   boot the released version -> `terraform plan -detailed-exitcode` shows no change -> a missing or
//   corrupt release fails the boot loudly -> destroy -> apply again in the same account -> destroy.
// Each step's time is printed at the end. moto cannot take the pipeline's CodeBuild projects and
// repository (harness/emulator.ts); the Deploy action's environment comes from the deploy project's
// own variables, evaluated by Terraform through an output added for the test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DeleteObjectCommand, ListBucketsCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseTimings } from '../../stacks/web/release-timings';
import type { EnvironmentConfig } from '../../config/schema';
import { runCodeBuild } from '../../harness/codebuild/runner';
import {
  applyDevStack,
  EMULATOR_COMMAND_TIMEOUT_MS,
  EMULATOR_DRIFT,
  emulatorClientConfig,
  MAX_REQUESTS,
  VENV_BIN,
  type AppliedStack,
} from '../../harness/emulator';
import { expectNoChangesButDrift } from '../helpers/emulator-drift';
import { bootInstance, type BootedInstance } from '../../harness/instance-boot';
import type { Json } from '../../harness/offline-terraform';
import { commitWorkingTree, head } from '../helpers/repository';
import { AL2023_AMI } from '../../constructs/platform';
import { tarGzDirectory } from '../../constructs/tar';
import { initialReleaseDirectory } from '../../stacks/web/webapp-release';

const REAL_AWS = join(VENV_BIN, 'aws');
const STEP_TIMEOUT = EMULATOR_COMMAND_TIMEOUT_MS + 60_000;

/** The deploy CodeBuild project's environment variables, as Terraform expressions. */
function deployEnvironment(json: Json): Record<string, unknown> {
  const projects = Object.values<Json>(json.resource.aws_codebuild_project);
  const deploy = projects.find((p) => String(p.name).endsWith('-deploy'))!;
  return { deploy_environment: Object.fromEntries((deploy.environment.environment_variable as Json[]).map((v) => [v.name, v.value])) };
}

let applied: AppliedStack;
let config: EnvironmentConfig;
let destroyed = false;
let aws: { elb: ElasticLoadBalancingV2Client; asg: AutoScalingClient; ec2: EC2Client; s3: S3Client; route53: Route53Client };
const seconds: [string, number][] = [];
const booted: BootedInstance[] = [];

async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  seconds.push([step, (Date.now() - started) / 1000]);
  return result;
}

beforeAll(async () => {
  applied = await applyDevStack('web', { extraOutputs: deployEnvironment });
  seconds.push(['apply', applied.applySeconds]);
  config = applied.config;
  const common = emulatorClientConfig(applied.emulator, config.region);
  aws = {
    elb: new ElasticLoadBalancingV2Client(common),
    asg: new AutoScalingClient(common),
    ec2: new EC2Client(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    route53: new Route53Client({ ...common, region: 'us-east-1' }),
  };
});

afterAll(async () => {
  for (const instance of booted) instance.terminate();
  if (applied && !destroyed) await applied.destroy().catch(() => undefined);
  await applied?.emulator.stop();
  console.log(['Emulator lifecycle of web-dev (seconds):', ...seconds.map(([step, s]) => `  ${step.padEnd(34)} ${s.toFixed(1)}`)].join('\n'));
});

const name = () => `${config.project}-${config.name}-web`;

async function loadBalancer() {
  const { LoadBalancers } = await aws.elb.send(new DescribeLoadBalancersCommand({ Names: [name()] }));
  return LoadBalancers![0];
}

async function group() {
  const { AutoScalingGroups } = await aws.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${name()}-web`] }));
  return AutoScalingGroups![0];
}

/** A launch template version's user data, decoded, as EC2 hands it to the instance. */
async function userDataOf(version: string): Promise<string> {
  const { LaunchTemplateVersions } = await aws.ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: (await group()).LaunchTemplate!.LaunchTemplateId, Versions: [version] }),
  );
  return Buffer.from(LaunchTemplateVersions![0].LaunchTemplateData!.UserData!, 'base64').toString('utf8');
}

async function releaseBucket(): Promise<string> {
  return String((await applied.outputs()).release_bucket);
}

/** Boots user data in an isolated root with the real AWS CLI pointed at the emulator. */
async function boot(userData: string): Promise<BootedInstance> {
  const port = config.webapp.appPort;
  if ((await get(port, '/')).status !== 0) throw new Error(`port ${port} (the dev app port) already answers on this machine; stop what listens there`);
  const instance = await bootInstance({
    userData,
    awsCli: REAL_AWS,
    caBundle: applied.emulator.caBundle,
    env: { AWS_ENDPOINT_URL: applied.emulator.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
  });
  booted.push(instance);
  return instance;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => done({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls the target group's health check until it answers 200 (or the bound passes). */
async function healthCheck(): Promise<{ status: number; body: string }> {
  const { appPort, healthCheck: hc } = config.webapp;
  let last = { status: 0, body: '' };
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    last = await get(appPort, hc.path);
    if (last.status === 200) break;
  }
  return last;
}

function stopService(instance: BootedInstance): void {
  instance.terminate();
  booted.splice(booted.indexOf(instance), 1);
}

describe('the web dev stack applied to the emulator', () => {
  it('applies most of the stack', () => {
    expect(applied.plan.excluded.length).toBeLessThan(applied.plan.targets.length / 5);
  });

  it('creates an application load balancer that drops invalid headers', async () => {
    // (moto leaves Scheme out of DescribeLoadBalancers; `internal = false` is asserted at synth.)
    const lb = await loadBalancer();
    expect(lb.Type).toBe('application');
    const { Attributes } = await aws.elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    expect(Attributes).toContainEqual({ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' });
  });

  it('redirects 80 to HTTPS and terminates TLS on 443 with the modern policy', async () => {
    const { Listeners } = await aws.elb.send(new DescribeListenersCommand({ LoadBalancerArn: (await loadBalancer()).LoadBalancerArn }));
    const http = Listeners!.find((l) => l.Port === 80)!;
    expect(http.DefaultActions![0]).toMatchObject({ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } });
    const https = Listeners!.find((l) => l.Port === 443)!;
    expect(https).toMatchObject({ Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    expect(https.DefaultActions![0].Type).toBe('forward');
  });

  it('health-checks targets on the readiness path with the configured timings', async () => {
    const { TargetGroups } = await aws.elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: (await loadBalancer()).LoadBalancerArn }));
    const hc = config.webapp.healthCheck;
    expect(TargetGroups![0]).toMatchObject({
      Port: config.webapp.appPort,
      HealthCheckPath: hc.path,
      HealthCheckIntervalSeconds: hc.intervalSeconds,
      HealthCheckTimeoutSeconds: hc.timeoutSeconds,
      HealthyThresholdCount: hc.healthyThreshold,
      UnhealthyThresholdCount: hc.unhealthyThreshold,
    });
  });

  it('launches instances with IMDSv2 only, hop limit 1, an encrypted root volume and no public IP', async () => {
    const { LaunchTemplateVersions } = await aws.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: (await group()).LaunchTemplate!.LaunchTemplateId, Versions: ['$Latest'] }),
    );
    const data = LaunchTemplateVersions![0].LaunchTemplateData!;
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.BlockDeviceMappings![0].Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
    expect(data.NetworkInterfaces![0].AssociatePublicIpAddress).toBe(false);
    expect(data.ImageId).toBe(AL2023_AMI);
  });

  it('runs the group across the private subnets with ELB health checks, the warmup and the target group', async () => {
    const g = await group();
    expect(g).toMatchObject({ HealthCheckType: 'ELB', MinSize: config.webapp.minInstances, MaxSize: config.webapp.maxInstances });
    expect(g.VPCZoneIdentifier!.split(',')).toHaveLength(config.webapp.network.availabilityZones.length);
    expect(g.HealthCheckGracePeriod).toBe(config.webapp.startupSeconds + releaseTimings(config.webapp).healthySeconds);
    expect(g.TargetGroupARNs).toHaveLength(1);
  });

  it('names the initial release in the default version, its bucket filled in by Terraform, and uploads it there', async () => {
    const script = await userDataOf('$Default');
    const bucket = await releaseBucket();
    expect(script).toMatch(new RegExp(`^release='s3://${bucket}/webapp/${config.webapp.initialReleaseVersion}\\.tar\\.gz'$`, 'm'));
    const { Contents } = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'webapp/' }));
    expect(Contents!.map((o) => o.Key)).toEqual([`webapp/${config.webapp.initialReleaseVersion}.tar.gz`]);
  });

  it('leaves out only the pipeline parts moto cannot take, and what depends on them', () => {
    const excluded = applied.plan.excluded.map((e) => e.address.split('.')[0]);
    expect(new Set(excluded)).toEqual(
      new Set([
        'aws_codebuild_project',
        'aws_codecommit_repository',
        'aws_codecommit_approval_rule_template',
        'aws_codecommit_approval_rule_template_association',
        'aws_codepipeline',
        'aws_cloudwatch_event_rule',
        'aws_cloudwatch_event_target',
        'aws_iam_role_policy',
      ]),
    );
  });
});

describe('a fresh apply serves', () => {
  it("boots the default version's user data, unmodified, into a service that passes the target group's health check", async () => {
    const instance = await timed('boot the fresh apply', async () => boot(await userDataOf('$Default')));
    expect(instance.console).toContain('webapp-install: started');
    expect(instance.exitCode).toBe(0);
    const health = await healthCheck();
    expect(health, `the service's journal:\n${instance.journal('webapp')}`).toEqual({ status: 200, body: '{"status":"ready"}\n' });
    // The unit ran as its own user with the environment the user data wrote.
    const env = readFileSync(instance.file('/etc/webapp/env'), 'utf8');
    expect(env).toContain(`PORT=${config.webapp.appPort}`);
    expect(env).toContain(`TRUSTED_PROXIES=${config.webapp.network.publicSubnetCidrs.join(',')}\n`);
    expect(instance.systemctlCalls()).toEqual(['daemon-reload', 'enable --now webapp']);
    const info = JSON.parse((await get(config.webapp.appPort, '/api/v1/info')).body);
    expect(info.version).toBe(config.webapp.initialReleaseVersion);
    stopService(instance);
  }, 120_000);
});

describe("the pipeline's actions against the emulator", () => {
  // The source both actions get: this tree, committed (the pipeline's SourceOutput).
  let repository: string;
  let buildOutput: string;
  let commit: string;
  let releasedVersion: string;

  it('Build: app/buildspec.yml on this tree makes webapp.tar.gz', async () => {
    repository = commitWorkingTree();
    commit = head(repository);
    buildOutput = mkdtempSync(join(tmpdir(), 'build-output-'));
    const result = await timed('Build action (local CodeBuild)', () =>
      runCodeBuild({ buildspec: 'app/buildspec.yml', repository, artifactsDir: buildOutput, variables: { VERSION: commit } }),
    );
    expect(result.failure).toBeUndefined();
    expect(result.artifacts).toEqual(['webapp.tar.gz']);
  }, 180_000);

  it("Deploy: app/deployspec.yml with the deploy project's environment publishes the build and moves the group to a new version", async () => {
    // GIVEN the deploy project's variables as Terraform evaluated them, the pipeline's VERSION, and
    // the emulator behind the AWS CLI (instance refresh simulated: moto has none)
    const environment = (await applied.outputs()).deploy_environment as Record<string, string>;
    const fake = mkdtempSync(join(tmpdir(), 'aws-on-emulator-'));
    execFileSync('cp', [resolve(__dirname, 'aws-on-emulator.sh'), join(fake, 'aws')]);
    const before = (await group()).LaunchTemplate!.Version;
    // WHEN
    const result = await timed('Deploy action (local CodeBuild)', () =>
      runCodeBuild({
        buildspec: 'app/deployspec.yml',
        repository,
        secondarySources: { BuildOutput: buildOutput },
        artifactsDir: mkdtempSync(join(tmpdir(), 'deploy-output-')),
        region: config.region,
        variables: {
          ...environment,
          VERSION: commit,
          POLL_SECONDS: '0',
          PATH: `${fake}:${process.env.PATH}`,
          REAL_AWS,
          REFRESH_STATE_DIR: fake,
          AWS_ENDPOINT_URL: applied.emulator.endpoint,
          AWS_CA_BUNDLE: applied.emulator.caBundle,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
        },
      }),
    );
    // THEN
    expect(result.failure, result.log).toBeUndefined();
    expect(result.log).toContain(`released ${commit}`);
    const { Contents } = await aws.s3.send(new ListObjectsV2Command({ Bucket: environment.RELEASE_BUCKET, Prefix: 'webapp/' }));
    expect(Contents!.map((o) => o.Key)).toContain(`webapp/${commit}.tar.gz`);
    releasedVersion = (await group()).LaunchTemplate!.Version!;
    expect(releasedVersion).not.toBe(before);
    const refresh = readFileSync(join(fake, 'refreshes'), 'utf8').split('\x1f');
    expect(JSON.parse(refresh[refresh.indexOf('--preferences') + 1])).toMatchObject({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200 });
  }, 180_000);

  it('the released version boots into the released build', async () => {
    const script = await userDataOf(releasedVersion);
    expect(script).toMatch(new RegExp(`^release='s3://[^']+/webapp/${commit}\\.tar\\.gz'$`, 'm'));
    const instance = await timed('boot the released version', () => boot(script));
    expect(instance.exitCode, instance.console).toBe(0);
    expect((await healthCheck()).status, `the service's journal:\n${instance.journal('webapp')}`).toBe(200);
    expect(JSON.parse((await get(config.webapp.appPort, '/api/v1/info')).body)).toMatchObject({ version: commit, commit });
    stopService(instance);
  }, 120_000);
});

describe('after the apply and a release, Terraform wants nothing', () => {
  it(
    'plan -detailed-exitcode reports no changes (but the known emulator drift)',
    async () => {
      const plan = await timed('plan -detailed-exitcode', () => applied.planChanges());
      expectNoChangesButDrift(plan, EMULATOR_DRIFT.web);
    },
    STEP_TIMEOUT,
  );
});

describe('a missing or broken release fails the boot loudly, installing nothing', () => {
  const initialKey = () => `webapp/${config.webapp.initialReleaseVersion}.tar.gz`;
  /** Removes the object with its history. (A delete marker would do too, but moto 5.2.5 then fails the destroy's version deletes with HTTP 500.) */
  async function deleteEveryVersion(bucket: string) {
    const { Versions } = await aws.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: initialKey() }));
    for (const v of Versions ?? []) await aws.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: initialKey(), VersionId: v.VersionId }));
  }

  it.each([
    [
      'corrupt',
      async (bucket: string) => aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: initialKey(), Body: 'this is not a gzip archive' })),
      /gzip|not in gzip format|Error is not recoverable/,
    ],
    ['missing', deleteEveryVersion, /404|Not Found|does not exist/],
    [
      'arm64 (built for another architecture than the instances)',
      async (bucket: string) =>
        aws.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: initialKey(),
            Body: tarGzDirectory(initialReleaseDirectory(config.webapp.initialReleaseVersion, 'arm64')),
          }),
        ),
      /bin\/webapp in .* is not a Linux x86_64 executable/,
    ],
  ])(
    'a %s release object',
    async (_case, breakRelease, error) => {
      // GIVEN the release the default version names is broken
      await breakRelease(await releaseBucket());
      // WHEN its user data boots
      const instance = await boot(await userDataOf('$Default'));
      // THEN the script fails, says so on the console, and leaves no service or unit behind
      expect(instance.exitCode).not.toBe(0);
      expect(instance.console).toMatch(/webapp-install: FAILED/);
      expect(instance.console).toMatch(error);
      expect(instance.systemctlCalls()).toEqual([]);
      expect(() => readFileSync(instance.file('/etc/systemd/system/webapp.service'))).toThrow();
      expect(() => readFileSync(instance.file('/opt/webapp/bin/webapp'))).toThrow();
      stopService(instance);
    },
    120_000,
  );
});

describe('destroy and re-create in the same account', () => {
  it(
    'destroys everything, non-empty versioned buckets included',
    async () => {
      await timed('destroy', () => applied.destroy());
      destroyed = true;
      expect((await aws.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).toEqual([]);
      expect((await aws.asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []).toEqual([]);
      expect((await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
      const { ResourceRecordSets } = await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: config.dns.hostedZoneId }));
      expect(ResourceRecordSets!.filter((r) => !['SOA', 'NS'].includes(r.Type!)).map((r) => `${r.Name} ${r.Type}`)).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  it(
    'applies again: nothing left behind blocks re-creation',
    async () => {
      await timed('apply again', () => applied.apply());
      destroyed = false;
      expect((await group()).MinSize).toBe(config.webapp.minInstances);
    },
    STEP_TIMEOUT,
  );

  it(
    'destroys again',
    async () => {
      await timed('destroy again', () => applied.destroy());
      destroyed = true;
      expect((await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  it('stayed within the request bound', () => {
    expect(applied.emulator.requests()).toBeLessThan(MAX_REQUESTS);
  });
});
