// `npm run plan|deploy|destroy -- <stack...> [--offline] [-- cdktf flags]`: runs the cdktf CLI with
// the Terraform CLI configuration for the local provider mirror when this machine has one (offline
// machines), in which case the provider lock step, which needs the registry, is skipped. Online
// machines without a mirror run cdktf unchanged. `plan --offline` plans without an AWS account, with
// the harness the tests use (dummy keys, skip_* flags, a throwaway backend).
import { spawnSync } from 'node:child_process';
import { ConfigError } from '../config/load';
import { parseCommandLine } from '../cli';
import { offlinePlanText } from '../harness/offline-terraform';
import { writeMirrorCliConfig } from '../harness/terraform-mirror';

const COMMANDS = ['plan', 'diff', 'deploy', 'destroy'];
const USAGE = `usage: npm run plan|deploy|destroy -- <stack>... [--offline] [-- <cdktf flags>]

Runs \`cdktf <command> <stack>...\` with this machine's provider mirror when it has one.
  <stack>     e.g. cachet-dev, web-prod (cdktf.out/stacks/ after npm run synth)
  --offline   plan only: no AWS account needed (dummy credentials, no backend); prints the plan
  -h, --help  this text, and nothing else
Anything after a second -- goes to cdktf unchanged (e.g. -- --auto-approve).`;

const [command, ...argv] = process.argv.slice(2);
if (!command || !COMMANDS.includes(command)) {
  process.stderr.write(`${command ? `unknown command "${command}"` : 'no command'}; use ${COMMANDS.join(', ')}\n\n${USAGE}\n`);
  process.exit(2);
}
const end = argv.indexOf('--');
const args = parseCommandLine(USAGE, { options: { offline: { type: 'boolean' } }, allowPositionals: true }, end >= 0 ? argv.slice(0, end) : argv);
const passthrough = end >= 0 ? argv.slice(end + 1) : [];
if (args.positionals.length === 0) {
  process.stderr.write(`name at least one stack\n\n${USAGE}\n`);
  process.exit(2);
}

if (args.values.offline) {
  if (command !== 'plan' && command !== 'diff') {
    process.stderr.write(`--offline works with plan only: ${command} needs an AWS account\n\n${USAGE}\n`);
    process.exit(2);
  }
  planOffline(args.positionals);
} else {
  runCdktf(command, [...args.positionals, ...passthrough]);
}

/** Prints each stack's offline plan; exits 2 on a stack name that does not exist, 1 on a failure. */
function planOffline(stacks: readonly string[]): void {
  (async () => {
    for (const stack of stacks) process.stdout.write(await offlinePlanText(stack));
  })().then(
    () => process.exit(0),
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(error instanceof ConfigError ? 2 : 1);
    },
  );
}

function runCdktf(cdktfCommand: string, rest: readonly string[]): never {
  const env: NodeJS.ProcessEnv = { CHECKPOINT_DISABLE: '1', ...process.env };
  const cdktfArgs = [cdktfCommand, ...rest];
  const cliConfig = writeMirrorCliConfig();
  if (cliConfig) {
    env.TF_CLI_CONFIG_FILE = cliConfig;
    if (!cdktfArgs.includes('--skip-provider-lock')) cdktfArgs.push('--skip-provider-lock');
    console.error(`Using the local provider mirror (${cliConfig}); provider lock skipped.`);
  }
  const result = spawnSync('npx', ['cdktf', ...cdktfArgs], { stdio: 'inherit', env });
  process.exit(result.status ?? 1);
}
