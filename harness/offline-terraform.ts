// The offline Terraform harness (used by the test suite and `npm run policy`): synthesize every stack of every environment, then run
// `terraform init` (from the local provider mirror), `validate` and `plan` against each with the
// AWS provider switched to dummy keys and skip flags. The switch is a Terraform override file
// written next to the synthesized JSON; the JSON itself, and so the real configuration, is untouched.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'cdktf';
import { ConfigError, environmentNames, loadEnvironments } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import { buildStacks, SYSTEMS, type SystemName } from '../stacks';
import { BootstrapStack } from '../stacks/bootstrap-stack';
import { hasInfrastructurePipeline, PipelineStack } from '../stacks/pipeline/pipeline-stack';
import { TERRAFORM_REQUIRED_VERSION } from '../stacks/environment-stack';
import { findProviderMirror, MIRROR_CANDIDATES, MIRROR_VARIABLE, pinnedAwsProviderVersion, writeMirrorCliConfig } from './terraform-mirror';

/** Synthesized or planned Terraform JSON, read ad hoc by key. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- its shape is Terraform's, checked by the tests that read it
export type Json = Record<string, any>;

const run = promisify(execFile);

/** Provider settings for runs without AWS: static dummy keys, no STS/IMDS calls, no account check. */
export const DUMMY_PROVIDER_SETTINGS = {
  access_key: 'testing',
  secret_key: 'testing',
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  allowed_account_ids: null,
} as const;

/** The offline override: dummy provider settings and a throwaway local backend. */
export const OFFLINE_OVERRIDE = {
  provider: { aws: [DUMMY_PROVIDER_SETTINGS] },
  // Whatever backend the config chose, plan against a throwaway local state.
  terraform: { backend: { local: { path: 'offline.tfstate' } } },
};

export interface SynthesizedStack {
  readonly name: string;
  readonly dir: string;
  readonly config: EnvironmentConfig;
}

/**
 * Synthesizes the stacks of the given environments (every stack of every environment by default)
 * into a fresh directory, as main.ts would.
 */
export function synthesizeAll(
  configs: readonly EnvironmentConfig[] = loadEnvironments(environmentNames()),
  systems?: readonly SystemName[],
): SynthesizedStack[] {
  const outdir = mkdtempSync(join(tmpdir(), 'cdktf-offline-'));
  const app = new App({ outdir });
  const stacks = buildStacks(app, configs, systems);
  app.synth();
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  return Object.values<Json>(manifest.stacks).map((entry) => {
    const stack = stacks.find((s) => s.node.id === entry.name)!;
    return { name: entry.name, dir: join(outdir, entry.workingDirectory), config: stack.config };
  });
}

/**
 * What `npm run bootstrap` applies for each of `configs` with S3 state, in order: the bootstrap
 * stack (the state bucket), then the pipeline stack where the environment has one, synthesized into
 * `outdir` (a fresh directory by default).
 */
export function synthesizeBootstraps(
  configs: readonly EnvironmentConfig[] = loadEnvironments(environmentNames()),
  outdir = mkdtempSync(join(tmpdir(), 'cdktf-bootstrap-')),
): SynthesizedStack[] {
  const app = new App({ outdir });
  const stacks = configs
    .filter((c) => c.state.backend === 's3')
    .flatMap((c) => [new BootstrapStack(app, c), ...(hasInfrastructurePipeline(c) ? [new PipelineStack(app, c)] : [])]);
  app.synth();
  return stacks.map((stack) => ({ name: stack.node.id, dir: join(outdir, 'stacks', stack.node.id), config: stack.config }));
}

/**
 * Terraform CLI settings for the mirror; fails loudly (never skips) when the mirror is missing,
 * unless `registry` lets Terraform install the pinned provider from the registry instead (a build
 * machine online, such as the pull request report's CodeBuild image).
 */
export function offlineTerraformEnv(options: { readonly registry?: boolean } = {}): NodeJS.ProcessEnv {
  const unattended = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
  const cliConfig = writeMirrorCliConfig(join(mkdtempSync(join(tmpdir(), 'tfrc-')), 'mirror.tfrc'));
  if (!cliConfig || !findProviderMirror()) {
    if (options.registry) return { ...process.env, ...unattended };
    throw new Error(
      `No local mirror of hashicorp/aws ${pinnedAwsProviderVersion()} (looked in $${MIRROR_VARIABLE}, ${MIRROR_CANDIDATES.join(', ')}). ` +
        'The offline suite needs it: set TF_PROVIDER_MIRROR to the mirror directory.',
    );
  }
  return { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, ...unattended };
}

export interface OfflineResult {
  readonly stack: SynthesizedStack;
  readonly validate: Json;
  /** `terraform show -json` of the saved plan. */
  readonly plan: Json;
  /** Where that JSON is written (`<stack dir>/<stack>.plan.json`), for scanners. */
  readonly planFile: string;
}

/**
 * Runs terraform in `dir`; resolves with its output and exit code when that code is 0 or one of
 * `alsoAccept` (e.g. 2 for `plan -detailed-exitcode`), rejects with its output otherwise, or after
 * `timeoutMs`.
 */
export async function terraformExit(
  dir: string,
  env: NodeJS.ProcessEnv,
  args: string[],
  timeoutMs = 0,
  alsoAccept: readonly number[] = [],
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('terraform', args, { cwd: dir, env, maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGINT' });
    return { stdout, stderr, code: 0 };
  } catch (caught) {
    const error = caught as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (error.code === 'ENOENT')
      throw new Error(`terraform is not on PATH; install Terraform ${TERRAFORM_REQUIRED_VERSION} (the suite needs it)`, { cause: caught });
    if (typeof error.code === 'number' && alsoAccept.includes(error.code)) return { stdout: error.stdout ?? '', stderr: error.stderr ?? '', code: error.code };
    throw new Error(`terraform ${args.join(' ')} failed in ${dir}:\n${error.stderr || error.stdout || error.message}`, { cause: caught });
  }
}

/** Runs terraform in `dir`; rejects with its output on failure, or after `timeoutMs`. */
export async function terraform(dir: string, env: NodeJS.ProcessEnv, args: string[], timeoutMs = 0): Promise<string> {
  return (await terraformExit(dir, env, args, timeoutMs)).stdout;
}

/** init (from the mirror), validate and plan one synthesized stack offline. */
export async function planOffline(stack: SynthesizedStack, env: NodeJS.ProcessEnv): Promise<OfflineResult> {
  writeFileSync(join(stack.dir, 'zz_offline_override.tf.json'), JSON.stringify(OFFLINE_OVERRIDE, null, 2));
  await terraform(stack.dir, env, ['init', '-no-color', '-input=false', '-reconfigure']);
  const validate = JSON.parse(await terraform(stack.dir, env, ['validate', '-json', '-no-color']));
  await terraform(stack.dir, env, ['plan', '-no-color', '-input=false', '-lock=false', '-out=offline.tfplan']);
  const planText = await terraform(stack.dir, env, ['show', '-json', 'offline.tfplan']);
  const planFile = join(stack.dir, `${stack.name}.plan.json`);
  writeFileSync(planFile, planText);
  return { stack, validate, plan: JSON.parse(planText), planFile };
}

/**
 * `npm run plan -- <stack> --offline`: synthesizes that one stack into a scratch directory, plans it
 * without an AWS account (the harness above) and returns the plan as `terraform show` prints it.
 */
export async function offlinePlanText(stackName: string): Promise<string> {
  const systems = Object.keys(SYSTEMS);
  const [system, ...rest] = stackName.split('-');
  const environment = rest.join('-');
  const environments = environmentNames();
  if (!systems.includes(system) || !environments.includes(environment)) {
    throw new ConfigError(`unknown stack "${stackName}"; stacks are <system>-<environment>, e.g. ${systems.map((s) => `${s}-${environments[0]}`).join(', ')}`);
  }
  const [stack] = synthesizeAll(loadEnvironments([environment]), [system as SystemName]);
  const env = offlineTerraformEnv();
  await planOffline(stack, env);
  return terraform(stack.dir, env, ['show', '-no-color', 'offline.tfplan']);
}

/** Runs `planOffline` over all stacks, `concurrency` at a time. */
export async function planAllOffline(stacks: SynthesizedStack[], concurrency = 2, env = offlineTerraformEnv()): Promise<OfflineResult[]> {
  const results: OfflineResult[] = new Array(stacks.length);
  let next = 0;
  const worker = async () => {
    while (next < stacks.length) {
      const i = next++;
      results[i] = await planOffline(stacks[i], env);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Planned resources (root module), as `terraform show -json` gives them. */
export function plannedResources(plan: Json): Json[] {
  return plan.planned_values?.root_module?.resources ?? [];
}

/** Count of planned resources per type. */
export function countByType(plan: Json): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of plannedResources(plan)) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}
