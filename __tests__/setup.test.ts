// The setup file (__tests__/setup.ts) drops the stack trace cdktf takes of every token it creates
// (half a synth test's CPU under vitest's source maps), and nothing else.
import { Lazy, TerraformStack, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';

describe('the test setup', () => {
  it('leaves a cdktf token without a creation stack, as the synth bundle does', () => {
    // WHEN cdktf creates a token
    const token = Lazy.anyValue({ produce: () => 'x' });
    // THEN it took no stack trace
    expect(token.creationStack).toEqual([]);
  });

  it('keeps an error stack mapped to the TypeScript line that threw', () => {
    const line = 16; // the line of `new Error` below
    const error = new Error('where');
    expect(error.stack).toMatch(new RegExp(`setup\\.test\\.ts:${line}:\\d+`));
  });

  it('keeps the trace a plain object captures outside cdktf', () => {
    const holder = { stack: '' };
    Error.captureStackTrace(holder);
    expect(holder.stack).toMatch(/setup\.test\.ts:\d+/);
  });

  it('keeps the errors cdktf raises, with their stacks', () => {
    // GIVEN a stack holding two constructs with the same id
    const stack = new TerraformStack(Testing.app(), 'stack');
    new TerraformStack(stack, 'twin');
    // WHEN a second is added THEN constructs' error carries a trace
    expect.assertions(2);
    try {
      new TerraformStack(stack, 'twin');
    } catch (error) {
      expect((error as Error).message).toMatch(/There is already a Construct with name 'twin'/);
      expect((error as Error).stack).toMatch(/setup\.test\.ts:\d+/);
    }
  });
});
