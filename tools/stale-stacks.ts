import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes `<outdir>/stacks/<name>` for every stack not in `keep`, so a narrowed synth leaves only
 * what it built. A folder holding a Terraform state file is kept (state is never thrown away here).
 * Returns what it removed and what it kept for that reason.
 */
export function removeStaleStackDirs(outdir: string, keep: readonly string[]): { removed: string[]; keptForState: string[] } {
  const dir = join(outdir, 'stacks');
  const removed: string[] = [];
  const keptForState: string[] = [];
  if (!existsSync(dir)) return { removed, keptForState };
  for (const name of readdirSync(dir).sort()) {
    if (keep.includes(name)) continue;
    if (readdirSync(join(dir, name)).some((f) => f.endsWith('.tfstate'))) {
      keptForState.push(name);
      continue;
    }
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return { removed, keptForState };
}
