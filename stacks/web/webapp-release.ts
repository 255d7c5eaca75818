// The web app's initial release, built at synth from app/ so that a fresh apply serves at once:
// Terraform uploads it where the launch template's default version looks for it
// (s3://<releases>/webapp/<initialReleaseVersion>.tar.gz). Later releases come from the pipeline.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHITECTURE_BUILD, type Architecture } from '../../constructs/platform';
import { listFiles } from '../../constructs/zip';
import { projectPath } from '../../project';

const APP_DIR = projectPath('app');

/** What the binary is built from: the Go sources and files the build uses (tests do not count). */
function sourceFiles(): string[] {
  return listFiles(APP_DIR).filter(
    (f) => !f.endsWith('_test.go') && (f.endsWith('.go') || f === 'go.mod' || f === 'build.sh' || f === 'deploy/webapp.service'),
  );
}

function goVersion(): string {
  const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new Error(
      'Synthesizing a web stack builds its initial release from app/ with Go, which is missing: install it (apt-get install -y golang-go), then synthesize again',
    );
  }
  return go.stdout.trim();
}

/**
 * A directory holding the initial release (bin/webapp stamped with `version` and a source hash,
 * webapp.service) for Linux on `architecture`, whatever machine synthesizes: what app/build.sh
 * makes, built once per source content, Go version and target and kept in the system's temporary
 * directory. The same sources and Go give the same bytes (-trimpath, no VCS stamp), so the archive,
 * its hash and the S3 object stay put until app/ changes.
 */
export function initialReleaseDirectory(version: string, architecture: Architecture): string {
  const target = { GOOS: 'linux', GOARCH: ARCHITECTURE_BUILD[architecture].goarch, CGO_ENABLED: '0' };
  const hash = createHash('sha256').update(`${goVersion()}\0${version}\0${target.GOOS}/${target.GOARCH}\0`);
  for (const file of sourceFiles())
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(APP_DIR, file)))
      .update('\0');
  const key = hash.digest('hex').slice(0, 24);
  const cacheRoot = join(tmpdir(), 'webapp-initial-release');
  const dir = join(cacheRoot, key);
  if (existsSync(join(dir, 'bin', 'webapp'))) return dir;

  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(join(cacheRoot, `${key}.building-`));
  const build = spawnSync('bash', [join(APP_DIR, 'build.sh'), version, `src-${key.slice(0, 12)}`, staging, '--skip-tests'], {
    encoding: 'utf8',
    env: { ...process.env, ...target },
  });
  if (build.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`Building the initial release (app/build.sh) failed:\n${build.stderr || build.error}`);
  }
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process built the same one first
  }
  return dir;
}
