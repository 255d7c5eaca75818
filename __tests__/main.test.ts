// main.ts as users run it (a separate process, never imported): environment selection, and bad
// input refused before anything is written.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentNames } from '../config/load';

const ROOT = resolve(__dirname, '..');

/**
 * main.ts as `npm run synth` runs it: through its prebuilt bundle (tools/synth.mjs, one plain node
 * process), or from its sources through tsx (`sources`), which the bundle must match.
 */
async function synth(
  args: string[],
  env: Record<string, string> = {},
  outdir = join(mkdtempSync(join(tmpdir(), 'main-')), 'cdktf.out'),
  from: 'bundle' | 'sources' = 'bundle',
) {
  const { DEPLOY_ENV: _ignored, ...inherited } = process.env;
  const entry = from === 'bundle' ? ['tools/synth.mjs'] : ['--import', 'tsx', 'main.ts'];
  // Asynchronous: a worker blocked for a minute on a child (a busy machine) fails vitest's RPC.
  const child = spawn(process.execPath, [...entry, ...args], { cwd: ROOT, env: { ...inherited, CDKTF_OUTDIR: outdir, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const status = await new Promise<number | null>((done) => child.on('close', done));
  const stacks = existsSync(join(outdir, 'stacks')) ? readdirSync(join(outdir, 'stacks')).sort() : [];
  return { status, stdout, stderr, outdir, stacks };
}

/** Every environment environments/ holds (the shipped three and any added), and a valid name that is none. */
const ENVIRONMENTS = environmentNames();
const ABSENT = ['qa', 'uat', 'zz9'].find((n) => !ENVIRONMENTS.includes(n))!;
const stacksOf = (systems: string[], envs = ENVIRONMENTS) => systems.flatMap((s) => envs.map((e) => `${s}-${e}`)).sort();

describe('main.ts', () => {
  it('synthesizes every stack of every environment by default', async () => {
    const result = await synth([]);
    expect(result.status).toBe(0);
    expect(result.stacks).toEqual(stacksOf(['cachet', 'web']));
  });

  it.each([
    [['--env', 'dev'], {}, ['cachet-dev', 'web-dev']],
    [[], { DEPLOY_ENV: 'staging,prod' }, ['cachet-prod', 'cachet-staging', 'web-prod', 'web-staging']],
  ])('with argv %j and env %j synthesizes %j', async (args, env, stacks) => {
    expect((await synth(args, env)).stacks).toEqual(stacks);
  });

  it.each([
    [['--system', 'web'], stacksOf(['web'])],
    [['--system', 'cachet', '--env', 'prod'], ['cachet-prod']],
  ])('with argv %j synthesizes %j', async (args, stacks) => {
    expect((await synth(args)).stacks).toEqual(stacks);
  });

  it('removes the stack folders of an earlier, wider synth, but never one holding a state file', async () => {
    // GIVEN every stack was synthesized, and one folder holds a state file
    const first = await synth(['--env', 'dev,staging']);
    writeFileSync(join(first.outdir, 'stacks', 'web-staging', 'terraform.tfstate'), '{}');
    // WHEN the synth narrows to dev
    const second = await synth(['--env', 'dev'], {}, first.outdir);
    // THEN the other folders are gone, except the one with state, and both are reported
    expect(second.status).toBe(0);
    expect(second.stacks).toEqual(['cachet-dev', 'web-dev', 'web-staging']);
    expect(second.stderr).toMatch(/removed .*stacks\/cachet-staging \(not selected\)/);
    expect(second.stderr).toMatch(/kept .*stacks\/web-staging: not selected, but it holds a Terraform state file/);
  });

  it('gives byte-identical output from the prebuilt bundle that npm run synth runs', async () => {
    // GIVEN main.ts run from its sources, and the same run through tools/synth.mjs (the bundle)
    const fromSources = await synth(['--env', 'dev'], {}, undefined, 'sources');
    const bundled = await synth(['--env', 'dev']);
    const outdir = bundled.outdir;
    // THEN every file of every stack is the same
    expect(bundled.status, bundled.stderr).toBe(0);
    const tree = (dir: string) =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .sort()
        .map((f) => [f, statSync(join(dir, f)).isFile() ? readFileSync(join(dir, f), 'utf8') : '']);
    expect(tree(join(outdir, 'stacks'))).toEqual(tree(join(fromSources.outdir, 'stacks')));
  });

  it('refuses an unknown environment, names the fix, and writes nothing', async () => {
    const result = await synth([], { DEPLOY_ENV: ABSENT });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`DEPLOY_ENV: unknown environment "${ABSENT}"; add environments/${ABSENT}\\.yaml or use one or more of: ${ENVIRONMENTS.join(', ')}`),
    );
    expect(existsSync(result.outdir)).toBe(false);
  });

  it.each([
    ['CDKTF_CONTEXT_JSON', 'not json', /CDKTF_CONTEXT_JSON is not a JSON object \("not json"\); unset it or give one/],
    ['CDKTF_CONTEXT_JSON', '[1]', /CDKTF_CONTEXT_JSON is not a JSON object/],
    [
      'CDKTF_OUTDIR',
      '/no/such/place/out',
      /CDKTF_OUTDIR is "\/no\/such\/place\/out": \/no\/such\/place does not exist; unset it \(cdktf\.out\) or name a directory/,
    ],
  ])('refuses a bad %s (%j) by name, without a stack trace', async (variable, value, message) => {
    const result = await synth(['--env', 'dev'], { [variable]: value });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a region change while the local state of another region holds resources, and writes nothing', async () => {
    // GIVEN web-dev's local state in the project (beside cdktf.out) for a region dev no longer names
    const root = mkdtempSync(join(tmpdir(), 'main-'));
    const resource = { type: 'aws_kms_key', name: 'k', instances: [{ attributes: { arn: 'arn:aws:kms:us-east-1:111111111111:key/1' } }] };
    writeFileSync(join(root, 'terraform.web-dev.us-east-1.tfstate'), JSON.stringify({ version: 4, resources: [resource] }));
    // WHEN dev is synthesized THEN synth refuses before writing anything
    const result = await synth(['--env', 'dev'], {}, join(root, 'cdktf.out'));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/region: environments\/dev\.yaml says eu-west-1, but terraform\.web-dev\.us-east-1\.tfstate still holds 1 resources/);
    expect(existsSync(result.outdir)).toBe(false);
  });
});
