import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { roleTarget } from '../../constructs/event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CodebuildProject } from '@cdktf/provider-aws/lib/codebuild-project';
import type { CodecommitRepository } from '@cdktf/provider-aws/lib/codecommit-repository';
import type { EncryptionKey } from '../../constructs/encryption-key';
import { ServiceRole } from '../../constructs/grants';
import { buildEnvironment } from '../../constructs/platform';
import { GIT_BRANCH } from '../../constructs/validation';

/** The buildspec, in the repository: what the build runs. */
export const PULL_REQUEST_BUILDSPEC = 'buildspecs/pull-request-report.yml';

export interface PullRequestReportsProps {
  /** Prefix of every name, e.g. `statuspage-dev-web`. */
  readonly name: string;
  /** The repository whose pull requests get a report; the build clones it. */
  readonly repository: CodecommitRepository;
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
 * A report on every CodeCommit pull request into one branch, posted on it as a comment: what the
 * change does to each stack of the branch's environment, resource by resource, and the monthly
 * estimate before and after (`npm run diff`; buildspecs/pull-request-report.yml). EventBridge starts the build when a pull
 * request is opened or its source branch moves, with the pull request's commits as variables; the
 * build clones the repository whole (the destination commit must be there) at the source commit.
 * Its role reads the repository and comments on its pull requests, and nothing else.
 */
export class PullRequestReports extends Construct {
  public readonly project: CodebuildProject;

  constructor(scope: Construct, id: string, props: PullRequestReportsProps) {
    super(scope, id);
    const timeout = props.timeoutMinutes ?? 30;
    if (!Number.isInteger(timeout) || timeout < 5 || timeout > 480) {
      throw new Error(`PullRequestReports ${id}: timeoutMinutes is ${timeout}; use a whole number from 5 to 480`);
    }
    if (!GIT_BRANCH.test(props.branch)) {
      throw new Error(`PullRequestReports ${id}: branch "${props.branch}" is not a git branch name; use a name such as dev, staging or main`);
    }
    const { name, repository, encryptionKey: key } = props;
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
    policy.addToPrincipalPolicy([
      { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
      { Sid: 'CloneTheRepository', Effect: 'Allow', Action: 'codecommit:GitPull', Resource: repository.arn },
      { Sid: 'CommentOnPullRequests', Effect: 'Allow', Action: 'codecommit:PostCommentForPullRequest', Resource: repository.arn },
    ]);
    key.grantThroughService(policy, 'DecryptTheRepositoryThroughCodeCommit', 'codecommit');

    this.project = new CodebuildProject(this, 'project', {
      name: projectName,
      description: `Reports what a pull request into ${props.branch} changes in each stack, and its monthly cost (${PULL_REQUEST_BUILDSPEC})`,
      serviceRole: role.arn,
      buildTimeout: timeout,
      encryptionKey: key.arn,
      // Depth 0: the whole history, so that the destination commit is there to compare with.
      source: { type: 'CODECOMMIT', location: repository.cloneUrlHttp, gitCloneDepth: 0, buildspec: PULL_REQUEST_BUILDSPEC },
      artifacts: { type: 'NO_ARTIFACTS' },
      // Two syntheses of every stack of the environment, each building the web app's first release: 7 GB, not 3.
      environment: buildEnvironment({
        image: props.buildImage,
        computeType: 'BUILD_GENERAL1_MEDIUM',
        variables: [
          { name: 'REPOSITORY_NAME', value: repository.repositoryName, type: 'PLAINTEXT' },
          { name: 'DEPLOY_ENV', value: props.environment, type: 'PLAINTEXT' },
        ],
      }),
      logsConfig: { cloudwatchLogs: { status: 'ENABLED', groupName: logGroup.name }, s3Logs: { status: 'DISABLED' } },
      // The policy must be in place before a build can start.
      dependsOn: [policy.resource],
    });

    this.startOnPullRequests(props, projectName);
  }

  /** Opening a pull request into the branch, or moving its source branch, starts the project on the source commit. */
  private startOnPullRequests(props: PullRequestReportsProps, projectName: string) {
    const rule = new CloudwatchEventRule(this, 'on-pull-request', {
      name: projectName,
      description: `Starts ${projectName} when a pull request into ${props.branch} opens or its source branch moves`,
      eventPattern: JSON.stringify({
        source: ['aws.codecommit'],
        'detail-type': ['CodeCommit Pull Request State Change'],
        resources: [props.repository.arn],
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
}
