// PullRequestReports: the rule, the target's StartBuild request, the project and its role, held to
// the buildspec they start (buildspecs/pull-request-report.yml).
import { readFileSync } from 'node:fs';
import { CodecommitRepository } from '@cdktf/provider-aws/lib/codecommit-repository';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EncryptionKey } from '../../../constructs/encryption-key';
import { projectPath } from '../../../project';
import { PULL_REQUEST_BUILDSPEC, PullRequestReports, type PullRequestReportsProps } from '../../../stacks/web/pull-request-reports';
import { emptyStack, policyStatements, resourceList, synth, type Json } from '../../helpers/synth';

function build(props: Partial<PullRequestReportsProps> = {}) {
  const stack = emptyStack();
  const encryptionKey = new EncryptionKey(stack, 'key', { alias: 'test', description: 'test key' });
  const repository = new CodecommitRepository(stack, 'repository', { repositoryName: 'webapp' });
  new PullRequestReports(stack, 'reports', {
    name: 'test-web',
    repository,
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

  it('sets every variable the buildspec declares empty, between the target and the project', () => {
    const declared = Object.keys(parse(readFileSync(projectPath(PULL_REQUEST_BUILDSPEC), 'utf8')).env.variables);
    const set = [...request.environmentVariablesOverride, ...project.environment.environment_variable].map((v: Json) => v.name);
    expect(set.sort()).toEqual(declared.sort());
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
