// The cdktf CLI over this app, as the README runs it: a synth narrowed by DEPLOY_ENV after a wider
// one. The CLI removes the stack folders the new manifest leaves out, from a list it takes before
// running the app; main.ts must leave that to it (it removed them first, and the CLI then failed with
// ENOENT).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { environmentNames } from '../../config/load';
import { projectPath } from '../../project';

/** `cdktf synth` into `output`; asynchronous, as it can outlast a minute on a busy machine. */
async function cdktfSynth(output: string, env: Record<string, string> = {}): Promise<{ status: number; log: string }> {
  const { DEPLOY_ENV: _ignored, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(join(projectPath('node_modules', '.bin'), 'cdktf'), ['synth', '--output', output], {
      cwd: projectPath(),
      env: { ...inherited, CHECKPOINT_DISABLE: '1', CI: '1', ...env },
      encoding: 'utf8',
      timeout: 240_000,
    });
    return { status: 0, log: stderr + stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : 1, log: `${e.stderr ?? ''}${e.stdout ?? ''}` };
  }
}

describe('cdktf synth', () => {
  it('narrows to DEPLOY_ENV after a synth of every environment, leaving only its stacks', async () => {
    // GIVEN every stack synthesized by the CLI
    const output = join(mkdtempSync(join(tmpdir(), 'cdktf-cli-')), 'out');
    const wide = await cdktfSynth(output);
    expect(wide.status, wide.log).toBe(0);
    expect(readdirSync(join(output, 'stacks')).sort()).toEqual(
      environmentNames()
        .flatMap((n) => [`cachet-${n}`, `web-${n}`])
        .sort(),
    );
    // WHEN the CLI synthesizes dev only THEN it succeeds and only dev's folders remain
    const narrow = await cdktfSynth(output, { DEPLOY_ENV: 'dev' });
    expect(narrow.status, narrow.log).toBe(0);
    expect(readdirSync(join(output, 'stacks')).sort()).toEqual(['cachet-dev', 'web-dev']);
  }, 480_000);
});
