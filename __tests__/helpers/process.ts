// Child processes for tests, without blocking the worker: spawnSync and execFileSync hold the
// worker's event loop while the child runs, and vitest ends the whole run when that lasts a minute
// ("Timeout calling onTaskUpdate"; docs/testing.md, "No worker may block for a minute").
import { spawn, type SpawnOptions } from 'node:child_process';

export interface ProcessResult {
  /** The exit status, or null when a signal ended the process. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ProcessOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** Written to the child's standard input, which is then closed. @default - empty input */
  readonly input?: string;
  /** Milliseconds after which the child is killed (SIGTERM). @default - no limit */
  readonly timeout?: number;
}

/** Runs `command` to its end, like spawnSync with `encoding: 'utf8'`, and rejects only when it cannot start. */
export function runProcess(command: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = options.timeout === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    if (child.stdin) {
      // A child that exits without reading its input (a refusal) closes the pipe: not an error of ours.
      child.stdin.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') reject(error);
      });
      child.stdin.end(options.input);
    }
  });
}
