// The infrastructure pipeline stack: its stages (Plan's saved plans are what Apply applies, after
// the approval production asks for), its drift check and alarms, and its roles, read as data and
// evaluated as IAM decides (harness/authorization.ts): the deploy role may use its environment's
// state and resources and nothing of another environment; plan and drift change nothing.
import { Testing } from 'cdktf';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentNames, loadEnvironments } from '../../../config/load';
import { AccountPolicies } from '../../../harness/authorization';
import { DEPLOY_SERVICES, deployServices } from '../../../stacks/pipeline/deploy-permissions';
import { hasInfrastructurePipeline, PipelineStack } from '../../../stacks/pipeline/pipeline-stack';
import { config, everyShippedStack, policyStatements, resourceList, synth, WITH_JENKINS, type Json } from '../../helpers/synth';
import { buildStacks } from '../../../stacks';

const PROD_STATE = { backend: 's3', bucket: 'statuspage-terraform-state-333333333333', region: 'eu-west-1' } as const;

function pipelineJson(env: string, patch: Parameters<typeof config>[1] = {}): Json {
  return synth(new PipelineStack(Testing.app(), config(env, patch))).json;
}

const roleNamed = (json: Json, name: string) => resourceList(json, 'aws_iam_role').find((r) => r.name === name)!;
const inlineStatements = (json: Json, policyName: string): Json[] =>
  policyStatements(resourceList(json, 'aws_iam_role_policy').find((p) => p.name === policyName)!.policy);

describe('which environments get a pipeline', () => {
  it.each(environmentNames().map((n) => [n] as const))('%s: one exactly when its state is in S3', (name) => {
    const [c] = loadEnvironments([name]);
    expect(hasInfrastructurePipeline(c)).toBe(c.state.backend === 's3');
  });

  it('refuses pipeline.enabled without S3 state, naming the field and the fix', () => {
    expect(() => config('dev', { pipeline: { enabled: true } })).toThrow(/pipeline\.enabled: is true with state\.backend local.*state: \{ backend: s3/);
  });

  it('refuses a drift schedule that is not a schedule expression', () => {
    expect(() => config('prod', { pipeline: { driftSchedule: 'daily' } })).toThrow(/pipeline\.driftSchedule: must be an EventBridge schedule expression/);
  });
});

describe('the pipeline of production', () => {
  let json: Json;
  let pipeline: Json;
  beforeAll(() => {
    json = pipelineJson('prod');
    pipeline = resourceList(json, 'aws_codepipeline')[0];
  });

  it('runs Source, Plan, Approve, Apply in that order, one run at a time', () => {
    expect(pipeline.stage.map((s: Json) => s.name)).toEqual(['Source', 'Plan', 'Approve', 'Apply']);
    expect(pipeline.execution_mode).toBe('QUEUED');
  });

  it("takes the source from the web stack's repository, on the environment's branch", () => {
    expect(pipeline.stage[0].action[0]).toMatchObject({ provider: 'CodeCommit', configuration: { RepositoryName: 'webapp', BranchName: 'main' } });
  });

  it("shows the Plan action's summary in the approval", () => {
    expect(pipeline.stage[2].action[0].configuration.CustomData).toMatch(/#\{PlanVariables\.PLAN_SUMMARY\}/);
    expect(pipeline.stage[1].action[0].namespace).toBe('PlanVariables');
  });

  it("applies the Plan action's artifact, with the source as the primary input", () => {
    const [plan, apply] = [pipeline.stage[1].action[0], pipeline.stage[3].action[0]];
    expect(apply.input_artifacts).toEqual(['SourceOutput', ...plan.output_artifacts]);
    expect(apply.configuration.PrimarySource).toBe('SourceOutput');
  });

  it.each([
    ['plan', 'buildspecs/infrastructure-plan.yml'],
    ['apply', 'buildspecs/infrastructure-apply.yml'],
    ['drift', 'buildspecs/infrastructure-drift.yml'],
  ])('runs %s from %s, encrypted, for the environment', (kind, buildspec) => {
    const project = resourceList(json, 'aws_codebuild_project').find((p) => p.name === `statuspage-prod-infra-${kind}`)!;
    expect(project.source.buildspec).toBe(buildspec);
    expect(project.encryption_key).toMatch(/aws_kms_key\.key_/);
    expect(project.environment.environment_variable).toContainEqual(expect.objectContaining({ name: 'DEPLOY_ENV', value: 'prod' }));
    expect(project.environment.privileged_mode).toBe(false);
  });

  it('checks for drift daily on the head of the branch, and alarms per stack and when the check fails', () => {
    const drift = resourceList(json, 'aws_codebuild_project').find((p) => p.name === 'statuspage-prod-infra-drift')!;
    expect(drift.source_version).toBe('refs/heads/main');
    expect(resourceList(json, 'aws_cloudwatch_event_rule').find((r) => r.name === 'statuspage-prod-infra-drift')!.schedule_expression).toBe('rate(1 day)');
    const alarms = resourceList(json, 'aws_cloudwatch_metric_alarm');
    expect(alarms.filter((a) => a.metric_name === 'Drift').map((a) => a.dimensions.Stack)).toEqual(['cachet-prod', 'web-prod']);
    expect(alarms.find((a) => a.metric_name === 'FailedBuilds')).toMatchObject({ namespace: 'AWS/CodeBuild', treat_missing_data: 'notBreaching' });
    for (const alarm of alarms)
      expect([alarm.alarm_name, alarm.alarm_actions]).toEqual([alarm.alarm_name, [expect.stringMatching(/aws_sns_topic\.alarm-topic_/)]]);
  });

  it('gives plan and drift read-only access: AWS ReadOnlyAccess and the state, the lock file to plan only', () => {
    const attached = resourceList(json, 'aws_iam_role_policy_attachment').map((a) => a.policy_arn);
    expect(attached).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::aws:policy/ReadOnlyAccess']);
    const writes = (name: string) =>
      inlineStatements(json, name).filter((s) => [s.Action].flat().some((a: string) => a === 's3:PutObject' && s.Sid !== 'ReadAndWriteArtifacts'));
    expect(writes('plan').map((s) => s.Resource)).toEqual([
      [
        `arn:aws:s3:::${PROD_STATE.bucket}/cdktf/eu-west-1/cachet-prod.tfstate.tflock`,
        `arn:aws:s3:::${PROD_STATE.bucket}/cdktf/eu-west-1/web-prod.tfstate.tflock`,
      ],
    ]);
    expect(writes('drift')).toEqual([]);
  });
});

describe('a staging with S3 state', () => {
  it('has no approval unless it asks for one', () => {
    const staging = { state: { ...PROD_STATE, bucket: 'statuspage-terraform-state-222222222222' } };
    const stages = (patch: object) => resourceList(pipelineJson('staging', { ...staging, ...patch }), 'aws_codepipeline')[0].stage.map((s: Json) => s.name);
    expect(stages({})).toEqual(['Source', 'Plan', 'Apply']);
    expect(stages({ pipeline: { requireApproval: true } })).toEqual(['Source', 'Plan', 'Approve', 'Apply']);
  });
});

describe('a GitHub source', () => {
  it('reads through a connection of its own, in the pipeline and the drift check', () => {
    const json = pipelineJson('prod', { webapp: { delivery: { source: { provider: 'github', fullRepositoryId: 'example/webapp' } } } });
    const [pipeline] = resourceList(json, 'aws_codepipeline');
    expect(pipeline.stage[0].action[0]).toMatchObject({ provider: 'CodeStarSourceConnection', configuration: { FullRepositoryId: 'example/webapp' } });
    const drift = resourceList(json, 'aws_codebuild_project').find((p) => p.name === 'statuspage-prod-infra-drift')!;
    expect(drift.source).toMatchObject({ type: 'GITHUB', auth: { type: 'CODECONNECTIONS' } });
  });
});

describe('the deploy permissions table', () => {
  it("covers every resource type of every environment's stacks, the Jenkins, GitHub (with pull request reports) and Cachet SSH variants too", async () => {
    const types = new Set<string>();
    const github = { provider: 'github' as const, fullRepositoryId: 'example/webapp', pullRequestAuthors: [583231] };
    const variants = [
      config('dev', WITH_JENKINS),
      config('dev', { webapp: { delivery: { source: github, enablePullRequestReports: true } } }),
      // An operator address: SSH, and Cachet's setup paths open to that address only (a WAF IP set)
      config('dev', { cachet: { ssh: { operatorCidr: '203.0.113.7/32' } } }),
    ];
    const stacks = [
      ...(await everyShippedStack()).map(([, j]) => j),
      ...variants.flatMap((variant) => buildStacks(Testing.app(), [variant]).map((s) => JSON.parse(Testing.synth(s)))),
    ];
    for (const stack of stacks) for (const type of Object.keys(stack.resource)) types.add(type);
    expect(() => deployServices(types)).not.toThrow();
  });

  it('refuses a resource type it has no entry for, naming it and the table', () => {
    expect(() => deployServices(['aws_elasticache_cluster'])).toThrow(/no entry for aws_elasticache_cluster; add .* DEPLOY_SERVICES/);
  });

  it('lists no service twice for a type and only lowercase IAM prefixes', () => {
    for (const [type, services] of Object.entries(DEPLOY_SERVICES)) {
      expect([type, new Set(services).size]).toEqual([type, services.length]);
      for (const service of services) expect(service).toMatch(/^[a-z0-9-]+$/);
    }
  });
});

describe('the roles, as IAM decides', () => {
  let policies: AccountPolicies;
  const ACCOUNT = '333333333333';
  const role = (kind: string) => `arn:aws:iam::${ACCOUNT}:role/statuspage-prod-infra-${kind}`;
  const stateKey = (stack: string) => `arn:aws:s3:::${PROD_STATE.bucket}/cdktf/eu-west-1/${stack}.tfstate`;
  beforeAll(() => {
    policies = new AccountPolicies({ 'pipeline-prod': pipelineJson('prod') });
  });

  it.each([
    ['deploy writes its stacks state', 'deploy', 's3:PutObject', stateKey('web-prod'), {}, 'Allowed'],
    ['deploy takes its lock file', 'deploy', 's3:PutObject', `${stateKey('cachet-prod')}.tflock`, {}, 'Allowed'],
    ["deploy never writes another environment's state", 'deploy', 's3:PutObject', stateKey('web-staging'), {}, 'ImplicitlyDenied'],
    ["deploy never reads another environment's state", 'deploy', 's3:GetObject', stateKey('cachet-dev'), {}, 'ImplicitlyDenied'],
    [
      'deploy creates a VPC for its environment',
      'deploy',
      'ec2:CreateVpc',
      `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc/*`,
      { 'aws:RequestTag/environment': 'prod', 'aws:RequestedRegion': 'eu-west-1' },
      'Allowed',
    ],
    [
      'deploy creates nothing tagged for another environment',
      'deploy',
      'ec2:CreateVpc',
      `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc/*`,
      { 'aws:RequestTag/environment': 'staging', 'aws:RequestedRegion': 'eu-west-1' },
      'ExplicitlyDenied',
    ],
    [
      "deploy never terminates another environment's instance",
      'deploy',
      'ec2:TerminateInstances',
      `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0123456789abcdef0`,
      { 'aws:ResourceTag/environment': 'staging', 'aws:RequestedRegion': 'eu-west-1' },
      'ExplicitlyDenied',
    ],
    [
      'deploy works in no other region',
      'deploy',
      'ec2:CreateVpc',
      `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/*`,
      { 'aws:RequestedRegion': 'us-east-1' },
      'ExplicitlyDenied',
    ],
    [
      'deploy manages the environment roles',
      'deploy',
      'iam:PutRolePolicy',
      `arn:aws:iam::${ACCOUNT}:role/statuspage-prod-web-deploy`,
      { 'aws:RequestedRegion': 'us-east-1' },
      'Allowed',
    ],
    [
      'deploy manages no other role, its own pipeline roles neither',
      'deploy',
      'iam:PutRolePolicy',
      `arn:aws:iam::${ACCOUNT}:role/statuspage-staging-web-deploy`,
      {},
      'ImplicitlyDenied',
    ],
    [
      'deploy touches no other bucket',
      'deploy',
      's3:DeleteBucket',
      'arn:aws:s3:::someone-elses-bucket',
      { 'aws:RequestedRegion': 'eu-west-1' },
      'ImplicitlyDenied',
    ],
    ['plan takes the lock file', 'plan', 's3:PutObject', `${stateKey('web-prod')}.tflock`, {}, 'Allowed'],
    ['plan never writes the state', 'plan', 's3:PutObject', stateKey('web-prod'), {}, 'ImplicitlyDenied'],
    ['plan changes nothing', 'plan', 'ec2:CreateVpc', `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc/*`, { 'aws:RequestedRegion': 'eu-west-1' }, 'ImplicitlyDenied'],
    ['drift never takes the lock', 'drift', 's3:PutObject', `${stateKey('web-prod')}.tflock`, {}, 'ImplicitlyDenied'],
    ['drift publishes its datum', 'drift', 'cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'statuspage-prod-infra/Infrastructure' }, 'Allowed'],
    ['drift publishes nothing else', 'drift', 'cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'AWS/EC2' }, 'ImplicitlyDenied'],
  ] as const)('%s', async (_what, kind, action, resource, context, decision) => {
    // Every request names its region (S3's too); IAM's is us-east-1.
    const region = { 'aws:RequestedRegion': action.startsWith('iam:') ? 'us-east-1' : 'eu-west-1' };
    expect(await policies.decide({ principal: role(kind), action, resource, context: { ...region, ...context } })).toBe(decision);
  });

  it('lets CodeBuild of this account only assume the deploy role', () => {
    const [trust] = policyStatements(roleNamed(pipelineJson('prod'), 'statuspage-prod-infra-deploy').assume_role_policy);
    expect(trust).toMatchObject({ Principal: { Service: 'codebuild.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } });
  });
});
