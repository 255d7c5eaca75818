import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../project';

/**
 * The dated list of EC2 instance types the configuration is checked against: `types.tsv` (every
 * type, its default vCPUs and architectures) and one `<region>.txt` per region (the types offered
 * there). Generated from the pinned moto's recording of AWS's answers by tools/instance-types.ts;
 * each file's first line says from what and when.
 */
export const INSTANCE_TYPES_DIR = projectPath('config', 'instance-types');
export const INSTANCE_TYPES_FILE = 'types.tsv';

export interface InstanceTypeInfo {
  readonly vcpus: number;
  readonly architectures: readonly string[];
}

const dataLines = (text: string) => text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));

let types: ReadonlyMap<string, InstanceTypeInfo> | undefined;
const offerings = new Map<string, ReadonlySet<string> | undefined>();

/** Every EC2 instance type of the list, by name. */
export function instanceTypes(): ReadonlyMap<string, InstanceTypeInfo> {
  types ??= new Map(
    dataLines(readFileSync(join(INSTANCE_TYPES_DIR, INSTANCE_TYPES_FILE), 'utf8')).map((line) => {
      const [name, vcpus, architectures] = line.split('\t');
      return [name, { vcpus: Number(vcpus), architectures: architectures.split(',') }];
    }),
  );
  return types;
}

/** The types offered in `region`, or undefined when the list has no data for that region. */
export function regionOfferings(region: string): ReadonlySet<string> | undefined {
  if (!offerings.has(region)) {
    const path = join(INSTANCE_TYPES_DIR, `${region}.txt`);
    offerings.set(region, existsSync(path) ? new Set(dataLines(readFileSync(path, 'utf8'))) : undefined);
  }
  return offerings.get(region);
}

/** Where the list comes from and when, as its files' first line says. */
export function instanceTypeListSource(): string {
  const header = readFileSync(join(INSTANCE_TYPES_DIR, INSTANCE_TYPES_FILE), 'utf8').split('\n')[0];
  return /(moto .*)$/.exec(header)?.[1] ?? header;
}
