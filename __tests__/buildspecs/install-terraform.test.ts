// buildspecs/install-terraform.sh, which the infrastructure and pull request buildspecs run first:
// nothing is downloaded when the pinned Terraform is on PATH, and a download whose SHA-256 is not
// HashiCorp's published one is refused before anything is unpacked or installed.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TERRAFORM_REQUIRED_VERSION } from '../../stacks/environment-stack';
import { runProcess } from '../helpers/process';

const SCRIPT = resolve(__dirname, '../../buildspecs/install-terraform.sh');

/** A directory of stand-in commands, each a shell script. */
function bin(commands: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'install-terraform-bin-'));
  for (const [name, body] of Object.entries(commands)) {
    writeFileSync(join(dir, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const run = (path: string, dest: string) => runProcess('bash', [SCRIPT], { env: { PATH: path, TERRAFORM_INSTALL_DIR: dest, HOME: tmpdir() }, timeout: 60_000 });

describe('buildspecs/install-terraform.sh', () => {
  it('downloads nothing when Terraform 1.11.4 is on PATH', async () => {
    // GIVEN this machine's Terraform, and a curl that records any call
    const calls = join(mkdtempSync(join(tmpdir(), 'calls-')), 'curl');
    const fakes = bin({ curl: `echo "$@" >> ${calls}; exit 1` });
    const dest = mkdtempSync(join(tmpdir(), 'dest-'));
    // WHEN
    const result = await run(`${fakes}:${process.env.PATH}`, dest);
    // THEN
    expect(result.stdout).toContain('Terraform 1.11.4 is already on PATH');
    expect(result.status).toBe(0);
    expect(existsSync(calls)).toBe(false);
  });

  it('downloads nothing when the pinned Terraform writes more after its version line (piped into head, it died of SIGPIPE)', async () => {
    // GIVEN a Terraform 1.11.4 that takes a moment before its second line, as a busy machine's does
    const calls = join(mkdtempSync(join(tmpdir(), 'calls-')), 'curl');
    const fakes = bin({
      terraform: 'echo "Terraform v1.11.4"; sleep 0.3; echo "on linux_amd64"; echo "Your version of Terraform is out of date"',
      curl: `echo "$@" >> ${calls}; exit 6`,
    });
    // WHEN
    const result = await run(`${fakes}:/usr/bin:/bin`, mkdtempSync(join(tmpdir(), 'dest-')));
    // THEN
    expect(result.status).toBe(0);
    expect(existsSync(calls)).toBe(false);
  });

  it('refuses a download whose SHA-256 is not the pinned one, and installs nothing', async () => {
    // GIVEN another Terraform on PATH, and a "download" of the wrong bytes
    const fakes = bin({
      terraform: 'echo "Terraform v1.9.0"',
      curl: 'while [ $# -gt 0 ]; do if [ "$1" = -o ]; then echo "not terraform" > "$2"; fi; shift; done',
    });
    const dest = mkdtempSync(join(tmpdir(), 'dest-'));
    // WHEN
    const result = await run(`${fakes}:/usr/bin:/bin`, dest);
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the download's SHA-256 is not 1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc; refusing it/);
    expect(existsSync(join(dest, 'terraform'))).toBe(false);
  });

  it('pins a Terraform the stacks accept (their required_version)', () => {
    const pinned = /^version=(\d+)\.(\d+)\.(\d+)$/m.exec(readFileSync(SCRIPT, 'utf8'))!.slice(1).map(Number);
    const [, major, minor] = /^>= (\d+)\.(\d+)$/.exec(TERRAFORM_REQUIRED_VERSION)!.map(Number);
    expect(pinned[0] > major || (pinned[0] === major && pinned[1] >= minor)).toBe(true);
  });
});
