import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

let root: string | undefined;

/**
 * A path inside this project: found by walking up from this module to the directory holding
 * cdktf.json, so it is the same whether the code runs from its sources (tsx, vitest) or from the
 * prebuilt synth bundle, wherever that bundle sits in the project.
 */
export function projectPath(...segments: string[]): string {
  if (root === undefined) {
    let dir = __dirname;
    while (!existsSync(join(dir, 'cdktf.json'))) {
      const parent = dirname(dir);
      if (parent === dir) throw new Error(`no cdktf.json above ${__dirname}: run from inside the project`);
      dir = parent;
    }
    root = dir;
  }
  return resolve(root, ...segments);
}
