// `npm run codebuild -- <buildspec> [options]`: runs a buildspec locally the way CodeBuild runs it
// (harness/codebuild/runner.ts), from a clean copy of the committed tree. Exit 0 when the build
// succeeds, 1 when it fails, 2 on bad input.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildspecError, runCodeBuild } from '../harness/codebuild/runner';
import { runMain } from '../cli';

const USAGE = `usage: npm run codebuild -- <buildspec> [options]

Runs <buildspec> (a path inside the repository, e.g. app/buildspec.yml) as CodeBuild would: a clean
copy of the committed tree, each command its own script (the directory and variables carry), phases
in order, artifacts collected.

options:
  --repository DIR      git repository whose committed tree is the source (default: this one)
  --revision REV        commit, branch or tag to build (default: HEAD)
  --git-clone           give the source as a full clone checked out at REV (a CodeCommit source
                        with git_clone_depth 0), not as CodePipeline's CODE_ZIP
  --secondary ID=DIR    a secondary source, at CODEBUILD_SRC_DIR_<ID> (repeatable)
  --env NAME=VALUE      a project variable; overrides the buildspec's env.variables (repeatable)
  --image IMAGE         CodeBuild image whose runtimes runtime-versions must name
                        (default: the delivery pipeline's)
  --out DIR             where the artifact's files go (default: codebuild.out)
  --timeout-minutes N   stop the build after N minutes (default: 30)
  -h, --help            this text`;

function pairs(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq < 1) throw new BuildspecError(`${flag} "${value}" is not NAME=VALUE`);
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        repository: { type: 'string' },
        revision: { type: 'string' },
        'git-clone': { type: 'boolean' },
        secondary: { type: 'string', multiple: true },
        env: { type: 'string', multiple: true },
        image: { type: 'string' },
        out: { type: 'string' },
        'timeout-minutes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`codebuild: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new BuildspecError(`give exactly one buildspec (got ${positionals.length})`);
  const minutes = Number(values['timeout-minutes'] ?? 30);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 480)
    throw new BuildspecError(`--timeout-minutes ${values['timeout-minutes']}: use a whole number from 1 to 480`);
  const result = await runCodeBuild({
    buildspec: positionals[0],
    repository: resolve(values.repository ?? '.'),
    revision: values.revision,
    gitClone: values['git-clone'],
    secondarySources: pairs(values.secondary, '--secondary'),
    variables: pairs(values.env, '--env'),
    image: values.image,
    artifactsDir: resolve(values.out ?? 'codebuild.out'),
    timeoutMs: minutes * 60_000,
    onLog: (line) => console.log(line),
  });
  console.log(`\n${result.status}: ${positionals[0]} at ${result.resolvedSourceVersion.slice(0, 12)}`);
  for (const p of result.phases) console.log(`  ${p.phase.padEnd(16)} ${p.status.padEnd(9)} ${(p.ms / 1000).toFixed(1)} s`);
  if (result.failure) console.log(`  ${result.failure}`);
  if (result.artifacts.length) console.log(`artifacts in ${resolve(values.out ?? 'codebuild.out')}: ${result.artifacts.join(', ')}`);
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

// Bad input (BuildspecError) exits 2 naming it; a failed build exits 1.
if (require.main === module) runMain('codebuild', () => main(process.argv.slice(2)), [BuildspecError]);
