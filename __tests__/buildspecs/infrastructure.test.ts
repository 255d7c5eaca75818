// The infrastructure pipeline (stacks/pipeline) run as CodePipeline runs an execution (the local
// CodePipeline, harness/codepipeline.ts, on dev's synthesized pipeline stack with an approval) and its
// buildspecs (buildspecs/infrastructure-*.yml) as CodeBuild runs them (the local runner, from a clean
// copy of the committed tree, the Plan action's artifact handed to the Apply action as its secondary
// source) against the emulator, with dev's stacks keeping their state in an S3 bucket there
// (use_lockfile): plan, a refused approval that applies nothing, the approval retried and given and
// exactly the saved plan applied, that plan refused once applied, a drift check after the apply, and a
// console edit reported by the next drift check. The web stack only, limited (TF_CLI_ARGS_plan) to the
// resources the emulator can take, as applyDevStack does; AWS itself is reached the way CodeBuild's
// AWS CLI and Terraform reach it, here through AWS_ENDPOINT_URL.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTagsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironments, parseEnvironmentConfig, readEnvironmentFile } from '../../config/load';
import { runCodeBuild, type CodeBuildResult } from '../../harness/codebuild/runner';
import { PipelineExecution } from '../../harness/codepipeline';
import {
  EMULATOR_ACCOUNT_ID,
  EMULATOR_DRIFT_BEFORE_RELEASE,
  emulatorClientConfig,
  emulatorCliEnv,
  emulatorTargets,
  readStackJson,
  startEmulator,
  VENV_BIN,
  type Emulator,
} from '../../harness/emulator';
import { offlineTerraformEnv, synthesizeAll, synthesizeBootstraps, terraformExit, type Json } from '../../harness/offline-terraform';
import { DRIFT_METRIC } from '../../tools/infra';
import { commitWorkingTree, git } from '../helpers/repository';
import { stringify } from 'yaml';

const BUILD_TIMEOUT = 15 * 60_000;
const STATE_BUCKET = 'statuspage-terraform-state-emulator';
const NAMESPACE = 'statuspage-dev/Infrastructure';

let emulator: Emulator;
let repository: string;
let variables: Record<string, string>;
let vpcCidr: string;
let region: string;
/** dev's pipeline stack, synthesized. */
let pipelineStack: Json;

/** Runs an infrastructure buildspec on the committed dev config, as its CodeBuild project would. */
function build(buildspec: string, extra: { secondarySources?: Record<string, string>; variables?: Record<string, string> } = {}): Promise<CodeBuildResult> {
  return runCodeBuild({
    buildspec: `buildspecs/infrastructure-${buildspec}.yml`,
    repository,
    variables: { ...variables, ...extra.variables },
    secondarySources: extra.secondarySources,
    region,
    artifactsDir: mkdtempSync(join(tmpdir(), `infra-${buildspec}-out-`)),
    timeoutMs: BUILD_TIMEOUT,
  });
}

/** The `## stack: ...` block of a report and the resources it lists. */
function listed(report: string): string[] {
  return [...report.matchAll(/^(?:\+|~|-\/\+|-) (\S+)$/gm)].map((m) => m[1]);
}

beforeAll(async () => {
  emulator = await startEmulator();
  // GIVEN dev's config in the emulator's account, its hosted zone there, and its state in an S3
  // bucket there (what npm run bootstrap creates), committed
  const input = readEnvironmentFile('dev') as { dns: object };
  const [dev] = loadEnvironments(['dev']);
  region = dev.region;
  vpcCidr = dev.webapp.network.vpcCidr;
  const apex = dev.dns.domainName.split('.').slice(-2).join('.');
  const zone = await new Route53Client(emulatorClientConfig(emulator, 'us-east-1')).send(
    new CreateHostedZoneCommand({ Name: apex, CallerReference: `infra-${Date.now()}` }),
  );
  const patched = {
    ...input,
    accountId: EMULATOR_ACCOUNT_ID,
    dns: { ...input.dns, hostedZoneId: zone.HostedZone!.Id!.replace('/hostedzone/', '') },
    state: { backend: 's3', bucket: STATE_BUCKET, region },
    // dev's pipeline with the approval production has
    pipeline: { requireApproval: true },
  };
  const config = parseEnvironmentConfig(patched, 'dev');
  const s3 = new S3Client({ ...emulatorClientConfig(emulator, region), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: STATE_BUCKET, CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: STATE_BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  repository = commitWorkingTree({ 'environments/dev.yaml': stringify(patched) });
  // The environment's branch, which the pipeline's Source reads
  git(repository, 'branch', config.webapp.delivery.branch);
  const pipeline = synthesizeBootstraps([config]).find((s) => s.name === 'pipeline-dev')!;
  pipelineStack = readStackJson(pipeline.dir);
  // The resources of web-dev the emulator can take (EMULATOR_GAPS), as every emulator apply targets them.
  const [web] = synthesizeAll([config], ['web']);
  const targets = emulatorTargets(readStackJson(web.dir)).targets;
  variables = {
    DEPLOY_ENV: 'dev',
    SYSTEMS: 'web',
    METRIC_NAMESPACE: NAMESPACE,
    VERIFY: 'no',
    ...emulatorCliEnv(emulator),
    TF_CLI_ARGS_plan: targets.map((t) => `-target=${t}`).join(' '),
    // Terraform from the mirror (CodeBuild's comes from the registry through install-terraform.sh);
    // checkov and the AWS CLI from .venv; npm ci from this machine's cache.
    TF_CLI_CONFIG_FILE: offlineTerraformEnv().TF_CLI_CONFIG_FILE!,
    CHECKOV: join(VENV_BIN, 'checkov'),
    PATH: `${VENV_BIN}:${process.env.PATH}`,
    npm_config_prefer_offline: 'true',
  };
}, BUILD_TIMEOUT);

afterAll(async () => {
  await emulator?.stop();
});

describe('the infrastructure pipeline on the emulator', () => {
  let execution: PipelineExecution;
  let shown: string | undefined;
  let plan: CodeBuildResult;
  let apply: CodeBuildResult;
  const s3 = () => new S3Client({ ...emulatorClientConfig(emulator, region), forcePathStyle: true });
  const vpcs = async () =>
    (await new EC2Client(emulatorClientConfig(emulator, region)).send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: [vpcCidr] }] }))).Vpcs ?? [];
  const stateKeys = async () => ((await s3().send(new ListObjectsV2Command({ Bucket: STATE_BUCKET }))).Contents ?? []).map((o) => o.Key!);

  it(
    'plans, shows the plan summary in the approval, and applies nothing when the approval is refused',
    async () => {
      // WHEN a push runs the pipeline and the reviewer refuses the approval
      execution = await new PipelineExecution({
        stack: pipelineStack,
        repository,
        region,
        environment: variables,
        approve: (customData) => {
          shown = customData;
          return false;
        },
        buildTimeoutMs: BUILD_TIMEOUT,
      }).start();
      // THEN Source and Plan succeed, the approval fails the execution, and Apply never runs
      expect(execution.actions.map((a) => [a.action, a.status])).toEqual([
        ['Source', 'Succeeded'],
        ['Plan', 'Succeeded'],
        ['Approve', 'Failed'],
      ]);
      expect(execution.status).toBe('Failed');
      // AND the Plan action's artifact holds the plan file and the lock file, no provider
      plan = execution.build('Plan');
      expect(plan.artifacts).toEqual(expect.arrayContaining(['stacks/web-dev/tfplan', 'stacks/web-dev/.terraform.lock.hcl', 'plan-summary.md']));
      expect(plan.artifacts.filter((f) => f.includes('.terraform/'))).toEqual([]);
      // AND the reviewer saw the commit and the plan's summary
      expect(plan.exportedVariables.PLAN_SUMMARY).toMatch(/^web-dev: \d+ to add, 0 to change, 0 to replace, 0 to destroy; checkov: 0 unwaived failures$/);
      const commit = git(repository, 'rev-parse', 'dev');
      expect(shown).toBe(`Apply commit ${commit} to dev: ${plan.exportedVariables.PLAN_SUMMARY}. The whole plan is in the Plan action's log.`);
      // AND nothing is applied: no VPC, no state, the lock file released
      expect(await vpcs()).toEqual([]);
      expect(await stateKeys()).toEqual([]);
    },
    BUILD_TIMEOUT,
  );

  it(
    'applies exactly the saved plan once the approval is retried and given, with the state in the S3 bucket',
    async () => {
      // WHEN the reviewer retries the failed Approve stage and approves
      await execution.retryStage('Approve', () => true);
      // THEN Apply runs on the Plan action's artifact and succeeds
      expect(execution.actions.slice(3).map((a) => [a.action, a.status])).toEqual([
        ['Approve', 'Succeeded'],
        ['Apply', 'Succeeded'],
      ]);
      expect(execution.status).toBe('Succeeded');
      apply = execution.build('Apply');
      // AND the VPC exists, and the state is where the backend says, with as many resources as planned
      expect(await vpcs()).toHaveLength(1);
      const state = await s3().send(new GetObjectCommand({ Bucket: STATE_BUCKET, Key: `cdktf/${region}/web-dev.tfstate` }));
      const resources = JSON.parse(await state.Body!.transformToString()).resources as unknown[];
      const planned = Number(/web-dev: (\d+) to add/.exec(plan.exportedVariables.PLAN_SUMMARY)![1]);
      expect(resources.filter((r) => (r as { mode: string }).mode === 'managed')).toHaveLength(planned);
    },
    BUILD_TIMEOUT,
  );

  it(
    'refuses to apply that plan a second time: it is stale once applied',
    async () => {
      // WHEN the same saved plan is applied again where it was applied
      const dir = join(apply.srcDir, 'cdktf.out', 'stacks', 'web-dev');
      const { code, stderr } = await terraformExit(
        dir,
        { ...offlineTerraformEnv(), ...variables },
        ['apply', '-no-color', '-input=false', 'tfplan'],
        BUILD_TIMEOUT,
        [1],
      );
      // THEN Terraform refuses it
      expect(code).toBe(1);
      expect(stderr).toMatch(/Saved plan is stale/);
    },
    BUILD_TIMEOUT,
  );

  let before: CodeBuildResult;
  it(
    'finds no drift after the apply but what the emulator reads back differently, and publishes a datum per stack',
    async () => {
      // WHEN the drift check runs after the apply
      before = await build('drift');
      // THEN it lists nothing but what the emulator is known to read back differently
      expect(before.failure).toBeUndefined();
      const known = new Set(EMULATOR_DRIFT_BEFORE_RELEASE.web.map((d) => d.address));
      expect(listed(before.log).filter((address) => !known.has(address))).toEqual([]);
      // AND the Drift metric of web-dev is in CloudWatch for the alarm
      const metrics = await new CloudWatchClient(emulatorClientConfig(emulator, region)).send(new ListMetricsCommand({ Namespace: NAMESPACE }));
      expect(metrics.Metrics?.map((m) => [m.MetricName, m.Dimensions])).toEqual([[DRIFT_METRIC, [{ Name: 'Stack', Value: 'web-dev' }]]]);
    },
    BUILD_TIMEOUT,
  );

  it(
    'reports a change made outside the pipeline',
    async () => {
      // GIVEN a tag added to the VPC by hand
      const [vpc] = await vpcs();
      await new EC2Client(emulatorClientConfig(emulator, region)).send(
        new CreateTagsCommand({ Resources: [vpc.VpcId!], Tags: [{ Key: 'edited', Value: 'by hand' }] }),
      );
      // WHEN the drift check runs again
      const after = await build('drift');
      // THEN it names the VPC, which the check before did not
      expect(after.failure).toBeUndefined();
      const vpcAddress = (log: string) => listed(log).filter((a) => a.startsWith('aws_vpc.'));
      expect(vpcAddress(before.log)).toEqual([]);
      expect(vpcAddress(after.log)).toEqual([expect.stringMatching(/^aws_vpc\.network_vpc_/)]);
      expect(readFileSync(join(after.srcDir, 'cdktf.out', 'drift-metrics.json'), 'utf8')).toMatch(/"Value": 1/);
    },
    BUILD_TIMEOUT,
  );
});
