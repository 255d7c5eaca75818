// The tree is the architecture, and its layers point one way: reusable constructs know nothing of
// the application; the systems (stacks/) compose constructs from config; operator tools and the test
// harness sit on top. Each rule below reads the relative imports of every source file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../project';

const ROOT = projectPath();

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(entry) ? [path] : [];
  });
}

/** The project-relative targets of a file's relative imports (`import ... from './x'`, `import('./x')`). */
export function relativeImports(file: string, text: string): string[] {
  const found = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return found.map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec)));
}

/** [layer, the top-level folders (or files) it must not import, why]. */
const RULES: readonly [string, readonly string[], string][] = [
  ['constructs', ['config', 'stacks', 'tools', 'harness', 'main', 'cli', 'project', '__tests__'], 'reusable constructs take everything through props'],
  ['config', ['stacks', 'tools', 'harness', 'main', 'cli', '__tests__'], 'config is data and its schema; rules it shares with constructs live in constructs/'],
  ['stacks', ['tools', 'harness', 'main', 'cli', '__tests__'], 'the systems are what synth runs; tools and tests build on them'],
  ['harness', ['tools', 'main', '__tests__'], 'the harness runs what the suite and the tools ask; tools build on it, not the reverse'],
  ['tools', ['main', '__tests__'], 'operator tools never depend on tests'],
];

describe('layers', () => {
  it.each(RULES)('%s imports none of %j (%s)', (layer, forbidden) => {
    const offending = sourceFiles(layer).flatMap((file) =>
      relativeImports(file, readFileSync(join(ROOT, file), 'utf8'))
        .filter((target) => forbidden.includes(target.split('/')[0]))
        .map((target) => `${file} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('the command-line parser every script shares (cli.ts) imports only the config', () => {
    const targets = relativeImports('cli.ts', readFileSync(join(ROOT, 'cli.ts'), 'utf8'));
    expect(targets.filter((t) => !t.startsWith('config/'))).toEqual([]);
  });

  it('finds a forbidden import when there is one (the reader works)', () => {
    expect(relativeImports('constructs/x.ts', "import { a } from '../config/schema';\nconst b = await import('./y');")).toEqual([
      'config/schema',
      'constructs/y',
    ]);
  });
});
