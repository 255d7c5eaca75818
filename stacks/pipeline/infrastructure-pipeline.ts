import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { roleTarget } from '../../constructs/event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { CodebuildProject, type CodebuildProjectSource } from '@cdktf/provider-aws/lib/codebuild-project';
import { CodeconnectionsConnection } from '@cdktf/provider-aws/lib/codeconnections-connection';
import { Codepipeline, type CodepipelineStage, type CodepipelineStageAction } from '@cdktf/provider-aws/lib/codepipeline';
import type { EncryptionKey } from '../../constructs/encryption-key';
import { type InlinePolicy, ServiceRole } from '../../constructs/grants';
import type { AlarmTopic, FailureEvent } from '../../constructs/monitoring';
import { buildEnvironment } from '../../constructs/platform';
import { locationOf, type PolicyStatement } from '../../constructs/policy';
import { PrivateBucket } from '../../constructs/private-bucket';
import { GIT_BRANCH } from '../../constructs/validation';
import {
  approvalStage,
  codeBuildStage,
  CODECOMMIT_SOURCE_ACTIONS,
  codeCommitSourceAction,
  gitHubPushTrigger,
  gitHubSourceAction,
  pipelineFailed,
  SOURCE_OUTPUT,
  SOURCE_VARIABLES,
  startOnPush,
} from '../pipeline-source';
import { deployServices, environmentGuard } from './deploy-permissions';

/** Where the pipeline takes the repository's code: the web stack's CodeCommit repository, or GitHub. */
export type InfrastructureSource =
  /** The CodeCommit repository the web stack holds, by name, and the alias of the key it is encrypted with. */
  | { readonly provider: 'codecommit'; readonly repositoryName: string; readonly repositoryKeyAlias: string }
  /** GitHub, through a CodeConnections connection this construct creates (its handshake is done once, in the console). */
  | { readonly provider: 'github'; readonly fullRepositoryId: string };

/** Where the stacks keep their state: the S3 backend's bucket, key prefix and region. */
export interface StateLocation {
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly region: string;
  /** The state objects' KMS key, when the backend names one. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
}

export interface InfrastructurePipelineProps {
  /** Prefix of every name, e.g. `statuspage-prod-infra`. */
  readonly name: string;
  /** The environment whose stacks it plans and applies (the builds' DEPLOY_ENV, and the `environment` tag it keeps to). */
  readonly environment: string;
  readonly source: InfrastructureSource;
  /** The branch whose pushes are planned and applied, and whose head the drift check plans. */
  readonly branch: string;
  /** The stacks, by name: the state keys the roles may use, and one drift alarm each. */
  readonly stacks: readonly string[];
  /** Every Terraform resource type of those stacks: the deploy role gets the services they are created through (DEPLOY_SERVICES). */
  readonly resourceTypes: readonly string[];
  readonly state: StateLocation;
  /** Encrypts artifacts, logs and the topic's messages. */
  readonly encryptionKey: EncryptionKey;
  /** Gets the drift alarms and the pipeline's failures. */
  readonly alarmTopic: AlarmTopic;
  /**
   * A manual approval, showing the plan summary, between Plan and Apply.
   * @default false
   */
  readonly requireApproval?: boolean;
  /**
   * When the drift check runs (an EventBridge schedule expression).
   * @default 'rate(1 day)'
   */
  readonly driftSchedule?: string;
  /**
   * Days the build logs are kept (a value CloudWatch Logs accepts).
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * CodeBuild image of the three projects: Node.js 22, Go (the synth builds the web app's first release), Python 3 (checkov), the AWS CLI.
   * @default 'aws/codebuild/amazonlinux-x86_64-standard:5.0'
   */
  readonly buildImage?: string;
  /**
   * Minutes an apply may take (Aurora and Beanstalk environments take tens of minutes to create).
   * @default 120
   */
  readonly applyTimeoutMinutes?: number;
}

/** The buildspecs, in the repository. */
export const INFRASTRUCTURE_BUILDSPECS = {
  plan: 'buildspecs/infrastructure-plan.yml',
  apply: 'buildspecs/infrastructure-apply.yml',
  drift: 'buildspecs/infrastructure-drift.yml',
} as const;
/** The CloudWatch namespace of the drift check's `Drift` datum, per stack. */
export const driftNamespace = (name: string) => `${name}/Infrastructure`;

/** The Plan action's artifact: the Apply action finds it at `$CODEBUILD_SRC_DIR_plan`. */
const PLAN_OUTPUT = 'plan';
const PLAN_VARIABLES = 'PlanVariables';

/**
 * The infrastructure of one environment delivered like its application: a push to the branch runs
 * Source -> Plan (synth, validate, checkov, plan of every stack against its S3 state, the plan files
 * kept as the artifact) -> [Approve, showing the plan summary] -> Apply (exactly those plan files,
 * then the post-deploy checks). A schedule runs the drift check (plan -detailed-exitcode of the
 * branch's head), whose datum per stack raises an alarm on the topic when the stack differs from its
 * code. Plan and drift run as a read-only role; only Apply's deploy role changes anything, and it is
 * kept to the environment: its state keys, its named roles and buckets, the services its stacks
 * use, its regions, and nothing tagged for another environment (deploy-permissions.ts).
 */
export class InfrastructurePipeline extends Construct {
  public readonly pipeline: Codepipeline;
  /** The role the Apply action runs as: the only one that changes the environment. */
  public readonly deployRole: ServiceRole;
  public readonly driftProject: CodebuildProject;
  private readonly props: InfrastructurePipelineProps;
  private readonly logGroup: CloudwatchLogGroup;
  private readonly artifacts: PrivateBucket;

  constructor(scope: Construct, id: string, props: InfrastructurePipelineProps) {
    super(scope, id);
    validate(id, props);
    this.props = props;
    const { name, encryptionKey: key } = props;
    this.artifacts = new PrivateBucket(this, 'artifacts', {
      namePrefix: `${name}-artifacts-`,
      encryptionKey: key,
      expirationDays: 30,
      noncurrentVersionExpirationDays: 1,
    });
    this.logGroup = new CloudwatchLogGroup(this, 'logs', { name: `/aws/codebuild/${name}`, retentionInDays: props.logRetentionDays ?? 90, kmsKeyId: key.arn });
    const connection =
      props.source.provider === 'github' ? new CodeconnectionsConnection(this, 'github', { name: name.slice(0, 32), providerType: 'GitHub' }) : undefined;

    const plan = this.addProject('plan', this.readOnlyRole('plan', { lockState: true }), { computeType: 'BUILD_GENERAL1_MEDIUM', timeout: 60 });
    this.deployRole = this.addDeployRole();
    const apply = this.addProject('apply', this.deployRole, { timeout: props.applyTimeoutMinutes ?? 120 });
    const { role: pipelineRole, policy: pipelinePolicy } = new ServiceRole(this, 'pipeline-role', {
      name: `${name}-pipeline`,
      service: 'codepipeline.amazonaws.com',
      inlinePolicy: { id: 'pipeline-policy', name: 'pipeline' },
    });
    this.useArtifacts(pipelinePolicy);
    this.readSource(pipelinePolicy, connection);
    pipelinePolicy.addToPrincipalPolicy([
      { Sid: 'RunTheProjects', Effect: 'Allow', Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'], Resource: [plan.arn, apply.arn] },
    ]);
    this.pipeline = new Codepipeline(this, 'pipeline', {
      name,
      pipelineType: 'V2',
      // One run at a time: a second push waits, so two applies never race for the state.
      executionMode: 'QUEUED',
      roleArn: pipelineRole.arn,
      artifactStore: [{ type: 'S3', location: this.artifacts.bucket.bucket, encryptionKey: { type: 'KMS', id: key.arn } }],
      stage: stages(
        props.source.provider === 'github'
          ? gitHubSourceAction(connection!.arn, props.source.fullRepositoryId, props.branch)
          : codeCommitSourceAction(props.source.repositoryName, props.branch),
        plan,
        apply,
        props.requireApproval ? props.environment : undefined,
      ),
      trigger: props.source.provider === 'github' ? gitHubPushTrigger(props.branch) : undefined,
    });
    if (props.source.provider === 'codecommit') {
      startOnPush(this, { name, branch: props.branch, repositoryArn: this.repositoryArn(props.source.repositoryName), pipelineArn: this.pipeline.arn });
    }

    this.driftProject = this.addDriftCheck(connection);
    this.addAlarms();
  }

  /** A CodeBuild project with its role: artifacts and logs granted here, the rest by the role. */
  private addProject(kind: 'plan' | 'apply', role: ServiceRole, options: { timeout: number; computeType?: 'BUILD_GENERAL1_MEDIUM' }): CodebuildProject {
    this.useArtifacts(role.policy);
    this.writeLogs(role.policy);
    return new CodebuildProject(this, kind, {
      name: `${this.props.name}-${kind}`,
      description: `${kind === 'plan' ? 'Plans' : 'Applies the saved plans of'} the stacks of ${this.props.environment} (${INFRASTRUCTURE_BUILDSPECS[kind]})`,
      serviceRole: role.role.arn,
      buildTimeout: options.timeout,
      encryptionKey: this.props.encryptionKey.arn,
      source: { type: 'CODEPIPELINE', buildspec: INFRASTRUCTURE_BUILDSPECS[kind] },
      artifacts: { type: 'CODEPIPELINE' },
      environment: buildEnvironment({
        image: this.props.buildImage,
        computeType: options.computeType,
        variables: [{ name: 'DEPLOY_ENV', value: this.props.environment }],
      }),
      logsConfig: { cloudwatchLogs: { status: 'ENABLED', groupName: this.logGroup.name, streamName: kind }, s3Logs: { status: 'DISABLED' } },
      dependsOn: [role.policy.resource],
    });
  }

  /** Reads every resource (ReadOnlyAccess) and the stacks' state; `lockState` also takes and releases the lock files. */
  private readOnlyRole(kind: 'plan' | 'drift', options: { lockState: boolean }): ServiceRole {
    const role = new ServiceRole(this, `${kind}-role`, {
      name: `${this.props.name}-${kind}`,
      service: 'codebuild.amazonaws.com',
      managedPolicies: [{ id: `${kind}-read-only`, policy: 'ReadOnlyAccess' }],
      inlinePolicy: { id: `${kind}-policy`, name: kind },
    });
    role.policy.addToPrincipalPolicy([...this.stateStatements(options.lockState ? 'lock' : 'read'), ...this.readSecretsStatements()]);
    return role;
  }

  /** The Apply action's role: what creating, changing and destroying the environment's stacks takes, and no other environment. */
  private addDeployRole(): ServiceRole {
    const { accountId, region } = locationOf(this);
    const prefix = namePrefixOf(this.props.name);
    const role = new ServiceRole(this, 'deploy-role', {
      name: `${this.props.name}-deploy`,
      service: 'codebuild.amazonaws.com',
      inlinePolicy: { id: 'deploy-policy', name: 'deploy' },
    });
    role.policy.addToPrincipalPolicy([
      ...this.stateStatements('write'),
      { Sid: 'ManageTheStacksServices', Effect: 'Allow', Action: deployServices(this.props.resourceTypes).map((s) => `${s}:*`), Resource: '*' },
      {
        Sid: 'ManageTheEnvironmentsRoles',
        Effect: 'Allow',
        Action: 'iam:*',
        Resource: ['role', 'instance-profile', 'policy'].map((kind) => `arn:aws:iam::${accountId}:${kind}/${prefix}*`),
      },
      {
        Sid: 'CreateServiceLinkedRoles',
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole', 'iam:GetRole'],
        Resource: `arn:aws:iam::${accountId}:role/aws-service-role/*`,
      },
      {
        Sid: 'ManageTheEnvironmentsBuckets',
        Effect: 'Allow',
        Action: 's3:*',
        // Beanstalk keeps its own bucket per account and region.
        Resource: [`arn:aws:s3:::${prefix}*`, `arn:aws:s3:::elasticbeanstalk-${region}-${accountId}`].flatMap((bucket) => [bucket, `${bucket}/*`]),
      },
      ...environmentGuard(this.props.environment, [region, this.props.state.region]),
    ]);
    return role;
  }

  /** The stacks' state objects: read, also take the lock file (`lock`), or also write the state (`write`). */
  private stateStatements(access: 'read' | 'lock' | 'write'): PolicyStatement[] {
    const { bucket, keyPrefix, region, kmsKeyId } = this.props.state;
    const keys = this.props.stacks.map((stack) => `arn:aws:s3:::${bucket}/${keyPrefix}/${locationOf(this).region}/${stack}.tfstate`);
    const statements: PolicyStatement[] = [
      {
        Sid: 'ListTheState',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${bucket}`,
        Condition: { StringLike: { 's3:prefix': `${keyPrefix}/*` } },
      },
      { Sid: 'ReadTheState', Effect: 'Allow', Action: 's3:GetObject', Resource: keys },
    ];
    if (access !== 'read') {
      statements.push({
        Sid: 'HoldTheLock',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: keys.map((k) => `${k}.tflock`),
      });
    }
    if (access === 'write') statements.push({ Sid: 'WriteTheState', Effect: 'Allow', Action: 's3:PutObject', Resource: keys });
    if (kmsKeyId) {
      statements.push({
        Sid: 'UseTheStateKey',
        Effect: 'Allow',
        Action: access === 'read' ? 'kms:Decrypt' : ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: kmsKeyId,
        Condition: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      });
    }
    return statements;
  }

  /** A plan refreshes the secret versions (GetSecretValue), which ReadOnlyAccess leaves out: the environment's secrets only. */
  private readSecretsStatements(): PolicyStatement[] {
    const { accountId, region } = locationOf(this);
    return [
      {
        Sid: 'ReadTheEnvironmentsSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: `arn:aws:secretsmanager:${region}:${accountId}:secret:${namePrefixOf(this.props.name)}*`,
      },
      {
        Sid: 'DecryptTheSecretsThroughSecretsManager',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:${region}:${accountId}:key/*`,
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      },
    ];
  }

  private useArtifacts(policy: InlinePolicy): void {
    this.artifacts.grantObjects(policy, 'ReadAndWriteArtifacts', ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], {
      keySid: 'EncryptArtifactsThroughS3',
    });
    policy.addToPrincipalPolicy([
      { Sid: 'CheckArtifactBucket', Effect: 'Allow', Action: ['s3:GetBucketVersioning', 's3:GetBucketLocation'], Resource: this.artifacts.bucket.arn },
    ]);
  }

  private writeLogs(policy: InlinePolicy): void {
    policy.addToPrincipalPolicy([
      { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${this.logGroup.arn}:*` },
    ]);
  }

  /** The web stack's repository, by name: this stack does not hold it. */
  private repositoryArn(repositoryName: string): string {
    const { accountId, region } = locationOf(this);
    return `arn:aws:codecommit:${region}:${accountId}:${repositoryName}`;
  }

  /** Reading the repository: CodeCommit and its key (by alias, through CodeCommit), or the connection. */
  private readSource(policy: InlinePolicy, connection: CodeconnectionsConnection | undefined, actions = CODECOMMIT_SOURCE_ACTIONS): void {
    const { source } = this.props;
    if (source.provider === 'github') {
      policy.addToPrincipalPolicy([
        {
          Sid: 'UseTheConnection',
          Effect: 'Allow',
          Action: ['codeconnections:UseConnection', 'codestar-connections:UseConnection', 'codeconnections:GetConnectionToken'],
          Resource: connection!.arn,
        },
      ]);
      return;
    }
    const { accountId, region } = locationOf(this);
    policy.addToPrincipalPolicy([
      { Sid: 'ReadTheRepository', Effect: 'Allow', Action: actions, Resource: this.repositoryArn(source.repositoryName) },
      {
        Sid: 'DecryptTheRepositoryThroughCodeCommit',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:${region}:${accountId}:key/*`,
        Condition: {
          StringEquals: { 'kms:ViaService': `codecommit.${region}.amazonaws.com` },
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': `alias/${source.repositoryKeyAlias}` },
        },
      },
    ]);
  }

  /** The drift check: a project on the branch's head, run on the schedule, publishing a datum per stack. */
  private addDriftCheck(connection: CodeconnectionsConnection | undefined): CodebuildProject {
    const { name, source, branch } = this.props;
    const { region } = locationOf(this);
    const role = this.readOnlyRole('drift', { lockState: false });
    this.writeLogs(role.policy);
    this.readSource(role.policy, connection, ['codecommit:GitPull']);
    role.policy.addToPrincipalPolicy([
      {
        Sid: 'PublishDrift',
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': driftNamespace(name) } },
      },
    ]);
    const codeSource: CodebuildProjectSource =
      source.provider === 'codecommit'
        ? { type: 'CODECOMMIT', location: `https://git-codecommit.${region}.amazonaws.com/v1/repos/${source.repositoryName}`, gitCloneDepth: 1 }
        : {
            type: 'GITHUB',
            location: `https://github.com/${source.fullRepositoryId}.git`,
            gitCloneDepth: 1,
            auth: { type: 'CODECONNECTIONS', resource: connection!.arn },
          };
    const project = new CodebuildProject(this, 'drift', {
      name: `${name}-drift`,
      description: `Plans the stacks of ${this.props.environment} at the head of ${branch} for changes nobody applied (${INFRASTRUCTURE_BUILDSPECS.drift})`,
      serviceRole: role.role.arn,
      buildTimeout: 60,
      encryptionKey: this.props.encryptionKey.arn,
      source: { ...codeSource, buildspec: INFRASTRUCTURE_BUILDSPECS.drift },
      sourceVersion: `refs/heads/${branch}`,
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: buildEnvironment({
        image: this.props.buildImage,
        variables: [
          { name: 'DEPLOY_ENV', value: this.props.environment },
          { name: 'METRIC_NAMESPACE', value: driftNamespace(name) },
        ],
      }),
      logsConfig: { cloudwatchLogs: { status: 'ENABLED', groupName: this.logGroup.name, streamName: 'drift' }, s3Logs: { status: 'DISABLED' } },
      dependsOn: [role.policy.resource],
    });
    const schedule = new CloudwatchEventRule(this, 'drift-schedule', {
      name: `${name}-drift`,
      description: `Runs the drift check of ${this.props.environment}`,
      scheduleExpression: this.props.driftSchedule ?? 'rate(1 day)',
    });
    roleTarget(this, {
      rule: schedule,
      arn: project.arn,
      action: 'codebuild:StartBuild',
      ids: { role: 'drift-schedule-role', policy: 'drift-schedule-policy', target: 'start-drift-check' },
      roleName: `${name}-drift-start`,
      policyName: 'start-drift-check',
      sid: 'StartTheDriftCheck',
    });
    return project;
  }

  /** A drift alarm per stack (it stays in alarm until a check finds the stack as its code), and one when the check itself fails. */
  private addAlarms(): void {
    const { name, alarmTopic } = this.props;
    const actions = { alarmActions: [alarmTopic.arn], okActions: [alarmTopic.arn] };
    for (const stack of this.props.stacks) {
      new CloudwatchMetricAlarm(this, `drift-${stack}`, {
        alarmName: `${name}-drift-${stack}`,
        alarmDescription: `${stack} differs from its code (a console edit, a failed apply, a merged change not applied): the drift check's log names the resources`,
        namespace: driftNamespace(name),
        metricName: 'Drift',
        dimensions: { Stack: stack },
        statistic: 'Maximum',
        period: 3600,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        // Between checks the alarm keeps the last check's answer.
        treatMissingData: 'ignore',
        ...actions,
      });
    }
    new CloudwatchMetricAlarm(this, 'drift-check-failed', {
      alarmName: `${name}-drift-check-failed`,
      alarmDescription: `The drift check of ${this.props.environment} failed to run: drift would go unseen (its build log says why)`,
      namespace: 'AWS/CodeBuild',
      metricName: 'FailedBuilds',
      dimensions: { ProjectName: this.driftProject.name },
      statistic: 'Sum',
      period: 3600,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      ...actions,
    });
  }

  /** A run that failed (plan, checkov, approval refused, apply): the environment keeps what it ran. */
  public failureEvents(): FailureEvent[] {
    return [
      pipelineFailed(
        'infra-failed',
        'An infrastructure pipeline run failed',
        this.pipeline.name,
        'Infrastructure run',
        'Nothing after the failed action was applied; its build log says why (aws codepipeline get-pipeline-execution).',
      ),
    ];
  }
}

/** `statuspage-prod-` of `statuspage-prod-infra`: the stem every name of the environment starts with. */
function namePrefixOf(name: string): string {
  return `${name.slice(0, name.lastIndexOf('-'))}-`;
}

function validate(id: string, props: InfrastructurePipelineProps): void {
  if (!GIT_BRANCH.test(props.branch)) {
    throw new Error(`InfrastructurePipeline ${id}: branch "${props.branch}" is not a git branch name; use a name such as dev, staging or main`);
  }
  if (props.stacks.length === 0) throw new Error(`InfrastructurePipeline ${id}: stacks is empty; name the stacks it plans and applies`);
  if (!/^(rate|cron)\(.+\)$/.test(props.driftSchedule ?? 'rate(1 day)')) {
    throw new Error(`InfrastructurePipeline ${id}: driftSchedule "${props.driftSchedule}" is not a schedule expression; use rate(1 day) or cron(0 6 * * ? *)`);
  }
  const timeout = props.applyTimeoutMinutes ?? 120;
  if (!Number.isInteger(timeout) || timeout < 5 || timeout > 480) {
    throw new Error(`InfrastructurePipeline ${id}: applyTimeoutMinutes is ${timeout}; use a whole number from 5 to 480 (CodeBuild's limit)`);
  }
  if (!props.name.includes('-')) throw new Error(`InfrastructurePipeline ${id}: name "${props.name}" has no stem; use <project>-<env>-infra`);
}

/** Source -> Plan -> [Approve, when `approvalFor` names the environment] -> Apply. */
function stages(source: CodepipelineStageAction, plan: CodebuildProject, apply: CodebuildProject, approvalFor?: string): CodepipelineStage[] {
  const approval = `Apply commit #{${SOURCE_VARIABLES}.CommitId} to ${approvalFor}: #{${PLAN_VARIABLES}.PLAN_SUMMARY}. The whole plan is in the Plan action's log.`;
  return [
    { name: 'Source', action: [source] },
    codeBuildStage('Plan', plan, { inputs: [SOURCE_OUTPUT], outputs: [PLAN_OUTPUT], namespace: PLAN_VARIABLES }),
    ...(approvalFor === undefined ? [] : [approvalStage(approval)]),
    // The source first (the primary: npm ci, verify), then the saved plans at $CODEBUILD_SRC_DIR_plan.
    codeBuildStage('Apply', apply, { inputs: [SOURCE_OUTPUT, PLAN_OUTPUT], configuration: { PrimarySource: SOURCE_OUTPUT } }),
  ];
}
