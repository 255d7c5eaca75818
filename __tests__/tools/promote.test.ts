// `npm run promote`: the next environment's branch moves to the commit the previous one runs, as a
// fast-forward, in real git repositories standing in for each account's (bare repositories as the
// remotes `staging` and `prod`, their branches the example environments' `staging` and `main`).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/process';
import { git } from '../helpers/repository';

const ROOT = resolve(__dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

let work: string;
const remotes: Record<string, string> = {};

/** A commit of one changed file on the work repository's HEAD. */
function commit(message: string): string {
  writeFileSync(join(work, 'file.txt'), `${message}\n`);
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', message);
  return git(work, 'rev-parse', 'HEAD');
}

const tip = (env: 'staging' | 'prod', branch: string) => {
  try {
    return git(remotes[env], 'rev-parse', `refs/heads/${branch}`);
  } catch {
    return undefined;
  }
};

const promote = (...args: string[]) =>
  runProcess(process.execPath, ['--import', TSX, join(ROOT, 'tools', 'promote.ts'), ...args], { cwd: work, timeout: 60_000 });

beforeEach(() => {
  // GIVEN a repository whose staging branch has run two commits, and prod's none yet
  const base = mkdtempSync(join(tmpdir(), 'promote-'));
  for (const env of ['staging', 'prod']) {
    remotes[env] = join(base, `${env}.git`);
    git(base, 'init', '-q', '--bare', remotes[env]);
  }
  work = join(base, 'work');
  git(base, 'init', '-q', '-b', 'staging', work);
  for (const env of ['staging', 'prod']) git(work, 'remote', 'add', env, remotes[env]);
});

describe('npm run promote', () => {
  it("fast-forwards prod's branch to the commit staging runs", async () => {
    const first = commit('first');
    git(work, 'push', '-q', 'staging', 'staging');
    // WHEN staging's head is promoted to a prod that has no branch yet, then a later one
    expect((await promote('--from', 'staging', '--to', 'prod')).status).toBe(0);
    expect(tip('prod', 'main')).toBe(first);
    const second = commit('second');
    git(work, 'push', '-q', 'staging', 'staging');
    const result = await promote('--from', 'staging', '--to', 'prod');
    // THEN prod's main is exactly staging's commit, each time
    expect(result.stdout).toContain(`promoted ${second} to prod (main)`);
    expect(tip('prod', 'main')).toBe(second);
  });

  it('promotes an earlier commit of staging with --commit, and nothing with --dry-run', async () => {
    const first = commit('first');
    commit('second');
    git(work, 'push', '-q', 'staging', 'staging');
    const dry = await promote('--from', 'staging', '--to', 'prod', '--commit', first, '--dry-run');
    expect(dry.stdout).toMatch(new RegExp(`would run: git push prod ${first}:refs/heads/main`));
    expect(tip('prod', 'main')).toBeUndefined();
    expect((await promote('--from', 'staging', '--to', 'prod', '--commit', first)).status).toBe(0);
    expect(tip('prod', 'main')).toBe(first);
  });

  it('refuses a commit staging has not run, naming it', async () => {
    commit('first');
    git(work, 'push', '-q', 'staging', 'staging');
    const unrun = commit('not pushed to staging');
    const result = await promote('--from', 'staging', '--to', 'prod', '--commit', unrun);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/is not on staging's branch staging: only what staging has run can be promoted/);
    expect(tip('prod', 'main')).toBeUndefined();
  });

  it('refuses to move prod anywhere but forward, and leaves it', async () => {
    const base = commit('base');
    git(work, 'push', '-q', 'staging', 'staging');
    // GIVEN prod holds a commit staging never ran (a hotfix pushed to prod directly)
    const hotfix = commit('hotfix');
    git(work, 'push', '-q', 'prod', `${hotfix}:refs/heads/main`);
    git(work, 'reset', '-q', '--hard', base);
    commit('next on staging');
    git(work, 'push', '-q', 'staging', 'staging');
    const result = await promote('--from', 'staging', '--to', 'prod');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/prod's branch main is at \w+, which is not behind \w+: promoting would drop what prod runs/);
    expect(tip('prod', 'main')).toBe(hotfix);
  });

  it.each([
    [['--from', 'staging'], /name both environments/],
    [['--from', 'prod', '--to', 'prod'], /--from and --to are both prod/],
    [['--from', 'qa', '--to', 'prod'], /qa/],
  ])('refuses %j before anything runs', async (args, message) => {
    const result = await promote(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('names the remote to add when an environment has none', async () => {
    commit('first');
    git(work, 'remote', 'remove', 'prod');
    git(work, 'push', '-q', 'staging', 'staging');
    const result = await promote('--from', 'staging', '--to', 'prod');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/there is no git remote "prod": .* git remote add prod/);
  });
});
