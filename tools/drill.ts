// The rolling-release drill: proof that a release drops zero requests.
//
// Builds two versions of the real service (app/build.sh), starts two v1 instances behind haproxy
// on loopback (health check path, interval, timeout and thresholds from the environment's config,
// the same values the target group is built from), drives steady load, and replaces the
// instances the way an instance refresh with launch-before-terminate does: register and start v2,
// wait until the balancer marks it healthy, then SIGTERM a v1 (which fails readiness, drains for
// the derived drain period, and exits), and so on. It reports requests sent, non-2xx answers,
// connection errors, the versions that answered and the rate reached.
//
// `npm run drill [-- --env dev --rate 1000 --concurrency 16]`; `--negative` runs the control
// (drain 0), which must show failed requests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { environmentNames, loadEnvironments } from '../config/load';
import { releaseTimings } from '../stacks/web/release-timings';
import { numberValue, parseCommandLine, stringValue } from './cli';
import { freeLoopbackPort as freePort } from '../harness/net';

const ROOT = resolve(__dirname, '..');

export interface DrillOptions {
  /** The environment whose health check and drain the balancer and services use. */
  readonly env: string;
  /** The negative control: the same release with the drain set to 0. */
  readonly negative?: boolean;
  /** Target request rate (requests per second), spread over `concurrency` connections. */
  readonly rate?: number;
  readonly concurrency?: number;
  /** Hard bounds: the load stops at whichever comes first. */
  readonly maxRequests?: number;
  readonly maxSeconds?: number;
  /** Directories holding prebuilt v1 and v2 releases (from app/build.sh); built when absent. */
  readonly builds?: { readonly v1: string; readonly v2: string };
}

export interface DrillReport {
  readonly negative: boolean;
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly connectionErrors: number;
  /** Connection errors by kind (the error's code, or its message), so a failed drill says what failed. */
  readonly errorKinds: Record<string, number>;
  /** Answers per service version. */
  readonly versions: Record<string, number>;
  readonly seconds: number;
  readonly rate: number;
  readonly timings: { readonly intervalSeconds: number; readonly healthyThreshold: number; readonly unhealthyThreshold: number; readonly drainSeconds: number };
}

/** Builds a release of the service into a fresh directory and returns it. */
export function buildRelease(version: string, outdir = mkdtempSync(join(tmpdir(), `webapp-${version}-`))): string {
  const result = spawnSync('bash', [join(ROOT, 'app', 'build.sh'), version, `drill-${version}`, outdir, '--skip-tests'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`app/build.sh ${version} failed:\n${result.stderr}`);
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

/** Server status (UP, DOWN, MAINT, ...) per server of backend `app`. */
async function serverStates(socket: string): Promise<Record<string, string>> {
  const csv = await haproxyCommand(socket, 'show stat');
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const svname = columns.indexOf('svname');
  const status = columns.indexOf('status');
  const states: Record<string, string> = {};
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[0] === 'app' && cells[svname] !== 'BACKEND') states[cells[svname]] = cells[status];
  }
  return states;
}

async function waitForState(socket: string, server: string, wanted: 'UP' | 'DOWN', timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = (await serverStates(socket))[server] ?? '';
    if (state.startsWith(wanted)) return;
    if (Date.now() > deadline) throw new Error(`haproxy did not mark ${server} ${wanted} within ${timeoutMs} ms (it is ${state})`);
    await sleep(100);
  }
}

function haproxyConfig(o: {
  frontendPort: number;
  socket: string;
  slots: number[];
  path: string;
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
}): string {
  return [
    'global',
    `  stats socket ${o.socket} mode 600 level admin`,
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    `  timeout check ${o.timeout}s`,
    '  option http-keep-alive',
    '  # Like an ALB: no retry on another target, so a dropped request shows.',
    '  retries 0',
    'frontend web',
    `  bind 127.0.0.1:${o.frontendPort}`,
    '  default_backend app',
    'backend app',
    '  balance roundrobin',
    `  option httpchk GET ${o.path}`,
    '  http-check expect status 200',
    `  default-server check inter ${o.interval}s fastinter ${o.interval}s downinter ${o.interval}s rise ${o.rise} fall ${o.fall}`,
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

/** Steady paced load on the balancer until stopped or a bound is reached. */
function startLoad(port: number, rate: number, concurrency: number, maxRequests: number, maxSeconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const counts = { requests: 0, ok: 0, non2xx: 0, connectionErrors: 0, errorKinds: {} as Record<string, number>, versions: {} as Record<string, number> };
  let stopped = false;
  const started = Date.now();
  const perWorkerMs = (concurrency * 1000) / rate;
  const once = () =>
    new Promise<void>((done) => {
      counts.requests++;
      const req = request({ host: '127.0.0.1', port, path: '/api/v1/info', agent, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          if (res.statusCode! >= 200 && res.statusCode! < 300) {
            counts.ok++;
            const version = String(JSON.parse(body).version);
            counts.versions[version] = (counts.versions[version] ?? 0) + 1;
          } else {
            counts.non2xx++;
          }
          done();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) => {
        counts.connectionErrors++;
        const kind = error.code ?? error.message;
        counts.errorKinds[kind] = (counts.errorKinds[kind] ?? 0) + 1;
        done();
      });
      req.end();
    });
  const worker = async () => {
    while (!stopped && counts.requests < maxRequests && Date.now() - started < maxSeconds * 1000) {
      const t = Date.now();
      await once();
      await sleep(Math.max(0, perWorkerMs - (Date.now() - t)));
    }
  };
  const workers = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    counts,
    stop: async () => {
      stopped = true;
      await workers;
      agent.destroy();
      return (Date.now() - started) / 1000;
    },
  };
}

/** Runs the drill; every process it starts is stopped before it returns. */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  if (spawnSync('haproxy', ['-v']).status !== 0) throw new Error('haproxy is missing; apt-get install -y haproxy');
  const [config] = loadEnvironments([options.env]);
  const hc = config.webapp.healthCheck;
  const timings = releaseTimings(config.webapp);
  const negative = options.negative ?? false;
  const drain = negative ? 0 : timings.drainSeconds;
  const builds = options.builds ?? { v1: buildRelease('v1'), v2: buildRelease('v2') };
  for (const dir of [builds.v1, builds.v2]) {
    if (!existsSync(join(dir, 'bin', 'webapp'))) throw new Error(`${dir} holds no bin/webapp; build it with app/build.sh`);
  }

  const work = mkdtempSync(join(tmpdir(), 'drill-'));
  const socket = join(work, 'haproxy.sock');
  const frontendPort = await freePort();
  const slots = [await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(work, 'haproxy.cfg'),
    haproxyConfig({
      frontendPort,
      socket,
      slots,
      path: hc.path,
      interval: hc.intervalSeconds,
      timeout: hc.timeoutSeconds,
      rise: hc.healthyThreshold,
      fall: hc.unhealthyThreshold,
    }),
  );

  const instances: Instance[] = [];
  const start = (release: string, port: number) => {
    const instance = startInstance(release, port, drain, timings.shutdownTimeoutSeconds);
    instances.push(instance);
    return instance;
  };
  const v1 = [start(builds.v1, slots[0]), start(builds.v1, slots[1])];
  await sleep(300);
  const haproxy = spawn('haproxy', ['-f', join(work, 'haproxy.cfg'), '-db'], { stdio: 'ignore' });
  const bound = { maxRequests: options.maxRequests ?? 200_000, maxSeconds: options.maxSeconds ?? 600 };
  let load: ReturnType<typeof startLoad> | undefined;
  try {
    for (let i = 0; i < 50 && !existsSync(socket); i++) await sleep(100);
    await waitForState(socket, 's1', 'UP', 30_000);
    await waitForState(socket, 's2', 'UP', 30_000);

    load = startLoad(frontendPort, options.rate ?? 300, options.concurrency ?? 8, bound.maxRequests, bound.maxSeconds);
    await sleep(1000);
    const healthyWithin = (timings.healthySeconds + 2 * hc.intervalSeconds) * 1000;
    for (let i = 0; i < 2; i++) {
      // Launch before terminate: the new instance starts and is registered, unhealthy until it has
      // passed the healthy threshold; only then does the old one get SIGTERM.
      const server = `s${i + 3}`;
      start(builds.v2, slots[i + 2]);
      await haproxyCommand(socket, `set server app/${server} state ready; set server app/${server} health down`);
      const registered = (await serverStates(socket))[server];
      if (!registered.startsWith('DOWN')) throw new Error(`${server} should start unhealthy after registration, but is ${registered}`);
      await waitForState(socket, server, 'UP', healthyWithin);
      // SIGTERM: the service fails readiness and keeps serving while the balancer's checks see it.
      v1[i].process.kill('SIGTERM');
      const stopBound = (timings.stopTimeoutSeconds + 5) * 1000;
      const exited = await Promise.race([v1[i].exited.then(() => true), sleep(stopBound).then(() => false)]);
      if (!exited) throw new Error(`v1 on s${i + 1} did not exit within ${stopBound} ms of SIGTERM`);
      await waitForState(socket, `s${i + 1}`, 'DOWN', (timings.detectionSeconds + hc.intervalSeconds) * 1000);
    }
    await sleep(1000);
    const { counts } = load;
    const seconds = await load.stop();
    load = undefined;
    return {
      negative,
      ...counts,
      seconds,
      rate: counts.requests / seconds,
      timings: { intervalSeconds: hc.intervalSeconds, healthyThreshold: hc.healthyThreshold, unhealthyThreshold: hc.unhealthyThreshold, drainSeconds: drain },
    };
  } finally {
    if (load) await load.stop();
    haproxy.kill('SIGKILL');
    for (const instance of instances) instance.process.kill('SIGKILL');
  }
}

export function formatReport(r: DrillReport): string {
  const failed = r.non2xx + r.connectionErrors;
  return [
    `${r.negative ? 'Negative control (drain 0)' : 'Rolling release drill'}: health check every ${r.timings.intervalSeconds}s, healthy ${r.timings.healthyThreshold}, unhealthy ${r.timings.unhealthyThreshold}, drain ${r.timings.drainSeconds}s`,
    `requests sent:      ${r.requests}`,
    `2xx:                ${r.ok}`,
    `non-2xx:            ${r.non2xx}`,
    `connection errors:  ${r.connectionErrors}${
      r.connectionErrors
        ? ` (${Object.entries(r.errorKinds)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`
        : ''
    }`,
    `failed requests:    ${failed}`,
    `versions answering: ${Object.entries(r.versions)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ')}`,
    `duration:           ${r.seconds.toFixed(1)} s at ${r.rate.toFixed(0)} requests/s`,
  ].join('\n');
}

const USAGE = `usage: npm run drill [-- --env NAME] [--negative] [--rate N] [--concurrency N]

Runs the zero-drop release drill on this machine: two builds of app/ behind haproxy, a rolling
release under load, and the report (exit 0 when no request failed and both versions answered).
  --env NAME         the environment whose health check and drain settings to use (default: dev)
  --negative         the negative control: release without draining; passes when requests fail
  --rate N           requests per second (default: 1000)
  --concurrency N    connections (default: 16)
  -h, --help         this text, and nothing else`;

if (require.main === module) {
  const args = parseCommandLine(USAGE, {
    options: { env: { type: 'string' }, negative: { type: 'boolean' }, rate: { type: 'string' }, concurrency: { type: 'string' } },
  });
  const env = stringValue(args, 'env') ?? 'dev';
  if (!environmentNames().includes(env)) {
    console.error(`--env: unknown environment "${env}"; use one of: ${environmentNames().join(', ')}\n\n${USAGE}`);
    process.exit(2);
  }
  const options: DrillOptions = {
    env,
    negative: args.values.negative === true,
    rate: numberValue(args, 'rate', 1000, USAGE, 1),
    concurrency: numberValue(args, 'concurrency', 16, USAGE, 1),
  };
  runDrill(options).then(
    (report) => {
      console.log(formatReport(report));
      const failed = report.non2xx + report.connectionErrors;
      const bothVersions = Object.keys(report.versions).length === 2;
      const passed = options.negative ? failed > 0 : failed === 0 && bothVersions;
      console.log(passed ? 'drill passed' : 'drill FAILED');
      process.exit(passed ? 0 : 1);
    },
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
