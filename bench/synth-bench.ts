// `npm run bench [-- --runs N]`: times the main job (`npm run synth`'s process: synthesize every
// stack of every environment) against a floor measured in the same run (bench/floor.ts: a bare cdktf
// app with as many stacks and resources), and reports min/median/max wall time, peak memory and
// the ratio. Goal: median within 1.3x the floor, peak under 400 MB.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { numberValue, parseCommandLine } from '../scripts/cli';

const ROOT = resolve(__dirname, '..');
const TIME = '/usr/bin/time';
const USAGE = `usage: npm run bench [-- --runs N]

Times the main job (every stack of every environment) against the floor, N runs each (default 7),
and prints min/median/max wall time, peak memory and the ratio.
  --runs N    runs of each process (default: 7)
  -h, --help  this text, and nothing else`;
const RUNS = numberValue(parseCommandLine(USAGE, { options: { runs: { type: 'string' } } }), 'runs', 7, USAGE, 1);
const GOAL_RATIO = 1.3;
const GOAL_PEAK_MB = 400;
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

/** One run of `node --import tsx <script> ...args` in a fresh output directory. */
function measure(script: string, args: string[] = []): Sample & { outdir: string } {
  const outdir = join(mkdtempSync(join(tmpdir(), 'bench-')), 'cdktf.out');
  const start = process.hrtime.bigint();
  const result = spawnSync(TIME, ['-f', '%M', process.execPath, '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...withoutSelection, CDKTF_OUTDIR: outdir },
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${script} failed:\n${result.stderr}`);
  const peakKb = Number(result.stderr.trim().split('\n').pop());
  return { seconds, peakMb: peakKb / 1024, outdir };
}

function countResources(outdir: string): { stacks: number; resources: number } {
  const stacks = readdirSync(join(outdir, 'stacks'));
  let resources = 0;
  for (const stack of stacks) {
    const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    for (const byType of Object.values<Record<string, unknown>>(json.resource ?? {})) resources += Object.keys(byType).length;
  }
  return { stacks: stacks.length, resources };
}

function stats(samples: Sample[]) {
  const s = samples.map((x) => x.seconds).sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1], peakMb: Math.max(...samples.map((x) => x.peakMb)) };
}

// Warm-up run of each (file cache, tsx cache), also giving the size the floor must match.
const warm = measure('main.ts');
const size = countResources(warm.outdir);
rmSync(dirname(warm.outdir), { recursive: true, force: true });
measure('bench/floor.ts', [String(size.stacks), String(size.resources)]);

const main: Sample[] = [];
const floor: Sample[] = [];
for (let i = 0; i < RUNS; i++) {
  // Interleaved, so that drift in machine load hits both alike.
  for (const [samples, script, args] of [
    [main, 'main.ts', []],
    [floor, 'bench/floor.ts', [String(size.stacks), String(size.resources)]],
  ] as const) {
    const sample = measure(script, [...args]);
    rmSync(dirname(sample.outdir), { recursive: true, force: true });
    samples.push(sample);
  }
}

const m = stats(main);
const f = stats(floor);
const ratio = m.median / f.median;
const row = (name: string, x: ReturnType<typeof stats>) =>
  `| ${name.padEnd(22)} | ${x.min.toFixed(2).padStart(6)} | ${x.median.toFixed(2).padStart(6)} | ${x.max.toFixed(2).padStart(6)} | ${x.peakMb.toFixed(0).padStart(8)} |`;
console.log(`Synth benchmark: ${size.stacks} stacks, ${size.resources} resources, ${RUNS} runs each (node ${process.version})\n`);
console.log('| process                |  min s | median s |  max s | peak MB |'.replace('median s', 'med s '));
console.log('|------------------------|--------|--------|--------|----------|');
console.log(row('main job (main.ts)', m));
console.log(row('floor (bench/floor.ts)', f));
console.log(`\nratio main/floor (median): ${ratio.toFixed(2)}x (goal <= ${GOAL_RATIO}x): ${ratio <= GOAL_RATIO ? 'met' : 'NOT met'}`);
console.log(`peak memory of the main job: ${m.peakMb.toFixed(0)} MB (goal < ${GOAL_PEAK_MB} MB): ${m.peakMb < GOAL_PEAK_MB ? 'met' : 'NOT met'}`);
