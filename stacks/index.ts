import type { App } from 'cdktf';
import { ConfigError } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import { CACHET_SYSTEM } from './cachet/system';
import type { EnvironmentStack } from './environment-stack';
import type { SystemDescriptor } from './system';
import { WEB_SYSTEM } from './web/system';

/** Every system, by name, as it declares itself (stacks/system.ts): each gets one stack per environment (`<system>-<env>`). */
export const SYSTEMS = { cachet: CACHET_SYSTEM, web: WEB_SYSTEM } as const satisfies Record<string, SystemDescriptor>;
export type SystemName = keyof typeof SYSTEMS;

/** The systems `flag` names, each checked (every system when none is named). */
export function selectSystems(names: readonly string[] | undefined, flag = '--system'): SystemName[] {
  const known = Object.keys(SYSTEMS);
  if (!names?.length) return known as SystemName[];
  for (const name of names) {
    if (!known.includes(name)) throw new ConfigError(`${flag}: unknown system "${name}"; use ${known.join(' or ')}`);
  }
  return [...new Set(names)] as SystemName[];
}

/** The stacks the given systems (all by default) take in each environment, named, without building them. */
export function plannedStacks(
  configs: readonly EnvironmentConfig[],
  systems: readonly SystemName[] = Object.keys(SYSTEMS) as SystemName[],
): { name: string; system: SystemName; config: EnvironmentConfig }[] {
  return configs.flatMap((config) => systems.map((system) => ({ name: SYSTEMS[system].stackName(config), system, config })));
}

/**
 * The stacks of the given systems (all by default) for each environment. main.ts and the test
 * suite both build through this.
 */
export function buildStacks(
  app: App,
  configs: readonly EnvironmentConfig[],
  systems: readonly SystemName[] = Object.keys(SYSTEMS) as SystemName[],
): EnvironmentStack[] {
  return configs.flatMap((config) => systems.map((system) => SYSTEMS[system].build(app, config)));
}
