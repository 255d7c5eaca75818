// The rolling-release drill: proof that a release drops zero requests at the rate a busy load
// balancer brings, and that the drill would see it if one did.
//
// Builds two versions of the real service (app/build.sh) and runs two instances behind haproxy on
// loopback, set up as an ALB behaves: health checks with the path, interval, timeout and thresholds
// of the environment's target group (or the same check at a faster clock, `checkIntervalSeconds`),
// the drain derived from that check by the same rule as the stack's (releaseTimings), keep-alive
// connections from the balancer to the servers reused across clients (`http-reuse always`), and no
// retry on another server, so a dropped request shows. wrk drives unpaced load (or a `rate` cap) on
// keep-alive connections while the drill replaces the instances as an instance refresh with
// launch-before-terminate does: start the new one, wait until the balancer marks it healthy, stop
// the old one, wait until the balancer has taken it out.
//
// In the same run, under the same load, two negative controls replace an instance the wrong way
// (SIGKILL, and a drain shorter than the balancer needs); each must lose requests, or the drill
// cannot see what it claims to catch and fails. Every phase is counted on its own: wrk's view
// (non-2xx answers, socket errors by kind) and haproxy's (per kind of server failure).
//
// `npm run drill [-- --env dev --releases 3 --connections 16 --rate N --check-interval S --runs N]`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { environmentNames, loadEnvironments } from '../config/load';
import { releaseTimings } from '../stacks/web/release-timings';
import { numberValue, parseCommandLine, runMain, stringValue } from '../cli';
import { freeLoopbackPort as freePort } from '../harness/net';
import { takeBenchLock, writeBenchmarkSection } from '../bench/report';

const ROOT = resolve(__dirname, '..');

export interface DrillOptions {
  /** The environment whose health check, drain margin and shutdown timeout the drill uses. */
  readonly env: string;
  /**
   * Releases under load, each replacing every instance (v1 -> v2 -> v1 ...).
   * @default 3
   */
  readonly releases?: number;
  /**
   * Keep-alive connections wrk holds to the balancer.
   * @default 16
   */
  readonly connections?: number;
  /**
   * Cap on requests per second over all connections.
   * @default - unpaced: as fast as the balancer and the servers answer
   */
  readonly rate?: number;
  /**
   * The health check at a faster clock: this interval, the timeout scaled in proportion, the same
   * thresholds; the drain is derived from it by the stack's rule. Releases get shorter, so a run
   * holds more of them.
   * @default - the environment's interval
   */
  readonly checkIntervalSeconds?: number;
  /**
   * The drain of the short-drain control: shorter than the balancer needs to see the stop.
   * @default 0.5
   */
  readonly shortDrainSeconds?: number;
  /**
   * Bound on the whole drill; past it the drill stops and throws.
   * @default 900
   */
  readonly maxSeconds?: number;
  /** Directories holding prebuilt v1 and v2 releases (from app/build.sh); built when absent. */
  readonly builds?: { readonly v1: string; readonly v2: string };
}

/** What one phase (a release or a control) sent and lost. */
export interface PhaseReport {
  readonly name: string;
  /** A negative control: it must lose requests. */
  readonly control: boolean;
  readonly requests: number;
  /** Requests that did not get a 2xx: non-2xx answers and socket errors. */
  readonly failed: number;
  /** What wrk saw, by kind: `non-2xx`, and socket errors `connect`, `read`, `write`, `timeout`. */
  readonly clientKinds: Record<string, number>;
  /** What the balancer saw, by kind (haproxy's counters of the phase; see BALANCER_KINDS). */
  readonly balancerKinds: Record<string, number>;
  readonly seconds: number;
  readonly rate: number;
  /** What the drill did in the phase, with seconds since the phase began. */
  readonly events: readonly string[];
  /** haproxy's failure counters per server (`s1`), where any is above 0: which instance failed. */
  readonly failuresByServer: Record<string, Record<string, number>>;
}

export interface DrillReport {
  readonly env: string;
  readonly connections: number;
  readonly rateCap?: number;
  readonly phases: readonly PhaseReport[];
  /** Answers per service version, over every phase. */
  readonly versions: Record<string, number>;
  readonly timings: {
    readonly path: string;
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
    readonly drainSeconds: number;
    readonly shortDrainSeconds: number;
  };
  /** Why the drill failed; empty when it passed. */
  readonly problems: readonly string[];
}

/** haproxy's per-server counters that mean a request failed, and what each means. */
export const BALANCER_KINDS: Readonly<Record<string, string>> = {
  econ: 'could not connect to the server',
  eresp: 'the server closed or reset the connection instead of answering',
  srv_abrt: 'the server aborted a response',
  hrsp_5xx: '5xx answers (the servers and the balancer)',
};

/**
 * Builds a release of the service (app/build.sh: bin/webapp and its unit) into a fresh directory
 * and returns it; with `revision`, app/ as it was at that commit.
 */
export function buildRelease(version: string, revision?: string): string {
  let app = join(ROOT, 'app');
  if (revision !== undefined) {
    const src = mkdtempSync(join(tmpdir(), 'webapp-src-'));
    const exported = spawnSync('bash', ['-c', 'git -C "$1" archive "$2" app | tar -x -C "$3"', 'export', ROOT, revision, src], { encoding: 'utf8' });
    if (exported.status !== 0) throw new Error(`cannot export app/ at ${revision}: ${exported.stderr}`);
    app = join(src, 'app');
  }
  const outdir = mkdtempSync(join(tmpdir(), `webapp-${version}-`));
  const result = spawnSync('bash', [join(app, 'build.sh'), version, `drill-${version}`, outdir, '--skip-tests'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`app/build.sh ${version}${revision ? ` at ${revision}` : ''} failed:\n${result.stderr}`);
  return outdir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One haproxy admin command over its stats socket. */
function haproxyCommand(socket: string, command: string): Promise<string> {
  return new Promise((res, rej) => {
    const c = connect(socket);
    let out = '';
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => res(out));
    c.on('error', rej);
    c.write(`${command}\n`);
  });
}

/** haproxy's `show stat` as one record per proxy and server (`app/s1`, `web/FRONTEND`). */
async function haproxyStats(socket: string): Promise<Record<string, Record<string, string>>> {
  const [header, ...rows] = (await haproxyCommand(socket, 'show stat')).trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const stats: Record<string, Record<string, string>> = {};
  for (const row of rows) {
    const cells = row.split(',');
    stats[`${cells[0]}/${cells[1]}`] = Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
  }
  return stats;
}

async function waitForState(socket: string, server: string, wanted: 'UP' | 'DOWN', timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = (await haproxyStats(socket))[`app/${server}`]?.status ?? '';
    if (state.startsWith(wanted)) return;
    if (Date.now() > deadline) throw new Error(`haproxy did not mark ${server} ${wanted} within ${timeoutMs} ms (it is ${state})`);
    await sleep(50);
  }
}

interface HealthCheck {
  readonly path: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** Slots for instances: two in service, one being launched, one being taken out. */
const SLOTS = 4;

export function haproxyConfig(o: { frontendPort: number; socket: string; slots: readonly number[]; check: HealthCheck }): string {
  const ms = (seconds: number) => `${Math.round(seconds * 1000)}ms`;
  const { check } = o;
  return [
    'global',
    `  stats socket ${o.socket} mode 600 level admin`,
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    "  # The ALB's idle timeout (60 s); the service's (75 s) is longer, so the balancer closes first.",
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 60s',
    `  timeout check ${ms(check.timeoutSeconds)}`,
    '  option http-keep-alive',
    "  # Like an ALB: idle connections to a server carry any client's next request.",
    '  http-reuse always',
    '  # Like an ALB: no retry on another target, so a dropped request shows.',
    '  retries 0',
    'frontend web',
    `  bind 127.0.0.1:${o.frontendPort}`,
    '  default_backend app',
    'backend app',
    '  balance roundrobin',
    `  option httpchk GET ${check.path}`,
    '  http-check expect status 200',
    `  default-server check inter ${ms(check.intervalSeconds)} fastinter ${ms(check.intervalSeconds)} downinter ${ms(check.intervalSeconds)} rise ${check.healthyThreshold} fall ${check.unhealthyThreshold}`,
    // Slots 1 and 2 start in service; the others wait in maintenance (not registered).
    ...o.slots.map((port, i) => `  server s${i + 1} 127.0.0.1:${port}${i >= 2 ? ' disabled' : ''}`),
    '',
  ].join('\n');
}

export interface Instance {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
}

/**
 * Runs one built release on `port`. Without `imdsEndpoint` there is no metadata service: the
 * service fails fast to the "unknown" identity.
 */
export function startInstance(release: string, port: number, drainSeconds: number, shutdownSeconds: number, imdsEndpoint = 'http://127.0.0.1:9'): Instance {
  const child = spawn(join(release, 'bin', 'webapp'), [], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DRAIN_PERIOD: `${drainSeconds}s`,
      SHUTDOWN_TIMEOUT: `${shutdownSeconds}s`,
      IMDS_ENDPOINT: imdsEndpoint,
      IMDS_TIMEOUT: '50ms',
    },
    stdio: 'ignore',
  });
  return { process: child, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

/** wrk's summary: requests, non-2xx answers and socket errors by kind. */
export function parseWrk(text: string): { requests: number; seconds: number; kinds: Record<string, number> } {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m)\b/.exec(text);
  if (!done) throw new Error(`wrk printed no summary:\n${text}`);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[done[3] as 'us' | 'ms' | 's' | 'm'];
  const kinds: Record<string, number> = { 'non-2xx': Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0) };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  ['connect', 'read', 'write', 'timeout'].forEach((kind, i) => (kinds[kind] = Number(socket?.[i + 1] ?? 0)));
  return { requests: Number(done[1]), seconds: Number(done[2]) * unit, kinds };
}

/** Load from wrk on keep-alive connections until stopped; stop() returns its summary. */
function startLoad(url: string, connections: number, rate: number | undefined, work: string) {
  const args = [`-t${Math.min(2, connections)}`, `-c${connections}`, '-d3600s', '--timeout', '5s'];
  if (rate !== undefined) {
    // wrk waits delay() ms before each request on a connection: the rate over all connections is capped.
    const script = join(work, `rate-${rate}-${connections}.lua`);
    writeFileSync(script, `function delay() return ${Math.max(0, (connections * 1000) / rate).toFixed(3)} end\n`);
    args.push('-s', script);
  }
  const wrk = spawn('wrk', [...args, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  wrk.stdout.on('data', (d) => (out += d));
  wrk.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => wrk.once('exit', () => r()));
  return {
    process: wrk,
    /** wrk prints its summary on SIGINT. */
    stop: async () => {
      wrk.kill('SIGINT');
      await exited;
      return parseWrk(out);
    },
  };
}

/** Runs the drill; every process it starts is stopped before it returns. */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  for (const [tool, args] of [
    ['haproxy', ['-v']],
    ['wrk', ['--version']],
  ] as const) {
    if (spawnSync(tool, args).error) throw new Error(`${tool} is missing; apt-get install -y ${tool}`);
  }
  const [config] = loadEnvironments([options.env]);
  const connections = options.connections ?? 16;
  const releases = options.releases ?? 3;
  const shortDrain = options.shortDrainSeconds ?? 0.5;
  const envCheck = config.webapp.healthCheck;
  const scale = options.checkIntervalSeconds === undefined ? 1 : options.checkIntervalSeconds / envCheck.intervalSeconds;
  const check: HealthCheck = {
    path: envCheck.path,
    intervalSeconds: envCheck.intervalSeconds * scale,
    timeoutSeconds: envCheck.timeoutSeconds * scale,
    healthyThreshold: envCheck.healthyThreshold,
    unhealthyThreshold: envCheck.unhealthyThreshold,
  };
  const timings = releaseTimings({ ...config.webapp, healthCheck: check });
  if (shortDrain >= timings.detectionSeconds) {
    throw new Error(
      `shortDrainSeconds ${shortDrain} is not shorter than the ${timings.detectionSeconds} s the balancer needs to see a stop; the control would not be one`,
    );
  }
  const builds = options.builds ?? { v1: buildRelease('v1'), v2: buildRelease('v2') };
  for (const dir of [builds.v1, builds.v2]) {
    if (!existsSync(join(dir, 'bin', 'webapp'))) throw new Error(`${dir} holds no bin/webapp; build it with app/build.sh`);
  }
  const deadline = Date.now() + (options.maxSeconds ?? 900) * 1000;
  const inTime = () => {
    if (Date.now() > deadline) throw new Error(`the drill ran over its ${options.maxSeconds ?? 900} s bound`);
  };

  const work = mkdtempSync(join(tmpdir(), 'drill-'));
  const socket = join(work, 'haproxy.sock');
  const frontendPort = await freePort();
  const ports: number[] = [];
  for (let i = 0; i < SLOTS; i++) ports.push(await freePort());
  writeFileSync(join(work, 'haproxy.cfg'), haproxyConfig({ frontendPort, socket, slots: ports, check }));

  type Running = { readonly slot: number; readonly version: 'v1' | 'v2'; readonly instance: Instance };
  const started: Instance[] = [];
  const free = [3, 4]; // slots in maintenance, longest-free first
  let phaseStart = Date.now();
  let events: string[] = [];
  const event = (text: string) => events.push(`${((Date.now() - phaseStart) / 1000).toFixed(2)} s ${text}`);
  /** The version in each slot during the current phase (a phase never reuses a slot). */
  let phaseSlots = new Map<number, string>();
  const launch = (slot: number, version: 'v1' | 'v2', drainSeconds: number): Running => {
    if (phaseSlots.has(slot) && phaseSlots.get(slot) !== version) throw new Error(`slot s${slot} was reused with another version within a phase`);
    phaseSlots.set(slot, version);
    const instance = startInstance(builds[version], ports[slot - 1], drainSeconds, timings.shutdownTimeoutSeconds);
    started.push(instance);
    return { slot, version, instance };
  };
  const ms = (seconds: number) => Math.ceil(seconds * 1000);

  // Launch before terminate: the new instance is registered unhealthy and takes traffic once it
  // passed the healthy threshold; only then is the old one stopped. The old one is deregistered
  // (maintenance) once the balancer has marked it down and it has exited.
  const replace = async (old: Running, version: 'v1' | 'v2', drainSeconds: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<Running> => {
    const slot = free.shift()!;
    const next = launch(slot, version, drainSeconds);
    // As an ALB registers a target: unhealthy until it passes the healthy threshold. haproxy takes
    // a server out of maintenance as UP, so it leaves maintenance with no weight (no requests) and
    // gets its weight back once it is marked down.
    await haproxyCommand(socket, `set weight app/s${slot} 0`);
    await haproxyCommand(socket, `set server app/s${slot} state ready`);
    await haproxyCommand(socket, `set server app/s${slot} health down`);
    await haproxyCommand(socket, `set weight app/s${slot} 100%`);
    const registered = (await haproxyStats(socket))[`app/s${slot}`]?.status ?? '';
    if (!registered.startsWith('DOWN')) throw new Error(`s${slot} should be unhealthy once registered, but is ${registered}`);
    event(`${version} launched on s${slot} (drain ${drainSeconds} s), registered unhealthy`);
    await waitForState(socket, `s${slot}`, 'UP', ms(timings.healthySeconds + 2 * check.intervalSeconds) + 5000);
    event(`s${slot} UP`);
    old.instance.process.kill(signal);
    event(`${signal} to ${old.version} on s${old.slot}`);
    const stopBound = ms(timings.stopTimeoutSeconds + 5);
    const exited = await Promise.race([old.instance.exited.then(() => true), sleep(stopBound).then(() => false)]);
    if (!exited) throw new Error(`${old.version} on s${old.slot} did not exit within ${stopBound} ms of ${signal}`);
    event(`s${old.slot} exited`);
    await waitForState(socket, `s${old.slot}`, 'DOWN', ms(timings.detectionSeconds + check.intervalSeconds) + 5000);
    await haproxyCommand(socket, `set server app/s${old.slot} state maint`);
    event(`s${old.slot} DOWN, deregistered`);
    free.push(old.slot);
    inTime();
    return next;
  };

  let fleet: Running[] = [launch(1, 'v1', timings.drainSeconds), launch(2, 'v1', timings.drainSeconds)];
  await sleep(300);
  const haproxy = spawn('haproxy', ['-f', join(work, 'haproxy.cfg'), '-db'], { stdio: 'ignore' });
  const phases: PhaseReport[] = [];
  const versions: Record<string, number> = {};
  let load: ReturnType<typeof startLoad> | undefined;

  /** Runs `body` under its own wrk and haproxy counters. */
  const phase = async (name: string, control: boolean, body: () => Promise<void>) => {
    phaseSlots = new Map(fleet.map((r) => [r.slot, r.version]));
    await haproxyCommand(socket, 'clear counters all');
    phaseStart = Date.now();
    events = [];
    load = startLoad(`http://127.0.0.1:${frontendPort}/api/v1/info`, connections, options.rate, work);
    await sleep(500); // the load runs before the first change
    await body();
    await sleep(500);
    const client = await load.stop();
    load = undefined;
    const stats = await haproxyStats(socket);
    const balancerKinds: Record<string, number> = { hrsp_5xx: Number(stats['web/FRONTEND']?.hrsp_5xx || 0) };
    const failuresByServer: Record<string, Record<string, number>> = {};
    for (let slot = 1; slot <= SLOTS; slot++) {
      for (const kind of Object.keys(BALANCER_KINDS).filter((k) => k !== 'hrsp_5xx')) {
        const n = Number(stats[`app/s${slot}`]?.[kind] || 0);
        balancerKinds[kind] = (balancerKinds[kind] ?? 0) + n;
        if (n > 0) failuresByServer[`s${slot}`] = { ...failuresByServer[`s${slot}`], [kind]: n };
      }
    }
    for (const [slot, version] of phaseSlots) versions[version] = (versions[version] ?? 0) + Number(stats[`app/s${slot}`]?.hrsp_2xx || 0);
    const failed = client.kinds['non-2xx'] + client.kinds.connect + client.kinds.read + client.kinds.write + client.kinds.timeout;
    phases.push({
      name,
      control,
      requests: client.requests,
      failed,
      clientKinds: client.kinds,
      balancerKinds,
      seconds: client.seconds,
      rate: client.requests / client.seconds,
      events,
      failuresByServer,
    });
  };

  try {
    for (let i = 0; i < 50 && !existsSync(socket); i++) await sleep(100);
    await waitForState(socket, 's1', 'UP', ms(timings.healthySeconds + 2 * check.intervalSeconds) + 10_000);
    await waitForState(socket, 's2', 'UP', ms(timings.healthySeconds + 2 * check.intervalSeconds) + 10_000);

    for (let r = 1; r <= releases; r++) {
      const from = fleet[0].version;
      const to = from === 'v1' ? 'v2' : 'v1';
      await phase(`release ${r}: ${from} -> ${to}`, false, async () => {
        const next: Running[] = [];
        for (const old of fleet) next.push(await replace(old, to, timings.drainSeconds, 'SIGTERM'));
        fleet = next;
      });
    }
    const version = fleet[0].version;
    await phase('control: SIGKILL, no drain', true, async () => {
      fleet = [await replace(fleet[0], version, timings.drainSeconds, 'SIGKILL'), fleet[1]];
    });
    await phase(`control: drain ${shortDrain} s`, true, async () => {
      // The instance to stop is launched with the short drain, then replaced.
      const short = await replace(fleet[0], version, shortDrain, 'SIGTERM');
      fleet = [await replace(short, version, timings.drainSeconds, 'SIGTERM'), fleet[1]];
    });
  } finally {
    if (load) await load.stop().catch(() => undefined);
    haproxy.kill('SIGKILL');
    for (const instance of started) instance.process.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }

  const problems: string[] = [];
  for (const p of phases) {
    if (!p.control && p.failed > 0) problems.push(`${p.name}: ${p.failed} of ${p.requests} requests failed`);
    if (p.control && p.failed === 0) problems.push(`${p.name}: no request failed, so the drill cannot see a drop`);
  }
  for (const v of ['v1', 'v2']) if (!versions[v]) problems.push(`version ${v} never answered`);
  return {
    env: options.env,
    connections,
    rateCap: options.rate,
    phases,
    versions,
    timings: { ...check, drainSeconds: timings.drainSeconds, shortDrainSeconds: shortDrain },
    problems,
  };
}

const count = (n: number) => n.toLocaleString('en-US');
const kinds = (k: Record<string, number>) =>
  Object.entries(k)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${count(n)}`)
    .join(', ') || '-';

export function formatReport(r: DrillReport): string {
  const t = r.timings;
  return [
    `Release drill (${r.env}): health check ${t.path} every ${t.intervalSeconds} s (timeout ${t.timeoutSeconds} s), healthy ${t.healthyThreshold}, unhealthy ${t.unhealthyThreshold}; drain ${t.drainSeconds} s; ${r.connections} connections, ${r.rateCap ? `at most ${r.rateCap} requests/s` : 'unpaced'}`,
    '',
    '| phase | requests | requests/s | failed | client saw | balancer saw |',
    '|---|---|---|---|---|---|',
    ...r.phases.map(
      (p) => `| ${p.name} | ${count(p.requests)} | ${count(Math.round(p.rate))} | ${count(p.failed)} | ${kinds(p.clientKinds)} | ${kinds(p.balancerKinds)} |`,
    ),
    '',
    `versions answering: ${Object.entries(r.versions)
      .map(([v, n]) => `${v} ${count(n)}`)
      .join(', ')}`,
    ...r.phases
      .filter((p) => !p.control && p.failed > 0)
      .map(
        (p) =>
          `\n${p.name}, what the drill did:\n${p.events.map((e) => `  ${e}`).join('\n')}\nwhere the balancer saw failures: ${Object.entries(p.failuresByServer)
            .map(([server, k]) => `${server} (${kinds(k)})`)
            .join(', ')}`,
      ),
    r.problems.length ? `drill FAILED:\n${r.problems.map((p) => `  - ${p}`).join('\n')}` : 'drill passed: no release lost a request, every control did',
  ].join('\n');
}

const USAGE = `usage: npm run drill [-- --env NAME] [--releases N] [--connections N[,N...]] [--rate N] [--check-interval S] [--short-drain S] [--runs N] [--app-at REV] [--write]

Runs the zero-drop release drill on this machine: two builds of app/ behind haproxy (health checks,
keep-alive reuse and no retries, as an ALB), wrk's load, releases that replace every instance, then
two negative controls (SIGKILL, a short drain) under the same load. Exit 0 when no release lost a
request, each control lost some, and both versions answered.
  --env NAME            the environment whose health check and drain to use (default: dev)
  --releases N          releases per run (default: 3)
  --connections N,...   wrk's keep-alive connections; a list alternates between runs (default: 16)
  --rate N              cap on requests per second (default: none, as fast as it goes)
  --check-interval S    the health check at this interval, timeout scaled, drain derived (default: the environment's)
  --short-drain S       the short-drain control's drain (default: 0.5)
  --runs N              drills in a row (default: 1); the summary counts every run
  --app-at REV          drill the service as it was at commit REV (e.g. to see an old defect)
  --write               record the runs in docs/benchmarks.md (section "drill")
  -h, --help            this text, and nothing else`;

async function main(): Promise<number> {
  const args = parseCommandLine(USAGE, {
    options: {
      env: { type: 'string' },
      releases: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      'check-interval': { type: 'string' },
      'short-drain': { type: 'string' },
      runs: { type: 'string' },
      'app-at': { type: 'string' },
      write: { type: 'boolean' },
    },
  });
  const env = stringValue(args, 'env') ?? 'dev';
  if (!environmentNames().includes(env)) {
    console.error(`--env: unknown environment "${env}"; use one of: ${environmentNames().join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const connectionList = (stringValue(args, 'connections') ?? '16').split(',');
  if (connectionList.some((c) => !/^[1-9]\d*$/.test(c))) {
    console.error(`--connections "${stringValue(args, 'connections')}" is not a list of whole numbers such as 16,64\n\n${USAGE}`);
    return 2;
  }
  const rate = stringValue(args, 'rate') === undefined ? undefined : numberValue(args, 'rate', 0, USAGE, 1);
  const interval = stringValue(args, 'check-interval') === undefined ? undefined : numberValue(args, 'check-interval', 0, USAGE, 0.2);
  const base = {
    env,
    releases: numberValue(args, 'releases', 3, USAGE, 1),
    rate,
    checkIntervalSeconds: interval,
    shortDrainSeconds: numberValue(args, 'short-drain', 0.5, USAGE, 0),
  };
  const runs = numberValue(args, 'runs', 1, USAGE, 1);
  // A recorded series is a measurement: no benchmark may run beside it.
  if (args.values.write === true) takeBenchLock('drill');
  const revision = stringValue(args, 'app-at');
  if (revision !== undefined && args.values.write === true) {
    console.error(`--app-at and --write: the recorded series is the working tree's service; drop one\n\n${USAGE}`);
    return 2;
  }
  const builds = { v1: buildRelease('v1', revision), v2: buildRelease('v2', revision) };
  const reports: DrillReport[] = [];
  for (let i = 0; i < runs; i++) {
    const connections = Number(connectionList[i % connectionList.length]);
    const load = loadavg()[0];
    const report = await runDrill({ ...base, connections, builds });
    reports.push(report);
    console.log(`\nrun ${i + 1} of ${runs} (load average ${load.toFixed(1)} at the start)\n${formatReport(report)}`);
  }
  const summary = summarize(reports);
  console.log(`\n${summary.join('\n')}`);
  if (args.values.write === true) {
    writeBenchmarkSection('drill', 'The release drill (`npm run drill`)', [
      DRILL_DESCRIPTION,
      '',
      `Command: \`npm run drill -- ${process.argv.slice(2).join(' ')}\`.`,
      '',
      ...summary,
    ]);
    console.log('wrote docs/benchmarks.md');
  }
  return reports.every((r) => r.problems.length === 0) ? 0 : 1;
}

const DRILL_DESCRIPTION = `Two builds of the service behind haproxy set up as an ALB (health checks, keep-alive connections to the
servers reused across clients, no retries), wrk's load on keep-alive connections, releases that replace every
instance launch-before-terminate, and in the same runs two negative controls (SIGKILL, a drain shorter than the
balancer needs to see the stop). Failed = non-2xx answers plus wrk's socket errors.`;

/** One row per connection count: runs, and requests and failures in releases and in each control. */
export function summarize(reports: readonly DrillReport[]): string[] {
  const rows = new Map<number, DrillReport[]>();
  for (const r of reports) rows.set(r.connections, [...(rows.get(r.connections) ?? []), r]);
  const sum = (rs: DrillReport[], pick: (p: PhaseReport) => boolean, field: 'requests' | 'failed') =>
    rs.reduce((n, r) => n + r.phases.filter(pick).reduce((m, p) => m + p[field], 0), 0);
  const perRun = (rs: DrillReport[], pick: (p: PhaseReport) => boolean) => {
    const failed = rs.map((r) => r.phases.filter(pick).reduce((m, p) => m + p.failed, 0));
    return `${count(Math.min(...failed))}-${count(Math.max(...failed))}`;
  };
  const controlNames = [...new Set(reports.flatMap((r) => r.phases.filter((p) => p.control).map((p) => p.name)))];
  const t = reports[0]?.timings;
  return [
    t
      ? `${reports.length} run(s) on ${cpus().length} cores; health check every ${t.intervalSeconds} s, unhealthy ${t.unhealthyThreshold}, healthy ${t.healthyThreshold}; drain ${t.drainSeconds} s; ${reports[0].phases.filter((p) => !p.control).length} releases a run`
      : 'no runs',
    '',
    `| connections | runs | release requests | failed (per run) | ${controlNames.map((n) => `${n}: requests | failed (per run)`).join(' | ')} | passed |`,
    `|---|---|---|---|${controlNames.map(() => '---|---|').join('')}---|`,
    ...[...rows].map(([connections, rs]) => {
      const release = (p: PhaseReport) => !p.control;
      const controls = controlNames.map((name) => {
        const pick = (p: PhaseReport) => p.name === name;
        return `${count(sum(rs, pick, 'requests'))} | ${count(sum(rs, pick, 'failed'))} (${perRun(rs, pick)})`;
      });
      const passed = rs.filter((r) => r.problems.length === 0).length;
      return `| ${connections} | ${rs.length} | ${count(sum(rs, release, 'requests'))} | ${count(sum(rs, release, 'failed'))} (${perRun(rs, release)}) | ${controls.join(' | ')} | ${passed} of ${rs.length} |`;
    }),
  ];
}

if (require.main === module) runMain('drill', main);
