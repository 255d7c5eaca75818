// `npm run docs`: writes what is generated from the config schema, so it cannot drift from it: the
// JSON Schema editors validate environments/<name>.yaml with (docs/environment.schema.json) and the
// configuration reference (docs/configuration.md). A test regenerates both and compares.
import { writeFileSync } from 'node:fs';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { AWS_REGIONS } from '../config/aws-regions';
import { instanceTypeListSource, regionOfferings } from '../config/instance-types';
import { environmentFileSchema } from '../config/schema';
import { projectPath } from '../project';
import { parseCommandLine } from '../cli';

export const JSON_SCHEMA_PATH = projectPath('docs', 'environment.schema.json');
export const REFERENCE_PATH = projectPath('docs', 'configuration.md');

/** A JSON Schema node, as far as the reference reads it. */
export interface JsonSchema {
  readonly type?: string | string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Record<string, JsonSchema>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxLength?: number;
}

/** The JSON Schema of an environment file, for editors (`# yaml-language-server: $schema=...`). */
export function environmentJsonSchema(): JsonSchema {
  const schema = zodToJsonSchema(environmentFileSchema, { $refStrategy: 'none', target: 'jsonSchema7' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'Environment',
    description: 'One environment of the project: environments/<name>.yaml. Generated from config/schema.ts by `npm run docs`.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  } as JsonSchema;
}

/** The property that tells a union's object shapes apart, and its value in this shape. */
function discriminator(variant: JsonSchema): [string, unknown] | undefined {
  const found = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined);
  return found && [found[0], found[1].const];
}

function typeOf(node: JsonSchema): string {
  const tags = node.anyOf?.map(discriminator);
  if (tags?.length && tags.every((t) => t !== undefined)) {
    return `object, by \`${tags[0]![0]}\`: ${tags.map((t) => `\`${JSON.stringify(t![1])}\``).join(' \\| ')}`;
  }
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' \\| ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'values'}`;
  if (node.type === 'object' && !node.properties) return 'map of string';
  return [node.type ?? 'any'].flat().join(' \\| ');
}

function limits(node: JsonSchema): string {
  const parts: string[] = [];
  if (node.minimum !== undefined) parts.push(`min ${node.minimum}`);
  if (node.maximum !== undefined) parts.push(`max ${node.maximum}`);
  if (node.minItems !== undefined) parts.push(`at least ${node.minItems}`);
  if (node.maxLength !== undefined) parts.push(`at most ${node.maxLength} characters`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** A table of fields: those under `node`, at `path`; `shape` names one shape of a union. */
interface Section {
  readonly path: string[];
  readonly node: JsonSchema;
  readonly shape?: string;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Rows `| field | type | default | description |` for every field under `node`, depth first. */
function rows(node: JsonSchema, path: string[], out: string[], sections: Section[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const at = [...path, key];
    const required = node.required?.includes(key) ?? false;
    const shown = child.default !== undefined ? `\`${JSON.stringify(child.default)}\`` : required ? 'required' : '-';
    out.push(`| \`${at.join('.')}\` | ${typeOf(child)}${limits(child)} | ${shown} | ${cell(child.description ?? '')} |`);
    if (child.properties) sections.push({ path: at, node: child });
    if (child.items?.properties) sections.push({ path: [...at.slice(0, -1), `${key}[]`], node: child.items });
    for (const variant of child.anyOf ?? []) {
      const tag = discriminator(variant);
      if (variant.properties && tag) sections.push({ path: at, node: variant, shape: `\`${tag[0]}: ${JSON.stringify(tag[1])}\`` });
    }
  }
}

/** The configuration reference, generated from the JSON Schema. */
export function configurationReference(schema: JsonSchema = environmentJsonSchema()): string {
  const unlisted = AWS_REGIONS.filter((r) => regionOfferings(r) === undefined);
  const out = [
    '<!-- Generated from config/schema.ts by `npm run docs`; a test fails when it drifts. Edit the schema, not this file. -->',
    '# Configuration reference',
    '',
    'One file per environment, `environments/<name>.yaml`: the file name is the environment name (2-16 lower-case',
    'letters or digits), and the stacks are `cachet-<name>` and `web-<name>`. Add an environment by adding a file.',
    'Editors validate the files with [`environment.schema.json`](environment.schema.json) (the first line of each',
    'example names it). `npm run synth` validates every environment and reports every problem of every one at once,',
    'naming the field and the fix; the rules that span fields (subnets inside the VPC and not overlapping, one subnet',
    'per availability zone, readers within the AZs, the production safeguards, name lengths) are in',
    '`checkCrossFieldRules` in `config/schema.ts`.',
    '',
    'The files are UTF-8 (a byte that is not is refused at its line and column) and YAML 1.2, so: quote account ids',
    'and other digits meant as text (`accountId: "012345678901"`; unquoted, they are a number and lose leading',
    'zeros); write `true`/`false` (YAML 1.2 reads `yes`, `no`, `on` and `off` as text); write numbers without quotes.',
    'A file ending in `.yml` is refused with the rename, not passed over.',
    '',
    `Instance types (\`cachet.instanceType\`, \`webapp.instanceType\`, \`webapp.delivery.jenkins.instanceType\`) are checked`,
    `against the dated list in \`config/instance-types/\` (${instanceTypeListSource()}): the type exists, runs`,
    `x86_64 (the architecture of the images and releases), and is offered in the region. The list has no data for ${unlisted.join(' and ')}: instance types are not checked in ${unlisted.join(' or ')}`,
    'beyond existing and their architecture. The list moves with the moto pin (`npx tsx tools/instance-types.ts --write`); a',
    'type AWS offers in a zone but not in every zone of the region is not caught (the list is per region).',
    '',
  ];
  const sections: Section[] = [{ path: [], node: schema }];
  for (const { path, node, shape } of sections) {
    const title = path.length === 0 ? 'Top level' : `\`${path.join('.')}\`${shape ? ` with ${shape}` : ''}`;
    out.push(`## ${title}`, '');
    if (path.length > 0 && node.description && !shape) out.push(node.description, '');
    out.push('| Field | Type | Default | Description |', '| --- | --- | --- | --- |');
    rows(node, path, out, sections);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

const USAGE = `usage: npm run docs

Writes docs/environment.schema.json and docs/configuration.md from config/schema.ts.
  -h, --help  this text, and nothing else`;

if (require.main === module) {
  parseCommandLine(USAGE, {});
  writeFileSync(JSON_SCHEMA_PATH, `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`);
  writeFileSync(REFERENCE_PATH, configurationReference());
  console.log(`wrote ${JSON_SCHEMA_PATH} and ${REFERENCE_PATH}`);
}
