import type { ZodIssue } from 'zod';
import { ENVIRONMENTS } from './environments';
import { ENVIRONMENT_NAMES, environmentConfigSchema, type EnvironmentConfig, type EnvironmentConfigInput, type EnvironmentName } from './schema';

/** Thrown for any bad configuration input; the message names the field and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The environment variable that selects environments (comma-separated), e.g. `DEPLOY_ENV=dev`. */
export const ENVIRONMENT_VARIABLE = 'DEPLOY_ENV';

function describeIssue(issue: ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `${field}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them or fix their spelling`;
  }
  if (issue.code === 'invalid_type' && issue.received === 'undefined') {
    return `${field}: is required (${issue.expected}); add it`;
  }
  return `${field}: ${issue.message}`;
}

/** Validates one environment's config; throws a ConfigError listing every problem. */
export function parseEnvironmentConfig(input: EnvironmentConfigInput | unknown, label: string): EnvironmentConfig {
  const result = environmentConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  - ${describeIssue(i)}`);
  throw new ConfigError(`Invalid configuration for environment "${label}":\n${lines.join('\n')}`);
}

function parseNames(raw: string, source: string): EnvironmentName[] {
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  if (names.length === 0) {
    throw new ConfigError(`${source} is empty; name one or more of: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  for (const name of names) {
    if (!(ENVIRONMENT_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError(`${source}: unknown environment "${name}"; use one or more of: ${ENVIRONMENT_NAMES.join(', ')} (comma-separated)`);
    }
  }
  return [...new Set(names)] as EnvironmentName[];
}

/**
 * Which environments to build: the `--env` value (`dev[,prod]`) wins, then the DEPLOY_ENV
 * variable, else every environment.
 */
export function selectEnvironments(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): EnvironmentName[] {
  if (flag !== undefined) return parseNames(flag, '--env');
  const fromEnv = env[ENVIRONMENT_VARIABLE];
  if (fromEnv !== undefined) return parseNames(fromEnv, ENVIRONMENT_VARIABLE);
  return [...ENVIRONMENT_NAMES];
}

/**
 * Validates the named environments, all of them before any is used: one ConfigError lists every
 * problem of every environment.
 */
export function loadEnvironments(names: readonly EnvironmentName[], sources: Readonly<Record<EnvironmentName, unknown>> = ENVIRONMENTS): EnvironmentConfig[] {
  const configs: EnvironmentConfig[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      const config = parseEnvironmentConfig(sources[name], name);
      if (config.name !== name) {
        throw new ConfigError(`Invalid configuration for environment "${name}":\n  - name: is "${config.name}" but the entry is "${name}"; make them match`);
      }
      configs.push(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return configs;
}
