// buildspecs/pull-request-report.yml for a GitHub pull request, run as CodeBuild runs it when its
// webhook starts the build (the local runner, a full clone at the pull request's head, the
// webhook's variables): the pull request and its commits read by buildspecs/github-pull-request.sh,
// the comment token read from Secrets Manager on the emulator by the real AWS CLI, and the comment
// posted by curl to a stand-in that holds GitHub's contract.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorCliEnv, startEmulator, VENV_BIN, type Emulator } from '../../harness/emulator';
import { runCodeBuild, type CodeBuildResult } from '../../harness/codebuild/runner';
import { GITHUB_COMMENT_LIMIT, startGitHubComments, type GitHubComments } from '../helpers/github-comments';
import { runProcess } from '../helpers/process';
import { commitWorkingTree, git, head } from '../helpers/repository';

const TOKEN = 'github_pat_test';
const REPOSITORY = 'example/webapp';

/** The AWS CLI on the emulator, as the build's role would call it. */
function aws(emulator: Emulator, ...args: string[]): string {
  return execFileSync(join(VENV_BIN, 'aws'), [...args, '--region', 'us-east-1'], { env: { ...process.env, ...emulatorCliEnv(emulator) }, encoding: 'utf8' });
}

/** The project's variables (REPOSITORY_NAME, DEPLOY_ENV, GITHUB_TOKEN_SECRET), and what reaches the emulator and the stand-in. */
function variables(emulator: Emulator, github: GitHubComments, secret: string): Record<string, string> {
  return {
    REPOSITORY_NAME: REPOSITORY,
    DEPLOY_ENV: 'dev',
    GITHUB_TOKEN_SECRET: secret,
    GITHUB_API_URL: github.url,
    PATH: `${VENV_BIN}:${process.env.PATH}`,
    ...emulatorCliEnv(emulator),
    AWS_MAX_ATTEMPTS: '1',
    // As in pull-request-report.test.ts: packages from this machine's cache, checkov from .venv.
    npm_config_prefer_offline: 'true',
    CHECKOV: join(VENV_BIN, 'checkov'),
  };
}

let emulator: Emulator;
let github: GitHubComments;
let secret: string;

beforeAll(async () => {
  emulator = await startEmulator();
  github = await startGitHubComments(TOKEN, [`${REPOSITORY}#12`, `${REPOSITORY}#13`]);
  secret = 'statuspage-dev-web-pull-requests-github-token-1';
  aws(emulator, 'secretsmanager', 'create-secret', '--name', secret, '--secret-string', TOKEN);
}, 60_000);
afterAll(async () => {
  await github?.close();
  await emulator?.stop();
});

describe('the pull request report build, started by the GitHub webhook', () => {
  let build: CodeBuildResult;
  let pullRequestHead: string;
  let mergeBase: string;

  beforeAll(async () => {
    // GIVEN a pull request from `feature` into `dev` that moves dev's web instances a size up, and
    // a commit `dev` gained since the branch was made, which changes cachet-dev (compared with
    // dev's tip instead of the merge base, the report would show it undone)
    const repository = commitWorkingTree();
    mergeBase = head(repository);
    git(repository, 'branch', 'dev');
    git(repository, 'checkout', '-q', '-b', 'feature');
    const file = join(repository, 'environments', 'dev.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n {2}instanceType: t3\.micro\n/, '\n  instanceType: t3.small\n'));
    git(repository, 'commit', '-q', '-am', 'web instances a size up');
    pullRequestHead = head(repository);
    git(repository, 'checkout', '-q', 'dev');
    writeFileSync(file, readFileSync(file, 'utf8').replace('\n  flowLogRetentionDays: 14\n', '\n  flowLogRetentionDays: 30\n'));
    git(repository, 'commit', '-q', '-am', "dev moves on: the Cachet VPC's flow logs kept longer");
    // WHEN the webhook starts the build on the pull request's head, from a full clone
    build = await runCodeBuild({
      buildspec: 'buildspecs/pull-request-report.yml',
      repository,
      revision: pullRequestHead,
      gitClone: true,
      gitHubPullRequest: { number: 12, event: 'PULL_REQUEST_CREATED', baseBranch: 'dev', headBranch: 'feature', actorId: 583231 },
      variables: variables(emulator, github, secret),
      region: 'us-east-1',
      artifactsDir: mkdtempSync(join(tmpdir(), 'pr-report-out-')),
      timeoutMs: 600_000,
    });
  }, 900_000);

  it('succeeds', () => {
    expect(build.failure).toBeUndefined();
    expect(build.status).toBe('SUCCEEDED');
  });

  it('posts one comment on the pull request, with the token from the secret', () => {
    expect(github.refused).toEqual([]);
    expect(github.comments.filter((c) => c.pullRequest === 12)).toHaveLength(1);
    expect(github.comments[0]).toMatchObject({ repository: REPOSITORY, pullRequest: 12, accept: 'application/vnd.github+json' });
    expect(build.log).toContain(`https://github.com/${REPOSITORY}/pull/12#issuecomment-1`);
  });

  it("shows exactly the pull request's change, against the merge base (not what dev gained since), and checkov's result", () => {
    const body = github.comments[0].body;
    expect(body).toMatch(
      /## web-dev: 0 to add, 1 to change, 0 to remove\n\n```diff\n~ aws_launch_template\.fleet_launch-template_\w+\n {4}instance_type: "t3\.micro" -> "t3\.small"\n```/,
    );
    expect(body).toMatch(/Monthly estimate: .* \(\+\$[\d.]+ to \+\$[\d.]+ a month\)/);
    expect(body.match(/^## .*$/gm)).toEqual(['## cachet-dev: no change', '## web-dev: 0 to add, 1 to change, 0 to remove', '## checkov: no unwaived failure']);
    expect(body).toContain(mergeBase.slice(0, 12));
  });

  it('never prints the token', () => {
    expect(build.log).not.toContain(TOKEN);
  });
});

describe('buildspecs/github-pull-request.sh', () => {
  const script = join(__dirname, '../../buildspecs/github-pull-request.sh');
  let origin: string;
  let base: string;

  beforeAll(() => {
    origin = commitWorkingTree({ 'note.txt': 'one\n' });
    git(origin, 'branch', 'dev');
    writeFileSync(join(origin, 'note.txt'), 'two\n');
    git(origin, 'commit', '-q', '-am', 'dev moves on');
    base = head(origin);
    git(origin, 'branch', '-f', 'dev', base);
    git(origin, 'checkout', '-q', '-b', 'feature', 'HEAD~1');
  }, 60_000);

  const read = (clone: string, env: Record<string, string>) =>
    runProcess('bash', [script], {
      env: { ...process.env, CODEBUILD_SRC_DIR: clone, CODEBUILD_WEBHOOK_TRIGGER: 'pr/12', CODEBUILD_WEBHOOK_BASE_REF: 'refs/heads/dev', ...env },
    });

  it.each([
    ['a full clone', []],
    ['a clone of the head branch alone (the base is fetched)', ['--single-branch', '--branch', 'feature']],
  ])('gives the pull request, its head and the base branch tip from %s', async (_, cloneArgs) => {
    const clone = mkdtempSync(join(tmpdir(), 'pr-clone-'));
    git(tmpdir(), 'clone', '-q', ...cloneArgs, origin, clone);
    git(clone, 'checkout', '-q', '--detach', 'origin/feature');
    const result = await read(clone, {});
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`export PULL_REQUEST_ID=12 SOURCE_COMMIT=${head(clone)} DESTINATION_COMMIT=${base}\n`);
  });

  it.each([
    [{ CODEBUILD_WEBHOOK_TRIGGER: 'branch/dev' }, /CODEBUILD_WEBHOOK_TRIGGER is "branch\/dev", not pr\/<number>/],
    [{ CODEBUILD_WEBHOOK_TRIGGER: '' }, /CODEBUILD_WEBHOOK_TRIGGER is "", not pr\/<number>: this build is started by the pull request webhook/],
    [{ CODEBUILD_WEBHOOK_BASE_REF: 'refs/tags/v1' }, /CODEBUILD_WEBHOOK_BASE_REF is "refs\/tags\/v1", not a branch/],
  ])('refuses %j, naming it', async (env, message) => {
    const result = await read(origin, env);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

describe('buildspecs/post-pull-request-report.sh on GitHub', () => {
  const script = join(__dirname, '../../buildspecs/post-pull-request-report.sh');
  let repository: string;
  let commits: { SOURCE_COMMIT: string; DESTINATION_COMMIT: string };

  beforeAll(() => {
    repository = commitWorkingTree({ 'note.txt': 'one\n' });
    const destination = head(repository);
    writeFileSync(join(repository, 'note.txt'), 'two\n');
    git(repository, 'commit', '-q', '-am', 'a change');
    commits = { SOURCE_COMMIT: head(repository), DESTINATION_COMMIT: destination };
  }, 60_000);

  const post = (report: string, env: Record<string, string> = {}) => {
    const file = join(mkdtempSync(join(tmpdir(), 'pr-report-')), 'report.md');
    writeFileSync(file, report);
    return runProcess('bash', [script, file], {
      cwd: repository,
      env: {
        ...process.env,
        ...variables(emulator, github, secret),
        ...commits,
        PULL_REQUEST_ID: '13',
        CODEBUILD_SRC_DIR: repository,
        CODEBUILD_BUILD_ID: 'report:5678',
        AWS_DEFAULT_REGION: 'us-east-1',
        ...env,
      },
    });
  };

  it("cuts a report over GitHub's comment limit there, saying where the whole of it is", async () => {
    const before = github.comments.length;
    const result = await post(`${'x'.repeat(GITHUB_COMMENT_LIMIT)}\nthe end\n`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const body = github.comments[before].body;
    expect([...body].length).toBe(GITHUB_COMMENT_LIMIT);
    expect(body).toMatch(/\n\n\(Cut at GitHub's comment limit: the whole report is in the log of CodeBuild build report:5678\.\)$/);
  });

  it('posts nothing and succeeds while the secret holds no token, saying where the report is and what to put', async () => {
    // GIVEN the secret as the stack makes it: no value yet
    const empty = `${secret}-empty`;
    aws(emulator, 'secretsmanager', 'create-secret', '--name', empty);
    const before = github.comments.length;
    const result = await post('a report', { GITHUB_TOKEN_SECRET: empty });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `No comment: ${empty} holds no token yet\\. The report is in the log of CodeBuild build report:5678, which the pull request's status links to`,
      ),
    );
    expect(github.comments.length).toBe(before);
  });

  it("fails with GitHub's answer when GitHub refuses the token (the stand-in holds the contract)", async () => {
    const wrong = `${secret}-wrong`;
    aws(emulator, 'secretsmanager', 'create-secret', '--name', wrong, '--secret-string', 'not-the-token');
    const result = await post('a report', { GITHUB_TOKEN_SECRET: wrong });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/GitHub refused the comment on pull request 13 of example\/webapp: .*Bad credentials/);
    expect(result.stderr).not.toContain('not-the-token');
  });

  it.each([
    ['PULL_REQUEST_ID', 'pr/13', /PULL_REQUEST_ID is "pr\/13", not a GitHub pull request id/],
    ['REPOSITORY_NAME', 'webapp', /REPOSITORY_NAME is "webapp", not a GitHub repository name/],
  ])('refuses %s %j, naming it', async (name, value, message) => {
    const result = await post('a report', { [name]: value });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
  });
});
