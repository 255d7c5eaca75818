// runProcess: a child's output, status and input, without blocking the worker.
import { describe, expect, it } from 'vitest';
import { runProcess } from './process';

describe('runProcess', () => {
  it('gives the status and both outputs', async () => {
    expect(await runProcess('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({ status: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
  });

  it('writes the input to the child', async () => {
    expect((await runProcess('cat', [], { input: 'hello' })).stdout).toBe('hello');
  });

  it('resolves when the child exits without reading a large input (no EPIPE from the closed pipe)', async () => {
    expect((await runProcess('true', [], { input: 'x'.repeat(4 << 20) })).status).toBe(0);
  });

  it('kills a child that outlasts its timeout', async () => {
    expect((await runProcess('sleep', ['30'], { timeout: 200 })).signal).toBe('SIGTERM');
  });
});
