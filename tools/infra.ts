// `npm run infra -- plan|apply|drift --env <name>`: the infrastructure pipeline's steps
// (buildspecs/infrastructure-*.yml), runnable by hand with the same result. Plain Terraform in the
// synthesized stack folders, against each stack's own backend (S3 with its lock file in every
// shipped environment), with whatever AWS credentials the process has:
// - plan: synthesizes the environment's stacks into --out (cdktf.out), and in each runs terraform
//   init, validate and plan -out=tfplan; scans the plans with checkov (waivers from
//   policy/checkov-skips.json, as the policy gate); writes plan-summary.md (every resource to add,
//   change, replace or destroy, and the checkov result) and plan-summary.txt (one line, for the
//   approval). The folders, plan files included and providers left out, are the pipeline's artifact.
// - apply: applies exactly the saved plans of a plan step's output (--plans DIR), stack by stack; a
//   plan whose state moved on since is refused by Terraform ("Saved plan is stale").
// - drift: synthesizes and plans each stack with -detailed-exitcode and without the lock; writes
//   drift-report.md and drift-metrics.json (a Drift datum per stack, 1 when the stack differs from
//   its code) for `aws cloudwatch put-metric-data`, which the stack's alarm reads.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadEnvironments } from '../config/load';
import { parseCommandLine, runMain, selectedEnvironments, stringValue } from '../cli';
import type { Json } from '../harness/offline-terraform';
import { applySkips, loadSkips, reportSection, runCheckov } from '../harness/policy';
import { writeMirrorCliConfig } from '../harness/terraform-mirror';
import { projectPath } from '../project';
import { selectSystems } from '../stacks';
import { TERRAFORM_REQUIRED_VERSION } from '../stacks/environment-stack';

const USAGE = `usage: npm run infra -- plan|apply|drift [--env NAME] [--systems NAMES] [--out DIR] [--plans DIR]

The infrastructure pipeline's steps, with this process's AWS credentials and each stack's backend:
  plan   synthesize the environment's stacks into --out, then terraform init, validate and
         plan -out=tfplan in each; checkov over the plans; writes plan-summary.md and .txt there
  apply  apply exactly the saved plans in --plans (a plan step's --out), stack by stack
  drift  plan each stack with -detailed-exitcode, lock-free; writes drift-report.md and
         drift-metrics.json (Drift 0 or 1 per stack) there
  --env NAME       the environment, one (default: $DEPLOY_ENV)
  --systems NAMES  systems, comma-separated: cachet, web (default, or empty: every system)
  --out DIR        where the stacks are synthesized and the reports written (default: cdktf.out)
  --plans DIR      apply: the plan step's output (default: --out)
  -h, --help       this text, and nothing else
Exit 0 when the step did its work (drift found is reported, not a failure), 1 when a step failed or
checkov found an unwaived failure, 2 on bad input.`;

/** Bad input: the CLI exits 2 with the message. */
export class InfraInputError extends Error {}

/** The saved plan in each stack folder: what the apply step applies, and nothing else. */
export const PLAN_FILE = 'tfplan';
/** The metric the drift step writes, per stack (dimension `Stack`), and its alarms read. */
export const DRIFT_METRIC = 'Drift';

type Action = 'add' | 'change' | 'replace' | 'destroy';
const SYMBOL: Record<Action, string> = { add: '+', change: '~', replace: '-/+', destroy: '-' };

/** What a plan does to one stack: each resource it touches, by action. */
export interface StackPlan {
  readonly stack: string;
  readonly changes: readonly { readonly address: string; readonly action: Action }[];
}

/** The resource-level changes of `terraform show -json` of a plan (reads and no-ops left out). */
export function stackPlan(stack: string, plan: Json): StackPlan {
  const changes: { address: string; action: Action }[] = [];
  for (const rc of (plan.resource_changes ?? []) as Json[]) {
    const actions: string[] = rc.change.actions;
    const action: Action | undefined =
      actions.includes('create') && actions.includes('delete')
        ? 'replace'
        : actions.includes('create')
          ? 'add'
          : actions.includes('delete')
            ? 'destroy'
            : actions.includes('update')
              ? 'change'
              : undefined;
    if (action) changes.push({ address: rc.address, action });
  }
  return { stack, changes: changes.sort((a, b) => a.address.localeCompare(b.address)) };
}

/** `web-dev: 2 to add, 1 to change, 0 to replace, 0 to destroy`, or `web-dev: no change`. */
export function countLine(plan: StackPlan): string {
  if (plan.changes.length === 0) return `${plan.stack}: no change`;
  const count = (action: Action) => plan.changes.filter((c) => c.action === action).length;
  return `${plan.stack}: ${count('add')} to add, ${count('change')} to change, ${count('replace')} to replace, ${count('destroy')} to destroy`;
}

/** Markdown: a heading per stack with its counts, then every resource it touches. */
export function formatPlans(plans: readonly StackPlan[]): string {
  return plans
    .map((plan) => {
      const heading = `## ${countLine(plan)}`;
      if (plan.changes.length === 0) return heading;
      return `${heading}\n\n\`\`\`diff\n${plan.changes.map((c) => `${SYMBOL[c.action]} ${c.address}`).join('\n')}\n\`\`\``;
    })
    .join('\n\n');
}

/** One line for the manual approval (CodePipeline shows at most 1000 characters of its custom data). */
export function approvalLine(plans: readonly StackPlan[], failedChecks: number, limit = 600): string {
  const line = `${plans.map(countLine).join('; ')}; checkov: ${failedChecks} unwaived failure${failedChecks === 1 ? '' : 's'}`;
  return line.length <= limit ? line : `${line.slice(0, limit - 1)}…`;
}

/** The datum per stack that `aws cloudwatch put-metric-data --metric-data file://...` takes. */
export function driftMetrics(plans: readonly StackPlan[]): Json[] {
  return plans.map((plan) => ({
    MetricName: DRIFT_METRIC,
    Dimensions: [{ Name: 'Stack', Value: plan.stack }],
    Value: plan.changes.length > 0 ? 1 : 0,
    Unit: 'Count',
  }));
}

/** Terraform's environment: unattended, and this machine's provider mirror when it has one. */
function terraformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
  const cliConfig = writeMirrorCliConfig();
  if (cliConfig) env.TF_CLI_CONFIG_FILE ??= cliConfig;
  return env;
}

/** Runs terraform in `dir`, its output to ours; returns its exit code when it is one of `accept`, else throws. */
function terraform(dir: string, args: readonly string[], accept: readonly number[] = [0]): number {
  const result = spawnSync('terraform', args, { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'], env: terraformEnv() });
  if (result.error) throw new Error(`terraform is not on PATH; install Terraform ${TERRAFORM_REQUIRED_VERSION} (${result.error.message})`);
  if (result.status === null || !accept.includes(result.status)) {
    throw new Error(`terraform ${args[0]} failed in ${dir} (exit ${result.status ?? result.signal})`);
  }
  return result.status;
}

/** `terraform show -json <plan>` in `dir`. */
function showPlan(dir: string, planFile: string): Json {
  const result = spawnSync('terraform', ['show', '-json', planFile], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30, env: terraformEnv() });
  if (result.status !== 0) throw new Error(`terraform show ${planFile} failed in ${dir}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Synthesizes the environment's stacks (`npm run synth`) into `out`; returns their names and folders. */
function synthesize(environment: string, systems: readonly string[], out: string): { name: string; dir: string }[] {
  const args = [projectPath('tools', 'synth.mjs'), '--env', environment, ...systems.flatMap((s) => ['--system', s])];
  const result = spawnSync(process.execPath, args, { cwd: projectPath(), stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CDKTF_OUTDIR: out } });
  if (result.status === 2) throw new InfraInputError(`the synthesis refused the environment ${environment} (above)`);
  if (result.status !== 0) throw new Error(`the synthesis failed (exit ${result.status ?? result.signal})`);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  return Object.values<Json>(manifest.stacks).map((s) => ({ name: s.name, dir: join(out, s.workingDirectory) }));
}

/** Plans every stack of the environment, scans the plans, writes the summaries; the number of unwaived checkov failures. */
async function plan(environment: string, systems: readonly string[], out: string): Promise<number> {
  const stacks = synthesize(environment, systems, out);
  const plans: StackPlan[] = [];
  for (const { name, dir } of stacks) {
    terraform(dir, ['init', '-input=false', '-no-color']);
    terraform(dir, ['validate', '-no-color']);
    terraform(dir, ['plan', '-input=false', '-no-color', `-out=${PLAN_FILE}`]);
    const json = showPlan(dir, PLAN_FILE);
    // checkov names each finding's stack by the file's name.
    writeFileSync(join(dir, `${name}.plan.json`), JSON.stringify(json));
    plans.push(stackPlan(name, json));
  }
  const [config] = loadEnvironments([environment]);
  const { findings } = applySkips(await runCheckov(stacks.map((s) => join(s.dir, `${s.name}.plan.json`))), loadSkips(), () => config.production);
  const failed = findings.filter((f) => f.result === 'failed').length;
  const summary = [`# Plan of ${environment}`, formatPlans(plans), reportSection(findings).trimEnd()].join('\n\n');
  writeFileSync(join(out, 'plan-summary.md'), `${summary}\n`);
  writeFileSync(join(out, 'plan-summary.txt'), `${approvalLine(plans, failed)}\n`);
  // The artifact carries configuration, plan and lock file; the apply installs the providers again.
  for (const { dir } of stacks) rmSync(join(dir, '.terraform'), { recursive: true, force: true });
  process.stdout.write(`${summary}\n`);
  return failed;
}

/** Applies each saved plan under `plans` from a folder of `out` (where verify finds the stack); the stacks applied. */
function apply(plans: string, out: string): string[] {
  const root = join(plans, 'stacks');
  const stacks = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, PLAN_FILE)))
        .sort()
    : [];
  if (stacks.length === 0) throw new InfraInputError(`--plans ${plans} holds no saved plan (stacks/<stack>/${PLAN_FILE}); give the plan step's output`);
  for (const stack of stacks) {
    const dir = join(out, 'stacks', stack);
    if (resolve(plans) !== resolve(out)) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      cpSync(join(root, stack), dir, { recursive: true });
    }
    terraform(dir, ['init', '-input=false', '-no-color']);
    terraform(dir, ['apply', '-input=false', '-no-color', PLAN_FILE]);
  }
  return stacks;
}

/** Plans every stack for changes nobody applied; writes the report and the metrics. */
function drift(environment: string, systems: readonly string[], out: string): void {
  const plans: StackPlan[] = [];
  for (const { name, dir } of synthesize(environment, systems, out)) {
    terraform(dir, ['init', '-input=false', '-no-color']);
    // Lock-free: the check reads, and must not hold up a deploy that starts meanwhile.
    const code = terraform(dir, ['plan', '-input=false', '-no-color', '-lock=false', '-detailed-exitcode', '-out=drift.tfplan'], [0, 2]);
    plans.push(code === 0 ? { stack: name, changes: [] } : stackPlan(name, showPlan(dir, 'drift.tfplan')));
  }
  const report = [`# Drift of ${environment}`, formatPlans(plans)].join('\n\n');
  writeFileSync(join(out, 'drift-report.md'), `${report}\n`);
  writeFileSync(join(out, 'drift-metrics.json'), `${JSON.stringify(driftMetrics(plans), null, 2)}\n`);
  process.stdout.write(`${report}\n`);
}

async function main(): Promise<number> {
  const [command, ...argv] = process.argv.slice(2);
  if (command === '--help' || command === '-h') parseCommandLine(USAGE, {}, [command]);
  if (command !== 'plan' && command !== 'apply' && command !== 'drift') {
    throw new InfraInputError(`${command ? `unknown step "${command}"` : 'no step'}; use plan, apply or drift\n\n${USAGE}`);
  }
  const args = parseCommandLine(
    USAGE,
    { options: { env: { type: 'string' }, systems: { type: 'string' }, out: { type: 'string' }, plans: { type: 'string' } } },
    argv,
  );
  const out = resolve(stringValue(args, 'out') ?? projectPath('cdktf.out'));
  if (command === 'apply') {
    if (args.values.env !== undefined || args.values.systems !== undefined)
      throw new InfraInputError('apply takes --plans (and --out), not --env or --systems: it applies what the plan step saved');
    const applied = apply(resolve(stringValue(args, 'plans') ?? out), out);
    process.stdout.write(`applied the saved plans of ${applied.join(', ')}\n`);
    return 0;
  }
  if (args.values.plans !== undefined) throw new InfraInputError(`--plans is for apply; ${command} synthesizes and plans`);
  const environments = selectedEnvironments(args);
  if (environments.length !== 1) throw new InfraInputError(`${environments.length} environments selected; name one with --env (or DEPLOY_ENV)`);
  const systems = selectSystems((stringValue(args, 'systems') ?? '').split(',').filter(Boolean), '--systems');
  if (command === 'drift') {
    drift(environments[0], systems, out);
    return 0;
  }
  return (await plan(environments[0], systems, out)) > 0 ? 1 : 0;
}

if (require.main === module) runMain('infra', main, [InfraInputError, ConfigError]);
