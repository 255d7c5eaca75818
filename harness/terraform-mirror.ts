// Finds the local filesystem mirror of the pinned hashicorp/aws provider and writes a Terraform CLI
// configuration that installs the provider from it, so init works with no registry access.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseCommandLine } from '../cli';

const PROJECT_ROOT = resolve(__dirname, '..');

/** Variable naming a mirror directory explicitly; searched first. */
export const MIRROR_VARIABLE = 'TF_PROVIDER_MIRROR';

/** Where a machine image usually keeps a provider mirror, after `$TF_PROVIDER_MIRROR`. */
export const MIRROR_CANDIDATES = [
  '/opt/tf-plugins',
  join(homedir(), '.terraform.d', 'plugins'),
  '/usr/local/share/terraform/plugins',
  '/usr/share/terraform/plugins',
];

/** The provider version the bindings were generated for (the one Terraform must use). */
export function pinnedAwsProviderVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/@cdktf/provider-aws/package.json'), 'utf8'));
  const version: unknown = pkg?.cdktf?.provider?.version;
  if (typeof version !== 'string') throw new Error('@cdktf/provider-aws package.json has no cdktf.provider.version');
  return version.replace(/^[~^=]/, '');
}

function platform(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return `${process.platform}_${arch}`;
}

/**
 * The mirror directory holding hashicorp/aws at `version` for this platform: `$TF_PROVIDER_MIRROR`
 * when set (it must hold it: a wrong value is refused, never passed over), else the first of
 * MIRROR_CANDIDATES that does, else undefined.
 */
export function findProviderMirror(version = pinnedAwsProviderVersion(), env = process.env): string | undefined {
  const holds = (dir: string) => existsSync(join(dir, 'registry.terraform.io/hashicorp/aws', version, platform()));
  const given = env[MIRROR_VARIABLE];
  if (given !== undefined && given !== '') {
    if (!holds(given)) {
      throw new Error(
        `${MIRROR_VARIABLE} is "${given}", which holds no registry.terraform.io/hashicorp/aws/${version}/${platform()}; point it at a filesystem mirror of that provider (terraform providers mirror <dir>), or unset it to search ${MIRROR_CANDIDATES.join(', ')}`,
      );
    }
    return given;
  }
  return MIRROR_CANDIDATES.find(holds);
}

/** CLI configuration text: hashicorp/aws from the mirror, everything else from its registry. */
export function cliConfigText(mirrorDir: string): string {
  return [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirrorDir)}`,
    '    include = ["registry.terraform.io/hashicorp/aws"]',
    '  }',
    '  direct {',
    '    exclude = ["registry.terraform.io/hashicorp/aws"]',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Default location of the generated CLI configuration (git-ignored). */
export const CLI_CONFIG_PATH = join(PROJECT_ROOT, '.tf', 'mirror.tfrc');

/**
 * Writes the CLI configuration for the mirror and returns its path, or undefined when no mirror is
 * present (online machines need none).
 */
export function writeMirrorCliConfig(path = CLI_CONFIG_PATH): string | undefined {
  const mirror = findProviderMirror();
  if (!mirror) return undefined;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, cliConfigText(mirror));
  return path;
}

const USAGE = `usage: npm run tf:mirror

Finds this machine's filesystem mirror of hashicorp/aws ${pinnedAwsProviderVersion()} ($${MIRROR_VARIABLE}, else
${MIRROR_CANDIDATES.join(', ')}), writes a Terraform CLI configuration for it to .tf/mirror.tfrc and prints
that path; use it with TF_CLI_CONFIG_FILE=<path>. Fails when there is no mirror.
  -h, --help  this text, and nothing else`;

// `tsx harness/terraform-mirror.ts` prints the path of the written config (or fails loudly).
if (require.main === module) {
  parseCommandLine(USAGE, {});
  const path = writeMirrorCliConfig();
  if (!path) {
    console.error(
      `No local mirror of hashicorp/aws ${pinnedAwsProviderVersion()} found in $${MIRROR_VARIABLE} or ${MIRROR_CANDIDATES.join(', ')}. ` +
        `Set ${MIRROR_VARIABLE} to the mirror directory (it holds registry.terraform.io/hashicorp/aws/...).`,
    );
    process.exit(1);
  }
  console.log(path);
}
