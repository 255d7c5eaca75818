// The policy gate: checkov (pinned, in the project's .venv) over the offline plan JSON of every
// stack, with waivers only from policy/checkov-skips.json. `npm run policy` prints the table and
// exits non-zero on any failed check; the test suite asserts the same.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { glob } from './glob';
import { environmentNames, loadEnvironments, parseEnvironmentConfig, readEnvironmentFile } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import { offlineTerraformEnv, planAllOffline, synthesizeAll, synthesizeBootstraps, type Json, type OfflineResult } from './offline-terraform';
import { parseCommandLine, selectedEnvironments, stringValue } from '../cli';

const ROOT = resolve(__dirname, '..');
/** The pinned checkov of .venv (tools/setup-python.sh), unless CHECKOV names another (a build image's own). */
export const CHECKOV = process.env.CHECKOV || join(ROOT, '.venv', 'bin', 'checkov');
export const SKIPS_FILE = join(ROOT, 'policy', 'checkov-skips.json');

const skipSchema = z
  .object({
    id: z.string().regex(/^CKV2?_[A-Z]+_\d+$/, 'must be a checkov check id such as CKV_AWS_18'),
    reason: z.string().min(20, 'needs a one-line reason a reviewer can accept (20 characters at least)'),
    stacks: z.array(z.string().min(1)).min(1).optional(),
    resources: z.array(z.string().min(1)).min(1).optional(),
    /** `false`: only in the stacks of environments that are not production (whatever they are named). */
    production: z.literal(false).optional(),
  })
  .strict();
export type Skip = z.infer<typeof skipSchema>;

/** Reads and validates the waiver file; every entry must carry a reason. */
export function loadSkips(path = SKIPS_FILE): Skip[] {
  const parsed = z
    .object({ '//': z.string().optional(), skips: z.array(skipSchema) })
    .strict()
    .safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`${path} is invalid:\n${issues}`);
  }
  return parsed.data.skips;
}

export type Result = 'passed' | 'failed' | 'skipped';

export interface Finding {
  readonly stack: string;
  readonly checkId: string;
  readonly checkName: string;
  readonly resource: string;
  readonly result: Result;
  /** The waiver's reason, for skipped findings. */
  readonly reason?: string;
}

function matches(skip: Skip, finding: Finding, isProduction: (stack: string) => boolean): boolean {
  return (
    skip.id === finding.checkId &&
    (skip.production !== false || !isProduction(finding.stack)) &&
    (skip.stacks ?? ['*']).some((s) => glob(s).test(finding.stack)) &&
    (skip.resources ?? ['*']).some((r) => glob(r).test(finding.resource))
  );
}

/**
 * Turns failed findings a waiver covers into skipped ones; also returns waivers that covered nothing.
 * `isProduction` says whether a stack is of a production environment (a waiver with
 * `production: false` never covers one); by default every stack counts as production.
 */
export function applySkips(
  findings: readonly Finding[],
  skips: readonly Skip[],
  isProduction: (stack: string) => boolean = () => true,
): { findings: Finding[]; unused: Skip[] } {
  const used = new Set<Skip>();
  const out = findings.map((f) => {
    if (f.result !== 'failed') return f;
    const skip = skips.find((s) => matches(s, f, isProduction));
    if (!skip) return f;
    used.add(skip);
    return { ...f, result: 'skipped' as const, reason: skip.reason };
  });
  return { findings: out, unused: skips.filter((s) => !used.has(s)) };
}

/**
 * Runs checkov once over the plan JSON files (named `<stack>.plan.json`). Asynchronously: a scan can
 * outlast a minute on a busy machine, and a test worker blocked that long misses its runner's calls.
 */
export async function runCheckov(planFiles: readonly string[]): Promise<Finding[]> {
  if (!existsSync(CHECKOV)) {
    throw new Error(`checkov is not installed at ${CHECKOV}; run tools/setup-python.sh (npm test runs it first)`);
  }
  const args = [...planFiles.flatMap((f) => ['-f', f]), '--framework', 'terraform_plan', '--output', 'json', '--skip-download', '--soft-fail', '--compact'];
  const { stdout } = await promisify(execFile)(CHECKOV, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: 'ERROR' } });
  const report: Json = JSON.parse(stdout);
  const reports: Json[] = Array.isArray(report) ? report : [report];
  const findings: Finding[] = [];
  for (const r of reports.filter((x) => x.check_type === 'terraform_plan')) {
    for (const [list, result] of [
      [r.results.passed_checks, 'passed'],
      [r.results.failed_checks, 'failed'],
    ] as const) {
      for (const c of list as Json[]) {
        findings.push({ stack: basename(c.file_path, '.plan.json'), checkId: c.check_id, checkName: c.check_name, resource: c.resource, result });
      }
    }
  }
  return findings;
}

/** Passed / failed / skipped per stack. */
export function summarize(findings: readonly Finding[]): Record<string, Record<Result, number>> {
  const summary: Record<string, Record<Result, number>> = {};
  for (const f of findings) {
    summary[f.stack] ??= { passed: 0, failed: 0, skipped: 0 };
    summary[f.stack][f.result]++;
  }
  return summary;
}

/** Markdown table of every failed or skipped finding, then the per-stack summary. */
export function formatReport(findings: readonly Finding[]): string {
  const shown = findings
    .filter((f) => f.result !== 'passed')
    .sort((a, b) => `${a.stack}${a.checkId}${a.resource}`.localeCompare(`${b.stack}${b.checkId}${b.resource}`));
  const lines = ['| stack | check | resource | result | reason |', '|---|---|---|---|---|'];
  for (const f of shown) lines.push(`| ${f.stack} | ${f.checkId} | ${f.resource} | ${f.result} | ${f.reason ?? f.checkName} |`);
  lines.push('', '| stack | passed | failed | skipped |', '|---|---|---|---|');
  for (const [stack, s] of Object.entries(summarize(findings)).sort()) lines.push(`| ${stack} | ${s.passed} | ${s.failed} | ${s.skipped} |`);
  return lines.join('\n');
}

/** Whether a planned stack's environment is production, by stack name. */
export function productionOf(results: readonly { readonly stack: { readonly name: string; readonly config: { readonly production: boolean } } }[]) {
  return (stack: string) => results.find((r) => r.stack.name === stack)?.stack.config.production ?? true;
}

/**
 * Jenkins settings for the scan of the optional Jenkins server, which no shipped environment turns
 * on: GitHub's webhook block and a documentation block (RFC 5737) for the office.
 */
export const JENKINS_EXAMPLE = { webhookCidrs: ['192.30.252.0/22'], officeCidr: '203.0.113.0/24', domainName: 'jenkins.example.com' } as const;

/**
 * A GitHub source with pull request reports, for the scan of those optional parts, which no shipped
 * environment turns on: a documentation repository and one author.
 */
export const GITHUB_EXAMPLE = { provider: 'github', fullRepositoryId: 'example/webapp', pullRequestAuthors: [583231] } as const;

/**
 * An environment (the first that is not production) with the web stack's optional parts on: the
 * Jenkins server, and a GitHub source with pull request reports.
 */
export function withOptionalParts(configs: readonly EnvironmentConfig[]): EnvironmentConfig {
  const { name } = configs.find((c) => !c.production) ?? configs[0];
  const input = readEnvironmentFile(name) as { webapp?: { delivery?: object } };
  const delivery = {
    ...input.webapp?.delivery,
    enableJenkins: true,
    jenkins: JENKINS_EXAMPLE,
    source: GITHUB_EXAMPLE,
    enablePullRequestReports: true,
  };
  return parseEnvironmentConfig({ ...input, webapp: { ...input.webapp, delivery } }, name);
}

/** The resources of the optional parts (`withOptionalParts`): only their findings count in that scan. */
const OPTIONAL_PARTS = /\.(jenkins|delivery_pull-request-reports)_/;

export interface PolicyGateResult {
  /** Every stack of every environment, planned. */
  readonly results: OfflineResult[];
  readonly findings: Finding[];
  /** The web stack with its optional parts on (`withOptionalParts`), planned; only their resources count. */
  readonly variant: OfflineResult;
  readonly variantFindings: Finding[];
  /** Waivers that waive nothing in either scan. */
  readonly unused: Skip[];
}

/**
 * Synthesizes and plans every stack offline, and the web stack once more with its optional parts on
 * (so their resources are gated and their waivers are used); scans the plans; applies the waivers.
 */
export async function runPolicyGate(env = offlineTerraformEnv()): Promise<PolicyGateResult> {
  const configs = loadEnvironments(environmentNames());
  const [results, [variant]] = await Promise.all([
    planAllOffline([...synthesizeAll(configs), ...synthesizeBootstraps(configs)], 2, env),
    planAllOffline(synthesizeAll([withOptionalParts(configs)], ['web']), 1, env),
  ]);
  const skips = loadSkips();
  const [mainFindings, optionalFindings] = await Promise.all([runCheckov(results.map((r) => r.planFile)), runCheckov([variant.planFile])]);
  const main = applySkips(mainFindings, skips, productionOf(results));
  const optional = applySkips(optionalFindings, skips, productionOf([variant]));
  return {
    results,
    findings: main.findings,
    variant,
    variantFindings: optional.findings.filter((f) => OPTIONAL_PARTS.test(f.resource)).map((f) => ({ ...f, stack: `${f.stack} (optional parts)` })),
    unused: main.unused.filter((s) => optional.unused.includes(s)),
  };
}

/** The systems' stacks of `configs` (a pull request's environment), planned and scanned, waivers applied. */
export async function scanEnvironments(configs: readonly EnvironmentConfig[], env = offlineTerraformEnv()): Promise<Finding[]> {
  const results = await planAllOffline(synthesizeAll(configs), 2, env);
  return applySkips(await runCheckov(results.map((r) => r.planFile)), loadSkips(), productionOf(results)).findings;
}

/**
 * The scan as a pull request report section: a headline with the count of unwaived failures, each
 * failure, and the count per stack (waived findings only counted: their reasons are in the waivers file).
 */
export function reportSection(findings: readonly Finding[]): string {
  const failed = findings
    .filter((f) => f.result === 'failed')
    .sort((a, b) => `${a.stack}${a.checkId}${a.resource}`.localeCompare(`${b.stack}${b.checkId}${b.resource}`));
  const headline =
    failed.length === 0
      ? 'no unwaived failure'
      : `${failed.length} unwaived failure${failed.length === 1 ? '' : 's'} (the pipeline's Plan action refuses the change)`;
  const lines = [`## checkov: ${headline}`, ''];
  if (failed.length > 0) {
    lines.push('| stack | check | resource | what it checks |', '|---|---|---|---|');
    for (const f of failed) lines.push(`| ${f.stack} | ${f.checkId} | ${f.resource} | ${f.checkName} |`);
    lines.push('');
  }
  lines.push('| stack | passed | failed | waived |', '|---|---|---|---|');
  for (const [stack, s] of Object.entries(summarize(findings)).sort()) lines.push(`| ${stack} | ${s.passed} | ${s.failed} | ${s.skipped} |`);
  return `${lines.join('\n')}\n`;
}

const USAGE = `usage: npm run policy [-- --env NAMES] [--report FILE]

Synthesizes and plans every stack offline (the bootstrap and pipeline stacks of environments with S3
state too, and the web stack once more with its optional parts on: Jenkins, GitHub pull request
reports), scans the plans with
checkov and prints every failed or waived finding and a summary per stack (exit 1 on a failed check
or an unused waiver). Waivers: policy/checkov-skips.json. Without a local provider mirror, Terraform
installs the pinned provider from the registry.
  --env NAMES    only the systems' stacks of these environments (comma-separated), as a pull request
                 report scans them; waivers for other stacks are not judged (exit 1 on a failed check)
  --report FILE  also write the result to FILE as a Markdown section headed "## checkov: ..."
  CHECKOV        (environment) a checkov to run instead of .venv's, which is then not set up
  -h, --help     this text, and nothing else`;

if (require.main === module) {
  const args = parseCommandLine(USAGE, { options: { env: { type: 'string' }, report: { type: 'string' } } });
  const selected = stringValue(args, 'env') === undefined ? undefined : selectedEnvironments(args);
  const configs = selected ? loadEnvironments(selected) : [];
  // checkov runs from .venv: set it up (a no-op when it is current) only once the arguments are good.
  if (!process.env.CHECKOV) {
    const setup = spawnSync('bash', [join(__dirname, '..', 'tools', 'setup-python.sh')], { stdio: 'inherit' });
    if (setup.status !== 0) process.exit(setup.status ?? 1);
  }
  const env = offlineTerraformEnv({ registry: true });
  const scan = selected
    ? scanEnvironments(configs, env).then((findings) => ({ findings, unused: [] as Skip[] }))
    : runPolicyGate(env).then(({ findings, variantFindings, unused }) => ({ findings: [...findings, ...variantFindings], unused }));
  scan.then(({ findings, unused }) => {
    console.log(formatReport(findings));
    const report = stringValue(args, 'report');
    if (report) writeFileSync(report, reportSection(findings));
    for (const s of unused) console.log(`\nunused waiver: ${s.id} (${s.reason})`);
    const failed = findings.filter((f) => f.result === 'failed').length;
    console.log(
      `\n${failed === 0 && unused.length === 0 ? 'policy gate passed' : `policy gate FAILED: ${failed} failed check(s), ${unused.length} unused waiver(s)`}`,
    );
    process.exit(failed === 0 && unused.length === 0 ? 0 : 1);
  });
}
