import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CodebuildProject, type CodebuildProjectEnvironmentEnvironmentVariable } from '@cdktf/provider-aws/lib/codebuild-project';
import { CodecommitApprovalRuleTemplate } from '@cdktf/provider-aws/lib/codecommit-approval-rule-template';
import { CodecommitApprovalRuleTemplateAssociation } from '@cdktf/provider-aws/lib/codecommit-approval-rule-template-association';
import { CodecommitRepository } from '@cdktf/provider-aws/lib/codecommit-repository';
import { CodeconnectionsConnection } from '@cdktf/provider-aws/lib/codeconnections-connection';
import { Codepipeline, type CodepipelineStage, type CodepipelineStageAction } from '@cdktf/provider-aws/lib/codepipeline';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import type { EncryptionKey } from '../../constructs/encryption-key';
import { PrivateBucket } from '../../constructs/private-bucket';
import type { IReleaseTarget } from './web-server-fleet';
import { AL2023_AMI_PARAMETER, buildEnvironment } from '../../constructs/platform';
import { GIT_BRANCH } from '../../constructs/validation';
import type { FailureEvent } from '../../constructs/monitoring';
import { InlinePolicy, type IGrantable, ServiceRole } from '../../constructs/grants';
import { PullRequestReports, type PullRequestSource } from './pull-request-reports';
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

/** Where the pipeline takes its source from. */
export type DeliverySource =
  /** A CodeCommit repository this construct creates. */
  | { readonly provider: 'codecommit'; readonly repositoryName: string }
  /**
   * A GitHub repository, through an AWS CodeConnections connection this construct creates;
   * `pullRequestAuthors` (GitHub user ids) are those whose pull requests get a report.
   */
  | { readonly provider: 'github'; readonly fullRepositoryId: string; readonly pullRequestAuthors?: readonly number[] };

export interface DeliveryPipelineProps {
  /** Prefix of every name, e.g. `statuspage-dev-web`. */
  readonly name: string;
  readonly source: DeliverySource;
  /** The branch whose pushes release to this environment. */
  readonly branch: string;
  /** The environment's name (its pull request reports cover its stacks). */
  readonly environment: string;
  /** The fleet the Deploy action releases to (its template, group, bucket and refresh preferences). */
  readonly fleet: IReleaseTarget;
  /** Customer-managed key for artifacts, build output, logs and the repository; also the fleet's release bucket key. */
  readonly encryptionKey: EncryptionKey;
  /**
   * A manual approval between Build and Deploy.
   * @default false
   */
  readonly requireApproval?: boolean;
  /**
   * Approvals a CodeCommit pull request into the branch needs before it can merge.
   * @default 1
   */
  readonly pullRequestApprovals?: number;
  /**
   * Days pipeline artifacts are kept.
   * @default 30
   */
  readonly artifactRetentionDays?: number;
  /**
   * Days build and deploy logs are kept (a value CloudWatch Logs accepts).
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * CodeBuild image of both actions: Go for the build; the AWS CLI, jq and GNU base64 for the deploy.
   * @default 'aws/codebuild/amazonlinux-x86_64-standard:5.0'
   */
  readonly buildImage?: string;
  /**
   * Minutes the Deploy action waits for the instance refresh before rolling it back.
   * @default 60
   */
  readonly refreshTimeoutMinutes?: number;
  /**
   * A report on every pull request into the branch (PullRequestReports). With GitHub, CodeBuild
   * creates its webhook through the connection, so turn it on once the connection is AVAILABLE,
   * with `source.pullRequestAuthors`.
   * @default - true with a CodeCommit source, false with GitHub
   */
  readonly enablePullRequestReports?: boolean;
}

/** The Deploy action finds the build output at `$CODEBUILD_SRC_DIR_BuildOutput`. */
const BUILD_OUTPUT = 'BuildOutput';

/**
 * The delivery pipeline of one environment: a push to the environment's branch runs
 * Source -> Build (test, build with version = commit, package) -> [manual approval] -> Deploy
 * (publish, add a launch template version, instance refresh with auto rollback, wait).
 *
 * Each environment lives in its own account, so each stack holds its own repository (the same
 * name everywhere; one git remote with a push URL per account updates them all) and its pipeline
 * listens to one branch only. Artifacts go to a versioned, KMS-encrypted, TLS-only bucket that
 * expires them; both CodeBuild projects run unprivileged with encrypted output and logs.
 */
export class DeliveryPipeline extends Construct {
  public readonly pipeline: Codepipeline;
  public readonly artifactBucket: S3Bucket;
  /** The CodeCommit repository, when the source is CodeCommit. */
  public readonly repository?: CodecommitRepository;
  /** The GitHub connection, when the source is GitHub; it stays PENDING until someone completes the handshake in the console. */
  public readonly connection?: CodeconnectionsConnection;
  /** The pull request reports, when enabled. */
  public readonly pullRequestReports?: PullRequestReports;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const { timeoutMinutes, approvals } = withDefaults(id, props);
    const { name, encryptionKey: key } = props;

    const artifactStore = new PrivateBucket(this, 'artifacts', {
      namePrefix: `${name}-artifacts-`,
      encryptionKey: key,
      expirationDays: props.artifactRetentionDays ?? 30,
      noncurrentVersionExpirationDays: 1,
    });
    this.artifactBucket = artifactStore.bucket;
    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/codebuild/${name}`,
      retentionInDays: props.logRetentionDays ?? 90,
      kmsKeyId: key.arn,
    });

    // The pipeline's role; each part below grants it what that part needs.
    const { role: pipelineRole, policy: pipelinePolicy } = new ServiceRole(this, 'pipeline-role', {
      name: `${name}-pipeline`,
      service: 'codepipeline.amazonaws.com',
      inlinePolicy: { id: 'pipeline-policy', name: 'pipeline' },
    });

    let sourceAction: CodepipelineStageAction;
    if (props.source.provider === 'codecommit') {
      this.repository = this.addRepository(props, props.source.repositoryName, approvals);
      if (props.enablePullRequestReports ?? true)
        this.pullRequestReports = this.addPullRequestReports(props, { provider: 'codecommit', repository: this.repository });
      sourceAction = this.codeCommitSource(props.branch, this.repository, pipelinePolicy, key);
    } else {
      const { fullRepositoryId, pullRequestAuthors: authors = [] } = props.source;
      this.connection = new CodeconnectionsConnection(this, 'github', { name: name.slice(0, 32), providerType: 'GitHub' });
      if (props.enablePullRequestReports)
        this.pullRequestReports = this.addPullRequestReports(props, { provider: 'github', fullRepositoryId, connection: this.connection, authors });
      sourceAction = gitHubSource(props.branch, fullRepositoryId, this.connection, pipelinePolicy);
    }

    // What the pipeline and both projects need of the artifact store.
    const useArtifacts = (grantee: IGrantable) =>
      artifactStore.grantObjects(grantee, 'ReadAndWriteArtifacts', ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], {
        keySid: 'EncryptArtifactsThroughS3',
      });
    useArtifacts(pipelinePolicy);
    const projects = { props, logGroup, useArtifacts };
    const buildProject = this.addProject('build', 'app/buildspec.yml', 30, [], projects).project;
    const deploy = this.addProject('deploy', 'app/deployspec.yml', timeoutMinutes + 15, deployVariables(props.fleet, timeoutMinutes), projects);
    props.fleet.grantRelease(deploy.policy);

    this.pipeline = new Codepipeline(this, 'pipeline', {
      name,
      pipelineType: 'V2',
      // One release at a time: a second push waits instead of racing the first one's refresh.
      executionMode: 'QUEUED',
      roleArn: pipelineRole.arn,
      artifactStore: [{ type: 'S3', location: this.artifactBucket.bucket, encryptionKey: { type: 'KMS', id: key.arn } }],
      stage: pipelineStages(sourceAction, buildProject, deploy.project, props.requireApproval ? name : undefined),
      trigger: props.source.provider === 'github' ? gitHubPushTrigger(props.branch) : undefined,
    });
    pipelinePolicy.addToPrincipalPolicy([
      {
        Sid: 'CheckArtifactBucketVersioning',
        Effect: 'Allow',
        Action: ['s3:GetBucketVersioning', 's3:GetBucketLocation'],
        Resource: this.artifactBucket.arn,
      },
      {
        Sid: 'RunTheProjects',
        Effect: 'Allow',
        Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
        Resource: [buildProject.arn, deploy.project.arn],
      },
    ]);
    if (this.repository) startOnPush(this, { name: props.name, branch: props.branch, repositoryArn: this.repository.arn, pipelineArn: this.pipeline.arn });
  }

  /** The CodeCommit repository, with the approvals a pull request into the branch needs. */
  private addRepository(props: DeliveryPipelineProps, repositoryName: string, approvals: number): CodecommitRepository {
    const repository = new CodecommitRepository(this, 'repository', {
      repositoryName,
      description: `Application and infrastructure code of ${props.name}; pushes to ${props.branch} release here`,
      kmsKeyId: props.encryptionKey.arn,
    });
    const approvalRule = new CodecommitApprovalRuleTemplate(this, 'pull-request-approvals', {
      name: `${props.name}-${props.branch}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100),
      description: `Pull requests into ${props.branch} need ${approvals} approval(s)`,
      content: JSON.stringify({
        Version: '2018-11-08',
        DestinationReferences: [`refs/heads/${props.branch}`],
        Statements: [{ Type: 'Approvers', NumberOfApprovalsNeeded: approvals }],
      }),
    });
    new CodecommitApprovalRuleTemplateAssociation(this, 'pull-request-approvals-association', {
      approvalRuleTemplateName: approvalRule.name,
      repositoryName: repository.repositoryName,
    });
    return repository;
  }

  private addPullRequestReports(props: DeliveryPipelineProps, source: PullRequestSource): PullRequestReports {
    return new PullRequestReports(this, 'pull-request-reports', {
      name: props.name,
      source,
      branch: props.branch,
      environment: props.environment,
      encryptionKey: props.encryptionKey,
      logRetentionDays: props.logRetentionDays,
      buildImage: props.buildImage,
    });
  }

  /** The Source action on the repository's branch; the pipeline may read the repository and its key. */
  private codeCommitSource(branch: string, repository: CodecommitRepository, pipelinePolicy: InlinePolicy, key: EncryptionKey): CodepipelineStageAction {
    pipelinePolicy.addToPrincipalPolicy([{ Sid: 'ReadTheRepository', Effect: 'Allow', Action: CODECOMMIT_SOURCE_ACTIONS, Resource: repository.arn }]);
    key.grantThroughService(pipelinePolicy, 'DecryptTheRepositoryThroughCodeCommit', 'codecommit');
    return codeCommitSourceAction(repository.repositoryName, branch);
  }

  /** A CodeBuild project with its role: the artifacts and its logs; the caller grants `policy` the rest. */
  private addProject(
    kind: 'build' | 'deploy',
    buildspec: string,
    timeout: number,
    variables: CodebuildProjectEnvironmentEnvironmentVariable[],
    { props, logGroup, useArtifacts }: { props: DeliveryPipelineProps; logGroup: CloudwatchLogGroup; useArtifacts: (grantee: IGrantable) => void },
  ) {
    const { role, policy } = new ServiceRole(this, `${kind}-role`, {
      name: `${props.name}-${kind}`,
      service: 'codebuild.amazonaws.com',
      inlinePolicy: { id: `${kind}-policy`, name: kind },
    });
    useArtifacts(policy);
    policy.addToPrincipalPolicy([{ Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` }]);
    const project = new CodebuildProject(this, kind, {
      name: `${props.name}-${kind}`,
      description:
        kind === 'build' ? 'Tests, builds and packages the web app (app/buildspec.yml)' : 'Releases the build to the Auto Scaling group (app/deployspec.yml)',
      serviceRole: role.arn,
      buildTimeout: timeout,
      encryptionKey: props.encryptionKey.arn,
      source: { type: 'CODEPIPELINE', buildspec },
      artifacts: { type: 'CODEPIPELINE' },
      environment: buildEnvironment({ image: props.buildImage, variables }),
      logsConfig: { cloudwatchLogs: { status: 'ENABLED', groupName: logGroup.name, streamName: kind }, s3Logs: { status: 'DISABLED' } },
    });
    return { project, policy };
  }

  /** A release that failed in any stage (build, approval refused, deploy): the fleet still runs the last release. */
  public failureEvents(): FailureEvent[] {
    return [
      pipelineFailed(
        'pipeline-failed',
        'A release of the web app failed',
        this.pipeline.name,
        'Release',
        'The fleet still runs the last release; the failed action and its build log are in the execution (aws codepipeline get-pipeline-execution).',
      ),
    ];
  }
}

/** The props with their defaults, checked before anything is created. */
function withDefaults(id: string, props: DeliveryPipelineProps) {
  const timeoutMinutes = props.refreshTimeoutMinutes ?? 60;
  if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 5 || timeoutMinutes > 420) {
    throw new Error(`DeliveryPipeline ${id}: refreshTimeoutMinutes is ${timeoutMinutes}; use a whole number from 5 to 420 (CodeBuild stops a build at 480)`);
  }
  const approvals = props.pullRequestApprovals ?? 1;
  if (!Number.isInteger(approvals) || approvals < 1 || approvals > 10) {
    throw new Error(`DeliveryPipeline ${id}: pullRequestApprovals is ${approvals}; use a whole number from 1 to 10`);
  }
  if (!GIT_BRANCH.test(props.branch)) {
    throw new Error(`DeliveryPipeline ${id}: branch "${props.branch}" is not a git branch name; use a name such as dev, staging or main`);
  }
  if (props.enablePullRequestReports && props.source.provider === 'github' && !props.source.pullRequestAuthors?.length) {
    throw new Error(
      `DeliveryPipeline ${id}: enablePullRequestReports is true with a GitHub source but source.pullRequestAuthors is empty; list the GitHub user ids whose pull requests may run the report's build`,
    );
  }
  return { timeoutMinutes, approvals };
}

/** The Source action on a GitHub branch through the connection, which the pipeline may use. */
function gitHubSource(branch: string, fullRepositoryId: string, connection: CodeconnectionsConnection, pipelinePolicy: InlinePolicy): CodepipelineStageAction {
  pipelinePolicy.addToPrincipalPolicy([
    {
      Sid: 'UseTheConnection',
      Effect: 'Allow',
      Action: ['codeconnections:UseConnection', 'codestar-connections:UseConnection'],
      Resource: connection.arn,
    },
  ]);
  return gitHubSourceAction(connection.arn, fullRepositoryId, branch);
}

/** What the deploy script (app/deployspec.yml) needs of the fleet it releases to. */
function deployVariables(fleet: IReleaseTarget, timeoutMinutes: number): CodebuildProjectEnvironmentEnvironmentVariable[] {
  return [
    { name: 'RELEASE_BUCKET', value: fleet.releaseBucketName },
    { name: 'ASG_NAME', value: fleet.autoScalingGroupName },
    { name: 'LAUNCH_TEMPLATE_ID', value: fleet.launchTemplateId },
    { name: 'USER_DATA', value: fleet.userData },
    { name: 'AMI_PARAMETER', value: AL2023_AMI_PARAMETER },
    { name: 'REFRESH_PREFERENCES', value: Fn.jsonencode(fleet.refreshPreferences) },
    { name: 'REFRESH_TIMEOUT_SECONDS', value: String(timeoutMinutes * 60) },
  ];
}

/** Source -> Build -> [Approve, when `approvalFor` names the environment] -> Deploy; both CodeBuild actions get VERSION = the commit. */
function pipelineStages(source: CodepipelineStageAction, build: CodebuildProject, deploy: CodebuildProject, approvalFor?: string): CodepipelineStage[] {
  const version = JSON.stringify([{ name: 'VERSION', value: `#{${SOURCE_VARIABLES}.CommitId}`, type: 'PLAINTEXT' }]);
  return [
    { name: 'Source', action: [source] },
    codeBuildStage('Build', build, { inputs: [SOURCE_OUTPUT], outputs: [BUILD_OUTPUT], configuration: { EnvironmentVariables: version } }),
    ...(approvalFor === undefined ? [] : [approvalStage(`Release commit #{${SOURCE_VARIABLES}.CommitId} to ${approvalFor}?`)]),
    // The source holds the deploy script; the build output holds the archive.
    codeBuildStage('Deploy', deploy, { inputs: [SOURCE_OUTPUT, BUILD_OUTPUT], configuration: { PrimarySource: SOURCE_OUTPUT, EnvironmentVariables: version } }),
  ];
}
