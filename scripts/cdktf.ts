// `npm run plan|deploy|destroy -- <stack...> [cdktf flags]`: runs the cdktf CLI with the Terraform
// CLI configuration for the local provider mirror when this machine has one (offline machines), in
// which case the provider lock step, which needs the registry, is skipped. Online machines without
// a mirror run cdktf unchanged.
import { spawnSync } from 'node:child_process';
import { writeMirrorCliConfig } from './terraform-mirror';

const [command, ...rest] = process.argv.slice(2);
if (!command || !['plan', 'diff', 'deploy', 'destroy'].includes(command)) {
  console.error('usage: tsx scripts/cdktf.ts plan|diff|deploy|destroy <stack...> [cdktf flags]');
  process.exit(2);
}

const env = { ...process.env };
const args = [command, ...rest];
const cliConfig = writeMirrorCliConfig();
if (cliConfig) {
  env.TF_CLI_CONFIG_FILE = cliConfig;
  if (!args.includes('--skip-provider-lock')) args.push('--skip-provider-lock');
  console.error(`Using the local provider mirror (${cliConfig}); provider lock skipped.`);
}
const result = spawnSync('npx', ['cdktf', ...args], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
