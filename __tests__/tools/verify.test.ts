// `npm run verify` against real servers on loopback: the Go service (two instances, each with its own
// fake instance metadata) behind haproxy terminating TLS with certificates this test makes with
// openssl (good, expired, wrong name, expiring soon), a plain-HTTP redirector, closed and open ports,
// and servers that answer wrongly. Every failing case must fail its check with the right message.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRelease, startInstance } from '../../tools/drill';
import { freeLoopbackPort } from '../../harness/net';
import { DEFAULTS, formatTable, parseArgs, parseOutputs, terraformOutputs, verify, type CheckResult, type VerifyOptions } from '../../tools/verify';

const ROOT = resolve(__dirname, '../..');
const HOST = 'app.verify.test';
const dir = mkdtempSync(join(tmpdir(), 'verify-'));
const children: ChildProcess[] = [];
const servers: Server[] = [];
let ca: string;
const ports: Record<string, number> = {};

function openssl(...args: string[]) {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (apt-get install -y openssl):\n${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A key and a certificate for `name` signed by the test CA, valid from `start` to `end` (YYYYMMDDHHMMSSZ); returns the PEM path (cert + key). */
function certificate(file: string, name: string, start: string, end: string): string {
  openssl('req', '-new', ...EC, '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(join(dir, `${file}.ext`), `subjectAltName=DNS:${name}\n`);
  openssl(
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-in',
    `${file}.csr`,
    '-out',
    `${file}.crt`,
    '-startdate',
    start,
    '-enddate',
    end,
    '-extfile',
    `${file}.ext`,
    '-notext',
  );
  writeFileSync(join(dir, `${file}.pem`), readFileSync(join(dir, `${file}.crt`), 'utf8') + readFileSync(join(dir, `${file}.key`), 'utf8'));
  return join(dir, `${file}.pem`);
}

const stamp = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok((server.address() as { port: number }).port)));
}

const json =
  (body: unknown, delayMs = 0) =>
  (_req: unknown, res: import('node:http').ServerResponse) =>
    setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body)), delayMs);

/** Fake instance metadata (IMDSv2) for one instance. */
function imds(instanceId: string) {
  return createHttpServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('token');
    if (req.url === '/latest/meta-data/instance-id') return res.end(instanceId);
    if (req.url === '/latest/meta-data/placement/availability-zone') return res.end('eu-west-1a');
    res.writeHead(404).end();
  });
}

async function waitForPort(port: number) {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((ok) =>
      connect(port, '127.0.0.1')
        .once('connect', function (this: Socket) {
          this.destroy();
          ok(true);
        })
        .once('error', () => ok(false)),
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

beforeAll(async () => {
  // The CA and the certificates.
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca = test\n[test]\ndir = ${dir}\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/serial\ncertificate = ${dir}/ca.crt\nprivate_key = ${dir}/ca.key\nunique_subject = no\ndefault_md = sha256\npolicy = any\ncopy_extensions = none\n[any]\ncommonName = supplied\n`,
  );
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  openssl('req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=verify test CA');
  ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const pem = {
    good: certificate('good', HOST, stamp(-1), stamp(400)),
    expired: certificate('expired', HOST, stamp(-60), stamp(-30)),
    wrongName: certificate('wrong-name', 'other.verify.test', stamp(-1), stamp(400)),
    soon: certificate('soon', HOST, stamp(-1), stamp(3)),
  };

  // Two instances of the Go service, each with its own instance id.
  const release = buildRelease('verify');
  for (const [i, id] of ['i-verify-a', 'i-verify-b'].entries()) {
    const metadata = await listen(imds(id));
    ports[`app${i}`] = await freeLoopbackPort();
    children.push(startInstance(release, ports[`app${i}`], 0, 5, `http://127.0.0.1:${metadata}`).process);
  }

  // haproxy terminates TLS in front of them, once per certificate, and once in front of one instance only.
  for (const name of ['good', 'expired', 'wrongName', 'soon', 'single']) ports[name] = await freeLoopbackPort();
  const frontend = (name: string, cert: string, backend: string) =>
    `frontend ${name}\n  bind 127.0.0.1:${ports[name]} ssl crt ${cert}\n  default_backend ${backend}\n`;
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    [
      'global\n  maxconn 256\n',
      'defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n',
      frontend('good', pem.good, 'both'),
      frontend('expired', pem.expired, 'both'),
      frontend('wrongName', pem.wrongName, 'both'),
      frontend('soon', pem.soon, 'both'),
      frontend('single', pem.good, 'one'),
      `backend both\n  balance roundrobin\n  server a 127.0.0.1:${ports.app0}\n  server b 127.0.0.1:${ports.app1}\n`,
      `backend one\n  server a 127.0.0.1:${ports.app0}\n`,
    ].join('\n'),
  );
  children.push(spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: 'ignore' }));

  // Plain HTTP: a redirector, and a server that does not redirect.
  ports.redirect = await listen(createHttpServer((req, res) => res.writeHead(301, { Location: `https://${HOST}:${ports.good}${req.url}` }).end()));
  ports.noRedirect = await listen(createHttpServer(json({ hello: 'plain http' })));
  // HTTPS with the good certificate: wrong JSON, a slow service, and Cachet's ping.
  const tls = { cert: readFileSync(join(dir, 'good.crt')), key: readFileSync(join(dir, 'good.key')) };
  ports.wrongJson = await listen(
    createHttpsServer(tls, (req, res) =>
      json(
        req.url === '/api/v1/info'
          ? { service: 'webapp', version: 'v1', commit: 'abc', availability_zone: 'eu-west-1a', server_time: 'now', uptime_seconds: 1 }
          : { status: 'ok' },
      )(req, res),
    ),
  );
  ports.slow = await listen(createHttpsServer(tls, json({ status: 'ready' }, 250)));
  ports.cachet = await listen(createHttpsServer(tls, (req, res) => (req.url === '/readyz' ? json({ status: 'ok' })(req, res) : res.writeHead(404).end())));
  // Ports: one nothing listens on, one that accepts (an SSH or MySQL port left open).
  ports.closed = await freeLoopbackPort();
  const open = createTcpServer((socket) => socket.end());
  ports.open = await new Promise<number>((ok) => open.listen(0, '127.0.0.1', () => ok((open.address() as { port: number }).port)));
  servers.push(open as unknown as Server);

  for (const port of [ports.app0, ports.app1, ports.good, ports.single]) await waitForPort(port);
}, 180_000);

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) s.close();
});

function webOptions(patch: Partial<VerifyOptions> & { appPort?: number; minInstances?: number } = {}): VerifyOptions {
  const { appPort, minInstances, ...rest } = patch;
  return {
    ...DEFAULTS,
    stack: 'web-dev',
    outputs: { app_url: `https://${HOST}:${appPort ?? ports.good}`, alb_dns_name: 'alb.verify.test', min_instances: minInstances ?? 2 },
    resolve: new Map([
      [HOST, '127.0.0.1'],
      ['alb.verify.test', '127.0.0.1'],
      ['db.verify.test', '127.0.0.1'],
    ]),
    ca,
    retries: 0,
    timeoutMs: 2000,
    httpPort: ports.redirect,
    sshPort: ports.closed,
    samples: 6,
    ...rest,
  };
}

const byCheck = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.check, r]));

describe('verify against a healthy web app', () => {
  let results: CheckResult[];
  beforeAll(async () => {
    results = await verify(webOptions());
    console.log(formatTable(results));
  });

  it('runs every check of the web app, in order', () => {
    expect(results.map((r) => r.check)).toEqual(['tls-certificate', 'http-redirect', 'health', 'app-info', 'latency', 'instances', 'ssh-closed']);
  });

  it('passes them all', () => {
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('reports the certificate name and expiry, the redirect target and the instances seen', () => {
    const r = byCheck(results);
    expect(r['tls-certificate'].detail).toMatch(/^valid for app\.verify\.test, issued by verify test CA, expires \d{4}-\d{2}-\d{2} \((399|400) days\)$/);
    expect(r['http-redirect'].detail).toBe(`301 to https://${HOST}:${ports.good}/`);
    expect(r.instances.detail).toBe('6 requests reached 2 instance(s): i-verify-a, i-verify-b (2 desired)');
    expect(r['ssh-closed'].detail).toBe('ECONNREFUSED');
  });
});

describe('verify fails each broken part with its message', () => {
  it.each([
    ['an expired certificate', { key: 'expired' }, 'tls-certificate', /certificate is not trusted: CERT_HAS_EXPIRED/],
    ['a certificate for another name', { key: 'wrongName' }, 'tls-certificate', /certificate is not valid for app\.verify\.test: .*other\.verify\.test/],
    [
      'a certificate expiring within the limit',
      { key: 'soon' },
      'tls-certificate',
      /certificate expires in [23] days \(\d{4}-\d{2}-\d{2}\), within the 14-day limit/,
    ],
    ['no redirect on HTTP', { httpPort: 'noRedirect' }, 'http-redirect', /answered 200, expected 301 to https:\/\/app\.verify\.test\//],
    ['a wrong readiness answer', { key: 'wrongJson' }, 'health', /"status" is "ok", expected "ready"/],
    ['an info answer without the instance id', { key: 'wrongJson' }, 'app-info', /JSON has no "instance_id"/],
    ['a slow service', { key: 'slow', maxLatencyMs: 100 }, 'latency', /median \d+ ms of 3 requests is above 100 ms/],
    ['one instance answering when two are desired', { key: 'single' }, 'instances', /6 requests all reached i-verify-a; 2 instances are desired/],
    ['SSH open', { sshPort: 'open' }, 'ssh-closed', /port \d+ accepted a connection from here; it must not be reachable from outside/],
  ] as const)('%s', async (_case, setup, check, message) => {
    const s = setup as { key?: string; httpPort?: string; sshPort?: string; maxLatencyMs?: number };
    const results = await verify(
      webOptions({
        appPort: s.key ? ports[s.key] : undefined,
        ...(s.httpPort ? { httpPort: ports[s.httpPort] } : {}),
        ...(s.sshPort ? { sshPort: ports[s.sshPort] } : {}),
        ...(s.maxLatencyMs ? { maxLatencyMs: s.maxLatencyMs } : {}),
      }),
    );
    const result = byCheck(results)[check];
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(message);
  });

  it('accepts a single instance when only one is desired', async () => {
    const r = byCheck(await verify(webOptions({ appPort: ports.single, minInstances: 1 })));
    expect(r.instances).toMatchObject({ ok: true, detail: '6 requests reached 1 instance(s): i-verify-a (1 desired)' });
  });

  it('bounds an unreachable endpoint by the timeout and retries it', async () => {
    const started = Date.now();
    const r = byCheck(await verify(webOptions({ appPort: ports.closed, retries: 1 })));
    expect(r['tls-certificate']).toMatchObject({ ok: false, detail: expect.stringMatching(/ECONNREFUSED.*\(after 2 attempts\)/) });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('verify against a Cachet stack', () => {
  const cachet = (databasePort: number) =>
    verify({
      ...webOptions({ appPort: ports.cachet }),
      stack: 'cachet-dev',
      outputs: {
        status_page_url: `https://${HOST}:${ports.cachet}`,
        beanstalk_cname: 'alb.verify.test',
        database_writer_endpoint: 'db.verify.test',
        database_port: databasePort,
      },
    });

  it("checks TLS, the redirect, Cachet's readiness, latency, and that SSH and the database are closed", async () => {
    const results = await cachet(ports.closed);
    expect(results.map((r) => `${r.check} ${r.ok}`)).toEqual([
      'tls-certificate true',
      'http-redirect true',
      'health true',
      'latency true',
      'ssh-closed true',
      'database-closed true',
    ]);
    expect(byCheck(results).health.detail).toBe('status "ok" (Cachet queried its database)');
  });

  it('fails when the database port answers from outside', async () => {
    const r = byCheck(await cachet(ports.open))['database-closed'];
    expect(r).toMatchObject({ ok: false, target: `db.verify.test:${ports.open}` });
  });
});

describe('verify input', () => {
  it.each([
    [['nope-dev'], /stack "nope-dev" is not one of ours; give cachet-<env> or web-<env>/],
    [['web-dev', '--cert-days', 'soon'], /--cert-days soon must be a whole number above 0/],
    [['web-dev', '--resolve', 'app.example.com'], /--resolve app\.example\.com must be HOST:ADDRESS/],
    [['web-dev', '--wat'], /unknown option --wat/],
    [[], /usage: npm run verify -- <cachet-ENV\|web-ENV>/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('reads the value of each output from terraform output -json', () => {
    expect(parseOutputs('{"app_url":{"sensitive":false,"type":"string","value":"https://a"}}', 'f')).toEqual({ app_url: 'https://a' });
  });

  it.each([
    ['not json', /f is not JSON; give the output of terraform output -json/],
    ['{"app_url":"https://a"}', /f: output "app_url" has no "value"/],
  ])('refuses outputs %j', (text, message) => {
    expect(() => parseOutputs(text, 'f')).toThrow(message);
  });

  it('says to deploy first when the stack was never initialized here', () => {
    expect(() => terraformOutputs('web-nowhere')).toThrow(
      /web-nowhere has not been deployed from here .*; run npm run deploy -- web-nowhere first, or pass --outputs FILE/,
    );
  });

  it('names a missing output and how to get it', async () => {
    await expect(verify(webOptions({ outputs: { app_url: `https://${HOST}` } }))).rejects.toThrow(
      /web-dev has no output alb_dns_name, min_instances; deploy the current version of the stack \(npm run deploy -- web-dev\) or pass --outputs/,
    );
  });
});

describe('npm run verify as a process', () => {
  // Asynchronous: the fake servers in this process must keep answering while the CLI runs.
  const run = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((ok) =>
      execFile('npx', ['tsx', 'tools/verify.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) =>
        ok({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      ),
    );
  const cli = (outputs: object, ...extra: string[]) => {
    const file = join(dir, `outputs-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { sensitive: false, type: typeof v, value: v }]))));
    writeFileSync(join(dir, 'ca.pem'), ca);
    return run([
      'web-dev',
      '--outputs',
      file,
      '--resolve',
      `${HOST}:127.0.0.1`,
      '--resolve',
      'alb.verify.test:127.0.0.1',
      '--ca',
      join(dir, 'ca.pem'),
      '--http-port',
      String(ports.redirect),
      '--ssh-port',
      String(ports.closed),
      '--retries',
      '0',
      ...extra,
    ]);
  };

  it('prints JSON and exits 0 when every check passes', async () => {
    const r = await cli({ app_url: `https://${HOST}:${ports.good}`, alb_dns_name: 'alb.verify.test', min_instances: 2 }, '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ stack: 'web-dev', passed: true });
    expect(report.results).toHaveLength(7);
  });

  it('prints the table and exits 1 when a check fails', async () => {
    const r = await cli({ app_url: `https://${HOST}:${ports.wrongName}`, alb_dns_name: 'alb.verify.test', min_instances: 2 });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^check\s+target\s+result\s+detail\s+time$/m);
    expect(r.stdout).toMatch(/^tls-certificate\s+app\.verify\.test:\d+\s+FAIL\s+certificate is not valid/m);
    expect(r.stdout).toMatch(/checks FAILED$/m);
  });

  it('exits 2 with the fix when the outputs file is missing', async () => {
    const r = await run(['web-dev', '--outputs', join(dir, 'missing.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--outputs .*missing\.json does not exist; give a file written by terraform output -json/);
  });
});
