// `npm run bench:webapp [-- options]`: the Go service's throughput on GET /api/v1/info against a
// bare net/http hello handler (bench/hello), both on loopback, with the same load tool (wrk from
// Debian). The service's access log goes to a file, as it would to the journal on an instance (a
// pipe or a file costs a system call per write; /dev/null hides that). With --baseline REV the
// service as it was at that commit is measured in the same rounds.
//
// How it keeps the comparison fair: every round measures every server once, in an order that
// rotates from round to round (a machine getting busier or quieter hits all alike); each server
// process gets a warm-up run before its measured run; the result is the median of the per-round
// ratios (each round compares servers measured minutes apart at most) with their range; CPU per
// request is the server process's own user + system time over the measured run; the machine's
// load average is recorded at each round; and a lock keeps two benchmarks from running at once.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildRelease } from '../tools/drill';
import { numberValue, parseCommandLine, runMain, stringValue } from '../cli';
import { freeLoopbackPort as freePort } from '../harness/net';
import { BENCHMARKS_PATH, takeBenchLock, writeBenchmarkSection } from './report';

const DESCRIPTION = `The Go service's \`GET /api/v1/info\` against a bare \`net/http\` hello handler (\`bench/hello\`), with wrk on
loopback, and two steps between them: the bare handler served with the service's \`http.Server\` settings (timeouts,
header limit), then answering the info response (the same headers, a body of the same fields and length) as
constants; what the service costs beyond that is its own work (request id, encoding, the access log and its file).
Every round measures each server once, in an order that rotates from round to round; each server
process gets a warm-up run first; the ratio is taken within each round and the median of those ratios is
reported with their range. CPU per request is the server process's own user + system time over its measured
run. The service's access log goes to a file (as to the journal on an instance); the last column counts its
lines against the requests wrk completed: none may be missing.`;

const ROOT = resolve(__dirname, '..');
/** Fewer rounds than this are printed, not recorded: a median of fewer says little. */
const MIN_RECORDED_ROUNDS = 6;
const USAGE = `usage: npm run bench:webapp -- [--seconds N] [--warmup N] [--connections N] [--rounds N] [--baseline REV] [--log file|null]

  --seconds N      each measured wrk run (default 10)
  --warmup N       the warm-up run before it, not counted (default 2)
  --connections N  wrk connections (default 32)
  --rounds N       rounds, each measuring every server once (default ${MIN_RECORDED_ROUNDS}; fewer are not recorded)
  --baseline REV   also measure the service as it was at commit REV (e.g. HEAD~3)
  --log file|null  where the service's access log goes (default file)
  -h, --help       this text, and nothing else`;

interface Server {
  readonly name: string;
  readonly binary: string;
  readonly env: Record<string, string>;
  readonly path: string;
  /** Whether its stdout (the access log) goes to a file; otherwise to /dev/null. */
  readonly logToFile: boolean;
}

interface Sample {
  /** Requests wrk completed in the measured run, and in the warm-up before it. */
  readonly requests: number;
  readonly warmupRequests: number;
  readonly rps: number;
  readonly p99: string;
  readonly errors: number;
  /** The server's CPU time (user + system) per request, in microseconds. */
  readonly cpuMicros: number;
  /** Access log lines the server wrote to its file (with the warm-up's), when it logs to a file. */
  readonly logLines?: number;
}

/** Clock ticks a second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A process's user + system CPU seconds so far, from /proc/<pid>/stat (fields 14 and 15). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function wrk(url: string, seconds: number, connections: number) {
  const run = spawnSync('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  return { text: run.stdout, stderr: run.stderr };
}

async function measure(server: Server, o: { seconds: number; warmup: number; connections: number }): Promise<Sample> {
  const port = await freePort();
  const logFile = join(mkdtempSync(join(tmpdir(), 'webapp-bench-log-')), 'access.log');
  const out = server.logToFile ? openSync(logFile, 'w') : 'ignore';
  const child = spawn(server.binary, [], {
    env: { PATH: process.env.PATH!, PORT: String(port), DRAIN_PERIOD: '0s', ...server.env },
    stdio: ['ignore', out, 'ignore'],
  });
  if (typeof out === 'number') closeSync(out);
  await new Promise((r) => setTimeout(r, 300));
  const url = `http://127.0.0.1:${port}${server.path}`;
  let sample: Omit<Sample, 'logLines'>;
  try {
    const warmup = wrk(url, o.warmup, o.connections);
    const cpuBefore = cpuSeconds(child.pid!);
    const { text, stderr } = wrk(url, o.seconds, o.connections);
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
    if (!Number.isFinite(rps)) throw new Error(`wrk gave no rate for ${server.name}:\n${text}${stderr}`);
    const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
    sample = {
      requests,
      warmupRequests: Number(/(\d+) requests in/.exec(warmup.text)?.[1] ?? 0),
      rps,
      p99: /Latency Distribution[\s\S]*?^\s+99%\s+(\S+)$/m.exec(text)?.[1] ?? '?',
      errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
      cpuMicros: (cpu / requests) * 1e6,
    };
  } finally {
    // SIGTERM: with no drain the service writes out its last log lines and exits.
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (!server.logToFile) return sample;
  const lines = Number(spawnSync('grep', ['-c', '"msg":"request"', logFile], { encoding: 'utf8' }).stdout.trim());
  rmSync(logFile);
  // The file's pages are written back now, not during the next server's run.
  spawnSync('sync');
  return { ...sample, logLines: lines };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
/** The median (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Round r measures the servers in this order: rotated by r, so each takes each place in turn. */
export function roundOrder<T>(servers: readonly T[], round: number): T[] {
  const k = round % servers.length;
  return [...servers.slice(k), ...servers.slice(0, k)];
}

async function main(): Promise<number> {
  const args = parseCommandLine(USAGE, {
    options: {
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      baseline: { type: 'string' },
      log: { type: 'string' },
    },
  });
  const o = {
    seconds: numberValue(args, 'seconds', 10, USAGE, 1),
    warmup: numberValue(args, 'warmup', 2, USAGE, 1),
    connections: numberValue(args, 'connections', 32, USAGE, 1),
  };
  const rounds = numberValue(args, 'rounds', MIN_RECORDED_ROUNDS, USAGE, 1);
  const log = stringValue(args, 'log') ?? 'file';
  if (log !== 'file' && log !== 'null') {
    console.error(`bench:webapp: --log ${log}: use file or null\n\n${USAGE}`);
    return 2;
  }
  for (const tool of ['wrk', 'go']) {
    if (spawnSync(tool, ['--version']).error && spawnSync(tool, ['version']).error) {
      console.error(`bench:webapp: ${tool} is missing: apt-get install -y ${tool === 'go' ? 'golang-go' : tool}`);
      return 1;
    }
  }
  takeBenchLock('bench:webapp');

  const hello = join(mkdtempSync(join(tmpdir(), 'hello-')), 'hello');
  const built = spawnSync('go', ['build', '-o', hello, '.'], { cwd: join(ROOT, 'bench', 'hello'), encoding: 'utf8' });
  if (built.status !== 0) throw new Error(built.stderr);
  const appEnv = { IMDS_ENDPOINT: 'http://127.0.0.1:9', IMDS_TIMEOUT: '50ms' };
  const logToFile = log === 'file';
  const bare: Server = { name: 'bare net/http hello', binary: hello, env: {}, path: '/', logToFile: false };
  const servers: Server[] = [
    bare,
    // Steps from the bare handler towards the service (bench/hello): its server settings, then
    // its response as constants; what the service costs beyond that is its own work.
    { name: "bare hello, with the service's server settings", binary: hello, env: { SERVER: 'service' }, path: '/', logToFile: false },
    {
      name: "bare handler answering the info response as a constant, with the service's settings",
      binary: hello,
      env: { SERVER: 'service', RESPONSE: 'info' },
      path: '/',
      logToFile: false,
    },
    { name: 'webapp GET /api/v1/info', binary: join(buildRelease('bench'), 'bin', 'webapp'), env: appEnv, path: '/api/v1/info', logToFile },
  ];
  const baseline = stringValue(args, 'baseline');
  if (baseline)
    servers.push({
      name: `webapp at ${baseline}`,
      binary: join(buildRelease('baseline', baseline), 'bin', 'webapp'),
      env: appEnv,
      path: '/api/v1/info',
      logToFile,
    });

  const samples = new Map<string, Sample[]>(servers.map((s) => [s.name, []]));
  const loads: number[] = [];
  const roundLines: string[] = [];
  for (let round = 0; round < rounds; round++) {
    loads.push(loadavg()[0]);
    const order = roundOrder(servers, round);
    for (const server of order) samples.get(server.name)!.push(await measure(server, o));
    const line = servers
      .slice(1)
      .map((s) => {
        const x = samples.get(s.name)![round];
        const b = samples.get(bare.name)![round];
        return `${(x.rps / b.rps).toFixed(2)} (CPU ${(x.cpuMicros / b.cpuMicros).toFixed(2)}x)`;
      })
      .join(', ');
    roundLines.push(`| ${round + 1} | ${order.map((s) => servers.indexOf(s) + 1).join(' -> ')} | ${loads[round].toFixed(1)} | ${line} |`);
    console.log(roundLines[roundLines.length - 1]);
  }

  const bareSamples = samples.get(bare.name)!;
  const report: string[] = [
    `wrk -t2 -c${o.connections} -d${o.seconds}s after a ${o.warmup} s warm-up, on loopback; ${rounds} rounds, order rotating; 2 cores shared by wrk and the server; access log to ${log === 'file' ? 'a file' : '/dev/null'}; load average (1 min) at the rounds' starts ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`,
    '',
    '| server | requests/s (median) | ratio to bare: median of rounds (min-max) | CPU per request (median) | CPU per request vs bare: median (min-max) | p99 latency (median) | non-2xx | requests served (wrk, warm-ups too) | access log lines in the file |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const server of servers) {
    const s = samples.get(server.name)!;
    const ratios = s.map((x, i) => x.rps / bareSamples[i].rps);
    const cpuRatios = s.map((x, i) => x.cpuMicros / bareSamples[i].cpuMicros);
    const p99s = s.map((x) => Number.parseFloat(x.p99) * ({ us: 1e-3, ms: 1, s: 1e3 }[/[a-z]+$/.exec(x.p99)?.[0] as 'us' | 'ms' | 's'] ?? NaN));
    const lines = server.logToFile ? s.reduce((n, x) => n + (x.logLines ?? 0), 0) : '-';
    const range = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
    report.push(
      `| ${server.name} | ${median(s.map((x) => x.rps)).toFixed(0)} | ${server === bare ? '1.00' : range(ratios)} | ${median(s.map((x) => x.cpuMicros)).toFixed(1)} µs | ${server === bare ? '1.00' : range(cpuRatios)} | ${median(p99s).toFixed(2)} ms | ${s.reduce((n, x) => n + x.errors, 0)} | ${s.reduce((n, x) => n + x.requests + x.warmupRequests, 0)} | ${lines} |`,
    );
  }
  report.push(
    '',
    `Per round: the order (servers numbered as in the table above), and the ratio of each of servers 2-${servers.length} to the bare handler of the same round:`,
    '',
    '| round | order | load average | ratios (CPU per request) |',
    '|---|---|---|---|',
    ...roundLines,
  );
  console.log(`\n${report.join('\n')}`);
  if (rounds < MIN_RECORDED_ROUNDS) {
    console.log(`\nnot recorded in ${BENCHMARKS_PATH}: ${rounds} rounds, fewer than ${MIN_RECORDED_ROUNDS}`);
    return 0;
  }
  writeBenchmarkSection('webapp', "The web app's throughput (`npm run bench:webapp`)", [DESCRIPTION, '', ...report]);
  console.log(`\nwrote ${BENCHMARKS_PATH}`);
  return 0;
}

if (require.main === module) runMain('bench:webapp', main);
