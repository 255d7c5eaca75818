// A real MariaDB server (Debian's mariadb-server) for the Cachet database tests: its own data
// directory, TLS with a certificate from a CA made here, `require_secure_transport = ON` as in every
// Aurora cluster of ours, listening on loopback only
// (127.0.0.1, which the certificate names, and 127.0.0.2, which it does not).
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loopbackCertificate } from '../../harness/emulator';
import { freeLoopbackPort } from '../../harness/net';

export interface MariaDb {
  readonly port: number;
  /** CA that signed the server's certificate. */
  readonly ca: string;
  /** Runs SQL as root over the local socket; returns the tab-separated rows. */
  sql(statement: string): string;
  stop(): Promise<void>;
}

/** Starts mariadbd with TLS required. Fails with mariadbd's own log when it does not come up. */
export async function startMariaDb(): Promise<MariaDb> {
  for (const bin of ['mariadbd', 'mariadb-install-db', 'mariadb']) {
    if (spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`]).status !== 0) {
      throw new Error(`${bin} is missing: install Debian's mariadb-server (.ci/run does)`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'mariadb-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const log = join(dir, 'error.log');
  // The same throwaway CA and loopback certificate the emulator serves (localhost, 127.0.0.1).
  const tls = loopbackCertificate();
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  // Asynchronously: on a busy machine it can outlast a minute, and a worker blocked that long misses vitest's calls.
  await promisify(execFile)('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--auth-root-authentication-method=socket',
    '--skip-test-db',
    ...asRoot,
  ]);
  const port = await freeLoopbackPort();
  const server: ChildProcess = spawn(
    existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--port=${port}`,
      // Two loopback addresses: the certificate names only the first, so a test can dial the second.
      '--bind-address=127.0.0.1,127.0.0.2',
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${log}`,
      '--skip-name-resolve',
      `--ssl-ca=${tls.caBundle}`,
      `--ssl-cert=${tls.cert}`,
      `--ssl-key=${tls.key}`,
      '--require-secure-transport=ON',
      '--innodb-buffer-pool-size=16M',
      ...asRoot,
    ],
    { stdio: 'ignore' },
  );
  const sql = (statement: string) =>
    execFileSync('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-N', '-B', '-e', statement], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      sql('SELECT 1');
      break;
    } catch {
      if (server.exitCode !== null || Date.now() > deadline) {
        server.kill('SIGKILL');
        throw new Error(`mariadbd did not start:\n${existsSync(log) ? readFileSync(log, 'utf8') : '(no log)'}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    port,
    ca: tls.caBundle,
    sql,
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (server.exitCode !== null) return resolveStop();
        server.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolveStop();
        });
        server.kill('SIGTERM');
      }),
  };
}

/** A MariaDB string literal for any printable ASCII value (backslash and quote escaped). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
