import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { roleTarget } from '../../constructs/event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CodebuildProject, type CodebuildProjectEnvironmentEnvironmentVariable, type CodebuildProjectSource } from '@cdktf/provider-aws/lib/codebuild-project';
import { CodebuildWebhook } from '@cdktf/provider-aws/lib/codebuild-webhook';
import type { CodecommitRepository } from '@cdktf/provider-aws/lib/codecommit-repository';
import type { CodeconnectionsConnection } from '@cdktf/provider-aws/lib/codeconnections-connection';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import type { EncryptionKey } from '../../constructs/encryption-key';
import { type InlinePolicy, ServiceRole } from '../../constructs/grants';
import { buildEnvironment } from '../../constructs/platform';
import { GIT_BRANCH } from '../../constructs/validation';

/** The buildspec, in the repository: what the build runs. */
export const PULL_REQUEST_BUILDSPEC = 'buildspecs/pull-request-report.yml';

/** The webhook events of a GitHub pull request that start a report: opened, pushed to, reopened. */
export const GITHUB_PULL_REQUEST_EVENTS = ['PULL_REQUEST_CREATED', 'PULL_REQUEST_UPDATED', 'PULL_REQUEST_REOPENED'];

/** Where the pull requests are. */
export type PullRequestSource =
  /** A CodeCommit repository: an EventBridge rule starts the build, the comment is posted with the project's role. */
  | { readonly provider: 'codecommit'; readonly repository: CodecommitRepository }
  /**
   * A GitHub repository, read through a CodeConnections connection: CodeBuild's webhook starts the
   * build and sets the pull request's commit status; the comment is posted with a token the
   * operator puts in the secret this construct makes. The webhook is created with the project, so
   * the connection must be AVAILABLE (its handshake done) before this is applied.
   */
  | {
      readonly provider: 'github';
      /** `owner/repository`. */
      readonly fullRepositoryId: string;
      readonly connection: CodeconnectionsConnection;
      /** GitHub user ids (the webhook's ACTOR_ACCOUNT_ID) whose pull requests start a build: it runs their code with the project's role. */
      readonly authors: readonly number[];
    };

export interface PullRequestReportsProps {
  /** Prefix of every name, e.g. `statuspage-dev-web`. */
  readonly name: string;
  /** The repository whose pull requests get a report; the build clones it whole. */
  readonly source: PullRequestSource;
  /** Pull requests into this branch get a report. */
  readonly branch: string;
  /** The environment the branch deploys: the report covers its stacks (the build's DEPLOY_ENV). */
  readonly environment: string;
  /** The repository's key (the clone decrypts through CodeCommit), and the logs' key. */
  readonly encryptionKey: EncryptionKey;
  /**
   * Days the build logs are kept (a value CloudWatch Logs accepts); the whole report is there.
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * CodeBuild image: Node.js 22 and Go for the synth, the AWS CLI for the comment.
   * @default 'aws/codebuild/amazonlinux-x86_64-standard:5.0'
   */
  readonly buildImage?: string;
  /**
   * Minutes a report may take (npm ci, and two syntheses of every stack).
   * @default 30
   */
  readonly timeoutMinutes?: number;
}

/**
 * A report on every pull request into one branch, posted on it as a comment: what the change does
 * to each stack of the branch's environment, resource by resource, the monthly estimate before and
 * after (`npm run diff`) and checkov's result (buildspecs/pull-request-report.yml). The build clones
 * the repository whole (the destination commit must be there) at the pull request's source commit.
 * CodeCommit: EventBridge starts the build when a pull request is opened or its source branch moves,
 * with the pull request's commits as variables. GitHub: CodeBuild's webhook starts it when one is
 * opened, pushed to or reopened by a listed author, and CodeBuild reports the build as the commit's
 * status. Its role reads the repository, writes its log and comments (CodeCommit) or reads the
 * comment token (GitHub), and nothing else.
 */
export class PullRequestReports extends Construct {
  public readonly project: CodebuildProject;
  /** The secret the operator puts a GitHub token in (pull requests: write) for the comment, with a GitHub source. */
  public readonly commentToken?: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: PullRequestReportsProps) {
    super(scope, id);
    validate(id, props);
    const { name, encryptionKey: key } = props;
    const projectName = `${name}-pull-requests`;

    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/codebuild/${projectName}`,
      retentionInDays: props.logRetentionDays ?? 90,
      kmsKeyId: key.arn,
    });
    const { role, policy } = new ServiceRole(this, 'role', {
      name: projectName,
      service: 'codebuild.amazonaws.com',
      inlinePolicy: { id: 'policy', name: 'pull-request-report' },
    });
    policy.addToPrincipalPolicy([{ Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` }]);
    const source = props.source.provider === 'codecommit' ? this.codeCommitSource(props, policy) : this.gitHubSource(props, projectName, policy);
    this.commentToken = source.commentToken;

    this.project = new CodebuildProject(this, 'project', {
      name: projectName,
      description: `Reports what a pull request into ${props.branch} changes in each stack, and its monthly cost (${PULL_REQUEST_BUILDSPEC})`,
      serviceRole: role.arn,
      buildTimeout: props.timeoutMinutes ?? 30,
      encryptionKey: key.arn,
      // Depth 0: the whole history, so that the destination commit is there to compare with.
      source: { ...source.project, gitCloneDepth: 0, buildspec: PULL_REQUEST_BUILDSPEC },
      artifacts: { type: 'NO_ARTIFACTS' },
      // Two syntheses of every stack of the environment, each building the web app's first release: 7 GB, not 3.
      environment: buildEnvironment({ image: props.buildImage, computeType: 'BUILD_GENERAL1_MEDIUM', variables: source.variables }),
      logsConfig: { cloudwatchLogs: { status: 'ENABLED', groupName: logGroup.name }, s3Logs: { status: 'DISABLED' } },
      // The policy must be in place before a build can start.
      dependsOn: [policy.resource],
    });

    if (props.source.provider === 'codecommit') this.startOnPullRequests(props, props.source.repository, projectName);
    else this.startOnWebhook(props.branch, props.source.authors);
  }

  /** The CodeCommit repository: the role may clone it and comment on its pull requests. */
  private codeCommitSource(props: PullRequestReportsProps, policy: InlinePolicy) {
    const { repository } = props.source as Extract<PullRequestSource, { provider: 'codecommit' }>;
    policy.addToPrincipalPolicy([
      { Sid: 'CloneTheRepository', Effect: 'Allow', Action: 'codecommit:GitPull', Resource: repository.arn },
      { Sid: 'CommentOnPullRequests', Effect: 'Allow', Action: 'codecommit:PostCommentForPullRequest', Resource: repository.arn },
    ]);
    props.encryptionKey.grantThroughService(policy, 'DecryptTheRepositoryThroughCodeCommit', 'codecommit');
    return {
      project: { type: 'CODECOMMIT', location: repository.cloneUrlHttp } satisfies Partial<CodebuildProjectSource>,
      variables: variables({ REPOSITORY_NAME: repository.repositoryName, DEPLOY_ENV: props.environment }),
      commentToken: undefined,
    };
  }

  /**
   * The GitHub repository through the connection (CodeBuild's documented grant: GetConnectionToken
   * and GetConnection on it); the build's status on the pull request's commit; the comment token's
   * secret, which the role may read.
   */
  private gitHubSource(props: PullRequestReportsProps, projectName: string, policy: InlinePolicy) {
    const { fullRepositoryId, connection } = props.source as Extract<PullRequestSource, { provider: 'github' }>;
    // A name prefix: a destroyed secret keeps its name for the recovery window; a re-created stack must not need it.
    const token = new SecretsmanagerSecret(this, 'comment-token', {
      namePrefix: `${projectName}-github-token-`,
      description: `A GitHub token that may comment on pull requests of ${fullRepositoryId} (fine-grained: Pull requests, read and write); put it to have ${projectName} comment`,
      kmsKeyId: props.encryptionKey.arn,
      recoveryWindowInDays: 7,
    });
    policy.addToPrincipalPolicy([
      {
        Sid: 'CloneThroughTheConnection',
        Effect: 'Allow',
        Action: ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection'],
        Resource: connection.arn,
      },
      { Sid: 'ReadTheCommentToken', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: token.arn },
    ]);
    props.encryptionKey.grantThroughService(policy, 'DecryptTheCommentTokenThroughSecretsManager', 'secretsmanager');
    return {
      project: {
        type: 'GITHUB',
        location: `https://github.com/${fullRepositoryId}.git`,
        auth: { type: 'CODECONNECTIONS', resource: connection.arn },
        reportBuildStatus: true,
        buildStatusConfig: { context: `infrastructure report (${props.environment})` },
      } satisfies Partial<CodebuildProjectSource>,
      variables: variables({ REPOSITORY_NAME: fullRepositoryId, DEPLOY_ENV: props.environment, GITHUB_TOKEN_SECRET: token.name }),
      commentToken: token,
    };
  }

  /** Opening a pull request into the branch, or moving its source branch, starts the project on the source commit. */
  private startOnPullRequests(props: PullRequestReportsProps, repository: CodecommitRepository, projectName: string) {
    const rule = new CloudwatchEventRule(this, 'on-pull-request', {
      name: projectName,
      description: `Starts ${projectName} when a pull request into ${props.branch} opens or its source branch moves`,
      eventPattern: JSON.stringify({
        source: ['aws.codecommit'],
        'detail-type': ['CodeCommit Pull Request State Change'],
        resources: [repository.arn],
        detail: {
          event: ['pullRequestCreated', 'pullRequestSourceBranchUpdated'],
          destinationReference: [`refs/heads/${props.branch}`],
        },
      }),
    });
    // The target's input is StartBuild's request: the source commit, and the pull request's variables.
    const variable = (variableName: string) => ({ name: variableName, value: `<${variableName}>`, type: 'PLAINTEXT' });
    roleTarget(this, {
      rule,
      arn: this.project.arn,
      action: 'codebuild:StartBuild',
      ids: { role: 'events-role', policy: 'events-policy', target: 'start-report' },
      roleName: `${projectName}-start`,
      policyName: 'start-report',
      sid: 'StartTheReport',
      inputTransformer: {
        inputPaths: {
          PULL_REQUEST_ID: '$.detail.pullRequestId',
          SOURCE_COMMIT: '$.detail.sourceCommit',
          DESTINATION_COMMIT: '$.detail.destinationCommit',
        },
        inputTemplate: JSON.stringify({
          sourceVersion: '<SOURCE_COMMIT>',
          environmentVariablesOverride: ['PULL_REQUEST_ID', 'SOURCE_COMMIT', 'DESTINATION_COMMIT'].map(variable),
        }),
      },
    });
  }

  /**
   * CodeBuild's webhook on the GitHub repository (CodeBuild creates it there through the
   * connection): a pull request into the branch opened, pushed to or reopened by one of `authors`
   * starts the project at its head, with the webhook's variables (CODEBUILD_WEBHOOK_TRIGGER `pr/<n>`,
   * CODEBUILD_WEBHOOK_BASE_REF).
   */
  private startOnWebhook(branch: string, authors: readonly number[]) {
    new CodebuildWebhook(this, 'webhook', {
      projectName: this.project.name,
      buildType: 'BUILD',
      filterGroup: [
        {
          filter: [
            { type: 'EVENT', pattern: GITHUB_PULL_REQUEST_EVENTS.join(', ') },
            { type: 'BASE_REF', pattern: `^refs/heads/${branch.replace(/[.+*?^$()[\]{}|\\]/g, '\\$&')}$` },
            { type: 'ACTOR_ACCOUNT_ID', pattern: `^(${authors.join('|')})$` },
          ],
        },
      ],
    });
  }
}

function variables(values: Readonly<Record<string, string>>): CodebuildProjectEnvironmentEnvironmentVariable[] {
  return Object.entries(values).map(([name, value]) => ({ name, value, type: 'PLAINTEXT' }));
}

/** The props, checked before anything is created. */
function validate(id: string, props: PullRequestReportsProps): void {
  const timeout = props.timeoutMinutes ?? 30;
  if (!Number.isInteger(timeout) || timeout < 5 || timeout > 480) {
    throw new Error(`PullRequestReports ${id}: timeoutMinutes is ${timeout}; use a whole number from 5 to 480`);
  }
  if (!GIT_BRANCH.test(props.branch)) {
    throw new Error(`PullRequestReports ${id}: branch "${props.branch}" is not a git branch name; use a name such as dev, staging or main`);
  }
  if (props.source.provider === 'github') {
    const { authors } = props.source;
    if (authors.length === 0 || authors.some((a) => !Number.isInteger(a) || a <= 0)) {
      throw new Error(
        `PullRequestReports ${id}: source.authors is ${JSON.stringify(authors)}; list the GitHub user ids (positive whole numbers) whose pull requests may run the report`,
      );
    }
  }
}
