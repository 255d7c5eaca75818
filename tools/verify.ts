// `npm run verify -- <stack> [options]`: checks a deployed stack from outside, the way a
// Serverspec/goss suite would: TLS certificate, HTTP -> HTTPS redirect, the health endpoint's JSON,
// response time, the database and SSH NOT reachable, and (Go app) requests spread over instances.
// Reads the stack's outputs from `terraform output -json` (or --outputs FILE of that form), prints a
// table (or --json) and exits 1 when a check fails, 2 on bad input.
import { execFileSync } from 'node:child_process';
import { lookup as dnsLookup } from 'node:dns';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type LookupFunction } from 'node:net';
import { join, resolve } from 'node:path';
import { checkServerIdentity, connect as tlsConnect, rootCertificates, type PeerCertificate } from 'node:tls';
import { writeMirrorCliConfig } from '../harness/terraform-mirror';
import { SYSTEMS, type SystemName } from '../stacks';
import type { VerifyProfile } from '../stacks/system';
import { ENVIRONMENT_NAME } from '../config/schema';
import { runMain } from '../cli';

const ROOT = resolve(__dirname, '..');

/** Raised for bad input (arguments, outputs): the CLI exits 2 with the message. */
export class VerifyInputError extends Error {}

export interface VerifyOptions {
  /** `cachet-<env>` or `web-<env>`: decides the checks and the outputs they need. */
  readonly stack: string;
  /** Output name -> value. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Fail when the certificate expires within this many days. */
  readonly certDays: number;
  /** Fail when the health endpoint's median response time is above this. */
  readonly maxLatencyMs: number;
  /** Bound of every connection and request. */
  readonly timeoutMs: number;
  /** Extra attempts of a positive check after a network error (not after a wrong answer). */
  readonly retries: number;
  /** Requests sampled to see more than one instance (Go app). */
  readonly samples: number;
  readonly httpPort: number;
  readonly sshPort: number;
  /** Host name -> address to connect to instead of DNS (like curl --resolve). */
  readonly resolve: ReadonlyMap<string, string>;
  /** PEM of an extra trusted CA, beside the system's roots (like curl --cacert). */
  readonly ca?: string;
}

export const DEFAULTS = { certDays: 14, maxLatencyMs: 1000, timeoutMs: 5000, retries: 2, samples: 12, httpPort: 80, sshPort: 22 } as const;

export interface CheckResult {
  readonly check: string;
  readonly target: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

/** Raised inside a check: a wrong answer (no retry), as opposed to a network error (retried). */
class CheckFailure extends Error {}

/** The system a stack name (`<system>-<env>`) belongs to, from the systems stacks/index.ts declares. */
export function systemOf(stack: string): SystemName {
  const systems = Object.keys(SYSTEMS) as SystemName[];
  const system = systems.find((s) => stack.startsWith(`${s}-`) && ENVIRONMENT_NAME.test(stack.slice(s.length + 1)));
  if (!system) throw new VerifyInputError(`stack "${stack}" is not one of ours; give ${systems.map((s) => `${s}-<env>`).join(' or ')}, e.g. web-dev`);
  return system;
}

/** The outputs a profile's checks read. */
function profileOutputs(p: VerifyProfile): string[] {
  return [
    p.urlOutput,
    p.frontOutput,
    ...(p.info ? [p.info.desiredOutput] : []),
    ...(p.closedDatabase ? [p.closedDatabase.endpointOutput, p.closedDatabase.portOutput] : []),
  ];
}

/** Runs every check the stack's system declares (its `verify` profile, stacks/system.ts); never throws for a failing check. */
export async function verify(o: VerifyOptions): Promise<CheckResult[]> {
  const profile = SYSTEMS[systemOf(o.stack)].verify;
  const out = requiredOutputs(o, profileOutputs(profile));
  const url = new URL(String(out[profile.urlOutput]));
  const host = url.hostname;
  const httpsPort = Number(url.port || 443);
  const probe = new Probe(o);
  const results: CheckResult[] = [];
  const run = async (check: string, target: string, body: () => Promise<string>, retry = true) => {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const detail = await body();
        results.push({ check, target, ok: true, detail, ms: Date.now() - started });
        return;
      } catch (error) {
        const failure = error instanceof CheckFailure;
        if (!failure && retry && attempt < o.retries) {
          await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
          continue;
        }
        const detail = (error as Error).message + (failure || attempt === 0 ? '' : ` (after ${attempt + 1} attempts)`);
        results.push({ check, target, ok: false, detail, ms: Date.now() - started });
        return;
      }
    }
  };

  await run('tls-certificate', `${host}:${httpsPort}`, () => probe.certificate(host, httpsPort));
  await run('http-redirect', `http://${host}:${o.httpPort}/`, () => probe.redirect(host));
  const { health, info, closedDatabase } = profile;
  await run('health', `${url.origin}${health.path}`, async () => {
    const body = await probe.getJson(host, httpsPort, health.path);
    expectField(body, 'status', (v) => v === health.status, JSON.stringify(health.status));
    return `status ${JSON.stringify(health.status)}${health.meaning ? ` (${health.meaning})` : ''}`;
  });
  if (info) {
    await run('app-info', `${url.origin}${info.path}`, async () => {
      const body = await probe.getJson(host, httpsPort, info.path);
      for (const field of info.stringFields) {
        expectField(body, field, (v) => typeof v === 'string' && v.length > 0, 'a non-empty string');
      }
      for (const field of info.numberFields) expectField(body, field, (v) => typeof v === 'number' && v >= 0, 'a number');
      for (const field of info.countFields) expectField(body, field, (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number');
      return Object.entries(info.summary)
        .map(([field, label]) => `${label} ${String(body[field])}`)
        .join(', ');
    });
  }
  await run('latency', `${url.origin}${health.path}`, async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = process.hrtime.bigint();
      await probe.get(host, httpsPort, health.path);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const median = times.sort((a, b) => a - b)[1];
    if (median > o.maxLatencyMs) throw new CheckFailure(`median ${median.toFixed(0)} ms of 3 requests is above ${o.maxLatencyMs} ms`);
    return `median ${median.toFixed(0)} ms of 3 requests (limit ${o.maxLatencyMs} ms)`;
  });
  if (info) {
    const desired = Number(out[info.desiredOutput]);
    await run('instances', `${url.origin}${info.path}`, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < o.samples; i++) seen.add(String((await probe.getJson(host, httpsPort, info.path))[info.instanceField]));
      const list = [...seen].sort().join(', ');
      if (desired > 1 && seen.size < 2) throw new CheckFailure(`${o.samples} requests all reached ${list}; ${desired} instances are desired`);
      return `${o.samples} requests reached ${seen.size} instance(s): ${list} (${desired} desired)`;
    });
  }
  const front = String(out[profile.frontOutput]);
  await run('ssh-closed', `${front}:${o.sshPort}`, () => probe.closed(front, o.sshPort), false);
  if (closedDatabase) {
    const db = String(out[closedDatabase.endpointOutput]);
    const port = Number(out[closedDatabase.portOutput]);
    await run('database-closed', `${db}:${port}`, () => probe.closed(db, port), false);
  }
  return results;
}

function requiredOutputs(o: VerifyOptions, names: readonly string[]): Record<string, unknown> {
  const missing = names.filter((n) => o.outputs[n] === undefined || o.outputs[n] === null || o.outputs[n] === '');
  if (missing.length > 0) {
    throw new VerifyInputError(
      `${o.stack} has no output ${missing.join(', ')}; deploy the current version of the stack (npm run deploy -- ${o.stack}) or pass --outputs with its terraform output -json`,
    );
  }
  return Object.fromEntries(names.map((n) => [n, o.outputs[n]]));
}

function expectField(body: Record<string, unknown>, field: string, test: (v: unknown) => boolean, expected: string): void {
  if (!(field in body)) throw new CheckFailure(`JSON has no "${field}" (expected ${expected}): ${JSON.stringify(body).slice(0, 200)}`);
  if (!test(body[field])) throw new CheckFailure(`"${field}" is ${JSON.stringify(body[field])}, expected ${expected}`);
}

/** Connections with the options' bounds, name overrides and trusted CAs. */
class Probe {
  private readonly lookup: LookupFunction;
  private readonly ca: string[];

  constructor(private readonly o: VerifyOptions) {
    this.ca = o.ca ? [...rootCertificates, o.ca] : [...rootCertificates];
    this.lookup = (hostname, options, callback) => {
      const address = o.resolve.get(hostname);
      if (!address) return dnsLookup(hostname, options, callback);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, all: { address: string; family: number }[]) => void)(null, [{ address, family: isIP(address) }]);
      return callback(null, address, isIP(address));
    };
  }

  certificate(host: string, port: number): Promise<string> {
    return new Promise((ok, fail) => {
      const socket = tlsConnect({ host, port, servername: host, ca: this.ca, lookup: this.lookup, rejectUnauthorized: false, timeout: this.o.timeoutMs });
      socket.once('timeout', () => socket.destroy(new Error(`no TLS handshake within ${this.o.timeoutMs} ms`)));
      socket.once('error', fail);
      socket.once('secureConnect', () => {
        const cert = socket.getPeerCertificate();
        const authorizationError = socket.authorizationError;
        socket.end();
        if (!cert || !cert.valid_to) return fail(new CheckFailure('the server sent no certificate'));
        const identity = checkServerIdentity(host, cert as PeerCertificate);
        if (identity) return fail(new CheckFailure(`certificate is not valid for ${host}: ${identity.message}`));
        if (authorizationError) return fail(new CheckFailure(`certificate is not trusted: ${authorizationError}`));
        const expires = new Date(cert.valid_to);
        const days = Math.floor((expires.getTime() - Date.now()) / 86_400_000);
        if (days < this.o.certDays)
          return fail(new CheckFailure(`certificate expires in ${days} days (${expires.toISOString().slice(0, 10)}), within the ${this.o.certDays}-day limit`));
        ok(`valid for ${host}, issued by ${cert.issuer?.CN ?? cert.issuer?.O ?? 'unknown'}, expires ${expires.toISOString().slice(0, 10)} (${days} days)`);
      });
    });
  }

  redirect(host: string): Promise<string> {
    return new Promise((ok, fail) => {
      const req = httpRequest(
        { host, port: this.o.httpPort, path: '/', method: 'GET', lookup: this.lookup, timeout: this.o.timeoutMs, agent: false, headers: { Host: host } },
        (res) => {
          res.resume();
          const location = res.headers.location ?? '';
          if (res.statusCode !== 301)
            return fail(new CheckFailure(`answered ${res.statusCode}${location ? ` to ${location}` : ''}, expected 301 to https://${host}/`));
          let target: URL;
          try {
            target = new URL(location);
          } catch {
            return fail(new CheckFailure(`301 to "${location}", which is not an absolute URL`));
          }
          if (target.protocol !== 'https:' || target.hostname !== host) return fail(new CheckFailure(`301 to ${location}, expected https://${host}/`));
          ok(`301 to ${location}`);
        },
      );
      req.once('timeout', () => req.destroy(new Error(`no answer within ${this.o.timeoutMs} ms`)));
      req.once('error', fail);
      req.end();
    });
  }

  get(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
    return new Promise((ok, fail) => {
      const req = httpsRequest(
        {
          host,
          port,
          path,
          method: 'GET',
          servername: host,
          ca: this.ca,
          lookup: this.lookup,
          timeout: this.o.timeoutMs,
          agent: false,
          headers: { Accept: 'application/json', Connection: 'close' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
        },
      );
      req.once('timeout', () => req.destroy(new Error(`no answer within ${this.o.timeoutMs} ms`)));
      req.once('error', fail);
      req.end();
    });
  }

  async getJson(host: string, port: number, path: string): Promise<Record<string, unknown>> {
    const { status, body } = await this.get(host, port, path);
    if (status !== 200) throw new CheckFailure(`answered ${status}, expected 200: ${body.slice(0, 200)}`);
    try {
      const json = JSON.parse(body);
      if (json && typeof json === 'object' && !Array.isArray(json)) return json;
    } catch {
      // reported below
    }
    throw new CheckFailure(`answered 200 without a JSON object: ${body.slice(0, 200)}`);
  }

  /** Passes when the port refuses or does not answer within the bound; fails when it accepts. */
  closed(host: string, port: number): Promise<string> {
    return new Promise((ok, fail) => {
      const socket = netConnect({ host, port, lookup: this.lookup });
      const timer = setTimeout(() => {
        socket.destroy();
        ok(`no answer within ${this.o.timeoutMs} ms`);
      }, this.o.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.destroy();
        fail(new CheckFailure(`port ${port} accepted a connection from here; it must not be reachable from outside`));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'].includes(error.code ?? '')) return ok(`${error.code}`);
        if (error.code === 'ENOTFOUND') return fail(new CheckFailure(`${host} does not resolve; check the output`));
        fail(new CheckFailure(`${error.code ?? error.message}`));
      });
    });
  }
}

/** Output name -> value from `terraform output -json` text. */
export function parseOutputs(text: string, source: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VerifyInputError(`${source} is not JSON; give the output of terraform output -json`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new VerifyInputError(`${source} is not an object of outputs (terraform output -json)`);
  return Object.fromEntries(
    Object.entries(json as Record<string, unknown>).map(([name, entry]) => {
      if (!entry || typeof entry !== 'object' || !('value' in entry)) {
        throw new VerifyInputError(`${source}: output "${name}" has no "value"; give the output of terraform output -json`);
      }
      return [name, (entry as { value: unknown }).value];
    }),
  );
}

/** The stack's outputs from Terraform, in its synthesized directory (after `npm run deploy`). */
export function terraformOutputs(stack: string): Record<string, unknown> {
  const dir = join(ROOT, 'cdktf.out', 'stacks', stack);
  if (!existsSync(join(dir, '.terraform'))) {
    throw new VerifyInputError(
      `${stack} has not been deployed from here (no ${join(dir, '.terraform')}); run npm run deploy -- ${stack} first, or pass --outputs FILE`,
    );
  }
  const env = { ...process.env };
  const cliConfig = writeMirrorCliConfig();
  if (cliConfig) env.TF_CLI_CONFIG_FILE = cliConfig;
  try {
    const text = execFileSync('terraform', ['output', '-no-color', '-json'], {
      cwd: dir,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    return parseOutputs(text, `terraform output -json in ${dir}`);
  } catch (caught) {
    if (caught instanceof VerifyInputError) throw caught;
    const error = caught as { stderr?: string; message: string };
    throw new VerifyInputError(`terraform output -json failed in ${dir}: ${String(error.stderr || error.message).trim()}`, { cause: caught });
  }
}

export interface CliArgs extends Omit<VerifyOptions, 'outputs'> {
  readonly outputsFile?: string;
  readonly json: boolean;
}

const usage =
  'usage: npm run verify -- <cachet-ENV|web-ENV> [--outputs FILE] [--json] [--cert-days N] [--max-latency-ms N] [--timeout-ms N] [--retries N] [--samples N] [--http-port N] [--ssh-port N] [--resolve HOST:ADDRESS] [--ca FILE]\n\nChecks a deployed stack from outside (see the README, "Verify a deployment"); exit 1 when a check fails.\n  -h, --help  this text, and nothing else';

export function parseArgs(argv: readonly string[]): CliArgs {
  const numbers: Record<string, keyof typeof DEFAULTS> = {
    '--cert-days': 'certDays',
    '--max-latency-ms': 'maxLatencyMs',
    '--timeout-ms': 'timeoutMs',
    '--retries': 'retries',
    '--samples': 'samples',
    '--http-port': 'httpPort',
    '--ssh-port': 'sshPort',
  };
  const values: Record<string, number> = { ...DEFAULTS };
  const resolveMap = new Map<string, string>();
  let stack: string | undefined;
  let outputsFile: string | undefined;
  let ca: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new VerifyInputError(`${arg} needs a value; ${usage}`);
      return v;
    };
    if (arg === '--json') json = true;
    else if (arg === '--outputs') outputsFile = value();
    else if (arg === '--ca') {
      const file = value();
      if (!existsSync(file)) throw new VerifyInputError(`--ca ${file} does not exist; give a PEM file`);
      ca = readFileSync(file, 'utf8');
    } else if (arg === '--resolve') {
      const v = value();
      const at = v.indexOf(':');
      const [host, address] = [v.slice(0, at), v.slice(at + 1)];
      if (at < 1 || !isIP(address)) throw new VerifyInputError(`--resolve ${v} must be HOST:ADDRESS, e.g. app.example.com:127.0.0.1`);
      resolveMap.set(host, address);
    } else if (arg in numbers) {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || (arg !== '--retries' && n < 1))
        throw new VerifyInputError(`${arg} ${v} must be a whole number${arg === '--retries' ? '' : ' above 0'}`);
      values[numbers[arg]] = n;
    } else if (arg.startsWith('--')) throw new VerifyInputError(`unknown option ${arg}; ${usage}`);
    else if (stack) throw new VerifyInputError(`one stack at a time (got ${stack} and ${arg}); ${usage}`);
    else stack = arg;
  }
  if (!stack) throw new VerifyInputError(usage);
  systemOf(stack);
  return { stack, outputsFile, json, resolve: resolveMap, ca, ...(values as typeof DEFAULTS) };
}

export function formatTable(results: readonly CheckResult[]): string {
  const rows = [['check', 'target', 'result', 'detail', 'time'], ...results.map((r) => [r.check, r.target, r.ok ? 'PASS' : 'FAIL', r.detail, `${r.ms} ms`])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  const failed = results.filter((r) => !r.ok).length;
  return [line(rows[0]), ...rows.slice(1).map(line), '', failed ? `${failed} of ${results.length} checks FAILED` : `all ${results.length} checks passed`].join(
    '\n',
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const args = parseArgs(argv);
  if (args.outputsFile && !existsSync(args.outputsFile))
    throw new VerifyInputError(`--outputs ${args.outputsFile} does not exist; give a file written by terraform output -json`);
  const outputs = args.outputsFile ? parseOutputs(readFileSync(args.outputsFile, 'utf8'), args.outputsFile) : terraformOutputs(args.stack);
  const results = await verify({ ...args, outputs });
  console.log(args.json ? JSON.stringify({ stack: args.stack, passed: results.every((r) => r.ok), results }, null, 2) : formatTable(results));
  return results.every((r) => r.ok) ? 0 : 1;
}

// Bad input (VerifyInputError) exits 2 naming it; a failed check exits 1.
if (require.main === module) runMain('verify', () => main(process.argv.slice(2)), [VerifyInputError]);
