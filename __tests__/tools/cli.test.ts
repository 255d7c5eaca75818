// Every `npm run` script is a strict command line: `--help` prints its usage and exits 0 before
// doing anything; an unknown or repeated argument exits 2 with the problem and the usage, also
// before doing anything.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/process';

const ROOT = resolve(__dirname, '../..');
const scripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;

/** Scripts that are not our command lines (tool invocations), with why. */
const NOT_OURS: Record<string, string> = {};

/** `npm run X -- args` as the process npm would start: node's arguments for the script and its fixed leading arguments. */
function command(name: string): string[] {
  const script = scripts[name]
    .split('&&')
    .map((p) => p.trim())
    .find((p) => p.startsWith('tsx ') || p.startsWith('node '));
  if (!script) throw new Error(`npm run ${name} runs no tsx or node script: list it in NOT_OURS with the reason`);
  const [runner, ...rest] = script.split(/\s+/);
  return runner === 'tsx' ? ['--import', 'tsx', ...rest] : rest;
}

async function run(name: string, args: string[], outdir = join(mkdtempSync(join(tmpdir(), 'cli-')), 'out')) {
  const { DEPLOY_ENV: _ignored, ...env } = process.env;
  const result = await runProcess(process.execPath, [...command(name), ...args], {
    cwd: ROOT,
    env: { ...env, CDKTF_OUTDIR: outdir },
    timeout: 120_000,
  });
  return { ...result, wrote: existsSync(outdir) ? readdirSync(outdir) : [] };
}

const ours = Object.keys(scripts).filter((name) => !(name in NOT_OURS));

describe('npm run scripts', () => {
  it('are all covered here or listed as not ours', () => {
    expect(ours.sort()).toEqual(
      [
        'bench',
        'bench:webapp',
        'bootstrap',
        'bench:unit',
        'infra',
        'promote',
        'tfc:upload',
        'codebuild',
        'deploy',
        'destroy',
        'cost',
        'diagram',
        'docs',
        'drill',
        'plan',
        'policy',
        'quotas',
        'synth',
        'tf:mirror',
        'verify',
        'versions',
        'diff',
        'typecheck',
        'lint',
        'test',
        'test:unit',
        'test:go',
      ].sort(),
    );
  });

  it.each(ours)('npm run %s -- --help prints its usage, exits 0 and does nothing', async (name) => {
    const outdir = join(mkdtempSync(join(tmpdir(), 'cli-')), 'out');
    const result = await run(name, name === 'diagram' ? ['--help', '--out', outdir] : ['--help'], outdir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run /);
    expect(result.wrote).toEqual([]);
  });

  it.each(ours)('npm run %s -- --no-such-option exits 2 with the problem and the usage', async (name) => {
    const result = await run(name, ['--no-such-option']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--no-such-option/);
    expect(result.stderr).toMatch(/usage: npm run /);
    expect(result.wrote).toEqual([]);
  });

  it.each([
    ['synth', ['--env', 'dev', '--env', 'prod'], /--env is given 2 times; give it once/],
    ['synth', ['-e', 'dev'], /Unknown option '-e'/],
    ['synth', ['--system', 'jenkins'], /--system: unknown system "jenkins"; use cachet or web/],
    ['synth', ['dev'], /Unexpected argument 'dev'/],
    ['plan', ['cachet-dev', '--stack', 'x'], /Unknown option '--stack'/],
    ['plan', [], /name at least one stack/],
    ['deploy', ['cachet-dev', '--offline'], /--offline works with plan only/],
    ['drill', ['--rate', 'fast'], /--rate "fast" is not a number/],
    ['drill', ['--env', 'qa'], /--env: unknown environment "qa"/],
    ['bench', ['--runs', '0'], /--runs "0" is not a number of at least 1/],
    ['bootstrap', [], /name the environment with --env/],
    ['bootstrap', ['--env', 'dev'], /environments\/dev\.yaml has state\.backend local; the bootstrap creates the S3 state bucket/],
    ['bootstrap', ['--env', 'dev,prod'], /--env names 2 environments; bootstrap one at a time/],
    ['bootstrap', ['--env', 'prod', '--offline', '--', '-auto-approve'], /--offline plans only/],
    ['policy', ['--env', 'qa'], /--env: unknown environment "qa"/],
    ['infra', ['deploy'], /unknown step "deploy"; use plan, apply or drift/],
    ['infra', ['plan', '--env', 'dev,prod'], /2 environments selected; name one with --env/],
    ['infra', ['drift', '--env', 'dev', '--systems', 'jenkins'], /--systems: unknown system "jenkins"; use cachet or web/],
    ['infra', ['apply', '--env', 'dev'], /apply takes --plans \(and --out\), not --env or --systems/],
    ['infra', ['apply', '--plans', '/nonexistent'], /--plans \/nonexistent holds no saved plan/],
  ])('npm run %s -- %j is refused before anything runs', async (name, args, message) => {
    const result = await run(name, args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.wrote).toEqual([]);
  });
});

describe('npm run plan -- <stack> --offline', () => {
  it('plans a stack without an AWS account, with the harness the tests use', async () => {
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, AWS_PROFILE: _p, ...env } = process.env;
    // Asynchronous: a plan under load can outlast the test worker's 60 s RPC timeout, which a
    // blocking spawnSync would trip.
    const result = await promisify(execFile)(process.execPath, [...command('plan'), 'cachet-dev', '--offline'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/# aws_rds_cluster\.database_cluster_\w+ will be created/);
    // Every resource of the stack (the address contract lists them; data sources are read, not added).
    const resources = (JSON.parse(readFileSync(join(ROOT, '__tests__/fixtures/resource-addresses.json'), 'utf8'))['cachet-dev'] as string[]).filter(
      (address) => !address.startsWith('data.'),
    );
    expect(result.stdout).toMatch(new RegExp(`Plan: ${resources.length} to add, 0 to change, 0 to destroy\\.`));
  }, 300_000);

  it('names the stacks that exist when given one that does not', async () => {
    const result = await run('plan', ['cachet-qa', '--offline']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown stack "cachet-qa"; stacks are <system>-<environment>, e.g. cachet-dev, web-dev/);
  });
});

describe('runMain, the exit handling every script shares', () => {
  /** A script whose main does `body`, run as a script is. */
  async function script(body: string) {
    const file = join(mkdtempSync(join(tmpdir(), 'run-main-')), 'tool.ts');
    writeFileSync(
      file,
      `import { runMain } from ${JSON.stringify(join(ROOT, 'cli'))};\nclass BadInput extends Error {}\nvoid BadInput;\nrunMain('tool', async () => { ${body} }, [BadInput]);\n`,
    );
    return runProcess(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 120_000 });
  }

  it.each([
    ['returns a code', 3, 'return 3;', ''],
    ['returns nothing', 0, 'console.log("done");', ''],
    ['throws bad input', 2, 'throw new BadInput("--x 7 is not a size; give 1 to 5");', 'tool: --x 7 is not a size; give 1 to 5\n'],
    ['fails otherwise', 1, 'throw new Error("the server said no");', 'the server said no\n'],
  ])('when main %s, exits %i, the message alone on stderr', async (_, status, body, stderr) => {
    const result = await script(body);
    expect(result.status).toBe(status);
    expect(result.stderr).toBe(stderr);
  });
});
