// How Cachet's image gets from this repository to an instance, run with the real AWS CLI against the
// emulator's ECR: the image project's buildspec in the local CodeBuild, then the Beanstalk bundle's
// prebuild hook that waits for the tag. Docker cannot run here (no daemon, no Docker Hub): a stand-in
// `docker` records the calls and, on push, registers the image manifest in the emulator's ECR as a
// registry would. The Dockerfile itself is checked by the image tests and the manual check in the README.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHET_BUNDLE_DIR, CACHET_IMAGE_DIR } from '../../../stacks/cachet/cachet-beanstalk';
import { EMULATOR_ACCOUNT_ID, emulatorCliEnv, startEmulator, VENV_BIN, type Emulator } from '../../../harness/emulator';
import { runCodeBuild } from '../../../harness/codebuild/runner';

const REGION = 'eu-west-1';
const REPOSITORY = 'statuspage-dev-cachet';
const REGISTRY = `${EMULATOR_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
// Application deployments run .platform/hooks, configuration deployments .platform/confighooks.
const HOOKS = ['.platform/hooks/prebuild/20-cachet-image.sh', '.platform/confighooks/prebuild/20-cachet-image.sh'];

// Records each call; `push` puts a manifest for the tag in ECR, as the registry would after the upload.
const DOCKER_STAND_IN = String.raw`#!/bin/bash
echo "docker $*" >> "@CALLS@"
case $1 in
  login) cat > /dev/null ;;
  push)
    repository=$(echo "$2" | cut -d/ -f2 | cut -d: -f1) tag=$(echo "$2" | cut -d: -f2) digest=$(printf %s "$2" | sha256sum | cut -c1-64)
    aws ecr put-image --region @REGION@ --repository-name "$repository" --image-tag "$tag" \
      --image-manifest '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:'"$digest"'"},"layers":[]}' >/dev/null ;;
esac
`;

let emulator: Emulator;
let repository: string;
let standIn: string;

beforeAll(async () => {
  emulator = await startEmulator();
  execFileSync(
    join(VENV_BIN, 'aws'),
    ['ecr', 'create-repository', '--region', REGION, '--repository-name', REPOSITORY, '--image-tag-mutability', 'IMMUTABLE'],
    { env: { ...emulatorCliEnv(emulator), PATH: process.env.PATH! }, stdio: 'pipe' },
  );
  // The image directory as CodeBuild gets it: the bundle's files at the root.
  repository = mkdtempSync(join(tmpdir(), 'cachet-image-src-'));
  cpSync(CACHET_IMAGE_DIR, repository, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repository });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'image');
  standIn = mkdtempSync(join(tmpdir(), 'docker-standin-'));
  writeFileSync(join(standIn, 'docker'), DOCKER_STAND_IN.replace('@CALLS@', join(standIn, 'calls')).replace('@REGION@', REGION));
  chmodSync(join(standIn, 'docker'), 0o755);
}, 120_000);
afterAll(() => emulator?.stop());

const calls = () => {
  try {
    return readFileSync(join(standIn, 'calls'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

function build(tag: string) {
  writeFileSync(join(standIn, 'calls'), '');
  return runCodeBuild({
    buildspec: 'buildspec.yml',
    repository,
    region: REGION,
    artifactsDir: mkdtempSync(join(tmpdir(), 'artifacts-')),
    variables: { PATH: `${standIn}:${VENV_BIN}:${process.env.PATH}`, REPOSITORY_URI: `${REGISTRY}/${REPOSITORY}`, IMAGE_TAG: tag, ...emulatorCliEnv(emulator) },
  });
}

function waitHook(tag: string, waitSeconds: number, hook = HOOKS[0]) {
  return spawnSync(resolve(CACHET_BUNDLE_DIR, hook), [], {
    env: {
      PATH: `${VENV_BIN}:/usr/bin:/bin`,
      CACHET_IMAGE: `${REGISTRY}/${REPOSITORY}:${tag}`,
      CACHET_IMAGE_WAIT_SECONDS: String(waitSeconds),
      ...emulatorCliEnv(emulator),
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe("the Cachet image's delivery", () => {
  it.each(HOOKS)('has the instance wait in vain, and fail the deployment, while the tag is not built (%s)', (hook) => {
    const result = waitHook('0123456789abcdef', 0, hook);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cachet-image: .*:0123456789abcdef is not in ECR after 0 s; see the statuspage-dev-cachet-image CodeBuild project's builds/);
  });

  it('builds and pushes a new tag after logging in to the registry', async () => {
    const result = await build('0123456789abcdef');
    expect(result.failure, result.log).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(calls()).toEqual([
      `docker login --username AWS --password-stdin ${REGISTRY}`,
      `docker build --pull --tag ${REGISTRY}/${REPOSITORY}:0123456789abcdef .`,
      `docker push ${REGISTRY}/${REPOSITORY}:0123456789abcdef`,
    ]);
  });

  it.each(HOOKS)('lets the instance go on once the tag is in ECR (%s)', (hook) => {
    const result = waitHook('0123456789abcdef', 0, hook);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/is in ECR/);
  });

  it('skips the build of a tag that exists (tags are immutable)', async () => {
    const result = await build('0123456789abcdef');
    expect(result.status).toBe('SUCCEEDED');
    expect(result.log).toMatch(/exists already \(tags are immutable\); nothing to build/);
    expect(calls().filter((c) => !c.startsWith('docker login'))).toEqual([]);
  });

  it('fails before any docker call without its variables', async () => {
    writeFileSync(join(standIn, 'calls'), '');
    const result = await runCodeBuild({
      buildspec: 'buildspec.yml',
      repository,
      region: REGION,
      artifactsDir: mkdtempSync(join(tmpdir(), 'a-')),
      variables: { PATH: `${standIn}:${process.env.PATH}` },
    });
    expect(result.status).toBe('FAILED');
    expect(calls()).toEqual([]);
  });

  it('refuses a CACHET_IMAGE that is not an ECR image with a tag', () => {
    const result = spawnSync(resolve(CACHET_BUNDLE_DIR, HOOKS[0]), [], {
      env: { PATH: '/usr/bin:/bin', CACHET_IMAGE: 'cachethq/docker:2.3.15' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(64);
    expect(result.stderr).toMatch(/CACHET_IMAGE "cachethq\/docker:2\.3\.15" is not an ECR image URI with a tag/);
  });
});
