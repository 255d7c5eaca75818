// `npx tsx tools/instance-types.ts [--write]`: the dated list of EC2 instance types the configuration
// is checked against (config/instance-types/), generated from the EC2 data moto ships: moto's
// maintainers record each region's DescribeInstanceTypeOfferings (--location-type region) and every
// type's DescribeInstanceTypes answer. moto is pinned in requirements-dev.txt, so the list moves only
// when that pin does. Without --write: exit 1 when the committed list differs from what the pinned
// moto gives (the suite runs this check).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { INSTANCE_TYPES_DIR, INSTANCE_TYPES_FILE } from '../config/instance-types';
import { projectPath } from '../project';
import { parseCommandLine } from '../cli';

const USAGE = `usage: npx tsx tools/instance-types.ts [--write]

Regenerates config/instance-types/ (the EC2 instance types and each region's offerings) from the
data of the moto pinned in requirements-dev.txt (.venv, made by tools/setup-python.sh).
Without --write: exit 1 when the committed list differs from it.
  --write      write the list, dated today; a list already holding the same data is left as it is
  -h, --help   this text, and nothing else`;

/** moto's EC2 data in the project's .venv, and its version. */
export function motoData(venv = projectPath('.venv')): { resources: string; version: string } {
  const lib = join(venv, 'lib');
  const python = existsSync(lib) ? readdirSync(lib).find((d) => /^python3\.\d+$/.test(d)) : undefined;
  const site = python ? join(lib, python, 'site-packages') : '';
  const distInfo = site && existsSync(site) ? readdirSync(site).find((d) => /^moto-[\d.]+\.dist-info$/.test(d)) : undefined;
  if (!distInfo) throw new Error(`no moto in ${venv}: run bash tools/setup-python.sh first`);
  return { resources: join(site, 'moto', 'ec2', 'resources'), version: /^moto-([\d.]+)\.dist-info$/.exec(distInfo)![1] };
}

const readGzipJson = (path: string): unknown => JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));

/** The list's files, by name, as text: types.tsv and one <region>.txt per region moto has data for. */
export function generateInstanceTypeList(date: string, venv?: string): Record<string, string> {
  const { resources, version } = motoData(venv);
  const source = `moto ${version}'s EC2 data (requirements-dev.txt), generated ${date} by tools/instance-types.ts`;
  const types = readGzipJson(join(resources, 'instance_types.json.gz')) as Record<
    string,
    { VCpuInfo: { DefaultVCpus: number }; ProcessorInfo: { SupportedArchitectures: string[] } }
  >;
  const rows = Object.keys(types)
    .sort()
    .map((t) => `${t}\t${types[t].VCpuInfo.DefaultVCpus}\t${types[t].ProcessorInfo.SupportedArchitectures.join(',')}`);
  const files: Record<string, string> = {
    [INSTANCE_TYPES_FILE]: `# EC2 instance types (DescribeInstanceTypes): type, default vCPUs, architectures. ${source}\n${rows.join('\n')}\n`,
  };
  const regionDir = join(resources, 'instance_type_offerings', 'region');
  for (const file of readdirSync(regionDir).sort()) {
    const region = file.replace(/\.json\.gz$/, '');
    const offered = (readGzipJson(join(regionDir, file)) as { InstanceType: string }[]).map((o) => o.InstanceType).sort();
    files[`${region}.txt`] = `# EC2 instance types offered in ${region} (DescribeInstanceTypeOfferings). ${source}\n${offered.join('\n')}\n`;
  }
  return files;
}

/** The date in a committed list's header, so a check regenerates the same text. */
function committedDate(dir: string): string | undefined {
  const path = join(dir, INSTANCE_TYPES_FILE);
  return existsSync(path) ? /generated (\d{4}-\d{2}-\d{2})/.exec(readFileSync(path, 'utf8'))?.[1] : undefined;
}

/** The files whose committed text differs from the generated one (missing and extra ones included). */
export function staleInstanceTypeFiles(dir = INSTANCE_TYPES_DIR): string[] {
  const wanted = generateInstanceTypeList(committedDate(dir) ?? 'never');
  const present = existsSync(dir) ? readdirSync(dir) : [];
  const differing = Object.keys(wanted).filter((f) => !present.includes(f) || readFileSync(join(dir, f), 'utf8') !== wanted[f]);
  return [...differing, ...present.filter((f) => !(f in wanted))].sort();
}

/**
 * Writes the list dated `today`, unless the committed one already holds the same data: the date is
 * the data's, so a rewrite on another day changes nothing. Returns the files written.
 */
export function writeInstanceTypeList(today: string, dir = INSTANCE_TYPES_DIR): string[] {
  if (staleInstanceTypeFiles(dir).length === 0) return [];
  const files = generateInstanceTypeList(today);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return Object.keys(files);
}

function main(): void {
  const parsed = parseCommandLine(USAGE, { options: { write: { type: 'boolean' } }, allowPositionals: false });
  if (parsed.values.write) {
    const written = writeInstanceTypeList(new Date().toISOString().slice(0, 10));
    console.log(
      written.length
        ? `wrote ${written.length} files to ${INSTANCE_TYPES_DIR}`
        : `${INSTANCE_TYPES_DIR} already holds the pinned moto's data (generated ${committedDate(INSTANCE_TYPES_DIR)})`,
    );
    return;
  }
  const stale = staleInstanceTypeFiles();
  if (stale.length > 0) {
    console.error(`config/instance-types/ differs from the pinned moto's data in ${stale.join(', ')}: run npx tsx tools/instance-types.ts --write`);
    process.exit(1);
  }
  console.log('config/instance-types/ matches the pinned moto data');
}

if (require.main === module) main();
