// The initial release the web stacks upload: built from app/ at synth, the same bytes each time.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../../../project';
import { describe, expect, it } from 'vitest';
import { initialReleaseDirectory } from '../../../stacks/web/webapp-release';
import { TEST_BUILD_VERSION } from '../../helpers/synth';

describe('initialReleaseDirectory', () => {
  it('holds an executable bin/webapp stamped with the version, and the systemd unit', () => {
    // WHEN
    const dir = initialReleaseDirectory('v-initial-test', 'x86_64');
    // THEN
    expect(statSync(join(dir, 'bin', 'webapp')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(dir, 'webapp.service'), 'utf8')).toBe(readFileSync(projectPath('app', 'deploy', 'webapp.service'), 'utf8'));
    expect(readFileSync(join(dir, 'bin', 'webapp')).includes(Buffer.from('v-initial-test'))).toBe(true);
  }, 120_000);

  it('is built once per source content: the same call gives the same directory', () => {
    expect(initialReleaseDirectory('v-initial-test', 'x86_64')).toBe(initialReleaseDirectory('v-initial-test', 'x86_64'));
  }, 120_000);

  it('gives a different release for another version', () => {
    expect(initialReleaseDirectory('v-other', 'x86_64')).not.toBe(initialReleaseDirectory('v-initial-test', 'x86_64'));
  }, 120_000);

  it.each([
    ['x86_64', '3e00'],
    ['arm64', 'b700'],
  ] as const)(
    'builds a Linux binary for %s whatever the synthesizing machine targets (GOARCH in its environment)',
    (architecture, machine) => {
      // GIVEN a machine whose environment asks Go for another target
      const saved = { GOOS: process.env.GOOS, GOARCH: process.env.GOARCH };
      Object.assign(process.env, { GOOS: 'darwin', GOARCH: architecture === 'arm64' ? 'amd64' : 'arm64' });
      try {
        // WHEN the release is built for the instances' architecture
        const binary = readFileSync(join(initialReleaseDirectory(TEST_BUILD_VERSION, architecture), 'bin', 'webapp'));
        // THEN it is an ELF (Linux) executable for that machine
        expect(binary.subarray(0, 4).toString('hex')).toBe('7f454c46');
        expect(binary.subarray(18, 20).toString('hex')).toBe(machine);
      } finally {
        for (const [k, v] of Object.entries(saved))
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
      }
    },
    180_000,
  );

  it('builds the same binary again from scratch (no path, time or VCS stamp in it)', () => {
    const dir = initialReleaseDirectory('v-initial-test', 'x86_64');
    const again = join(execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim(), 'out');
    execFileSync('bash', [projectPath('app', 'build.sh'), 'v-initial-test', readCommitStamp(dir), again, '--skip-tests'], {
      env: { ...process.env, GOOS: 'linux', GOARCH: 'amd64' },
    });
    expect(readFileSync(join(again, 'bin', 'webapp')).equals(readFileSync(join(dir, 'bin', 'webapp')))).toBe(true);
  }, 120_000);
});

/** The `src-<hash>` commit stamp the build put in the binary. */
function readCommitStamp(dir: string): string {
  return /src-[0-9a-f]{12}/.exec(readFileSync(join(dir, 'bin', 'webapp'), 'latin1'))![0];
}
