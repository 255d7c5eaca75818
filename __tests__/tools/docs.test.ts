// What `npm run docs` writes from the config schema: committed, and held to the schema here, as the
// diagrams are held to the stacks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentNames } from '../../config/load';
import { projectPath } from '../../project';
import { configurationReference, environmentJsonSchema, JSON_SCHEMA_PATH, REFERENCE_PATH, type JsonSchema } from '../../tools/docs';

/** Every field's dotted path, with its schema node, through objects, unions and lists. */
function fields(node: JsonSchema, path: string[] = []): [string, JsonSchema][] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]): [string, JsonSchema][] => {
    const at = [...path, key];
    const items = child.items ? fields(child.items, [...path, `${key}[]`]) : [];
    const nested = [child, ...(child.anyOf ?? [])].flatMap((n) => fields(n, at));
    return [[at.join('.'), child], ...nested, ...items];
  });
}

describe('generated documentation', () => {
  const schema = environmentJsonSchema();

  it('docs/environment.schema.json is what the schema generates (run npm run docs)', () => {
    expect(JSON.parse(readFileSync(JSON_SCHEMA_PATH, 'utf8'))).toEqual(schema);
  });

  it('docs/configuration.md is what the schema generates (run npm run docs)', () => {
    expect(readFileSync(REFERENCE_PATH, 'utf8')).toBe(configurationReference(schema));
  });

  it('describes every field', () => {
    const undescribed = fields(schema)
      .filter(([, node]) => !node.description)
      .map(([path]) => path);
    expect(undescribed).toEqual([]);
  });

  it('gives every field its row in the reference', () => {
    const reference = configurationReference(schema);
    const missing = fields(schema)
      .map(([path]) => path)
      .filter((path) => !reference.includes(`| \`${path}\` |`));
    expect(missing).toEqual([]);
  });

  it('has no name field: the name is the file name', () => {
    expect(Object.keys(schema.properties ?? {})).not.toContain('name');
  });

  it.each(environmentNames())('environments/%s.yaml points editors at the schema', (name) => {
    const [first] = readFileSync(projectPath('environments', `${name}.yaml`), 'utf8').split('\n');
    expect(first).toBe('# yaml-language-server: $schema=../docs/environment.schema.json');
  });
});
