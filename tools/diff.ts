// `npm run diff -- [<stack>...] [--base <git ref>]`: what a change does to the synthesized stacks,
// without AWS: the working tree and a base commit (default HEAD) are each synthesized (the base in
// a temporary git worktree sharing node_modules), and every stack's resources, outputs and
// Terraform settings are compared, resource by resource and attribute by attribute. A resource
// whose address goes while another of its type comes is what a renamed construct id does:
// Terraform replaces it. Each stack's monthly estimate (tools/cost) is given before and after, with
// the items whose cost changes. The text is Markdown, so that `--report FILE` can go on a pull request
// as it is. With AWS credentials, `npm run plan -- <stack>` shows what AWS would do.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentNames, loadEnvironments, readEnvironmentFile } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import type { Json } from '../harness/offline-terraform';
import { projectPath } from '../project';
import { plannedStacks } from '../stacks';
import { parseCommandLine, runMain, selectedEnvironments, stringValue } from '../cli';
import { estimateStack, money, readPriceTable, total, type CostLine, type PriceTable } from './cost/estimate';

const USAGE = `usage: npm run diff -- [<stack>...] [--env NAMES] [--base <git ref>] [--report FILE]

Synthesizes the working tree and the base commit, and prints what changes in each stack: resources
added, removed and changed (attribute by attribute), outputs, Terraform settings, and the monthly
estimate before and after (npm run cost). Markdown. No AWS account needed; with credentials,
npm run plan -- <stack> shows what AWS would do.
  <stack>        e.g. web-dev, cachet-prod (default: every stack of the selected environments)
  --env NAMES    environments, comma-separated (default: $DEPLOY_ENV, else every environment)
  --base REF     the commit to compare with (default: HEAD, the last commit)
  --report FILE  also write the report to FILE (e.g. for a pull request comment)
  -h, --help     this text, and nothing else`;

/** One change in a stack: a resource (or output, or setting) added, removed or changed. */
export interface Change {
  readonly kind: '+' | '-' | '~';
  readonly address: string;
  /** For `~`: each changed attribute path, with its value before and after. */
  readonly attributes?: { readonly path: string; readonly before: unknown; readonly after: unknown }[];
}

/** Everything of a stack that Terraform acts on, by address; cdktf's "//" metadata left out. */
function addressable(json: Json): Map<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== '//')
          .map(([k, v]) => [k, strip(v)]),
      );
    return value;
  };
  const out = new Map<string, unknown>();
  for (const [block, prefix] of [
    ['resource', ''],
    ['data', 'data.'],
  ] as const) {
    for (const [type, byId] of Object.entries<Record<string, unknown>>(json[block] ?? {})) {
      for (const [id, body] of Object.entries(byId)) out.set(`${prefix}${type}.${id}`, strip(body));
    }
  }
  for (const [name, body] of Object.entries(json.output ?? {})) out.set(`output.${name}`, strip(body));
  if (json.terraform) out.set('terraform', strip(json.terraform));
  if (json.provider) out.set('provider', strip(json.provider));
  return out;
}

/** The leaf paths where two values differ, with both sides. */
function attributeChanges(before: unknown, after: unknown, path = ''): { path: string; before: unknown; after: unknown }[] {
  const isObject = (v: unknown) => v !== null && typeof v === 'object';
  if (isObject(before) && isObject(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])].sort();
    return keys.flatMap((k) =>
      attributeChanges(
        (before as Record<string, unknown>)[k],
        (after as Record<string, unknown>)[k],
        Array.isArray(before) ? `${path}[${k}]` : path ? `${path}.${k}` : k,
      ),
    );
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: path || '(all)', before, after }];
}

/** The changes from `base` to `head` of one stack (either may be missing: the stack is new or gone). */
export function stackDiff(base: Json | undefined, head: Json | undefined): Change[] {
  const before = base ? addressable(base) : new Map<string, unknown>();
  const after = head ? addressable(head) : new Map<string, unknown>();
  const changes: Change[] = [];
  for (const address of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    if (!before.has(address)) changes.push({ kind: '+', address });
    else if (!after.has(address)) changes.push({ kind: '-', address });
    else {
      const attributes = attributeChanges(before.get(address), after.get(address));
      if (attributes.length > 0) changes.push({ kind: '~', address, attributes });
    }
  }
  return changes;
}

const show = (value: unknown) => {
  const text = value === undefined ? '(none)' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/** The report of one stack's changes, as Markdown (the changes in a `diff` block). */
export function formatStackDiff(stack: string, changes: readonly Change[]): string {
  if (changes.length === 0) return `## ${stack}: no change\n`;
  const count = (kind: Change['kind']) => changes.filter((c) => c.kind === kind).length;
  const lines = [`## ${stack}: ${count('+')} to add, ${count('~')} to change, ${count('-')} to remove`, '', '```diff'];
  for (const c of changes) {
    lines.push(`${c.kind} ${c.address}`);
    for (const a of c.attributes ?? []) lines.push(`    ${a.path}: ${show(a.before)} -> ${show(a.after)}`);
  }
  lines.push('```');
  const type = (address: string) => address.split('.').slice(0, -1).join('.');
  const replaced = changes.filter((c) => c.kind === '-' && changes.some((o) => o.kind === '+' && type(o.address) === type(c.address)));
  if (replaced.length > 0) {
    lines.push(
      `  note: ${replaced.length} address(es) removed where another of the same type is added: a renamed construct id, which Terraform replaces (keep the id, or add a moved block)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A stack's monthly estimate (tools/cost): its items, or why there is none. */
export type StackCost = { readonly lines: readonly CostLine[] } | { readonly unavailable: string };

/** The estimate of a stack's JSON under its environment's config; a missing stack costs nothing. */
export function stackCost(json: Json | undefined, config: EnvironmentConfig | string, table: PriceTable): StackCost {
  if (json === undefined) return { lines: [] };
  if (typeof config === 'string') return { unavailable: config };
  const { lines, unpriced } = estimateStack(json, config, table);
  return unpriced.length > 0 ? { unavailable: `no price for ${unpriced.join(', ')} (tools/cost/estimate.ts)` } : { lines };
}

const signed = (n: number) => `${n > 0 ? '+' : ''}${money(n)}`;
const span = (min: number, max: number, show = money) => (min === max ? show(min) : `${show(min)} to ${show(max)}`);

/** How a stack's monthly estimate changes, with each item that costs something else, as Markdown. */
export function formatCostChange(before: StackCost, after: StackCost): string {
  if ('unavailable' in before || 'unavailable' in after) {
    const why = 'unavailable' in before ? `the base's: ${before.unavailable}` : `the change's: ${(after as { unavailable: string }).unavailable}`;
    return `Monthly estimate: not available (${why})\n`;
  }
  const [b, a] = [total(before.lines), total(after.lines)];
  const round = (n: number) => Math.round(n * 100) / 100;
  const head = `Monthly estimate: ${span(b.min, b.max)} -> ${span(a.min, a.max)}`;
  if (b.min === a.min && b.max === a.max) return `${head} (no change)\n`;
  const items = [...new Set([...before.lines, ...after.lines].map((l) => l.item))];
  const rows = items.flatMap((item) => {
    const [x, y] = [before.lines.find((l) => l.item === item), after.lines.find((l) => l.item === item)];
    if (x?.min === y?.min && x?.max === y?.max && x?.basis === y?.basis) return [];
    const cell = (l: CostLine | undefined) => (l ? `${span(l.min, l.max)} (${l.basis})` : '-');
    return [`| ${item} | ${cell(x)} | ${cell(y)} |`];
  });
  return [`${head} (${span(round(a.min - b.min), round(a.max - b.max), signed)} a month)`, '', '| item | before | after |', '|---|---|---|', ...rows, ''].join(
    '\n',
  );
}

/**
 * The configs of `names` as the tree at `root` has them, read with this tree's schema; an
 * environment that cannot be read there maps to why.
 */
function configsAt(root: string, names: readonly string[]): Map<string, EnvironmentConfig | string> {
  return new Map(
    names.map((name): [string, EnvironmentConfig | string] => {
      try {
        return [name, loadEnvironments([name], { [name]: readEnvironmentFile(name, join(root, 'environments')) })[0]];
      } catch (error) {
        return [name, `environments/${name}.yaml: ${(error as Error).message.split('\n')[0]}`];
      }
    }),
  );
}

/** Runs the synth of the tree at `root` into `outdir`, for the given environments and systems. */
function synthesize(root: string, outdir: string, envs: readonly string[], systems: readonly string[]): Map<string, Json> {
  const args = [join(root, 'tools', 'synth.mjs'), '--env', envs.join(','), ...systems.flatMap((s) => ['--system', s])];
  const result = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, CDKTF_OUTDIR: outdir }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`synth of ${root} failed:\n${result.stderr || result.stdout}`);
  const stacks = new Map<string, Json>();
  const dir = join(outdir, 'stacks');
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const file = join(dir, name, 'cdk.tf.json');
    if (existsSync(file)) stacks.set(name, JSON.parse(readFileSync(file, 'utf8')));
  }
  return stacks;
}

function main(): void {
  const args = parseCommandLine(USAGE, { options: { base: { type: 'string' }, report: { type: 'string' }, env: { type: 'string' } }, allowPositionals: true });
  const root = projectPath();
  const base = stringValue(args, 'base') ?? 'HEAD';
  const reportFile = stringValue(args, 'report');
  const every = plannedStacks(loadEnvironments(environmentNames()));
  const environments = selectedEnvironments(args);
  const wanted = args.positionals.length > 0 ? args.positionals : every.filter((s) => environments.includes(s.config.name)).map((s) => s.name);
  const unknown = wanted.filter((w) => !every.some((s) => s.name === w));
  if (unknown.length > 0) {
    process.stderr.write(`unknown stack ${unknown.join(', ')}; use one of ${every.map((s) => s.name).join(', ')}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const rev = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${base}^{commit}`], { cwd: root, encoding: 'utf8' });
  if (rev.status !== 0) {
    process.stderr.write(`--base "${base}" is not a commit of this repository; give a branch, tag or commit (git log)\n\n${USAGE}\n`);
    process.exit(2);
  }
  const selected = every.filter((s) => wanted.includes(s.name));
  const envs = [...new Set(selected.map((s) => s.config.name))];
  const systems = [...new Set(selected.map((s) => s.system))];
  const work = mkdtempSync(join(tmpdir(), 'diff-'));
  const worktree = join(work, 'base');
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', worktree, rev.stdout.trim()], { cwd: root, stdio: 'pipe' });
  try {
    symlinkSync(join(root, 'node_modules'), join(worktree, 'node_modules'));
    const before = synthesize(worktree, join(work, 'base-out'), envs, systems);
    const after = synthesize(root, join(work, 'head-out'), envs, systems);
    const table = readPriceTable();
    const [baseConfigs, headConfigs] = [configsAt(worktree, envs), configsAt(root, envs)];
    const report = [`Synthesized stacks: the working tree against ${base} (${rev.stdout.trim().slice(0, 12)}).\n\n`];
    for (const { name, config } of selected) {
      report.push(formatStackDiff(name, stackDiff(before.get(name), after.get(name))));
      const cost = formatCostChange(
        stackCost(before.get(name), baseConfigs.get(config.name)!, table),
        stackCost(after.get(name), headConfigs.get(config.name)!, table),
      );
      report.push(`\n${cost}\n`);
    }
    process.stdout.write(report.join(''));
    if (reportFile !== undefined) writeFileSync(reportFile, report.join(''));
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: root, stdio: 'pipe' });
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) runMain('diff', main);
