// tools/preflight.sh, which `npm test` runs first and .ci/run uses to install what is missing.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIRROR_CANDIDATES } from '../../harness/terraform-mirror';

const SCRIPT = resolve(__dirname, '../../tools/preflight.sh');

/** A PATH with only the shell tools the script itself uses: every tool the suite needs is missing. */
function barePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bare-path-'));
  for (const tool of ['bash', 'cut', 'sort', 'tr', 'grep', 'id', 'dirname'])
    symlinkSync(spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(dir, tool));
  return dir;
}

const run = (path: string, ...args: string[]) => spawnSync(join(barePath(), 'bash'), [SCRIPT, ...args], { env: { PATH: path }, encoding: 'utf8' });

describe('tools/preflight.sh', () => {
  it('passes silently on a machine that has everything (this one)', () => {
    const result = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('finds pdo_mysql however long php -m writes on after it (grep -q closing the pipe early is no failure)', () => {
    // GIVEN a php whose module list names pdo_mysql first and then keeps writing, as a busy machine's
    // php can still be writing when grep -q has found its line and gone
    const dir = barePath();
    const php = join(dir, 'php');
    writeFileSync(php, '#!/bin/bash\necho pdo_mysql\nfor i in $(seq 1 200000); do echo "module_$i"; done\n');
    chmodSync(php, 0o755);
    symlinkSync(spawnSync('bash', ['-c', 'command -v seq'], { encoding: 'utf8' }).stdout.trim(), join(dir, 'seq'));
    // WHEN the script asks which packages are missing
    const result = run(dir, '--missing-packages');
    // THEN php-mysql is not among them
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/golang-go/);
    expect(result.stdout).not.toMatch(/php-mysql/);
  });

  it('lists every missing tool at once, with the command that installs them, and fails', () => {
    const result = run(barePath());
    expect(result.status).toBe(1);
    for (const line of [
      /- go \(.*\): apt-get install -y golang-go/,
      /- terraform \(.*install Terraform >= 1\.11/,
      /- php \(.*\): apt-get install -y php-cli/,
      /- jq /,
      /- dot \(.*\): apt-get install -y graphviz/,
    ]) {
      expect(result.stderr).toMatch(line);
    }
    expect(result.stderr).toMatch(/Install them all: apt-get update && apt-get install -y .*golang-go.*graphviz/);
    expect(result.stderr).toMatch(/npm run test:unit/);
  });

  it("lists python3-venv when python3 has no venv module (Debian's python3 alone)", () => {
    const dir = barePath();
    writeFileSync(join(dir, 'python3'), '#!/bin/bash\n[ "$1" = -c ] && exit 1\nexit 0\n');
    chmodSync(join(dir, 'python3'), 0o755);
    expect(run(dir, '--missing-packages').stdout.trim().split(' ')).toContain('python3-venv');
    expect(run(dir).stderr).toMatch(/- python3 venv \(tools\/setup-python\.sh makes \.venv with it\): apt-get install -y python3-venv/);
  });

  it('refuses a TF_PROVIDER_MIRROR that holds no hashicorp/aws, naming it and the fix, and installs nothing for it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-mirror-'));
    const result = spawnSync('bash', [SCRIPT], { env: { ...process.env, TF_PROVIDER_MIRROR: empty }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`- hashicorp/aws provider mirror \\(.*none in TF_PROVIDER_MIRROR=${empty}: set TF_PROVIDER_MIRROR to a filesystem mirror`),
    );
    const packages = spawnSync('bash', [SCRIPT, '--missing-packages'], { env: { ...process.env, TF_PROVIDER_MIRROR: empty }, encoding: 'utf8' });
    expect(packages.stdout.trim()).toBe('');
  });

  it('searches the places harness/terraform-mirror.ts searches', () => {
    const script = readFileSync(SCRIPT, 'utf8');
    for (const dir of MIRROR_CANDIDATES) expect(script).toContain(dir.replace(homedir(), '${HOME:-/root}'));
  });

  it('tells .ci/run which Debian packages to install', () => {
    const result = run(barePath(), '--missing-packages');
    expect(result.status).toBe(0);
    // php-mysql with php-cli in the same round: a machine without PHP needs one install, not two
    expect(result.stdout.trim().split(' ')).toEqual(expect.arrayContaining(['golang-go', 'php-cli', 'php-mysql', 'jq', 'graphviz', 'openssl', 'wrk']));
    expect(result.stdout).not.toMatch(/terraform/);
  });
});
