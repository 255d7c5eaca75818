import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import type { ZodIssue } from 'zod';
import { projectPath } from '../project';
import { ENVIRONMENT_NAME, environmentConfigSchema, type EnvironmentConfig } from './schema';

/** Thrown for any bad configuration input; the message names the field and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Where the environments live: one `<name>.yaml` each. */
export const ENVIRONMENTS_DIR = projectPath('environments');

/** The environment variable that selects environments (comma-separated), e.g. `DEPLOY_ENV=dev`. */
export const ENVIRONMENT_VARIABLE = 'DEPLOY_ENV';

const FILE_SUFFIX = '.yaml';

/** The environments there are, by name, sorted: every `<name>.yaml` in `dir`. */
export function environmentNames(dir = ENVIRONMENTS_DIR): string[] {
  if (!existsSync(dir)) throw new ConfigError(`${dir} does not exist; add one <name>.yaml per environment there (see docs/configuration.md)`);
  const entries = readdirSync(dir, { withFileTypes: true });
  // A file that looks like an environment but would be passed over is refused, not ignored.
  const misnamed = entries.filter((e) => e.isFile() && /\.yml$/i.test(e.name)).map((e) => e.name);
  if (misnamed.length > 0) {
    throw new ConfigError(
      `${dir}: ${misnamed.join(', ')}: environment files end in ${FILE_SUFFIX}; rename ${misnamed.length > 1 ? 'them' : 'it'} (git mv ${misnamed[0]} ${misnamed[0].replace(/\.yml$/i, FILE_SUFFIX)})`,
    );
  }
  const folders = entries.filter((e) => !e.isFile() && e.name.endsWith(FILE_SUFFIX)).map((e) => e.name);
  if (folders.length > 0)
    throw new ConfigError(`${dir}: ${folders.join(', ')} is not a file; an environment is a file <name>${FILE_SUFFIX}: move the folder away`);
  const names = entries
    .filter((e) => e.name.endsWith(FILE_SUFFIX))
    .map((e) => e.name.slice(0, -FILE_SUFFIX.length))
    .sort();
  if (names.length === 0) throw new ConfigError(`${dir} holds no <name>.yaml; add one per environment (see docs/configuration.md)`);
  return names;
}

/** An environment file's content as data; YAML mistakes (syntax, a key written twice) name the file, line and column. */
export function readEnvironmentFile(name: string, dir = ENVIRONMENTS_DIR): unknown {
  const path = join(dir, `${name}${FILE_SUFFIX}`);
  const shown = relative(process.cwd(), path) || path;
  if (!existsSync(path)) throw new ConfigError(`${shown}: no such file`);
  const document = parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(`${shown} is not valid YAML:\n${document.errors.map((e) => `  - ${e.message.split('\n')[0]}`).join('\n')}`);
  }
  return document.toJS();
}

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

/**
 * Validates one environment's content (as read from its file; the name comes from the file name);
 * throws a ConfigError listing every problem.
 */
export function parseEnvironmentConfig(content: unknown, name: string): EnvironmentConfig {
  const header = `Invalid configuration for environment "${name}" (environments/${name}${FILE_SUFFIX}):`;
  const isObject = typeof content === 'object' && content !== null && !Array.isArray(content);
  if (isObject && 'name' in content) {
    throw new ConfigError(`${header}\n  - name: comes from the file name; remove the field`);
  }
  const result = environmentConfigSchema.safeParse(isObject ? { ...content, name } : content);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  - ${describeIssue(i)}`);
  throw new ConfigError(`${header}\n${lines.join('\n')}`);
}

function parseNames(raw: string, source: string, available: readonly string[]): string[] {
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  if (names.length === 0) {
    throw new ConfigError(`${source} is empty; name one or more of: ${available.join(', ')}`);
  }
  for (const name of names) {
    if (!available.includes(name)) {
      const hint = ENVIRONMENT_NAME.test(name) ? `add environments/${name}${FILE_SUFFIX} or use` : 'use';
      throw new ConfigError(`${source}: unknown environment "${name}"; ${hint} one or more of: ${available.join(', ')} (comma-separated)`);
    }
  }
  return [...new Set(names)];
}

/**
 * Which environments to build: the `--env` value (`dev[,prod]`) wins, then the DEPLOY_ENV
 * variable, else every environment there is.
 */
export function selectEnvironments(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  available: readonly string[] = environmentNames(),
): string[] {
  if (flag !== undefined) return parseNames(flag, '--env', available);
  const fromEnv = env[ENVIRONMENT_VARIABLE];
  if (fromEnv !== undefined) return parseNames(fromEnv, ENVIRONMENT_VARIABLE, available);
  return [...available];
}

/**
 * Reads and validates the named environments, all of them before any is used: one ConfigError
 * lists every problem of every environment. `contents` stands in for the files (tests).
 */
export function loadEnvironments(names: readonly string[], contents?: Readonly<Record<string, unknown>>): EnvironmentConfig[] {
  const configs: EnvironmentConfig[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      configs.push(parseEnvironmentConfig(contents ? contents[name] : readEnvironmentFile(name), name));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return configs;
}
