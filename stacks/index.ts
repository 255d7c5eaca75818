import type { App } from 'cdktf';
import type { EnvironmentConfig } from '../config/schema';
import { CachetStack } from './cachet-stack';
import type { EnvironmentStack } from './environment-stack';
import { WebStack } from './web-stack';

/** Every system's stack for each environment. main.ts and the test suite both build through this. */
export function buildStacks(app: App, configs: readonly EnvironmentConfig[]): EnvironmentStack[] {
  return configs.flatMap((config) => [new CachetStack(app, config), new WebStack(app, config)]);
}
