import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import { localStateFileName } from '../stacks/environment-stack';

/** The resources a local state file holds, and the region of the first ARN among them (if any). */
function stateContents(file: string): { resources: number; region?: string } {
  let state: { resources?: { instances?: { attributes?: Record<string, unknown> }[] }[] };
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not a Terraform state file (${(error as Error).message}); restore it from its backup (${file}.backup) or move it away`);
  }
  const resources = state.resources ?? [];
  const arn = resources
    .flatMap((r) => r.instances ?? [])
    .map((i) => String(i.attributes?.arn ?? ''))
    .find((a) => /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z]{2}(-[a-z]+)+-\d:/.test(a));
  return { resources: resources.length, region: arn?.split(':')[3] };
}

/**
 * Refuses, before anything is written, to synthesize a stack with local state for one region while
 * a local state file of the same stack still holds resources in another: the stack's `region` was
 * changed, and the old region's resources would keep running (and billing) with nothing managing
 * them. A state file from before the file name carried the region is named for renaming.
 * `root` is where the local backend keeps state (the parent of cdktf.out).
 */
export function checkLocalStateRegions(root: string, stacks: readonly { readonly name: string; readonly config: EnvironmentConfig }[]): void {
  const files = existsSync(root) ? readdirSync(root) : [];
  const problems: string[] = [];
  for (const stack of stacks) {
    const { name: env, region, state } = stack.config;
    if (state.backend !== 'local') continue;
    const { name } = stack;
    const current = localStateFileName(name, region);
    const legacy = `terraform.${name}.tfstate`;
    for (const file of files.filter((f) => f === legacy || (f.startsWith(`terraform.${name}.`) && f.endsWith('.tfstate') && f !== current))) {
      const { resources, region: held } = stateContents(join(root, file));
      if (resources === 0) continue;
      if (file === legacy) {
        const to = localStateFileName(name, held ?? region);
        problems.push(
          `region: ${file} holds ${name}'s ${resources} resources from before the state file named its region; rename it: mv ${file} ${to}${held && held !== region ? ` (its resources are in ${held}, not ${region}: see below)` : ''}`,
        );
        continue;
      }
      const other = file.slice(`terraform.${name}.`.length, -'.tfstate'.length);
      problems.push(
        `region: environments/${env}.yaml says ${region}, but ${file} still holds ${resources} resources of ${name} in ${other}; a region change would leave them running with nothing managing them. Destroy them first with region: ${other} (npx cdktf destroy ${name}), or move the file away if they are gone`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
}
