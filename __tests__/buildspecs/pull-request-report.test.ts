// buildspecs/pull-request-report.yml run as CodeBuild runs it (the local runner, a full clone at the
// pull request's source commit, the variables the EventBridge target sets), its comment posted by
// the real AWS CLI to a stand-in that holds PostCommentForPullRequest's contract.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENV_BIN } from '../../harness/emulator';
import { runCodeBuild, type CodeBuildResult } from '../../harness/codebuild/runner';
import { COMMENT_LIMIT, startCodeCommitComments, type CodeCommitComments, type PullRequest } from '../helpers/codecommit-comments';
import { runProcess } from '../helpers/process';
import { commitWorkingTree, git, head } from '../helpers/repository';

const commit = (repo: string, message: string) => git(repo, 'commit', '--quiet', '-am', message);

/** The variables the pull request rule's target passes, and what the AWS CLI needs to reach the stand-in. */
function variables(pr: PullRequest, stand: CodeCommitComments): Record<string, string> {
  return {
    PULL_REQUEST_ID: pr.pullRequestId,
    REPOSITORY_NAME: pr.repositoryName,
    DEPLOY_ENV: 'dev',
    SOURCE_COMMIT: pr.sourceCommit,
    DESTINATION_COMMIT: pr.destinationCommit,
    PATH: `${VENV_BIN}:${process.env.PATH}`,
    AWS_ENDPOINT_URL: stand.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_MAX_ATTEMPTS: '1',
    // npm ci from this machine's cache (CI has just filled it); CodeBuild's comes from the registry.
    npm_config_prefer_offline: 'true',
    // checkov from .venv (CodeBuild's is installed by tools/setup-python.sh); Terraform and its
    // provider from this machine (CodeBuild's from HashiCorp by install-terraform.sh, and the registry).
    CHECKOV: join(VENV_BIN, 'checkov'),
  };
}

describe('the pull request report build', () => {
  let repository: string;
  let pr: PullRequest;
  let stand: CodeCommitComments;
  let build: CodeBuildResult;

  beforeAll(async () => {
    // GIVEN a pull request whose one commit moves dev's web instances a size up
    repository = commitWorkingTree();
    const destinationCommit = head(repository);
    const file = join(repository, 'environments', 'dev.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n {2}instanceType: t3\.micro\n/, '\n  instanceType: t3.small\n'));
    commit(repository, 'web instances a size up');
    pr = { pullRequestId: '7', repositoryName: 'webapp-dev', sourceCommit: head(repository), destinationCommit };
    stand = await startCodeCommitComments([pr]);
    // WHEN the build runs from a full clone at the source commit
    build = await runCodeBuild({
      buildspec: 'buildspecs/pull-request-report.yml',
      repository,
      revision: pr.sourceCommit,
      gitClone: true,
      variables: variables(pr, stand),
      region: 'us-east-1',
      artifactsDir: mkdtempSync(join(tmpdir(), 'pr-report-out-')),
      timeoutMs: 600_000,
    });
  }, 900_000);
  afterAll(() => stand?.close());

  it('succeeds', () => {
    expect(build.failure).toBeUndefined();
    expect(build.status).toBe('SUCCEEDED');
  });

  it('posts one comment on the pull request, from its destination to its source commit', () => {
    expect(stand.refused).toEqual([]);
    expect(stand.comments).toHaveLength(1);
    expect(stand.comments[0]).toMatchObject({
      pullRequestId: '7',
      repositoryName: 'webapp-dev',
      beforeCommitId: pr.destinationCommit,
      afterCommitId: pr.sourceCommit,
    });
  });

  it("shows exactly the change and what it adds to the month, for the environment's stacks", () => {
    const content = stand.comments[0].content;
    expect(content).toMatch(
      /## web-dev: 0 to add, 1 to change, 0 to remove\n\n```diff\n~ aws_launch_template\.fleet_launch-template_\w+\n {4}instance_type: "t3\.micro" -> "t3\.small"\n```/,
    );
    expect(content).toMatch(/Monthly estimate: .* \(\+\$[\d.]+ to \+\$[\d.]+ a month\)/);
    // The environment's other stack: no change; no other environment's stacks; then checkov's result.
    expect(content.match(/^## .*$/gm)).toEqual([
      '## cachet-dev: no change',
      '## web-dev: 0 to add, 1 to change, 0 to remove',
      '## checkov: no unwaived failure',
    ]);
  });

  it("gives checkov's result on the environment's stacks with the change: a count per stack", () => {
    const section = stand.comments[0].content.slice(stand.comments[0].content.indexOf('## checkov:'));
    expect(section).toMatch(/^\| stack \| passed \| failed \| waived \|$/m);
    expect(section.match(/^\| (cachet-dev|web-dev) \| \d+ \| 0 \| \d+ \|$/gm)).toHaveLength(2);
    expect(section).not.toMatch(/\| (cachet|web)-(staging|prod) \|/);
  });
});

describe('buildspecs/post-pull-request-report.sh', () => {
  let stand: CodeCommitComments;
  let repository: string;
  let pr: PullRequest;
  const script = join(__dirname, '../../buildspecs/post-pull-request-report.sh');

  beforeAll(async () => {
    repository = commitWorkingTree();
    const destinationCommit = head(repository);
    writeFileSync(join(repository, 'README.md'), 'changed\n');
    commit(repository, 'a change');
    pr = { pullRequestId: '8', repositoryName: 'webapp-dev', sourceCommit: head(repository), destinationCommit };
    stand = await startCodeCommitComments([pr]);
  }, 120_000);
  afterAll(() => stand?.close());

  const post = (report: string | undefined, env: Record<string, string> = {}) => {
    const file = join(mkdtempSync(join(tmpdir(), 'pr-report-')), 'report.md');
    if (report !== undefined) writeFileSync(file, report);
    return runProcess('bash', [script, file], {
      cwd: repository,
      env: {
        ...process.env,
        ...variables(pr, stand),
        CODEBUILD_SRC_DIR: repository,
        CODEBUILD_BUILD_ID: 'report:1234',
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        ...env,
      },
    });
  };

  it('cuts a report over the comment limit there, saying where the whole of it is', async () => {
    const before = stand.comments.length;
    const result = await post(`${'x'.repeat(COMMENT_LIMIT)}\nthe end\n`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const content = stand.comments[before].content;
    expect([...content].length).toBe(COMMENT_LIMIT);
    expect(content).toMatch(/\n\n\(Cut at CodeCommit's comment limit: the whole report is in the log of CodeBuild build report:1234\.\)$/);
  });

  it('posts that the report could not be made when the build failed', async () => {
    const before = stand.comments.length;
    const result = await post('partial', { CODEBUILD_BUILD_SUCCEEDING: '0' });
    expect(result.status).toBe(0);
    expect(stand.comments[before].content).toBe(
      `The infrastructure report for ${pr.sourceCommit.slice(0, 12)} could not be made: see the log of CodeBuild build report:1234.`,
    );
  });

  it.each([
    ['PULL_REQUEST_ID', '', /PULL_REQUEST_ID is not set: this build is started by the pull request rule/],
    ['DESTINATION_COMMIT', 'main', /DESTINATION_COMMIT is "main", not a full commit id/],
    ['SOURCE_COMMIT', '0'.repeat(40), /the source is not checked out at SOURCE_COMMIT 0{40}/],
  ])('refuses to post when %s is %j, naming it', async (name, value, message) => {
    const before = stand.comments.length;
    const result = await post('a report', { [name]: value });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(stand.comments.length).toBe(before);
  });

  it("is refused by the stand-in when the commits are not the pull request's (the stand-in holds the contract)", async () => {
    const result = await runProcess(
      join(VENV_BIN, 'aws'),
      [
        'codecommit',
        'post-comment-for-pull-request',
        '--pull-request-id',
        '8',
        '--repository-name',
        'webapp-dev',
        '--before-commit-id',
        pr.sourceCommit,
        '--after-commit-id',
        pr.destinationCommit,
        '--content',
        'x',
        '--region',
        'us-east-1',
      ],
      { env: { ...process.env, ...variables(pr, stand) } },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/CommitDoesNotExistException/);
  });
});
