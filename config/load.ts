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

/**
 * An environment file's content as data. Mistakes name the file, line and column, with the line
 * itself: bytes that are not UTF-8, YAML syntax, a key written twice, an alias to no anchor.
 */
export function readEnvironmentFile(name: string, dir = ENVIRONMENTS_DIR): unknown {
  const path = join(dir, `${name}${FILE_SUFFIX}`);
  const shown = relative(process.cwd(), path) || path;
  if (!existsSync(path)) throw new ConfigError(`${shown}: no such file`);
  const text = decodeUtf8(readFileSync(path), shown);
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    const [first, ...rest] = document.errors;
    const more = rest.length > 0 ? `\n  (${rest.length} more error${rest.length > 1 ? 's' : ''} after it, often caused by this one: fix it first)` : '';
    throw new ConfigError(`${shown} is not valid YAML:\n  - ${first.message.trimEnd().replace(/\n/g, '\n    ')}${more}`);
  }
  try {
    return document.toJS();
  } catch (error) {
    throw new ConfigError(`${shown} is not valid YAML: ${(error as Error).message}`);
  }
}

/** The file's text; a byte sequence that is not UTF-8 is refused at its line and column (read leniently, it would become U+FFFD in the output). */
function decodeUtf8(bytes: Buffer, shown: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const lines = lenient.slice(0, lenient.indexOf('\uFFFD')).split('\n');
    throw new ConfigError(
      `${shown}: line ${lines.length}, column ${lines[lines.length - 1].length + 1} holds bytes that are not UTF-8 (the file was probably saved as Latin-1 or Windows-1252); save it as UTF-8`,
    );
  }
}

/** The value at `path` in `content`, or undefined. */
function valueAt(content: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[key] : undefined), content);
}

const YAML_1_1_BOOLEANS: Readonly<Record<string, boolean>> = { yes: true, y: true, on: true, true: true, no: false, n: false, off: false, false: false };

/** zod's names for the types, as YAML calls them. */
const YAML_KIND: Readonly<Record<string, string>> = {
  array: 'list',
  object: 'mapping',
  string: 'text',
  integer: 'whole number',
};
const kind = (type: string) => YAML_KIND[type] ?? type;

/** What is wrong with a value of the wrong type, in YAML's terms, and how to write it. */
function describeType(issue: ZodIssue & { code: 'invalid_type' }, value: unknown): string {
  const { expected, received } = issue;
  if (issue.path.length === 0) {
    return received === 'null'
      ? 'the file is empty; start from a copy of another environment file (docs/configuration.md lists every field)'
      : `the file holds a ${kind(received)}; it must be a mapping of fields (project: ..., accountId: ..., region: ...)`;
  }
  if (received === 'null')
    return `has no value (nothing after the colon); write a ${kind(expected)}, or delete the line to take the field's default (docs/configuration.md)`;
  if (expected === 'integer') return `${String(value)} must be a whole number`;
  if (expected === 'number' && typeof value === 'string') {
    return value.trim() !== '' && Number.isFinite(Number(value))
      ? `"${value}" is text (quoted); write the number without quotes: ${value.trim()}`
      : `"${value}" is text; write a number`;
  }
  if (expected === 'boolean' && typeof value === 'string') {
    const meant = YAML_1_1_BOOLEANS[value.toLowerCase()];
    return meant === undefined
      ? `"${value}" is text; write true or false`
      : `"${value}" is text: YAML 1.2 reads only true and false as booleans; write ${meant}`;
  }
  if (expected === 'string' && (received === 'number' || received === 'boolean')) {
    const zeros = received === 'number' ? ', dropping any leading zeros' : '';
    return `is the ${received} ${String(value)} (YAML reads it unquoted as a ${received}${zeros}); write it in quotes as written, e.g. "${String(value)}"`;
  }
  if (expected === 'array') return `must be a list (one "- item" per line), not a ${kind(received)}`;
  if (expected === 'object') return `must be a mapping (indented "key: value" lines), not a ${kind(received)}`;
  return `must be a ${kind(expected)}, not a ${kind(received)}`;
}

function describeIssue(issue: ZodIssue, content: unknown): string {
  const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `${field}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them or fix their spelling`;
  }
  if (issue.code === 'invalid_type' && issue.received === 'undefined') {
    return `${field}: is required (${issue.expected}); add it`;
  }
  if (issue.code === 'invalid_type') return `${field}: ${describeType(issue, valueAt(content, issue.path))}`;
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
  const lines = result.error.issues.map((i) => `  - ${describeIssue(i, content)}`);
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
