// The benchmarks page, docs/benchmarks.md, is written by the benchmark scripts: each owns one
// section between markers and replaces it with its latest run, stamped with the date and machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../project';

export const BENCHMARKS_PATH = projectPath('docs', 'benchmarks.md');

const HEADER = `# Benchmarks

Written by the benchmark scripts (\`npm run bench\`, \`npm run bench:webapp\`, \`npm run bench:unit\`, \`npm run drill\`): each replaces its own
section with its latest run, with the date and the machine it ran on. Numbers from one machine are
comparable within a run (the processes are measured in turns), not across machines.
`;

/** The date and the machine, as a benchmark section states them. */
export function machine(now = new Date()): string {
  const cpu = cpus();
  return `${now.toISOString().slice(0, 10)}, ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`;
}

/** `text` with the section `name` replaced by `body` (added at the end when absent). */
export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from >= 0 && to > from) return `${text.slice(0, from)}${section}${text.slice(to + end.length)}`;
  return `${text.trimEnd()}\n\n${section}\n`;
}

/** The commit the working tree is at, and whether it has changes of its own. */
export function revision(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: projectPath(), encoding: 'utf8' });
  const commit = git('rev-parse', '--short', 'HEAD').stdout.trim() || 'unknown';
  return git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs').stdout.trim() ? `${commit} with uncommitted changes` : commit;
}

/** Writes the section `name` of the benchmarks page: a title, the machine and commit, then `lines`. */
export function writeBenchmarkSection(name: string, title: string, lines: readonly string[], path = BENCHMARKS_PATH): void {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : HEADER;
  writeFileSync(path, replaceSection(text, name, [`## ${title}`, '', `Run on ${machine()}, at commit ${revision()}.`, '', ...lines].join('\n')));
}

/** The lock every benchmark holds while it runs: two at once would measure each other. */
export const BENCH_LOCK_PATH = join(tmpdir(), 'cdktf-aws-systems-bench.lock');

/**
 * Takes the benchmarks' lock for the life of this process (released at exit). When another live
 * process holds it, throws naming that benchmark; a lock left by a process that is gone is taken over.
 */
export function takeBenchLock(name: string, path = BENCH_LOCK_PATH): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid} ${name}\n`, { flag: 'wx' });
      process.once('exit', () => {
        if (readFileSync(path, 'utf8').startsWith(`${process.pid} `)) unlinkSync(path);
      });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const [pid, holder] = readFileSync(path, 'utf8').trim().split(' ');
    if (isAlive(Number(pid))) {
      throw new Error(`another benchmark (${holder}, pid ${pid}) is running; wait until it ends, two at once would measure each other (lock: ${path})`);
    }
    unlinkSync(path); // its holder is gone
  }
  throw new Error(`could not take the benchmark lock ${path}`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
