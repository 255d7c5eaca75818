// `npm run tfc:upload -- <stack> [--speculative]`: HCP Terraform's API-driven run workflow for an
// environment with `state.backend: cloud`, so that no synthesized output is ever committed: the
// stack is synthesized here, its folder packed as a .tar.gz (the configuration and its assets, no
// provider, state or plan files), and uploaded as a new configuration version of the workspace
// `<workspacePrefix><stack>`, which queues a run there (`--speculative`: a plan-only run, for a
// proposed change). The token: TF_API_TOKEN, else Terraform's own TF_TOKEN_<host> variable.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, environmentNames, loadEnvironments } from '../config/load';
import { parseCommandLine, runMain } from '../cli';
import type { Json } from '../harness/offline-terraform';
import { projectPath } from '../project';
import { SYSTEMS, type SystemName } from '../stacks';

const USAGE = `usage: npm run tfc:upload -- <stack> [--speculative]

Runs <stack> (e.g. web-prod) in its HCP Terraform workspace through the API-driven workflow: synthesizes
it, packs its folder and uploads it as a configuration version of <workspacePrefix><stack> on
state.hostname, which queues a run there. The environment must have state.backend cloud.
  --speculative  a plan-only run (a proposed change): nothing can be applied from it
  -h, --help     this text, and nothing else
Token: TF_API_TOKEN, else TF_TOKEN_<host> (dots as _), as Terraform reads it. Exit 0 once the
configuration is uploaded (the run's URL is printed), 1 when HCP Terraform refuses, 2 on bad input.`;

/** Bad input or a refused setting: the CLI exits 2 with the message. */
export class TfcInputError extends Error {}

/** How long the configuration version may take to be processed after the upload. */
const UPLOAD_WAIT_MS = 120_000;

/** Terraform's environment variable for a host's token: `TF_TOKEN_app_terraform_io`. */
export function tokenVariable(hostname: string): string {
  return `TF_TOKEN_${hostname.replace(/-/g, '__').replace(/\./g, '_')}`;
}

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${base}/api/v2${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.api+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {} };
}

/** The stack's folder, synthesized by `npm run synth` into a scratch directory. */
function synthesize(environment: string, system: SystemName): string {
  const out = mkdtempSync(join(tmpdir(), 'tfc-upload-'));
  const result = spawnSync(process.execPath, [projectPath('tools', 'synth.mjs'), '--env', environment, '--system', system], {
    cwd: projectPath(),
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CDKTF_OUTDIR: out },
  });
  if (result.status !== 0) throw new Error(`the synthesis failed (exit ${result.status ?? result.signal})`);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  return join(out, manifest.stacks[`${system}-${environment}`].workingDirectory);
}

/** The folder as the upload takes it: a .tar.gz of its files at the archive's root. */
function pack(dir: string): Buffer {
  const tar = spawnSync('tar', ['-czf', '-', '--exclude=.terraform', '--exclude=*.tfstate*', '--exclude=*.tfplan', '-C', dir, '.'], { maxBuffer: 1 << 30 });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  return tar.stdout;
}

async function main(): Promise<number> {
  const args = parseCommandLine(USAGE, { options: { speculative: { type: 'boolean' } }, allowPositionals: true });
  if (args.positionals.length !== 1) throw new TfcInputError(`name one stack, e.g. web-prod\n\n${USAGE}`);
  const [stack] = args.positionals;
  const [system, ...rest] = stack.split('-');
  const environment = rest.join('-');
  if (!(system in SYSTEMS) || !environmentNames().includes(environment)) {
    throw new TfcInputError(
      `unknown stack "${stack}"; stacks are <system>-<environment>: ${Object.keys(SYSTEMS).join(' or ')}, and ${environmentNames().join(', ')}`,
    );
  }
  const [config] = loadEnvironments([environment]);
  const { state } = config;
  if (state.backend !== 'cloud') {
    throw new TfcInputError(
      `environments/${environment}.yaml has state.backend ${state.backend}; set state: { backend: cloud, organization } to run it in HCP Terraform`,
    );
  }
  const token = process.env.TF_API_TOKEN || process.env[tokenVariable(state.hostname)];
  if (!token) throw new TfcInputError(`no token: set TF_API_TOKEN (or ${tokenVariable(state.hostname)}) to an HCP Terraform user or team token`);
  const base = `https://${state.hostname}`;
  const workspace = `${state.workspacePrefix}${stack}`;

  const found = await api(base, token, 'GET', `/organizations/${encodeURIComponent(state.organization)}/workspaces/${encodeURIComponent(workspace)}`);
  if (found.status === 404) {
    throw new TfcInputError(
      `no workspace ${workspace} in ${state.organization} on ${state.hostname} (or the token may not see it): create it, API-driven, with an empty working directory (docs/operations.md)`,
    );
  }
  if (found.status !== 200) throw new Error(`reading workspace ${workspace}: HTTP ${found.status} ${JSON.stringify(found.json.errors ?? found.json)}`);
  const workingDirectory = found.json.data.attributes?.['working-directory'] ?? '';
  if (workingDirectory)
    throw new TfcInputError(`workspace ${workspace} has working directory "${workingDirectory}"; the upload is the stack's folder itself: empty it`);

  const archive = pack(synthesize(environment, system as SystemName));
  const speculative = Boolean(args.values.speculative);
  const created = await api(base, token, 'POST', `/workspaces/${found.json.data.id}/configuration-versions`, {
    data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': true, speculative } },
  });
  if (created.status !== 201)
    throw new Error(`creating a configuration version: HTTP ${created.status} ${JSON.stringify(created.json.errors ?? created.json)}`);
  const version = created.json.data;
  const upload = await fetch(version.attributes['upload-url'], { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: archive });
  if (!upload.ok) throw new Error(`uploading the configuration: HTTP ${upload.status} ${await upload.text()}`);

  // Processed once it says so; a run is queued from it (auto-queue-runs).
  for (const deadline = Date.now() + UPLOAD_WAIT_MS; ;) {
    const shown = await api(base, token, 'GET', `/configuration-versions/${version.id}`);
    const status = shown.json.data?.attributes?.status;
    if (status === 'uploaded') break;
    if (status === 'errored')
      throw new Error(`HCP Terraform could not process the configuration: ${shown.json.data.attributes['error-message'] ?? 'no message'}`);
    if (Date.now() > deadline) throw new Error(`configuration version ${version.id} is still ${status} after ${UPLOAD_WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  process.stdout.write(
    `uploaded ${archive.length} bytes as ${version.id}; a ${speculative ? 'plan-only ' : ''}run is queued: ${base}/app/${state.organization}/workspaces/${workspace}/runs\n`,
  );
  return 0;
}

if (require.main === module) runMain('tfc:upload', main, [TfcInputError, ConfigError]);
