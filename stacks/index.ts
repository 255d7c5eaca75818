import type { App } from 'cdktf';
import { ConfigError } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import { CachetStack, cachetStackName } from './cachet/cachet-stack';
import type { EnvironmentStack } from './environment-stack';
import { WebStack, webStackName } from './web/web-stack';

/** Every system, by name: each gets one stack per environment (`<system>-<env>`), named by `stackName`. */
export const SYSTEMS = {
  cachet: { build: (app: App, config: EnvironmentConfig): EnvironmentStack => new CachetStack(app, config), stackName: cachetStackName },
  web: { build: (app: App, config: EnvironmentConfig): EnvironmentStack => new WebStack(app, config), stackName: webStackName },
} as const;
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
