// Entry point of `cdktf synth` and `npm run synth`: validate the selected environments' config,
// build the selected systems' stacks, write Terraform JSON to cdktf.out/ and remove stack folders an
// earlier, wider synth left there (the cdktf CLI does that itself when it runs this). Nothing is
// written when the arguments or the config are bad.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AnnotationMetadataEntryType, App } from 'cdktf';
import { ConfigError, environmentNames, loadEnvironments, selectEnvironments } from './config/load';
import { parseCommandLine, stringValue } from './cli';
import { removeStaleStackDirs } from './tools/stale-stacks';
import { checkProductionQuotas } from './tools/quotas/needs';
import { checkLocalStateRegions } from './tools/state-region';
import { buildStacks, plannedStacks, selectSystems, SYSTEMS } from './stacks';

const USAGE = `usage: npm run synth [-- --env NAMES] [--system NAME]...

Synthesizes the selected stacks into cdktf.out/ (\`cdktf synth\` runs this too).
  --env NAMES    environments, comma-separated (default: $DEPLOY_ENV, else every environment)
  --system NAME  ${Object.keys(SYSTEMS).join(' or ')}; repeat for more (default: every system)
  -h, --help     this text, and nothing else`;

// Run from its sources (tsx), cdktf captures a stack trace for every reference it creates, and with
// source maps on each capture maps every frame, which tripled synth time. Config errors are reported
// without stack traces, so synth runs with them off. (npm run synth runs a bundle without either.)
process.setSourceMapsEnabled(false);

/**
 * The variables cdktf's App reads, checked before it reads them (it throws a stack trace on a bad
 * one): CDKTF_CONTEXT_JSON a JSON object, CDKTF_OUTDIR a directory or one its parent can hold.
 * Returns the output directory.
 */
function checkCdktfEnvironment(env: NodeJS.ProcessEnv): string {
  const context = env.CDKTF_CONTEXT_JSON;
  if (context !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(context);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(
        `CDKTF_CONTEXT_JSON is not a JSON object (${JSON.stringify(context.slice(0, 40))}); unset it or give one such as '{"key": "value"}'`,
      );
    }
  }
  const outdir = resolve(env.CDKTF_OUTDIR ?? 'cdktf.out');
  const parent = dirname(outdir);
  if (existsSync(outdir) ? !statSync(outdir).isDirectory() : !existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new ConfigError(
      `CDKTF_OUTDIR is "${env.CDKTF_OUTDIR}": ${existsSync(outdir) ? 'a file, not a directory' : `${parent} does not exist`}; unset it (cdktf.out) or name a directory`,
    );
  }
  return outdir;
}

const args = parseCommandLine(USAGE, { options: { env: { type: 'string' }, system: { type: 'string', multiple: true } } });
let selection;
try {
  // Every environment is validated, so that building one never hides another's mistakes.
  const selected = selectEnvironments(stringValue(args, 'env'), process.env);
  const configs = loadEnvironments(environmentNames()).filter((c) => selected.includes(c.name));
  selection = { configs, systems: selectSystems(args.values.system as string[] | undefined) };
  const outdir = checkCdktfEnvironment(process.env);
  // Local state lives beside the output directory (the backend's path is relative to each stack's
  // folder); cdktf's App takes CDKTF_OUTDIR, else cdktf.out, and creates it, so this runs first.
  checkLocalStateRegions(dirname(outdir), plannedStacks(configs, selection.systems));
  checkProductionQuotas(configs);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const app = new App();
const stacks = buildStacks(app, selection.configs, selection.systems);
app.synth();
// Under the cdktf CLI (which sets CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS for its app command),
// the CLI removes the stack folders the new manifest leaves out itself, from a list it took before
// running this app: removing them here first made its removal fail (ENOENT) after a wider synth.
const underCdktfCli = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS !== undefined;
const { removed, keptForState } = underCdktfCli
  ? { removed: [], keptForState: [] }
  : removeStaleStackDirs(
      app.outdir,
      stacks.map((s) => s.node.id),
    );
// The constructs' warnings (cdktf's CLI shows them from the manifest; a plain run shows them here).
for (const node of app.node.findAll()) {
  for (const entry of node.node.metadata) {
    if (entry.type === AnnotationMetadataEntryType.WARN) console.error(`warning: ${node.node.path}: ${entry.data}`);
  }
}
for (const name of removed) console.error(`removed ${app.outdir}/stacks/${name} (not selected)`);
for (const name of keptForState) console.error(`kept ${app.outdir}/stacks/${name}: not selected, but it holds a Terraform state file`);
