// The benchmarks page, docs/benchmarks.md, is written by the benchmark scripts: each owns one
// section between markers and replaces it with its latest run, stamped with the date and machine.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { projectPath } from '../project';

export const BENCHMARKS_PATH = projectPath('docs', 'benchmarks.md');

const HEADER = `# Benchmarks

Written by the benchmark scripts (\`npm run bench\`, \`npm run bench:webapp\`): each replaces its own
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

/** Writes the section `name` of the benchmarks page: a title, the machine line, then `lines`. */
export function writeBenchmarkSection(name: string, title: string, lines: readonly string[], path = BENCHMARKS_PATH): void {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : HEADER;
  writeFileSync(path, replaceSection(text, name, [`## ${title}`, '', `Run on ${machine()}.`, '', ...lines].join('\n')));
}
