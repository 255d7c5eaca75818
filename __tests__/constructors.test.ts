// A construct's constructor reads as a table of contents: checks first, then one line or a private
// step with an intent name per part (docs/operations.md, "Splitting a constructor keeps every
// address"). A constructor that grows to the limit fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../project';

const MAX_LINES = 80;

/** `[class, lines]` of every constructor with a body in a TypeScript source text. */
export function constructorLengths(fileName: string, text: string): [string, number][] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: [string, number][] = [];
  const visit = (node: ts.Node) => {
    if (ts.isConstructorDeclaration(node) && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push([(node.parent as ts.ClassLikeDeclaration).name?.text ?? '(anonymous)', last - first + 1]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const sources = (dir: string): string[] =>
  readdirSync(projectPath(dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));

describe('constructors', () => {
  const all = ['constructs', 'stacks']
    .flatMap(sources)
    .flatMap((file) => constructorLengths(file, readFileSync(projectPath(file), 'utf8')).map(([name, lines]) => ({ file, name, lines })));

  it('are found in every construct and stack', () => {
    expect(all.map((c) => c.name)).toEqual(expect.arrayContaining(['CachetBeanstalk', 'DeliveryPipeline', 'WebStack', 'Network']));
  });

  it(`stay under ${MAX_LINES} lines in constructs/ and stacks/`, () => {
    expect(all.filter((c) => c.lines >= MAX_LINES).map((c) => `${c.file} ${c.name}: ${c.lines} lines`)).toEqual([]);
  });

  it('counts from the signature to the closing brace', () => {
    const body = Array.from({ length: 90 }, (_, i) => `    this.x${i} = ${i};`).join('\n');
    const text = `class Big {\n  constructor() {\n${body}\n  }\n}\nclass Small {\n  constructor(readonly a: number) {}\n}\n`;
    expect(constructorLengths('x.ts', text)).toEqual([
      ['Big', 92],
      ['Small', 1],
    ]);
  });
});
