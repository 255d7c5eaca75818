// Strict command lines for every `npm run` script: node:util's parseArgs with strict checking;
// `--help` (or `-h`) prints the usage and exits 0 before anything runs; an unknown, repeated or
// malformed argument prints the problem and the usage and exits 2, also before anything runs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, selectEnvironments } from './config/load';

export type CliConfig = Omit<ParseArgsConfig, 'args' | 'strict'>;

export interface ParsedCommandLine {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** Parses `argv` for `usage` (its first line is `usage: ...`); see the file comment. */
export function parseCommandLine(usage: string, config: CliConfig, argv: readonly string[] = process.argv.slice(2)): ParsedCommandLine {
  const end = argv.indexOf('--');
  const own = end >= 0 ? argv.slice(0, end) : argv;
  if (own.includes('--help') || own.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  try {
    const { values, positionals } = parseArgs({ ...config, args: [...argv], strict: true });
    for (const [name, option] of Object.entries(config.options ?? {})) {
      const given = own.filter((a) => a === `--${name}` || a.startsWith(`--${name}=`) || (option.short !== undefined && a === `-${option.short}`)).length;
      if (!option.multiple && given > 1) throw new Error(`--${name} is given ${given} times; give it once`);
    }
    return { values: values as ParsedCommandLine['values'], positionals };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
}

/** An option's value as a string, or undefined. */
export function stringValue(parsed: ParsedCommandLine, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A numeric option: its value, `fallback` when absent; exits 2 naming the option when not a number in range. */
export function numberValue(parsed: ParsedCommandLine, name: string, fallback: number, usage: string, min = 0): number {
  const text = stringValue(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    process.stderr.write(`--${name} "${text}" is not a number of at least ${min}\n\n${usage}\n`);
    process.exit(2);
  }
  return value;
}

/**
 * The environments `--env` names (else $DEPLOY_ENV, else every environment), each checked; an
 * unknown one prints the problem and its fix and exits 2, before anything runs.
 */
export function selectedEnvironments(parsed: ParsedCommandLine): string[] {
  try {
    return selectEnvironments(stringValue(parsed, 'env'), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/** An error class whose message is the whole story: bad input the tool names, with the fix. */
export type InputErrorClass = abstract new (...args: never[]) => Error;

/**
 * The exit handling every script shares: runs `main` and exits with the code it returns (0 when it
 * returns nothing). An error of one of `inputErrors` prints `<tool>: <message>` and exits 2, as a bad
 * argument does; any other error prints its message, without a stack trace, and exits 1.
 */
export function runMain(tool: string, main: () => number | void | Promise<number | void>, inputErrors: readonly InputErrorClass[] = []): void {
  Promise.resolve()
    .then(() => main())
    .then(
      (code) => process.exit(code ?? 0),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const input = inputErrors.some((kind) => error instanceof kind);
        process.stderr.write(`${input ? `${tool}: ` : ''}${message}\n`);
        process.exit(input ? 2 : 1);
      },
    );
}
