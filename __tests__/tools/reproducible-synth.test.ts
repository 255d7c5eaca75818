// Byte for byte anywhere: two clones of this tree, one checked out under umask 002 (files 0664/0775)
// and one under 022 with Go told to target another OS and CPU (GOOS=darwin GOARCH=arm64, as on a
// Mac), each synthesized by `npm run synth` with its own temporary directory (no shared archive or
// release cache), give the same JSON for every stack of every environment: every S3 key, image tag,
// version label, asset hash and user data. (The unit tests of SourceBundle and the initial release
// show each input that must change a hash does.)
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../project';
import { commitWorkingTree } from '../helpers/repository';

/** Clones `repo` under `umask`, synthesizes every stack with `env`, and returns each stack's JSON text and the clone's file modes. */
async function synthesizeClone(repo: string, umask: string, env: Record<string, string>): Promise<{ stacks: Record<string, string>; scriptMode: number }> {
  const dir = join(mkdtempSync(join(tmpdir(), `clone-${umask}-`)), 'tree');
  execFileSync('bash', ['-c', `umask ${umask} && git clone -q "$1" "$2"`, 'clone', repo, dir]);
  symlinkSync(projectPath('node_modules'), join(dir, 'node_modules'));
  const temp = mkdtempSync(join(tmpdir(), `synth-tmp-${umask}-`));
  mkdirSync(temp, { recursive: true });
  // Asynchronously: building the web app's release and synthesizing can outlast a minute on a busy machine.
  await promisify(execFile)('node', ['tools/synth.mjs'], { cwd: dir, env: { ...process.env, TMPDIR: temp, ...env } });
  const out = join(dir, 'cdktf.out', 'stacks');
  const stacks = Object.fromEntries(readdirSync(out).map((s) => [s, readFileSync(join(out, s, 'cdk.tf.json'), 'utf8')]));
  return { stacks, scriptMode: statSync(join(dir, 'assets', 'cachet', '.platform', 'hooks', 'prebuild', '05-cachet-imds.sh')).mode & 0o777 };
}

describe('synthesis is reproducible on another machine', () => {
  it('gives the same JSON for every stack from clones with umask 002 and 022, and with another Go target in the environment', async () => {
    const repo = commitWorkingTree();
    const loose = await synthesizeClone(repo, '002', {});
    const other = await synthesizeClone(repo, '022', { GOOS: 'darwin', GOARCH: 'arm64' });
    // The clones do differ where a careless hash would see it
    expect([loose.scriptMode.toString(8), other.scriptMode.toString(8)]).toEqual(['775', '755']);
    expect(Object.keys(loose.stacks).length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(other.stacks)).toEqual(Object.keys(loose.stacks));
    const differing = Object.keys(loose.stacks).filter((s) => loose.stacks[s] !== other.stacks[s]);
    expect(differing).toEqual([]);
  }, 600_000);
});
