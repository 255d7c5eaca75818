// `npm run bootstrap -- --env <name> [--offline] [-- terraform apply flags]`: creates what an
// environment with `state.backend: s3` needs before its first deploy, with your AWS credentials: the
// state bucket (stacks/bootstrap-stack.ts), then the infrastructure pipeline where the environment
// has one (stacks/pipeline/pipeline-stack.ts, its state in that bucket). Synthesizes them into
// cdktf.out.bootstrap/, then `terraform init` and `terraform apply` in each, in that order (apply
// shows the plan and asks). The bucket's own state stays in the project root
// (terraform.bootstrap-<env>.<region>.tfstate). `--offline` plans both without an AWS account
// instead, as `npm run plan -- <stack> --offline` does.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { ConfigError, loadEnvironments } from '../config/load';
import { parseCommandLine, runMain, selectedEnvironments } from '../cli';
import { offlineTerraformEnv, planOffline, synthesizeBootstraps, terraform } from '../harness/offline-terraform';
import { writeMirrorCliConfig } from '../harness/terraform-mirror';
import { projectPath } from '../project';
import { TERRAFORM_REQUIRED_VERSION } from '../stacks/environment-stack';

const USAGE = `usage: npm run bootstrap -- --env <name> [--offline] [-- <terraform apply flags>]

Creates the S3 state bucket an environment names in state.bucket (state.backend: s3), then its
infrastructure pipeline (pipeline.enabled, the default with S3 state), before its first deploy:
synthesizes bootstrap-<env> and pipeline-<env> into cdktf.out.bootstrap/ and runs terraform init
and apply in each with your AWS credentials (apply shows the plan and asks). The bucket's own state
is terraform.bootstrap-<env>.<region>.tfstate in the project root: keep it with the other local state.
  --env NAME   the environment (one)
  --offline    plan only: no AWS account needed (dummy credentials); prints the plan
  -h, --help   this text, and nothing else
Anything after a second -- goes to terraform apply unchanged (e.g. -- -auto-approve).`;

/** Where the bootstrap stacks are synthesized: beside, not in, the app's cdktf.out (its manifest stays the app's). */
export const BOOTSTRAP_OUTDIR = 'cdktf.out.bootstrap';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const end = argv.indexOf('--');
  const args = parseCommandLine(USAGE, { options: { env: { type: 'string' }, offline: { type: 'boolean' } } }, end >= 0 ? argv.slice(0, end) : argv);
  const passthrough = end >= 0 ? argv.slice(end + 1) : [];
  if (args.values.env === undefined) {
    process.stderr.write(`name the environment with --env\n\n${USAGE}\n`);
    return 2;
  }
  const environments = selectedEnvironments(args);
  if (environments.length !== 1) {
    process.stderr.write(`--env names ${environments.length} environments; bootstrap one at a time\n\n${USAGE}\n`);
    return 2;
  }
  if (args.values.offline && passthrough.length > 0) {
    process.stderr.write(`--offline plans only: terraform apply flags (${passthrough.join(' ')}) do not apply\n\n${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    [config] = loadEnvironments(environments);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (config.state.backend !== 's3') {
    process.stderr.write(
      `environments/${config.name}.yaml has state.backend ${config.state.backend}; the bootstrap creates the S3 state bucket, so set state: { backend: s3, bucket, region } first (docs/operations.md, "State backends")\n`,
    );
    return 2;
  }
  // A fresh directory each time: an --offline run's override (dummy keys, a throwaway backend) must
  // never reach a real apply.
  const outdir = projectPath(BOOTSTRAP_OUTDIR);
  rmSync(outdir, { recursive: true, force: true });
  const stacks = synthesizeBootstraps([config], outdir);
  if (args.values.offline) {
    const env = offlineTerraformEnv();
    for (const stack of stacks) {
      await planOffline(stack, env);
      process.stdout.write(`# ${stack.name}\n${await terraform(stack.dir, env, ['show', '-no-color', 'offline.tfplan'])}`);
    }
    return 0;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1' };
  const cliConfig = writeMirrorCliConfig();
  if (cliConfig) env.TF_CLI_CONFIG_FILE = cliConfig;
  // In order: the pipeline's state lives in the bucket the first creates.
  for (const stack of stacks) {
    process.stdout.write(`# ${stack.name}\n`);
    for (const step of [
      ['init', '-input=false'],
      ['apply', ...passthrough],
    ]) {
      const result = spawnSync('terraform', step, { cwd: stack.dir, stdio: 'inherit', env });
      if (result.error) throw new Error(`terraform is not on PATH; install Terraform ${TERRAFORM_REQUIRED_VERSION} (${result.error.message})`);
      if (result.status !== 0) return result.status ?? 1;
    }
  }
  return 0;
}

if (require.main === module) runMain('bootstrap', main);
