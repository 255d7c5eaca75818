// Every command the README and docs/ show works as written. Each is classified below (a command
// nobody classified fails the test); its npm script exists and takes the options shown (its --help
// lists them, and cdktf's for options after a second --). The commands that need neither an AWS
// account nor minutes of load run in a fresh clone of the project, in the documented order and again
// in reverse, and leave every committed file as it was (so the generated docs are current).
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectPath } from '../../project';
import { commitWorkingTree } from '../helpers/repository';

const ROOT = projectPath();
const run = promisify(execFile);

/** A command the README or a page of docs/ tells a reader to run, and where. */
interface DocumentedCommand {
  readonly where: string;
  readonly command: string;
}

/** How a command starts: npm, npx, cdktf or one of tools/, maybe after environment variables. */
const COMMAND = /^(?:[A-Z_]+=\S+ )*(?:npm (?:run \S|test|install|ci)|npx \S|cdktf [a-z]|bash tools\/)/;

/**
 * Every command of README.md and docs/*.md: each line of a code block and each inline code span that
 * starts like a command, without a prompt (`$ `) or a trailing comment, split at `&&`.
 */
function documentedCommands(): DocumentedCommand[] {
  const files = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const found: DocumentedCommand[] = [];
  for (const file of files) {
    let fenced = false;
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        if (/^\s*```/.test(text)) {
          fenced = !fenced;
          return;
        }
        const candidates = fenced ? [text.trim().replace(/^\$ /, '')] : [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\\\|/g, '|'));
        for (const candidate of candidates) {
          for (const part of candidate.replace(/\s+#\s.*$/, '').split('&&')) {
            const command = part.trim();
            if (COMMAND.test(command)) found.push({ where: `${file}:${i + 1}`, command });
          }
        }
      });
  }
  return found;
}

/**
 * What the test does with a command: `run` it in the fresh clones; or check its script and options
 * only, because it needs an AWS `account` (or the accounts' repositories, as promote does), is `long`
 * (minutes of load), or is the `suite` itself
 * (npm test and .ci/run run it; `npm run policy` prints runPolicyGate, which the offline Terraform
 * test runs, so its plans and scan are not made twice; with `--env`, the pull request report test runs it). A command with a placeholder (`<stack>`, `[...]`, `a|b`, `...`) is
 * a form: its script and options are checked.
 */
type Kind = 'run' | 'account' | 'long' | 'suite';
const KINDS: readonly { readonly pattern: RegExp; readonly kind: Kind }[] = [
  { pattern: /^npm (test|install|ci)$|^npm run (test:unit|test:go|lint|policy)$|^npm run policy -- --env |^npx vitest run /, kind: 'suite' },
  {
    pattern:
      /--applied|--refresh|deployspec|^npm run (plan -- \S+|plan\|deploy\|destroy|deploy|destroy|verify|versions)$|^npm run (deploy|destroy|verify|versions) |^npm run bootstrap( -- --env \S+( \[--offline\])?)?$|^npm run (infra|promote|tfc:upload)\b|cdktf (plan|deploy|diff|destroy)\b/,
    kind: 'account',
  },
  { pattern: /^npm run (drill|bench|bench:webapp)\b/, kind: 'long' },
  {
    pattern:
      /^npm run (synth|cost|quotas|diagram|docs|diff|tf:mirror|plan -- \S+ --offline|bootstrap -- --env \S+ --offline|codebuild -- (app\/buildspec\.yml|<buildspec>))(\s|$)|cdktf synth\b|^npx tsx tools\/instance-types\.ts --write$/,
    kind: 'run',
  },
];
const PLACEHOLDER = /<[^>]+>|\[|\||\.\.\.|\s[NS](\s|$)/;

/** Writes only to its own folder (codebuild.out), which no other command reads: run once, not again in reverse. */
const ORDER_FREE = /^npm run codebuild /;

const kindOf = (command: string) => KINDS.find((k) => k.pattern.test(command.replace(/\s+/g, ' ')))?.kind;
const isForm = (command: string) => PLACEHOLDER.test(command);

const COMMANDS = documentedCommands();
/** The concrete commands to run, each once, in the order the docs first show them. */
const RUNNABLE = [...new Set(COMMANDS.filter((c) => !isForm(c.command) && kindOf(c.command) === 'run').map((c) => c.command))];

/** `npm run X -- a -- b`: the scripts (`X`, or each of `X|Y`), our arguments (a) and cdktf's (b). */
function parseNpmRun(command: string): { scripts: string[]; ours: string[]; cdktf: string[] } | undefined {
  const m = /^(?:[A-Z_]+=\S+ )*npm run (\S+)(.*)$/.exec(command);
  if (!m) return undefined;
  const words = m[2].replace(/[[\]]/g, ' ').trim().split(/\s+/).filter(Boolean);
  const first = words.indexOf('--');
  const rest = first >= 0 ? words.slice(first + 1) : [];
  const second = rest.indexOf('--');
  return { scripts: m[1].split('|'), ours: second >= 0 ? rest.slice(0, second) : rest, cdktf: second >= 0 ? rest.slice(second + 1) : [] };
}

const optionsOf = (words: readonly string[]) => [...new Set(words.filter((w) => /^--[a-z]/.test(w)).map((w) => w.replace(/=.*$/, '')))];

const SCRIPTS: Record<string, string> = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
const help = new Map<string, string>();

beforeAll(async () => {
  // Every script's --help (and cdktf's for the subcommands our wrapper passes on), two at a time: a
  // burst of two dozen node processes would starve the suite's other workers.
  const scripts = [...new Set(COMMANDS.flatMap((c) => parseNpmRun(c.command)?.scripts ?? []).filter((s) => s in SCRIPTS))];
  const bin = join(ROOT, 'node_modules', '.bin');
  const asks: [string, string, string[]][] = [
    ...scripts.map((script): [string, string, string[]] => [script, 'npm', ['run', '--silent', script, '--', '--help']]),
    ...['plan', 'deploy', 'destroy'].map((sub): [string, string, string[]] => [`cdktf ${sub}`, join(bin, 'cdktf'), [sub, '--help']]),
  ];
  const next = async (): Promise<void> => {
    const ask = asks.shift();
    if (!ask) return;
    const [key, file, args] = ask;
    const { stdout } = await run(file, args, { cwd: ROOT, timeout: 240_000, env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    help.set(key, stdout);
    return next();
  };
  await Promise.all([next(), next()]);
}, 600_000);

describe('the documented commands', () => {
  it('are found: the README and docs show the main job and the suite', () => {
    const commands = COMMANDS.map((c) => c.command);
    expect(commands).toContain('npm run synth');
    expect(commands).toContain('npm test');
    expect(RUNNABLE.length).toBeGreaterThan(8);
  });

  it.each(COMMANDS.map((c) => [c.command, c.where]))('%s (%s) is classified', (command) => {
    expect(kindOf(command), 'add the command to KINDS in this test: run it here, or say why not').toBeDefined();
  });

  it.each(COMMANDS.filter((c) => parseNpmRun(c.command)).map((c) => [c.command, c.where]))('%s (%s) names a script that takes the options shown', (command) => {
    const { scripts, ours, cdktf } = parseNpmRun(command)!;
    for (const script of scripts) {
      expect(Object.keys(SCRIPTS)).toContain(script);
      for (const option of optionsOf(ours)) expect(help.get(script), `npm run ${script} -- --help`).toContain(option);
      for (const option of optionsOf(cdktf)) expect(help.get(`cdktf ${script}`), `cdktf ${script} --help`).toContain(option);
    }
  });
});

/** A fresh copy of the project as it stands (the working tree as one commit), with the installed packages. */
function freshClone(): string {
  const clone = commitWorkingTree();
  for (const dir of ['node_modules', '.venv']) symlinkSync(join(ROOT, dir), join(clone, dir));
  return clone;
}

/** Runs the commands in `clone` as a shell would; the first failure is reported with its output. */
async function runAll(clone: string, commands: readonly string[]): Promise<string[]> {
  const failures: string[] = [];
  for (const command of commands) {
    const { DEPLOY_ENV: _ignored, ...env } = process.env;
    try {
      const { stderr } = await run('bash', ['-c', command], {
        cwd: clone,
        env: { ...env, CHECKPOINT_DISABLE: '1' },
        timeout: 600_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      if (/\n\s+at .*:\d+:\d+\)?\n/.test(stderr)) failures.push(`${command}: a stack trace on stderr\n${stderr}`);
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      failures.push(`${command}: exit ${e.code}\n${(e.stderr ?? '').slice(-3000)}${(e.stdout ?? '').slice(-1500)}`);
    }
  }
  return failures;
}

const changedFiles = (clone: string) =>
  execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })
    .split('\n')
    .filter((l) => l && !/ (node_modules|\.venv)$/.test(l));

describe('the documented commands that need no AWS account, run from a fresh clone', () => {
  it.each([
    ['in the order the docs show them', RUNNABLE],
    ['in reverse order', [...RUNNABLE].reverse().filter((c) => !ORDER_FREE.test(c))],
  ])(
    'work %s and leave the committed files unchanged',
    async (_, commands) => {
      // GIVEN a fresh clone WHEN each command runs as written
      const clone = freshClone();
      const failures = await runAll(clone, commands);
      // THEN each exits 0, and the generated docs they rewrite were current
      expect(failures).toEqual([]);
      expect(changedFiles(clone)).toEqual([]);
      rmSync(clone, { recursive: true, force: true });
    },
    1_200_000,
  );
});
