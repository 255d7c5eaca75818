// Cachet's web tier as the image runs it, on this machine's nginx and PHP-FPM: the image's pool
// (assets/cachet-image/conf/php-fpm-pool.conf) and a main nginx config with a site config, ours or
// upstream's. Only what must differ on a test machine is rewritten (ports, the pid file, where the
// site and the scripts live), each rewrite checked to hit exactly as often as expected, so a config
// that moves on fails here instead of passing untested.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../harness/net';

/** `text` with each `[from, to, times]` replaced, failing unless `from` occurs exactly `times` times. */
export function rewrite(name: string, text: string, replacements: readonly (readonly [string, string, number])[]): string {
  return replacements.reduce((out, [from, to, times]) => {
    const found = out.split(from).length - 1;
    if (found !== times) throw new Error(`${name}: "${from}" occurs ${found} times, expected ${times}; has the config changed?`);
    return out.split(from).join(to);
  }, text);
}

function phpFpmBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v php-fpm || ls /usr/sbin/php-fpm* 2>/dev/null | head -n1'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('php-fpm is missing: apt-get install -y php-fpm (.ci/run does)');
  return found;
}

/** A world-readable scratch directory (nginx's workers run as nobody). */
function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (open) return;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nothing listens on ${port} (exit ${child.exitCode}):\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs a server with its stdout and stderr in a file, as a container's streams are files or pipes
 * (PHP-FPM opens /dev/stderr by name, which fails on the socket Node would give it).
 */
function spawnLogged(command: string, args: string[], logFile: string, env?: Record<string, string>): { child: ChildProcess; log: () => string } {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return { child, log: () => readFileSync(logFile, 'utf8') };
}

/** Stops a server and its workers (SIGTERM: the master takes its workers down), SIGKILL after 5 s. */
const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });

export interface PhpFpm {
  readonly port: number;
  /** PHP-FPM's own log and its workers' output (error_log, catch_workers_output). */
  log(): string;
  /** Stops PHP-FPM and its workers: nothing answers on its port. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** PHP-FPM with the image's pool; its workers get `env` (the pool keeps the environment). */
export async function startPhpFpm(poolFile: string, env: Record<string, string>): Promise<PhpFpm> {
  const dir = scratch('php-fpm-');
  const port = await freeLoopbackPort();
  const pool = rewrite(poolFile, readFileSync(poolFile, 'utf8'), [
    ['listen = 127.0.0.1:9000', `listen = 127.0.0.1:${port}`, 1],
    ['pid = /tmp/php-fpm.pid', `pid = ${join(dir, 'php-fpm.pid')}`, 1],
  ]);
  const conf = join(dir, 'php-fpm.conf');
  writeFileSync(conf, pool);
  const logFile = join(dir, 'output.log');
  let child: ChildProcess;
  let log = () => '';
  const start = async () => {
    // -R: root runs the pool here (the image runs it as uid 1001); -F: in the foreground, as supervisord does.
    ({ child, log } = spawnLogged(phpFpmBinary(), ['-F', '-R', '-y', conf], logFile, env));
    await waitForPort(port, child, log);
  };
  await start();
  return { port, log: () => log(), stop: () => stopped(child), start };
}

export interface Nginx {
  readonly port: number;
  log(): string;
  stop(): Promise<void>;
}

export interface NginxFiles {
  /** The main config file, e.g. assets/cachet-image/conf/nginx.conf. */
  readonly main: string;
  /** Rewrites the main config needs on this machine, beyond the pid file and the conf.d include. */
  readonly mainRewrites?: readonly (readonly [string, string, number])[];
  /** The site config, e.g. assets/cachet-image/conf/nginx-site.conf. */
  readonly site: string;
  /** Rewrites the site needs: its listen line, the PHP-FPM address and paths. */
  readonly siteRewrites: (port: number) => readonly (readonly [string, string, number])[];
}

/** nginx with a main config and a site, as the image lays them out (/etc/nginx/conf.d/default.conf). */
export async function startNginx(files: NginxFiles): Promise<Nginx> {
  const dir = scratch('nginx-');
  const port = await freeLoopbackPort();
  mkdirSync(join(dir, 'conf.d'));
  // `include fastcgi_params` is relative to the main config's directory: the distribution's file, as in the image.
  copyFileSync('/etc/nginx/fastcgi_params', join(dir, 'fastcgi_params'));
  writeFileSync(join(dir, 'conf.d', 'default.conf'), rewrite(files.site, readFileSync(files.site, 'utf8'), files.siteRewrites(port)));
  const main = rewrite(files.main, readFileSync(files.main, 'utf8'), [
    ['pid        /var/run/nginx.pid;', `pid ${join(dir, 'nginx.pid')};`, 1],
    ['include /etc/nginx/conf.d/*.conf;', `include ${join(dir, 'conf.d')}/*.conf;`, 1],
    ...(files.mainRewrites ?? []),
  ]);
  writeFileSync(join(dir, 'nginx.conf'), main);
  const { child, log } = spawnLogged('nginx', ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')], join(dir, 'output.log'));
  await waitForPort(port, child, log);
  return { port, log, stop: () => stopped(child) };
}

/** A world-readable copy of a directory's files (nginx's workers and PHP read them). */
export function servedCopy(files: Record<string, string>): string {
  const dir = scratch('served-');
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), readFileSync(source));
  return dir;
}
