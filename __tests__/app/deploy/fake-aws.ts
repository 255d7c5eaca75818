// The fake `aws` (fake-aws.sh) in a directory of its own, with the answer files a test writes: put it
// first on PATH, run the script, and read back every call it recorded.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeAws {
  readonly dir: string;
  /** PATH with the fake first, and where it keeps its files. */
  readonly env: { readonly PATH: string; readonly FAKE_AWS_DIR: string };
  /** Every call's arguments, in order. */
  calls(): string[][];
}

/** `answers`: file name -> content (see fake-aws.sh); `failing`: `<service>-<command>` calls that fail with AWS's kind of error. */
export function fakeAws(answers: Record<string, string>, failing: readonly string[] = []): FakeAws {
  const dir = mkdtempSync(join(tmpdir(), 'fake-aws-'));
  copyFileSync(join(__dirname, 'fake-aws.sh'), join(dir, 'aws'));
  spawnSync('chmod', ['+x', join(dir, 'aws')]);
  for (const [name, content] of Object.entries(answers)) writeFileSync(join(dir, name), `${content}\n`);
  for (const call of failing) writeFileSync(join(dir, `fail-${call}`), `An error occurred (${call})\n`);
  const file = join(dir, 'calls');
  return {
    dir,
    env: { PATH: `${dir}:${process.env.PATH}`, FAKE_AWS_DIR: dir },
    calls: () =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .map((line) => line.split('\x1f'))
        : [],
  };
}
