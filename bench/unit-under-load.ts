// `npm run bench:unit [-- --rounds N] [--hogs N]`: `npm run test:unit` on a quiet machine and on a busy
// one (N processes spinning on the CPU beside it, 15 by default: a load of about 15 on two cores), in
// turns that alternate which goes first, after one warm-up run. Reports each run's wall time and
// result, the per-round ratio busy/quiet and its spread, and the run queue measured while it ran
// (/proc/stat's procs_running, sampled every second). Writes its section of docs/benchmarks.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { numberValue, parseCommandLine } from '../cli';
import { BENCHMARKS_PATH, takeBenchLock, writeBenchmarkSection } from './report';

const USAGE = `usage: npm run bench:unit [-- --rounds N] [--hogs N]

Times npm run test:unit quiet and beside N CPU-bound processes, in alternating turns after a warm-up,
and writes the runs, the busy/quiet ratio per round and its spread to docs/benchmarks.md.
  --rounds N   rounds of one quiet and one busy run (default: 3)
  --hogs N     CPU-bound processes beside the busy run (default: 15)
  -h, --help   this text, and nothing else`;

interface Run {
  readonly seconds: number;
  readonly passed: number;
  readonly failed: number;
  /** The command's exit code: a run vitest ends early (an unhandled error) fails with 0 tests failed. */
  readonly exitCode: number | null;
  /** Mean of procs_running while the run lasted: the run queue the suite shared the CPU with. */
  readonly runQueue: number;
}

const procsRunning = () => Number(/^procs_running (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? NaN);

/** One `npm run test:unit`, with `hogs` CPU-bound processes beside it for its whole length. */
async function unitRun(hogs: number): Promise<Run> {
  const spinners: ChildProcess[] = Array.from({ length: hogs }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(procsRunning()), 1000);
  const start = process.hrtime.bigint();
  try {
    const { DEPLOY_ENV: _selection, ...env } = process.env;
    const [output, exitCode] = await new Promise<[string, number | null]>((resolve) => {
      const child = spawn('npm', ['run', '--silent', 'test:unit'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (text += d));
      child.on('close', (code) => resolve([text, code]));
    });
    const summary = /Tests: (\d+) passed, (\d+) failed/.exec(output);
    if (!summary) throw new Error(`npm run test:unit printed no summary:\n${output.slice(-3000)}`);
    return {
      seconds: Number(process.hrtime.bigint() - start) / 1e9,
      passed: Number(summary[1]),
      failed: Number(summary[2]),
      exitCode,
      runQueue: samples.reduce((a, b) => a + b, 0) / Math.max(samples.length, 1),
    };
  } finally {
    clearInterval(sampler);
    for (const s of spinners) s.kill('SIGKILL');
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function main(): Promise<void> {
  const args = parseCommandLine(USAGE, { options: { rounds: { type: 'string' }, hogs: { type: 'string' } } });
  const rounds = numberValue(args, 'rounds', 3, USAGE, 1);
  const hogs = numberValue(args, 'hogs', 15, USAGE, 1);
  takeBenchLock('bench:unit');
  console.log('warm-up run (not counted)');
  await unitRun(0);
  const rows: { round: number; quiet: Run; busy: Run }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const busyFirst = round % 2 === 0;
    const first = await unitRun(busyFirst ? hogs : 0);
    const second = await unitRun(busyFirst ? 0 : hogs);
    const [quiet, busy] = busyFirst ? [second, first] : [first, second];
    rows.push({ round, quiet, busy });
    console.log(`round ${round}: quiet ${quiet.seconds.toFixed(1)} s, busy ${busy.seconds.toFixed(1)} s (run queue ${busy.runQueue.toFixed(1)})`);
  }
  const ratios = rows.map((r) => r.busy.seconds / r.quiet.seconds);
  const failed = rows.reduce((n, r) => n + r.quiet.failed + r.busy.failed, 0);
  const badExits = rows.flatMap((r) => [r.quiet, r.busy]).filter((run) => run.exitCode !== 0).length;
  const result = (run: Run) => `${run.passed} passed, ${run.failed} failed${run.exitCode === 0 ? '' : `, exit ${run.exitCode}`}`;
  const lines = [
    `\`npm run test:unit\` quiet and beside ${hogs} CPU-bound processes (a load of about ${hogs} on this machine), ${rounds} rounds after a warm-up run, the order alternating by round. The run queue is the mean of /proc/stat's procs_running during the run.`,
    '',
    '| round | first | quiet s | quiet result | busy s | busy result | busy run queue | busy / quiet |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r, i) =>
        `| ${r.round} | ${r.round % 2 === 0 ? 'busy' : 'quiet'} | ${r.quiet.seconds.toFixed(1)} | ${result(r.quiet)} | ${r.busy.seconds.toFixed(1)} | ${result(r.busy)} | ${r.busy.runQueue.toFixed(1)} | ${ratios[i].toFixed(2)}x |`,
    ),
    '',
    `Quiet median ${median(rows.map((r) => r.quiet.seconds)).toFixed(1)} s; busy median ${median(rows.map((r) => r.busy.seconds)).toFixed(1)} s; busy / quiet per round: median ${median(ratios).toFixed(2)}x, from ${Math.min(...ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x. ${failed === 0 && badExits === 0 ? 'Every run passed.' : `${failed} test failures and ${badExits} runs ending in an error across the runs.`}`,
  ];
  writeBenchmarkSection('unit', 'The fast loop on a busy machine (`npm run bench:unit`)', lines);
  console.log(`${lines.join('\n')}\n\nwrote ${BENCHMARKS_PATH}`);
  if (failed > 0 || badExits > 0) process.exit(1);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
