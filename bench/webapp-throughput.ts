// `npm run bench:webapp [-- options]`: the Go service's throughput on GET /api/v1/info against a
// bare net/http hello handler (bench/hello), both on loopback, in one run with the same load tool
// (wrk from Debian). The service's access log goes to a file, as it would to the journal on an
// instance (a pipe or a file costs a system call per write; /dev/null hides that). With
// --baseline REV the service as it was at that commit is measured in the same run. Servers are
// measured in turns, --rounds times, and the median of each is reported.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRelease } from '../tools/drill';
import { freeLoopbackPort as freePort } from '../harness/net';
import { BENCHMARKS_PATH, writeBenchmarkSection } from './report';

const DESCRIPTION = `The Go service's \`GET /api/v1/info\` against a bare \`net/http\` hello handler (\`bench/hello\`), with wrk on
loopback: the servers measured in turns, the median of the rounds reported, the service's access log going to a
file (as to the journal on an instance), and with \`--baseline\` the service as built at an older commit. The
last column counts the access log lines against the requests wrk completed: none may be missing.`;

const ROOT = resolve(__dirname, '..');
const USAGE = `usage: npm run bench:webapp -- [--seconds N] [--connections N] [--rounds N] [--baseline REV] [--log file|null]

  --seconds N      each wrk run (default 10)
  --connections N  wrk connections (default 32)
  --rounds N       turns per server; the median is reported (default 3)
  --baseline REV   also measure the service as it was at commit REV (e.g. HEAD~3)
  --log file|null  where the service's access log goes (default file)`;

interface Server {
  readonly name: string;
  readonly binary: string;
  readonly env: Record<string, string>;
  readonly path: string;
  /** Where its stdout goes; the log file when the service logs to a file. */
  readonly log?: string;
}

interface Sample {
  /** Requests wrk completed. */
  readonly requests: number;
  readonly rps: number;
  readonly p99: string;
  readonly errors: number;
}

async function measure(server: Server, seconds: number, connections: number): Promise<Sample> {
  const port = await freePort();
  const out = server.log ? openSync(server.log, 'a') : 'ignore';
  const child = spawn(server.binary, [], { env: { PATH: process.env.PATH!, PORT: String(port), ...server.env }, stdio: ['ignore', out, 'ignore'] });
  if (typeof out === 'number') closeSync(out);
  await new Promise((r) => setTimeout(r, 500));
  try {
    const run = spawnSync('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}${server.path}`], { encoding: 'utf8' });
    const text = run.stdout;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
    if (!Number.isFinite(rps)) throw new Error(`wrk gave no rate for ${server.name}:\n${text}${run.stderr}`);
    return {
      requests: Number(/(\d+) requests in/.exec(text)?.[1] ?? 0),
      rps,
      p99: /99%\s+(\S+)/.exec(text)?.[1] ?? '?',
      errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** The service at an older commit, built from `git archive` of its app/ directory. */
function buildBaseline(revision: string): string {
  const src = mkdtempSync(join(tmpdir(), 'webapp-baseline-src-'));
  const exported = spawnSync('bash', ['-c', 'git -C "$1" archive "$2" app | tar -x -C "$3"', 'baseline', ROOT, revision, src], { encoding: 'utf8' });
  if (exported.status !== 0) throw new Error(`cannot export app/ at ${revision}: ${exported.stderr}`);
  const out = mkdtempSync(join(tmpdir(), 'webapp-baseline-'));
  const built = spawnSync('go', ['build', '-trimpath', '-o', join(out, 'webapp'), '.'], {
    cwd: join(src, 'app'),
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (built.status !== 0) throw new Error(`cannot build app/ at ${revision}: ${built.stderr}`);
  return join(out, 'webapp');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        seconds: { type: 'string', default: '10' },
        connections: { type: 'string', default: '32' },
        rounds: { type: 'string', default: '3' },
        baseline: { type: 'string' },
        log: { type: 'string', default: 'file' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`bench:webapp: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [seconds, connections, rounds] = (['seconds', 'connections', 'rounds'] as const).map((k) => Number(values[k]));
  for (const [name, v] of Object.entries({ seconds, connections, rounds })) {
    if (!Number.isInteger(v) || v < 1) {
      console.error(`bench:webapp: --${name} ${values[name as 'seconds']}: use a whole number, 1 or more`);
      return 2;
    }
  }
  if (values.log !== 'file' && values.log !== 'null') {
    console.error(`bench:webapp: --log ${values.log}: use file or null`);
    return 2;
  }
  for (const tool of ['wrk', 'go']) {
    if (spawnSync(tool, ['--version']).error && spawnSync(tool, ['version']).error) {
      console.error(`bench:webapp: ${tool} is missing: apt-get install -y ${tool === 'go' ? 'golang-go' : tool}`);
      return 1;
    }
  }

  const logs = mkdtempSync(join(tmpdir(), 'webapp-bench-logs-'));
  const hello = join(mkdtempSync(join(tmpdir(), 'hello-')), 'hello');
  const built = spawnSync('go', ['build', '-o', hello, '.'], { cwd: join(ROOT, 'bench', 'hello'), encoding: 'utf8' });
  if (built.status !== 0) throw new Error(built.stderr);
  const appEnv = { IMDS_ENDPOINT: 'http://127.0.0.1:9', IMDS_TIMEOUT: '50ms' };
  const logTo = (name: string) => (values.log === 'file' ? join(logs, `${name}.log`) : undefined);
  const servers: Server[] = [
    { name: 'bare net/http hello', binary: hello, env: {}, path: '/' },
    { name: 'webapp GET /api/v1/info', binary: join(buildRelease('bench'), 'bin', 'webapp'), env: appEnv, path: '/api/v1/info', log: logTo('webapp') },
  ];
  if (values.baseline) {
    servers.push({ name: `webapp at ${values.baseline}`, binary: buildBaseline(values.baseline), env: appEnv, path: '/api/v1/info', log: logTo('baseline') });
  }

  const samples = new Map<string, Sample[]>(servers.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const server of servers) samples.get(server.name)!.push(await measure(server, seconds, connections));
  }

  const bare = median(samples.get(servers[0].name)!.map((s) => s.rps));
  const report: string[] = [];
  report.push(
    `wrk -t2 -c${connections} -d${seconds}s on loopback, ${rounds} round(s) in turns, median shown (2 cores shared by wrk and the server); access log to ${values.log === 'file' ? 'a file' : '/dev/null'}\n`,
  );
  report.push('| server | requests/s | ratio to bare | p99 latency (last round) | non-2xx | requests served (wrk) | access log lines in the file |');
  report.push('|---|---|---|---|---|---|---|');
  for (const server of servers) {
    const s = samples.get(server.name)!;
    const rps = median(s.map((x) => x.rps));
    const lines =
      server.log && statSync(server.log, { throwIfNoEntry: false })
        ? readFileSync(server.log, 'utf8')
            .split('\n')
            .filter((l) => l.includes('"msg":"request"')).length
        : '-';
    report.push(
      `| ${server.name} | ${rps.toFixed(0)} | ${(rps / bare).toFixed(2)} | ${s[s.length - 1].p99} | ${s.reduce((n, x) => n + x.errors, 0)} | ${s.reduce((n, x) => n + x.requests, 0)} | ${lines} |`,
    );
  }
  console.log(report.join('\n'));
  writeBenchmarkSection('webapp', "The web app's throughput (`npm run bench:webapp`)", [DESCRIPTION, '', ...report]);
  console.log(`\nwrote ${BENCHMARKS_PATH}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e.message);
    process.exit(1);
  },
);
