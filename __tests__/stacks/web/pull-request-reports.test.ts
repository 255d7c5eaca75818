// PullRequestReports: the rule, the target's StartBuild request, the project and its role, held to
// the buildspec they start (buildspecs/pull-request-report.yml).
import { readFileSync } from 'node:fs';
import { CodecommitRepository } from '@cdktf/provider-aws/lib/codecommit-repository';
import { CodeconnectionsConnection } from '@cdktf/provider-aws/lib/codeconnections-connection';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EncryptionKey } from '../../../constructs/encryption-key';
import { projectPath } from '../../../project';
import {
  GITHUB_PULL_REQUEST_EVENTS,
  PULL_REQUEST_BUILDSPEC,
  PullRequestReports,
  type PullRequestReportsProps,
  type PullRequestSource,
} from '../../../stacks/web/pull-request-reports';
import { emptyStack, policyStatements, resourceList, synth, type Json } from '../../helpers/synth';

function build(props: Partial<PullRequestReportsProps> = {}, provider: 'codecommit' | 'github' = 'codecommit') {
  const stack = emptyStack();
  const encryptionKey = new EncryptionKey(stack, 'key', { alias: 'test', description: 'test key' });
  const source: PullRequestSource =
    provider === 'codecommit'
      ? { provider, repository: new CodecommitRepository(stack, 'repository', { repositoryName: 'webapp' }) }
      : {
          provider,
          fullRepositoryId: 'example/webapp',
          connection: new CodeconnectionsConnection(stack, 'github', { name: 'test', providerType: 'GitHub' }),
          authors: [583231, 9919],
        };
  new PullRequestReports(stack, 'reports', {
    name: 'test-web',
    source,
    branch: 'staging',
    environment: 'staging',
    encryptionKey,
    ...props,
  });
  return synth(stack).json;
}

const json = build();
const [project] = resourceList(json, 'aws_codebuild_project');
const [rule] = resourceList(json, 'aws_cloudwatch_event_rule');
const [target] = resourceList(json, 'aws_cloudwatch_event_target');
const request = JSON.parse(target.input_transformer.input_template);
const DECLARED = Object.keys(parse(readFileSync(projectPath(PULL_REQUEST_BUILDSPEC), 'utf8')).env.variables).sort();
const roleStatements = (id: string) => policyStatements(resourceList(json, 'aws_iam_role_policy').find((p) => p.role.includes(id))!.policy);

describe('PullRequestReports trigger', () => {
  it('listens for pull requests into the branch opening or moving, in its repository', () => {
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ['aws.codecommit'],
      'detail-type': ['CodeCommit Pull Request State Change'],
      resources: ['${aws_codecommit_repository.repository.arn}'],
      detail: { event: ['pullRequestCreated', 'pullRequestSourceBranchUpdated'], destinationReference: ['refs/heads/staging'] },
    });
  });

  it('starts the build at the source commit, with the pull request and its commits as variables', () => {
    expect(target.arn).toMatch(/aws_codebuild_project\.reports_project_\w+\.arn/);
    expect(target.input_transformer.input_paths).toEqual({
      PULL_REQUEST_ID: '$.detail.pullRequestId',
      SOURCE_COMMIT: '$.detail.sourceCommit',
      DESTINATION_COMMIT: '$.detail.destinationCommit',
    });
    expect(request).toEqual({
      sourceVersion: '<SOURCE_COMMIT>',
      environmentVariablesOverride: ['PULL_REQUEST_ID', 'SOURCE_COMMIT', 'DESTINATION_COMMIT'].map((name) => ({ name, value: `<${name}>`, type: 'PLAINTEXT' })),
    });
  });

  it('sets every variable the buildspec declares empty but the GitHub token, between the target and the project', () => {
    const set = [...request.environmentVariablesOverride, ...project.environment.environment_variable].map((v: Json) => v.name);
    expect([...set, 'GITHUB_TOKEN_SECRET'].sort()).toEqual(DECLARED);
  });

  it('lets EventBridge start this project and nothing else', () => {
    expect(roleStatements('events-role')).toEqual([
      {
        Sid: 'StartTheReport',
        Effect: 'Allow',
        Action: 'codebuild:StartBuild',
        Resource: expect.stringMatching(/^\$\{aws_codebuild_project\.reports_project_\w+\.arn\}$/),
      },
    ]);
  });
});

describe('PullRequestReports build', () => {
  it('clones the whole repository (the destination commit must be there) and runs the buildspec for its environment', () => {
    expect(project.source).toEqual({
      type: 'CODECOMMIT',
      location: '${aws_codecommit_repository.repository.clone_url_http}',
      git_clone_depth: 0,
      buildspec: 'buildspecs/pull-request-report.yml',
    });
    expect(project.environment.environment_variable).toEqual([
      { name: 'REPOSITORY_NAME', value: '${aws_codecommit_repository.repository.repository_name}', type: 'PLAINTEXT' },
      { name: 'DEPLOY_ENV', value: 'staging', type: 'PLAINTEXT' },
    ]);
  });

  it('runs unprivileged, encrypted, with its log in a KMS-encrypted group', () => {
    expect(project.environment.privileged_mode).toBe(false);
    expect(project.encryption_key).toMatch(/aws_kms_key/);
    const [group] = resourceList(json, 'aws_cloudwatch_log_group');
    expect(group).toMatchObject({ name: '/aws/codebuild/test-web-pull-requests', retention_in_days: 90, kms_key_id: expect.stringMatching(/aws_kms_key/) });
  });

  it('may read the repository, comment on its pull requests and write its log, and nothing else', () => {
    expect(roleStatements('reports_role').map((s) => [s.Sid, s.Action])).toEqual([
      ['WriteLogs', ['logs:CreateLogStream', 'logs:PutLogEvents']],
      ['CloneTheRepository', 'codecommit:GitPull'],
      ['CommentOnPullRequests', 'codecommit:PostCommentForPullRequest'],
      ['DecryptTheRepositoryThroughCodeCommit', 'kms:Decrypt'],
    ]);
  });

  it.each([
    [{ timeoutMinutes: 4 }, /timeoutMinutes is 4; use a whole number from 5 to 480/],
    [{ timeoutMinutes: 481 }, /timeoutMinutes is 481/],
    [{ branch: 'bad branch' }, /branch "bad branch" is not a git branch name/],
  ])('refuses %j, naming the prop', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('PullRequestReports with a GitHub source', () => {
  const github = build({}, 'github');
  const [ghProject] = resourceList(github, 'aws_codebuild_project');
  const [webhook] = resourceList(github, 'aws_codebuild_webhook');
  const [secret] = resourceList(github, 'aws_secretsmanager_secret');
  const statements = policyStatements(resourceList(github, 'aws_iam_role_policy')[0].policy);

  it('clones the whole repository through the connection and reports the build as the commit status', () => {
    expect(ghProject.source).toEqual({
      type: 'GITHUB',
      location: 'https://github.com/example/webapp.git',
      auth: { type: 'CODECONNECTIONS', resource: '${aws_codeconnections_connection.github.arn}' },
      report_build_status: true,
      build_status_config: { context: 'infrastructure report (staging)' },
      git_clone_depth: 0,
      buildspec: 'buildspecs/pull-request-report.yml',
    });
  });

  it('starts on pull requests into the branch opened, pushed to or reopened, by the listed authors only', () => {
    expect(webhook).toMatchObject({ project_name: expect.stringMatching(/aws_codebuild_project\.reports_project_\w+\.name/), build_type: 'BUILD' });
    expect(webhook.filter_group).toEqual([
      {
        filter: [
          { type: 'EVENT', pattern: 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED' },
          { type: 'BASE_REF', pattern: '^refs/heads/staging$' },
          { type: 'ACTOR_ACCOUNT_ID', pattern: '^(583231|9919)$' },
        ],
      },
    ]);
    expect(GITHUB_PULL_REQUEST_EVENTS).not.toContain('PUSH');
  });

  it('escapes the branch in the webhook pattern: release.1 matches itself, not release-1', () => {
    const [hook] = resourceList(build({ branch: 'release.1' }, 'github'), 'aws_codebuild_webhook');
    const pattern = new RegExp(hook.filter_group[0].filter[1].pattern);
    expect(pattern.test('refs/heads/release.1')).toBe(true);
    expect(pattern.test('refs/heads/release-1')).toBe(false);
  });

  it('has no EventBridge rule (the webhook starts it)', () => {
    expect(resourceList(github, 'aws_cloudwatch_event_rule')).toEqual([]);
  });

  it('sets the repository, the environment and the token secret; the webhook gives the rest the buildspec declares', () => {
    expect(ghProject.environment.environment_variable).toEqual([
      { name: 'REPOSITORY_NAME', value: 'example/webapp', type: 'PLAINTEXT' },
      { name: 'DEPLOY_ENV', value: 'staging', type: 'PLAINTEXT' },
      { name: 'GITHUB_TOKEN_SECRET', value: expect.stringMatching(/^\$\{aws_secretsmanager_secret\.reports_comment-token_\w+\.name\}$/), type: 'PLAINTEXT' },
    ]);
    expect(DECLARED).toEqual(['DEPLOY_ENV', 'DESTINATION_COMMIT', 'GITHUB_TOKEN_SECRET', 'PULL_REQUEST_ID', 'REPOSITORY_NAME', 'SOURCE_COMMIT']);
  });

  it('makes an empty, KMS-encrypted secret for the comment token, under a name prefix (re-creatable within the recovery window)', () => {
    expect(secret).toMatchObject({
      name_prefix: 'test-web-pull-requests-github-token-',
      kms_key_id: expect.stringMatching(/aws_kms_key/),
      recovery_window_in_days: 7,
    });
    expect(resourceList(github, 'aws_secretsmanager_secret_version')).toEqual([]);
  });

  it('may use the connection, read the token and write its log, and nothing else', () => {
    expect(statements.map((s) => [s.Sid, s.Action, s.Resource])).toEqual([
      ['WriteLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], expect.stringMatching(/aws_cloudwatch_log_group/)],
      ['CloneThroughTheConnection', ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection'], '${aws_codeconnections_connection.github.arn}'],
      ['ReadTheCommentToken', 'secretsmanager:GetSecretValue', expect.stringMatching(/aws_secretsmanager_secret\.reports_comment-token_\w+\.arn/)],
      ['DecryptTheCommentTokenThroughSecretsManager', 'kms:Decrypt', expect.stringMatching(/aws_kms_key/)],
    ]);
  });

  it.each([[[]], [[0]], [[1.5]]])('refuses authors %j, naming the prop', (authors) => {
    const stack = emptyStack();
    const encryptionKey = new EncryptionKey(stack, 'key', { alias: 'test', description: 'test key' });
    const connection = new CodeconnectionsConnection(stack, 'github', { name: 'test', providerType: 'GitHub' });
    expect(
      () =>
        new PullRequestReports(stack, 'reports', {
          name: 'test-web',
          source: { provider: 'github', fullRepositoryId: 'example/webapp', connection, authors },
          branch: 'staging',
          environment: 'staging',
          encryptionKey,
        }),
    ).toThrow(/source\.authors is .*; list the GitHub user ids/);
  });
});
