import type { App } from 'cdktf';
import type { EnvironmentConfig } from '../config/schema';
import { CachetStack } from './cachet-stack';
import type { EnvironmentStack } from './environment-stack';
import { WebStack } from './web-stack';

/** Every system, by name: each gets one stack per environment (`<system>-<env>`). */
export const SYSTEMS = {
  cachet: (app: App, config: EnvironmentConfig): EnvironmentStack => new CachetStack(app, config),
  web: (app: App, config: EnvironmentConfig): EnvironmentStack => new WebStack(app, config),
} as const;
export type SystemName = keyof typeof SYSTEMS;

/**
 * The stacks of the given systems (all by default) for each environment. main.ts and the test
 * suite both build through this.
 */
export function buildStacks(
  app: App,
  configs: readonly EnvironmentConfig[],
  systems: readonly SystemName[] = Object.keys(SYSTEMS) as SystemName[],
): EnvironmentStack[] {
  return configs.flatMap((config) => systems.map((system) => SYSTEMS[system](app, config)));
}
