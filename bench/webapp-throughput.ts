// `npm run bench:webapp [-- --seconds 10 --connections 32]`: the Go service's throughput on
// GET /api/v1/info against a bare net/http hello handler (bench/hello), both on loopback, measured
// in one run with the same load tool (wrk from Debian), one after the other.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildRelease } from '../scripts/drill';
import { freeLoopbackPort as freePort } from '../scripts/net';

const ROOT = resolve(__dirname, '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 32);

for (const tool of ['wrk', 'go']) {
  if (spawnSync(tool, ['--version']).error && spawnSync(tool, ['version']).error) {
    console.error(`${tool} is missing: apt-get install -y ${tool === 'go' ? 'golang-go' : tool}`);
    process.exit(1);
  }
}

async function measure(name: string, binary: string, env: Record<string, string>, path: string) {
  const port = await freePort();
  const server = spawn(binary, [], { env: { PATH: process.env.PATH, PORT: String(port), ...env }, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  try {
    const out = spawnSync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', `http://127.0.0.1:${port}${path}`], { encoding: 'utf8' }).stdout;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const p99 = /99%\s+(\S+)/.exec(out)?.[1] ?? '?';
    const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
    return { name, rps, p99, errors };
  } finally {
    server.kill('SIGKILL');
  }
}

async function main() {
  const release = buildRelease('bench');
  const hello = join(mkdtempSync(join(tmpdir(), 'hello-')), 'hello');
  const built = spawnSync('go', ['build', '-o', hello, '.'], { cwd: join(ROOT, 'bench', 'hello'), encoding: 'utf8' });
  if (built.status !== 0) throw new Error(built.stderr);

  const bare = await measure('bare net/http hello', hello, {}, '/');
  // The service writes one JSON access log line per request; send it where a journal would take it.
  const app = await measure('webapp GET /api/v1/info', join(release, 'bin', 'webapp'), { IMDS_ENDPOINT: 'http://127.0.0.1:9', IMDS_TIMEOUT: '50ms' }, '/api/v1/info');
  console.log(`wrk -t2 -c${CONNECTIONS} -d${SECONDS}s on loopback (2 cores shared by wrk and the server)\n`);
  console.log('| server | requests/s | p99 latency | non-2xx |');
  console.log('|---|---|---|---|');
  for (const r of [bare, app]) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p99} | ${r.errors} |`);
  console.log(`\nwebapp / hello: ${(app.rps / bare.rps).toFixed(2)}`);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
