// `npm run bench [-- --runs N] [--baseline REV]`: times what a user waits for, `npm run synth` as a
// whole process (every stack of every environment), against two floors measured in the same run, and
// optionally against the same command at another commit (checked out beside this tree, sharing its
// node_modules), whose output must be byte-identical:
//   - floor "bare cdktf": bench/floor.ts, bundled like our synth, synthesizing as many stacks and
//     resources with every provider module our stacks import (one resource type instantiated);
//   - floor "write JSON": node writing the same files from data prepared beforehand (process start
//     and I/O, no cdktf).
// Runs are interleaved so that drift in machine load hits all alike. Peak memory is /usr/bin/time's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { numberValue, parseCommandLine, stringValue } from '../cli';
import { BENCHMARKS_PATH, writeBenchmarkSection } from './report';

const ROOT = resolve(__dirname, '..');
const TIME = '/usr/bin/time';
const USAGE = `usage: npm run bench [-- --runs N] [--baseline REV]

Times \`npm run synth\` (every stack of every environment) against two floors, and against the same
command at commit REV when given (its output must be byte-identical), N runs each (default 7).
  --runs N         runs of each process (default: 7)
  --baseline REV   a commit to compare with, e.g. HEAD~3
  -h, --help       this text, and nothing else`;
const args = parseCommandLine(USAGE, { options: { runs: { type: 'string' }, baseline: { type: 'string' } } });
const RUNS = numberValue(args, 'runs', 7, USAGE, 1);
const BASELINE = stringValue(args, 'baseline');
/** The goal of the prebuilt bundle: at most this fraction of the synth before it (commit PRE_BUNDLE, tsx main.ts). */
const GOAL_VS_BASELINE = 0.45;
const PRE_BUNDLE = '188fa76~1';
const DESCRIPTION = `What a user waits for: \`npm run synth\` as a whole process (every stack of every environment),
interleaved with two floors (a bare cdktf app with the same provider imports and as many resources, bundled
like our synth; node writing the same JSON files from data prepared beforehand) and, with \`--baseline\`, the
same command at another commit, whose output must be byte-identical. Peak memory is /usr/bin/time's maximum RSS.`;
// The main job builds every environment: an inherited selection would make it do less.
const { DEPLOY_ENV: _selection, ...withoutSelection } = process.env;

if (!existsSync(TIME)) {
  console.error(`${TIME} is missing (it measures peak memory): apt-get install -y time`);
  process.exit(1);
}

interface Sample {
  readonly seconds: number;
  readonly peakMb: number;
}

/** One run of `command` in `cwd`, writing to a fresh output directory. */
function measure(cwd: string, command: string[]): Sample & { outdir: string } {
  const outdir = join(mkdtempSync(join(tmpdir(), 'bench-')), 'cdktf.out');
  const start = process.hrtime.bigint();
  const result = spawnSync(TIME, ['-f', '%M', ...command], { cwd, env: { ...withoutSelection, CDKTF_OUTDIR: outdir }, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command.join(' ')} in ${cwd} failed:\n${result.stderr}`);
  return { seconds, peakMb: Number(result.stderr.trim().split('\n').pop()) / 1024, outdir };
}

/** Every file below `dir`, relative path -> content. */
function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (d: string) => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, name.name);
      if (name.isDirectory()) visit(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  visit(dir);
  return files;
}

function stats(samples: Sample[]) {
  const s = samples.map((x) => x.seconds).sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1], peakMb: Math.max(...samples.map((x) => x.peakMb)) };
}

const SYNTH = ['npm', 'run', '-s', 'synth'];

// Warm-up (file cache, the synth bundle, the Go release cache), which also gives what the floors must match.
const warm = measure(ROOT, SYNTH);
const produced = readTree(join(warm.outdir, 'stacks'));
const stackCount = readdirSync(join(warm.outdir, 'stacks')).length;
let resourceCount = 0;
const importedModules = new Set<string>();
for (const [path, text] of produced) {
  if (!path.endsWith('cdk.tf.json')) continue;
  for (const byType of Object.values<Record<string, unknown>>(JSON.parse(text).resource ?? {})) resourceCount += Object.keys(byType).length;
}
for (const line of readFileSync(join(ROOT, '.build', 'main.meta.json'), 'utf8').match(/@cdktf\/provider-aws\/lib\/[a-z0-9-]+\/index\.js/g) ?? []) {
  importedModules.add(line.replace(/\/index\.js$/, ''));
}

// Floor "bare cdktf", bundled like our synth and importing every provider module we import.
const bench = mkdtempSync(join(tmpdir(), 'bench-floors-'));
buildSync({
  absWorkingDir: ROOT,
  stdin: { contents: [...[...importedModules].map((m) => `import '${m}';`), `import './bench/floor.ts';`].join('\n'), resolveDir: ROOT, loader: 'ts' },
  outfile: join(bench, 'floor.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  logLevel: 'error',
});
// Floor "write JSON": the files our synth writes, as data, written by node.
writeFileSync(join(bench, 'files.json'), JSON.stringify(Object.fromEntries(produced)));
writeFileSync(
  join(bench, 'write.cjs'),
  `const fs = require('fs'), path = require('path'); const out = path.join(process.env.CDKTF_OUTDIR, 'stacks');
   for (const [f, text] of Object.entries(JSON.parse(fs.readFileSync(${JSON.stringify(join(bench, 'files.json'))}, 'utf8')))) {
     fs.mkdirSync(path.dirname(path.join(out, f)), { recursive: true }); fs.writeFileSync(path.join(out, f), text); }`,
);

const processes: { name: string; cwd: string; command: string[]; samples: Sample[] }[] = [
  { name: 'npm run synth', cwd: ROOT, command: SYNTH, samples: [] },
  { name: 'floor: bare cdktf', cwd: ROOT, command: [process.execPath, join(bench, 'floor.cjs'), String(stackCount), String(resourceCount)], samples: [] },
  { name: 'floor: write JSON', cwd: ROOT, command: [process.execPath, join(bench, 'write.cjs')], samples: [] },
];
let baselineTree: string | undefined;
if (BASELINE) {
  baselineTree = join(bench, 'baseline');
  const added = spawnSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', baselineTree, BASELINE], { encoding: 'utf8' });
  if (added.status !== 0) throw new Error(`git worktree add ${BASELINE} failed: ${added.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(baselineTree, 'node_modules'));
  const baselineWarm = measure(baselineTree, SYNTH);
  const theirs = readTree(join(baselineWarm.outdir, 'stacks'));
  const differing = [...new Set([...produced.keys(), ...theirs.keys()])].filter((f) => produced.get(f) !== theirs.get(f));
  if (differing.length) throw new Error(`the baseline's output differs from ours (not byte-identical): ${differing.slice(0, 10).join(', ')}`);
  processes.splice(1, 0, { name: `npm run synth at ${BASELINE}`, cwd: baselineTree, command: SYNTH, samples: [] });
}

try {
  for (let i = 0; i < RUNS; i++) {
    for (const p of processes) {
      const sample = measure(p.cwd, p.command);
      rmSync(dirname(sample.outdir), { recursive: true, force: true });
      p.samples.push(sample);
    }
  }
} finally {
  if (baselineTree) spawnSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', baselineTree]);
}

const ours = stats(processes[0].samples);
const report: string[] = [];
report.push(
  `Synth benchmark: ${stackCount} stacks, ${resourceCount} resources, ${RUNS} runs each, interleaved (node ${process.version}, ${new Date().toISOString().slice(0, 10)})\n`,
);
report.push('| process | min s | median s | max s | peak MB | median vs npm run synth |');
report.push('|---|---|---|---|---|---|');
for (const p of processes) {
  const s = stats(p.samples);
  report.push(
    `| ${p.name} | ${s.min.toFixed(2)} | ${s.median.toFixed(2)} | ${s.max.toFixed(2)} | ${s.peakMb.toFixed(0)} | ${(s.median / ours.median).toFixed(2)}x |`,
  );
}
if (BASELINE) {
  const ratio = ours.median / stats(processes[1].samples).median;
  report.push(
    `\nnpm run synth now / at ${BASELINE} (median): ${ratio.toFixed(2)}x; output byte-identical. (Against the synth before the prebuilt bundle, ${PRE_BUNDLE}, the goal is <= ${GOAL_VS_BASELINE}x.)`,
  );
}
console.log(report.join('\n'));
writeBenchmarkSection('synth', 'Synth (`npm run bench`)', [DESCRIPTION, '', ...report]);
console.log(`\nwrote ${BENCHMARKS_PATH}`);
