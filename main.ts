// Entry point of `cdktf synth` and `npm run synth`: validate the selected environments' config,
// build the selected systems' stacks, write Terraform JSON to cdktf.out/ and remove stack folders an
// earlier, wider synth left there (the cdktf CLI does that itself when it runs this). Nothing is
// written when the arguments or the config are bad.
import { dirname, resolve } from 'node:path';
import { AnnotationMetadataEntryType, App } from 'cdktf';
import { ConfigError, environmentNames, loadEnvironments, selectEnvironments } from './config/load';
import { parseCommandLine, stringValue } from './tools/cli';
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

const args = parseCommandLine(USAGE, { options: { env: { type: 'string' }, system: { type: 'string', multiple: true } } });
let selection;
try {
  // Every environment is validated, so that building one never hides another's mistakes.
  const selected = selectEnvironments(stringValue(args, 'env'), process.env);
  const configs = loadEnvironments(environmentNames()).filter((c) => selected.includes(c.name));
  selection = { configs, systems: selectSystems(args.values.system as string[] | undefined) };
  // Local state lives beside the output directory (the backend's path is relative to each stack's
  // folder); cdktf's App takes CDKTF_OUTDIR, else cdktf.out, and creates it, so this runs first.
  checkLocalStateRegions(dirname(resolve(process.env.CDKTF_OUTDIR ?? 'cdktf.out')), plannedStacks(configs, selection.systems));
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
