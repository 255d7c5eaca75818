// `npm run typecheck|lint|test|test:unit|test:go`: the tasks that run other tools (tsc, ESLint,
// Prettier, Go, vitest), behind the same strict command line as every other script: `--help` prints
// the usage and runs nothing; an unknown option exits 2 before anything runs. Each step runs in
// turn; the first that fails ends the task with its exit status. (npm puts node_modules/.bin on PATH.)
import { spawnSync } from 'node:child_process';
import { projectPath } from '../project';
import { parseCommandLine } from '../cli';

interface Task {
  readonly usage: string;
  /** Whether the task takes test file filters (passed on to vitest). */
  readonly filters?: boolean;
  readonly steps: (filters: string[]) => { readonly command: string[]; readonly cwd?: string }[];
}

const HELP = '  -h, --help    this text, and nothing else';
const lint = [{ command: ['eslint', '.'] }, { command: ['prettier', '--check', '.'] }];
const go = [
  { command: ['go', 'vet', './...'], cwd: 'app' },
  { command: ['go', 'test', '-count=1', './...'], cwd: 'app' },
];

export const TASKS: Record<string, Task> = {
  typecheck: {
    usage: `usage: npm run typecheck\n\nType-checks the project with tsc (strict, no output).\n${HELP}`,
    steps: () => [{ command: ['tsc', '-p', '.'] }],
  },
  lint: {
    usage: `usage: npm run lint\n\nESLint over the project, then Prettier's check of every file's format.\n${HELP}`,
    steps: () => lint,
  },
  'test:go': {
    usage: `usage: npm run test:go\n\ngo vet and go test over the web app (app/).\n${HELP}`,
    steps: () => go,
  },
  'test:unit': {
    usage: `usage: npm run test:unit [-- FILTER...]\n\nThe fast loop: synth, constructs, config and tools (vitest.unit.config.ts); FILTERs narrow it to\nmatching test files.\n${HELP}`,
    filters: true,
    steps: (filters) => [{ command: ['vitest', 'run', '--config', 'vitest.unit.config.ts', ...filters] }],
  },
  test: {
    usage: `usage: npm run test [-- FILTER...]   (npm test)\n\nThe whole suite: checks the machine (tools/preflight.sh), sets up .venv and Lambda's Node, then\ntsc, lint, go vet and go test, and every vitest file (FILTERs narrow vitest's files).\n${HELP}`,
    filters: true,
    steps: (filters) => [
      { command: ['bash', 'tools/preflight.sh'] },
      { command: ['bash', 'tools/setup-python.sh'] },
      { command: ['tsx', 'harness/lambda-node.ts'] },
      { command: ['tsc', '-p', '.'] },
      ...lint,
      ...go,
      { command: ['vitest', 'run', ...filters] },
    ],
  },
};

function main(): void {
  const name = process.argv[2];
  const task = TASKS[name];
  if (!task) {
    process.stderr.write(`tools/task.ts: unknown task "${name}"; one of ${Object.keys(TASKS).join(', ')}\n`);
    process.exit(2);
  }
  const args = parseCommandLine(task.usage, { options: {}, allowPositionals: task.filters === true }, process.argv.slice(3));
  for (const step of task.steps(args.positionals)) {
    const [command, ...rest] = step.command;
    const result = spawnSync(command, rest, { cwd: projectPath(step.cwd ?? ''), stdio: 'inherit' });
    if (result.error) {
      process.stderr.write(`${step.command.join(' ')}: ${result.error.message}\n`);
      process.exit(1);
    }
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}

if (require.main === module) main();
