// A throwaway git repository holding this working tree (tracked and untracked, not ignored files)
// as one commit, so tests that build "from a clean copy of the committed tree" build what is here
// now, committed or not, and can swap a file for another version.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

/** Runs git in `cwd` as a test identity (commits need one, and the machine may have none); its output, trimmed. */
export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

/** Commits the working tree, with `replace` (path -> content) written over it, into a new repository. */
export function commitWorkingTree(replace: Readonly<Record<string, string>> = {}): string {
  const repo = mkdtempSync(join(tmpdir(), 'working-tree-'));
  const files = git(ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter(Boolean);
  for (const file of files) {
    try {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      cpSync(join(ROOT, file), join(repo, file));
    } catch {
      // A tracked file deleted in the working tree is simply not part of it.
    }
  }
  for (const [path, content] of Object.entries(replace)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content, { mode: 0o755 });
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'working tree');
  return repo;
}

/** A repository with just these files, committed. */
export function repositoryWith(files: Readonly<Record<string, string>>): string {
  const repo = mkdtempSync(join(tmpdir(), 'repo-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'fixture');
  return repo;
}

/** The commit at HEAD of `repo`. */
export function head(repo: string): string {
  return git(repo, 'rev-parse', 'HEAD');
}
