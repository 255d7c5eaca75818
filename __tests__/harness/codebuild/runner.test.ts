// The local CodeBuild runner: version 0.2 semantics on small buildspecs, then the pipeline's own
// Build action on this tree (and on the build script as it was before its OUTDIR fix).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnvironments } from '../../../config/load';
import { artifactPattern, parseBuildspec, resolveRuntimes, runCodeBuild, type CodeBuildRunOptions } from '../../../harness/codebuild/runner';
import { commitWorkingTree, git, head, repositoryWith, ROOT } from '../../helpers/repository';
import { environmentNames } from '../../../config/load';

const ENVIRONMENTS = environmentNames();

const out = () => mkdtempSync(join(tmpdir(), 'codebuild-out-'));

function run(spec: string, options: Partial<CodeBuildRunOptions> = {}, files: Record<string, string> = {}) {
  const repository = repositoryWith({ 'buildspec.yml': spec, ...files });
  return runCodeBuild({ buildspec: 'buildspec.yml', repository, artifactsDir: out(), timeoutMs: 60_000, ...options });
}

describe('buildspec parsing', () => {
  it('keeps every scalar a string, so golang 1.20 stays 1.20', () => {
    // WHEN
    const spec = parseBuildspec('version: 0.2\nphases:\n  install:\n    runtime-versions:\n      golang: 1.20\n    commands: [true]\n');
    // THEN
    expect(spec.phases.install?.runtimeVersions).toEqual({ golang: '1.20' });
  });

  it.each([
    ['version: 0.1\nphases: {build: {commands: [true]}}', /version/],
    ['version: 0.2\nphases: {build: {commands: [true], on-failure: RETRY}}', /on-failure/],
    ['version: 0.2\nphases: {compile: {commands: [true]}}', /phases\.compile/],
    ['version: 0.2\nenv: {parameter-store: {A: /a}}\nphases: {build: {commands: [true]}}', /env\.parameter-store/],
    ['version: 0.2\nenv: {variables: {CODEBUILD_X: a}}\nphases: {build: {commands: [true]}}', /CODEBUILD_X.*reserved/],
    ['version: 0.2\nphases: {build: {commands: [true]}}\nartifacts: {files: []}', /artifacts\.files/],
    ['version: 0.2\nenv: {exported-variables: [A-B]}\nphases: {build: {commands: [true]}}', /env\.exported-variables/],
  ])('refuses %j naming the field', (text, message) => {
    expect(() => parseBuildspec(text)).toThrow(message);
  });
});

describe('runtime-versions against the image', () => {
  it.each([
    ['1.24', '1.24'],
    ['1.x', '1.26'],
    ['latest', '1.26'],
  ])('golang %s resolves to %s on standard:5.0', (want, got) => {
    expect(resolveRuntimes('aws/codebuild/amazonlinux-x86_64-standard:5.0', { golang: want })).toEqual({ golang: got });
  });

  it('refuses a Go the image no longer offers, naming what it offers', () => {
    expect(() => resolveRuntimes('aws/codebuild/amazonlinux-x86_64-standard:6.0', { golang: '1.22' })).toThrow(
      /golang 1\.22 is not offered.*1\.26, 1\.25, 1\.24/,
    );
  });

  it('refuses an image it has no list for', () => {
    expect(() => resolveRuntimes('aws/codebuild/standard:7.0', {})).toThrow(/runtimes\.json/);
  });
});

describe('commands as CodeBuild runs them (each its own script; the directory and variables carry)', () => {
  it('carries the directory and variables from command to command and phase to phase', async () => {
    // GIVEN
    const spec = [
      'version: 0.2',
      'phases:',
      '  pre_build:',
      '    commands:',
      '      - mkdir -p sub && cd sub',
      '      - GREETING=hello',
      '  build:',
      '    commands:',
      '      - echo "$GREETING from $(basename "$PWD")" > out.txt',
      'artifacts:',
      '  base-directory: sub',
      '  files: [out.txt]',
    ].join('\n');
    // WHEN
    const result = await run(spec);
    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.artifacts).toEqual(['out.txt']);
  });

  it('carries exported and unexported scalars, multi-line values included', async () => {
    const spec = [
      'version: 0.2',
      'phases:',
      '  build:',
      '    commands:',
      '      - export EXPORTED=one; PLAIN="two words"; LINES="$(printf \'a\\nb\')"',
      '      - test "$EXPORTED|$PLAIN" = "one|two words" && test "$(printf %s "$LINES" | wc -l)" = 1',
      '      - bash -c \'test "$EXPORTED" = one && test -z "${PLAIN:-}"\'',
    ].join('\n');
    const result = await run(spec);
    expect(result.failure).toBeUndefined();
  });

  it.each([
    ['a function', '      - greet() { echo hi; }', '      - "! type greet >/dev/null 2>&1"'],
    ['an array', '      - PARTS=(a b)', '      - test -z "${PARTS[1]:-}"'],
    ['set -e', '      - set -e', '      - false; true'],
    ['set -o pipefail', '      - set -o pipefail', '      - false | true'],
  ])('does not carry %s to the next command', async (_, first, second) => {
    // GIVEN a command that sets it, and one that succeeds only where it did not carry (one shell would fail it)
    const spec = ['version: 0.2', 'phases:', '  build:', '    commands:', first, second].join('\n');
    // THEN the build succeeds, as on CodeBuild
    expect((await run(spec)).failure).toBeUndefined();
  });

  it('carries the directory and variables under /bin/sh too', async () => {
    const spec = [
      'version: 0.2',
      'env:',
      '  shell: /bin/sh',
      'phases:',
      '  build:',
      '    commands:',
      '      - mkdir -p "it\'s" && cd "it\'s" && NAME=\'a b\'',
      '      - test "$NAME" = "a b" && test "$(basename "$PWD")" = "it\'s"',
    ].join('\n');
    expect((await run(spec)).failure).toBeUndefined();
  });

  it('leaves CODEBUILD_RESOLVED_SOURCE_VERSION unset when the revision is not resolved', async () => {
    const spec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - test -z "${CODEBUILD_RESOLVED_SOURCE_VERSION+set}"\n';
    expect((await run(spec, { sourceVersionResolved: false })).status).toBe('SUCCEEDED');
    expect((await run(spec)).status).toBe('FAILED');
  });

  it('sets the source directory and the resolved source version to the commit', async () => {
    const repository = repositoryWith({
      'buildspec.yml':
        'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "$CODEBUILD_RESOLVED_SOURCE_VERSION $PWD" > seen\nartifacts:\n  files: [seen]\n',
    });
    const artifactsDir = out();
    const result = await runCodeBuild({ buildspec: 'buildspec.yml', repository, artifactsDir });
    expect(readFileSync(join(artifactsDir, 'seen'), 'utf8').trim()).toBe(`${head(repository)} ${result.srcDir}`);
  });

  it('builds the committed tree, not uncommitted files', async () => {
    // GIVEN a file that exists only in the working copy
    const repository = repositoryWith({ 'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands: [test ! -e scratch]\n' });
    execFileSync('touch', [join(repository, 'scratch')]);
    // THEN
    expect((await runCodeBuild({ buildspec: 'buildspec.yml', repository, artifactsDir: out() })).status).toBe('SUCCEEDED');
  });

  it('gives a git-clone source as a full clone at the revision, the other commits in reach', async () => {
    // GIVEN a repository with a second commit
    const repository = repositoryWith({
      'buildspec.yml':
        'version: 0.2\nphases:\n  build:\n    commands:\n      - test "$(git rev-parse HEAD)" = "$CODEBUILD_RESOLVED_SOURCE_VERSION"\n      - git cat-file -e "$FIRST^{commit}"\n',
    });
    const first = head(repository);
    git(repository, 'commit', '--quiet', '--allow-empty', '-m', 'second');
    // THEN the clone is at the second, and holds the first; a CODE_ZIP source has no git at all
    const options = { buildspec: 'buildspec.yml', repository, artifactsDir: out(), variables: { FIRST: first } };
    expect((await runCodeBuild({ ...options, gitClone: true })).status).toBe('SUCCEEDED');
    expect((await runCodeBuild(options)).status).toBe('FAILED');
  });

  it('lets project variables override the buildspec variables', async () => {
    const spec =
      'version: 0.2\nenv:\n  variables:\n    STAGE: spec\n    KEEP: kept\nphases:\n  build:\n    commands:\n      - test "$STAGE/$KEEP" = project/kept\n';
    expect((await run(spec, { variables: { STAGE: 'project' } })).status).toBe('SUCCEEDED');
    expect((await run(spec)).status).toBe('FAILED');
  });

  it('exports the values its exported variables hold at the end of the build, and not unset ones', async () => {
    // WHEN a build sets one exported variable in build and changes it in post_build, and leaves another unset
    const build = await run(
      'version: 0.2\nenv:\n  exported-variables: [SUMMARY, NEVER_SET]\nphases:\n  build:\n    commands:\n      - SUMMARY="first"\n  post_build:\n    commands:\n      - SUMMARY="web-dev 1 to add; it\'s here"\n',
    );
    // THEN the pipeline gets the last value, and nothing for the unset one
    expect(build.exportedVariables).toEqual({ SUMMARY: "web-dev 1 to add; it's here" });
  });

  it('gives secondary sources their own directory variable', async () => {
    const secondary = mkdtempSync(join(tmpdir(), 'secondary-'));
    execFileSync('bash', ['-c', `echo payload > ${secondary}/file`]);
    const spec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - grep -q payload "$CODEBUILD_SRC_DIR_BuildOutput/file"\n';
    expect((await run(spec, { secondarySources: { BuildOutput: secondary } })).status).toBe('SUCCEEDED');
  });
});

describe('failures, as CodeBuild handles them', () => {
  it('stops the phase at the failing command, runs finally, still runs post_build and tells it the build is failing', async () => {
    // GIVEN
    const spec = [
      'version: 0.2',
      'phases:',
      '  build:',
      '    commands:',
      '      - "false"',
      '      - touch never',
      '    finally:',
      '      - touch finally-ran',
      '  post_build:',
      '    commands:',
      '      - echo "$CODEBUILD_BUILD_SUCCEEDING" > succeeding',
      'artifacts:',
      '  files: ["*"]',
    ].join('\n');
    const artifactsDir = out();
    // WHEN
    const result = await run(spec, { artifactsDir });
    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.phases.map((p) => `${p.phase}:${p.status}`)).toEqual(['BUILD:FAILED', 'POST_BUILD:SUCCEEDED', 'UPLOAD_ARTIFACTS:SUCCEEDED']);
    expect(result.artifacts).toEqual(['buildspec.yml', 'finally-ran', 'succeeding']);
    expect(readFileSync(join(artifactsDir, 'succeeding'), 'utf8').trim()).toBe('0');
    expect(result.failure).toMatch(/Phase BUILD: COMMAND_EXECUTION_ERROR.*false/);
  });

  it('skips everything after a failed install, artifacts included', async () => {
    const result = await run(
      'version: 0.2\nphases:\n  install:\n    commands: ["exit 3"]\n  build:\n    commands: [touch built]\nartifacts:\n  files: ["*"]\n',
    );
    expect(result.phases.map((p) => p.phase)).toEqual(['INSTALL']);
    expect(result.failure).toMatch(/exit status 3/);
  });

  it('goes on to the next phase after a failure with on-failure CONTINUE, and still fails the build', async () => {
    const result = await run(
      'version: 0.2\nphases:\n  pre_build:\n    on-failure: CONTINUE\n    commands: ["false"]\n  build:\n    commands: [touch built]\nartifacts:\n  files: [built]\n',
    );
    expect(result.phases.map((p) => `${p.phase}:${p.status}`)).toEqual(['PRE_BUILD:FAILED', 'BUILD:SUCCEEDED', 'UPLOAD_ARTIFACTS:SUCCEEDED']);
    expect(result.status).toBe('FAILED');
  });

  it('fails the build when a declared artifact is missing', async () => {
    const result = await run('version: 0.2\nphases:\n  build:\n    commands: [mkdir -p dist]\nartifacts:\n  base-directory: dist\n  files: [webapp.tar.gz]\n');
    expect(result.status).toBe('FAILED');
    expect(result.failure).toMatch(/UPLOAD_ARTIFACTS: CLIENT_ERROR: no matching artifact paths found for "webapp.tar.gz"/);
  });

  it('refuses a buildspec the image cannot run, before any command', async () => {
    await expect(run('version: 0.2\nphases:\n  install:\n    runtime-versions: {golang: 1.19}\n  build:\n    commands: [touch x]\n')).rejects.toThrow(
      /golang 1\.19 is not offered/,
    );
  });
});

describe('artifact patterns', () => {
  it.each([
    ['webapp.tar.gz', 'webapp.tar.gz', true],
    ['*.tar.gz', 'webapp.tar.gz', true],
    ['*.tar.gz', 'sub/webapp.tar.gz', false],
    ['**/*', 'sub/deep/file', true],
    ['bin/**/*', 'bin/webapp', true],
    ['bin/*', 'lib/x', false],
  ])('%s matches %s: %s', (pattern, path, matches) => {
    expect(artifactPattern(pattern).test(path)).toBe(matches);
  });
});

describe("the pipeline's Build action (app/buildspec.yml)", () => {
  it('produces webapp.tar.gz with the binary, stamped with the commit, and the systemd unit', async () => {
    // GIVEN this working tree, committed
    const repository = commitWorkingTree();
    const artifactsDir = out();
    // WHEN
    const result = await runCodeBuild({ buildspec: 'app/buildspec.yml', repository, artifactsDir, variables: { VERSION: 'v-test' } });
    // THEN
    expect(result.failure).toBeUndefined();
    expect(result.artifacts).toEqual(['webapp.tar.gz']);
    const listing = execFileSync('tar', ['-tvzf', join(artifactsDir, 'webapp.tar.gz')], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rwx.* \.\/bin\/webapp$/m);
    expect(listing).toMatch(/ \.\/webapp\.service$/m);
    const unpacked = mkdtempSync(join(tmpdir(), 'webapp-'));
    execFileSync('tar', ['-xzf', join(artifactsDir, 'webapp.tar.gz'), '-C', unpacked]);
    const binary = readFileSync(join(unpacked, 'bin', 'webapp'));
    expect(binary.includes(Buffer.from(head(repository)))).toBe(true);
    expect(binary.includes(Buffer.from('v-test'))).toBe(true);
  }, 180_000);

  it('refuses to build an unversioned release when CodePipeline passes no source revision', async () => {
    const result = await runCodeBuild({ buildspec: 'app/buildspec.yml', repository: commitWorkingTree(), artifactsDir: out(), sourceVersionResolved: false });
    expect(result.status).toBe('FAILED');
    expect(result.log).toContain("build.sh: '' is not a valid version or commit");
    expect(result.artifacts).toEqual([]);
  }, 180_000);

  it('fails with the build script as it was before its OUTDIR fix (it wrote app/dist/webapp)', async () => {
    const repository = commitWorkingTree({ 'app/build.sh': readFileSync(join(__dirname, 'build-before-fix.sh'), 'utf8') });
    const result = await runCodeBuild({ buildspec: 'app/buildspec.yml', repository, artifactsDir: out() });
    expect(result.status).toBe('FAILED');
    expect(result.failure).toMatch(/Phase BUILD: .*tar -czf dist\/webapp\.tar\.gz/);
    expect(result.log).toContain('dist/webapp: Cannot open');
  }, 180_000);

  it.each(loadEnvironments(ENVIRONMENTS).map((c) => [c.name, c.webapp.delivery.buildImage] as const))(
    "names a Go that %s's image (%s) offers and that go.mod accepts",
    (_env, image) => {
      const spec = parseBuildspec(readFileSync(join(ROOT, 'app', 'buildspec.yml'), 'utf8'));
      const { golang } = resolveRuntimes(image, spec.phases.install!.runtimeVersions!);
      const floor = /^go (\d+)\.(\d+)/m.exec(readFileSync(join(ROOT, 'app', 'go.mod'), 'utf8'))!;
      const [major, minor] = golang.split('.').map(Number);
      expect(major * 1000 + minor).toBeGreaterThanOrEqual(Number(floor[1]) * 1000 + Number(floor[2]));
    },
  );
});
