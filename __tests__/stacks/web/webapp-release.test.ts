// The initial release the web stacks upload: built from app/ at synth, the same bytes each time.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../../../project';
import { describe, expect, it } from 'vitest';
import { initialReleaseDirectory } from '../../../stacks/web/webapp-release';

describe('initialReleaseDirectory', () => {
  it('holds an executable bin/webapp stamped with the version, and the systemd unit', () => {
    // WHEN
    const dir = initialReleaseDirectory('v-initial-test');
    // THEN
    expect(statSync(join(dir, 'bin', 'webapp')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(dir, 'webapp.service'), 'utf8')).toBe(readFileSync(projectPath('app', 'deploy', 'webapp.service'), 'utf8'));
    expect(readFileSync(join(dir, 'bin', 'webapp')).includes(Buffer.from('v-initial-test'))).toBe(true);
  }, 120_000);

  it('is built once per source content: the same call gives the same directory', () => {
    expect(initialReleaseDirectory('v-initial-test')).toBe(initialReleaseDirectory('v-initial-test'));
  }, 120_000);

  it('gives a different release for another version', () => {
    expect(initialReleaseDirectory('v-other')).not.toBe(initialReleaseDirectory('v-initial-test'));
  }, 120_000);

  it('builds the same binary again from scratch (no path, time or VCS stamp in it)', () => {
    const dir = initialReleaseDirectory('v-initial-test');
    const again = join(execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim(), 'out');
    execFileSync('bash', [projectPath('app', 'build.sh'), 'v-initial-test', readCommitStamp(dir), again, '--skip-tests']);
    expect(readFileSync(join(again, 'bin', 'webapp')).equals(readFileSync(join(dir, 'bin', 'webapp')))).toBe(true);
  }, 120_000);
});

/** The `src-<hash>` commit stamp the build put in the binary. */
function readCommitStamp(dir: string): string {
  return /src-[0-9a-f]{12}/.exec(readFileSync(join(dir, 'bin', 'webapp'), 'latin1'))![0];
}
