import { existsSync, readFileSync } from 'node:fs';
import { projectPath } from '../../../project';
import { describe, expect, it } from 'vitest';
import { CodebuildProject } from '@cdktf/provider-aws/lib/codebuild-project';
import { DeliveryPipeline, type DeliveryPipelineProps } from '../../../stacks/web/delivery-pipeline';
import type { IReleaseTarget } from '../../../stacks/web/web-server-fleet';
import { Grant } from '../../../constructs/grants';
import { addTestFleet, emptyStack, policyStatements, resourceList, synth, type Json } from '../../helpers/synth';

function build(props: Partial<DeliveryPipelineProps> = {}) {
  const stack = emptyStack();
  const { key, fleet } = addTestFleet(stack);
  new DeliveryPipeline(stack, 'delivery', {
    name: 'test-web',
    source: { provider: 'codecommit', repositoryName: 'webapp' },
    branch: 'staging',
    environment: 'staging',
    fleet,
    encryptionKey: key,
    ...props,
  });
  return synth(stack);
}

const pipeline = (json: Json) => resourceList(json, 'aws_codepipeline')[0];
const action = (json: Json, stage: string) => pipeline(json).stage.find((s: Json) => s.name === stage).action[0];
const project = (json: Json, kind: 'build' | 'deploy') => resourceList(json, 'aws_codebuild_project').find((p) => p.name === `test-web-${kind}`)!;
const variable = (p: Json, name: string) => p.environment.environment_variable.find((v: Json) => v.name === name)?.value;

/**
 * Actions IAM cannot scope to a resource (service authorization reference); the only ones that may
 * have `"Resource": "*"`.
 */
const UNSCOPABLE = ['ec2:DescribeLaunchTemplateVersions', 'autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeInstanceRefreshes'];

describe('DeliveryPipeline pull request reports', () => {
  const reports = (json: Json) => resourceList(json, 'aws_codebuild_project').filter((p) => p.name === 'test-web-pull-requests');

  it('reports on pull requests by default with a CodeCommit source', () => {
    expect(reports(build().json)).toHaveLength(1);
  });

  it.each([
    ['turned off', { enablePullRequestReports: false }],
    ['with a GitHub source', { source: { provider: 'github', fullRepositoryId: 'example/webapp' } }],
  ] as const)('makes none %s', (_, props) => {
    expect(reports(build(props).json)).toHaveLength(0);
  });

  it('reports on GitHub pull requests when asked, through the connection, for the listed authors', () => {
    const { json } = build({
      enablePullRequestReports: true,
      source: { provider: 'github', fullRepositoryId: 'example/webapp', pullRequestAuthors: [583231] },
    });
    expect(reports(json)[0].source.auth).toEqual({
      type: 'CODECONNECTIONS',
      resource: expect.stringMatching(/^\$\{aws_codeconnections_connection\.delivery_github_\w+\.arn\}$/),
    });
    expect(resourceList(json, 'aws_codebuild_webhook')[0].filter_group[0].filter).toContainEqual({ type: 'ACTOR_ACCOUNT_ID', pattern: '^(583231)$' });
  });

  it('refuses them asked for with a GitHub source and no authors, naming the prop', () => {
    expect(() => build({ enablePullRequestReports: true, source: { provider: 'github', fullRepositoryId: 'example/webapp' } })).toThrow(
      /enablePullRequestReports is true with a GitHub source but source\.pullRequestAuthors is empty; list the GitHub user ids/,
    );
  });
});

describe('DeliveryPipeline stages', () => {
  it('runs Source -> Build -> Deploy without approval by default', () => {
    expect(pipeline(build().json).stage.map((s: Json) => s.name)).toEqual(['Source', 'Build', 'Deploy']);
  });

  it('puts a manual approval between Build and Deploy when asked', () => {
    const { json } = build({ requireApproval: true });
    expect(pipeline(json).stage.map((s: Json) => s.name)).toEqual(['Source', 'Build', 'Approve', 'Deploy']);
    expect(action(json, 'Approve')).toMatchObject({ category: 'Approval', provider: 'Manual' });
  });

  it('is a V2 pipeline that queues releases instead of running two refreshes at once', () => {
    expect(pipeline(build().json)).toMatchObject({ pipeline_type: 'V2', execution_mode: 'QUEUED' });
  });

  it('takes the branch from CodeCommit, started by an EventBridge rule on pushes to that branch (no polling)', () => {
    const { json } = build();
    expect(action(json, 'Source')).toMatchObject({ provider: 'CodeCommit', configuration: { BranchName: 'staging', PollForSourceChanges: 'false' } });
    const rule = resourceList(json, 'aws_cloudwatch_event_rule').find((r) => r.name === 'test-web-on-push')!;
    expect(JSON.parse(rule.event_pattern)).toMatchObject({ source: ['aws.codecommit'], detail: { referenceType: ['branch'], referenceName: ['staging'] } });
    const target = resourceList(json, 'aws_cloudwatch_event_target').find((t) => t.rule.includes('delivery_on-push'))!;
    expect(target.arn).toMatch(/aws_codepipeline\.delivery_pipeline_\w+\.arn/);
  });

  it('builds with version = the commit and deploys that version from the source (script) and the build output (archive)', () => {
    const { json } = build();
    const version = [{ name: 'VERSION', value: '#{SourceVariables.CommitId}', type: 'PLAINTEXT' }];
    expect(action(json, 'Source').namespace).toBe('SourceVariables');
    expect(JSON.parse(action(json, 'Build').configuration.EnvironmentVariables)).toEqual(version);
    const deploy = action(json, 'Deploy');
    expect(deploy.input_artifacts).toEqual(['SourceOutput', 'BuildOutput']);
    expect(deploy.configuration.PrimarySource).toBe('SourceOutput');
    expect(JSON.parse(deploy.configuration.EnvironmentVariables)).toEqual(version);
  });

  it('requires an approved pull request into the branch', () => {
    const { json } = build({ pullRequestApprovals: 2 });
    const [template] = resourceList(json, 'aws_codecommit_approval_rule_template');
    expect(JSON.parse(template.content)).toMatchObject({
      DestinationReferences: ['refs/heads/staging'],
      Statements: [{ Type: 'Approvers', NumberOfApprovalsNeeded: 2 }],
    });
    expect(resourceList(json, 'aws_codecommit_approval_rule_template_association')).toHaveLength(1);
  });
});

describe('DeliveryPipeline encryption', () => {
  it('encrypts the repository, the artifact store, both projects and their logs with the customer-managed key', () => {
    const { json } = build();
    const key = expect.stringMatching(/^\$\{aws_kms_key\.key_\w+\.arn\}$/);
    expect(resourceList(json, 'aws_codecommit_repository')[0].kms_key_id).toEqual(key);
    expect(pipeline(json).artifact_store).toEqual([expect.objectContaining({ type: 'S3', encryption_key: { type: 'KMS', id: key } })]);
    for (const kind of ['build', 'deploy'] as const) expect(project(json, kind).encryption_key).toEqual(key);
    const [logs] = resourceList(json, 'aws_cloudwatch_log_group');
    expect(logs).toMatchObject({ kms_key_id: key, retention_in_days: 90 });
  });

  it('keeps artifacts in a private, versioned, KMS, TLS-only bucket that expires them', () => {
    const { json } = build({ artifactRetentionDays: 14 });
    const rule = resourceList(json, 'aws_s3_bucket_lifecycle_configuration').find((l) => /delivery_artifacts/.test(l.bucket))!.rule[0];
    expect(rule.expiration).toEqual([{ days: 14 }]);
    expect(rule.noncurrent_version_expiration).toEqual([{ noncurrent_days: 1 }]);
    const sse = resourceList(json, 'aws_s3_bucket_server_side_encryption_configuration').find((e) => /delivery_artifacts/.test(e.bucket))!;
    expect(sse.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe('aws:kms');
    const policy = resourceList(json, 'aws_s3_bucket_policy').find((p) => /delivery_artifacts/.test(p.bucket))!;
    expect(policyStatements(policy.policy)[0]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': false } } });
  });
});

describe('DeliveryPipeline CodeBuild projects', () => {
  it.each(['build', 'deploy'] as const)('runs %s unprivileged, from its buildspec in the repository, logging to CloudWatch only', (kind) => {
    expect(build().text).toHaveResourceWithProperties(CodebuildProject, {
      name: `test-web-${kind}`,
      source: { type: 'CODEPIPELINE', buildspec: `app/${kind}spec.yml` },
      environment: expect.objectContaining({ privileged_mode: false, type: 'LINUX_CONTAINER' }),
      logs_config: { cloudwatch_logs: expect.objectContaining({ status: 'ENABLED', stream_name: kind }), s3_logs: { status: 'DISABLED' } },
    });
  });

  it("hands the deploy script its group, template, user data, bucket and the fleet's refresh preferences", () => {
    const { json } = build();
    const deploy = project(json, 'deploy');
    expect(variable(deploy, 'ASG_NAME')).toMatch(/aws_autoscaling_group\.fleet_group_\w+\.name/);
    expect(variable(deploy, 'LAUNCH_TEMPLATE_ID')).toMatch(/aws_launch_template\.fleet_launch-template_\w+\.id/);
    expect(variable(deploy, 'RELEASE_BUCKET')).toMatch(/aws_s3_bucket\.releases_bucket_\w+\.bucket/);
    expect(variable(deploy, 'USER_DATA')).toBe(resourceList(json, 'aws_launch_template')[0].user_data);
    expect(variable(deploy, 'AMI_PARAMETER')).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
    expect(variable(deploy, 'REFRESH_PREFERENCES')).toMatch(
      /"MinHealthyPercentage" = 100, "MaxHealthyPercentage" = 200, "InstanceWarmup" = \d+, "AutoRollback" = true/,
    );
  });

  it('waits for the refresh up to the timeout, inside the project timeout', () => {
    const deploy = project(build({ refreshTimeoutMinutes: 30 }).json, 'deploy');
    expect(variable(deploy, 'REFRESH_TIMEOUT_SECONDS')).toBe('1800');
    expect(deploy.build_timeout).toBeGreaterThan(30);
  });
});

describe('DeliveryPipeline IAM', () => {
  const policies = (json: Json): Record<string, Json[]> =>
    Object.fromEntries(resourceList(json, 'aws_iam_role_policy').map((p) => [p.name, policyStatements(p.policy)]));

  it.each([
    ['codecommit', build().json],
    ['github', build({ source: { provider: 'github', fullRepositoryId: 'example/webapp' } }).json],
  ])('uses "*" only for actions IAM cannot scope (%s source)', (_source, json) => {
    for (const [name, statements] of Object.entries(policies(json))) {
      for (const s of statements.filter((st) => [st.Resource].flat().includes('*'))) {
        expect({ policy: name, actions: [s.Action].flat().filter((a: string) => !UNSCOPABLE.includes(a)) }).toEqual({ policy: name, actions: [] });
      }
    }
  });

  it("scopes the deploy role to the fleet's group, template, release prefix and instance role", () => {
    const deploy = policies(build().json).deploy;
    const sid = (id: string) => deploy.find((s) => s.Sid === id)!;
    expect(sid('RefreshTheGroup').Resource).toMatch(
      /^arn:aws:autoScaling:eu-west-1:123456789012:autoScalingGroup:\*:autoScalingGroupName\/\$\{aws_autoscaling_group\.fleet_group_\w+\.name\}$/i,
    );
    expect(sid('AddReleaseVersions').Resource).toMatch(/launch-template\/\$\{aws_launch_template\.fleet_launch-template_\w+\.id\}$/);
    expect(sid('PublishReleases').Resource).toMatch(/\$\{aws_s3_bucket\.releases_bucket_\w+\.arn\}\/webapp\/\*$/);
    expect(sid('PassTheInstanceRoleToEc2')).toMatchObject({
      Resource: expect.stringMatching(/aws_iam_role\.fleet_instance-role_\w+\.arn/),
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    expect(sid('LaunchOnlyFromTheTemplate').Condition.ArnEquals['ec2:LaunchTemplate']).toBe(sid('AddReleaseVersions').Resource);
  });

  it('gives the build role no release permissions', () => {
    const actions = policies(build().json).build.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => /^(autoscaling|ec2|iam):/.test(a))).toEqual([]);
  });

  it('lets the pipeline use only its repository, artifacts and two projects', () => {
    const pipelinePolicy = policies(build().json).pipeline;
    expect(pipelinePolicy.find((s) => s.Sid === 'ReadTheRepository')!.Resource).toMatch(/aws_codecommit_repository\.delivery_repository_\w+\.arn/);
    expect(pipelinePolicy.find((s) => s.Sid === 'RunTheProjects')!.Resource).toHaveLength(2);
  });

  it('guards each service role against the confused deputy with the account', () => {
    const roles = resourceList(build().json, 'aws_iam_role').filter((r) => /delivery_/.test(JSON.stringify(r)) || /test-web-/.test(r.name));
    const trusts = roles.filter((r) => /codebuild|codepipeline|events/.test(r.assume_role_policy));
    // pipeline, build, deploy, push events; the pull request reports' build and events
    expect(trusts.length).toBe(6);
    for (const r of trusts) expect(r.assume_role_policy).toContain('"aws:SourceAccount" = "123456789012"');
  });
});

describe('DeliveryPipeline release target', () => {
  it('releases to any IReleaseTarget, by the names and the grant it gives', () => {
    // GIVEN a target that is not a WebServerFleet
    const granted: string[] = [];
    const target: IReleaseTarget = {
      releaseBucketName: 'other-releases',
      autoScalingGroupName: 'other-group',
      launchTemplateId: 'lt-0123456789abcdef0',
      userData: 'IyEvYmluL3No',
      refreshPreferences: {
        MinHealthyPercentage: 100,
        MaxHealthyPercentage: 200,
        InstanceWarmup: 60,
        AutoRollback: true,
        AlarmSpecification: { Alarms: [] },
        SkipMatching: false,
      },
      grantRelease: (grantee) => {
        granted.push('deploy');
        return Grant.addToPrincipal(grantee, [{ Sid: 'ReleaseToTheOtherGroup', Effect: 'Allow', Action: 'autoscaling:StartInstanceRefresh', Resource: '*' }]);
      },
    };
    // WHEN the pipeline releases to it
    const deploy = project(build({ fleet: target }).json, 'deploy');
    // THEN the deploy project names it and holds what it granted
    expect([variable(deploy, 'RELEASE_BUCKET'), variable(deploy, 'ASG_NAME'), variable(deploy, 'LAUNCH_TEMPLATE_ID')]).toEqual([
      'other-releases',
      'other-group',
      'lt-0123456789abcdef0',
    ]);
    expect(granted).toEqual(['deploy']);
  });
});

describe('DeliveryPipeline validation', () => {
  it.each([
    [{ branch: '-x' }, /branch "-x" is not a git branch name/],
    [{ branch: 'a..b' }, /branch "a\.\.b"/],
    [{ refreshTimeoutMinutes: 2 }, /refreshTimeoutMinutes is 2/],
    [{ pullRequestApprovals: 0 }, /pullRequestApprovals is 0/],
    [{ artifactRetentionDays: 0 }, /expirationDays is 0/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});

describe('DeliveryPipeline and the files it runs', () => {
  const file = (path: string) => readFileSync(projectPath(path), 'utf8');

  it('points both projects at buildspecs that exist, the deploy one at the release script', () => {
    const { json } = build();
    for (const kind of ['build', 'deploy'] as const) expect(existsSync(projectPath(project(json, kind).source.buildspec))).toBe(true);
    expect(file('app/deployspec.yml')).toContain('bash app/deploy/release.sh');
  });

  it('hands the archive the build packs to the deploy script, through the secondary artifact CodeBuild names after the build output', () => {
    const [, buildOutput] = action(build().json, 'Deploy').input_artifacts;
    expect(file('app/buildspec.yml')).toMatch(/files:\n\s+- webapp\.tar\.gz/);
    expect(file('app/deployspec.yml')).toContain(`"$CODEBUILD_SRC_DIR_${buildOutput}/webapp.tar.gz"`);
  });

  it('builds with the VERSION the pipeline passes', () => {
    expect(file('app/buildspec.yml')).toContain('bash app/build.sh "$VERSION"');
  });
});
