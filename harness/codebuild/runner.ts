// A local CodeBuild: runs a buildspec (version 0.2) the way CodeBuild runs it, so that every
// buildspec the pipeline hands to AWS runs in the suite first. What it reproduces, from the
// buildspec reference and "Build phase transitions" of the CodeBuild user guide:
// - the source is a clean copy of a committed tree (what CodePipeline's CODE_ZIP artifact holds),
//   at CODEBUILD_SRC_DIR, with CODEBUILD_RESOLVED_SOURCE_VERSION set to the commit (or unset, as
//   when CodePipeline cannot resolve a revision); secondary
//   sources at CODEBUILD_SRC_DIR_<identifier>;
// - phases install, pre_build, build, post_build in order, each command its own script in a new
//   shell, with only the working directory and the shell's variables carried to the next
//   (version 0.2 semantics; see BuildShell);
// - a failing command ends its phase; `finally` still runs; `on-failure: CONTINUE` goes on to the
//   next phase; an install or pre_build failure skips to the end, a build failure still runs
//   post_build (CODEBUILD_BUILD_SUCCEEDING=0) and artifact upload is always attempted after build;
// - env.variables, overridden by project variables (the project's and the pipeline action's);
// - a GitHub webhook build's variables (CODEBUILD_WEBHOOK_*, CODEBUILD_SOURCE_VERSION pr/<n>);
// - runtime-versions checked against what the image offers (runtimes.json, with its source);
// - artifacts collected by base-directory and files, failing when a pattern matches nothing.
// What it does not reproduce: the image itself (commands run with this machine's tools, e.g. its
// Go, not the runtime the spec selects), parameter-store/secrets-manager variables, reports, caches.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { listFiles } from '../../constructs/zip';
import runtimesData from './runtimes.json';
import { DEFAULT_BUILD_IMAGE } from '../../constructs/platform';
import { scratchDir } from '../scratch';

/** Raised for a buildspec or an option that cannot run; the CLI exits 2 with its message. */
export class BuildspecError extends Error {}

const PHASES = ['install', 'pre_build', 'build', 'post_build'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface Phase {
  readonly runtimeVersions?: Readonly<Record<string, string>>;
  readonly commands: readonly string[];
  readonly finally: readonly string[];
  readonly onFailure: 'ABORT' | 'CONTINUE';
}

export interface Buildspec {
  readonly shell: 'bash' | '/bin/sh';
  readonly variables: Readonly<Record<string, string>>;
  /** Variables whose values at the end of the build go to the pipeline (`#{namespace.NAME}`). */
  readonly exportedVariables: readonly string[];
  readonly phases: Partial<Record<PhaseName, Phase>>;
  readonly artifacts?: { readonly files: readonly string[]; readonly baseDirectory?: string; readonly discardPaths: boolean };
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SOURCE_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

type Yaml = Record<string, unknown>;

function mapping(value: unknown, where: string): Yaml {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BuildspecError(`${where} must be a mapping`);
  return value as Yaml;
}

function onlyKeys(value: Yaml, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new BuildspecError(`${where}.${key} is not supported here (supported: ${allowed.join(', ')})`);
  }
}

function commandList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) throw new BuildspecError(`${where} must be a list of commands`);
  return value;
}

/**
 * Parses a buildspec. Every scalar stays a string (YAML's failsafe schema), as CodeBuild reads
 * them: `golang: 1.20` is the version "1.20", not the number 1.2.
 */
export function parseBuildspec(text: string): Buildspec {
  const doc = mapping(parse(text, { schema: 'failsafe' }), 'the buildspec');
  onlyKeys(doc, ['version', 'env', 'phases', 'artifacts'], 'buildspec');
  if (doc.version !== '0.2')
    throw new BuildspecError(`version is ${JSON.stringify(doc.version)}; this runner (like the pipeline's buildspecs) uses version 0.2`);

  const env = doc.env === undefined ? {} : mapping(doc.env, 'env');
  onlyKeys(env, ['shell', 'variables', 'exported-variables'], 'env');
  const shell = (env.shell ?? 'bash') as string;
  if (shell !== 'bash' && shell !== '/bin/sh') throw new BuildspecError(`env.shell is "${shell}"; use bash or /bin/sh`);
  const variables = env.variables === undefined ? {} : mapping(env.variables, 'env.variables');
  for (const [name, value] of Object.entries(variables)) {
    if (!VARIABLE_NAME.test(name)) throw new BuildspecError(`env.variables.${name} is not a variable name`);
    if (name.startsWith('CODEBUILD_')) throw new BuildspecError(`env.variables.${name}: names starting with CODEBUILD_ are reserved for CodeBuild`);
    if (typeof value !== 'string') throw new BuildspecError(`env.variables.${name} must be a string`);
  }

  const exportedVariables = env['exported-variables'] ?? [];
  if (!Array.isArray(exportedVariables) || exportedVariables.some((name) => typeof name !== 'string' || !VARIABLE_NAME.test(name))) {
    throw new BuildspecError('env.exported-variables must be a list of variable names');
  }

  const phasesDoc = mapping(doc.phases, 'phases');
  onlyKeys(phasesDoc, PHASES, 'phases');
  const phases: Partial<Record<PhaseName, Phase>> = {};
  for (const name of PHASES) {
    if (phasesDoc[name] === undefined) continue;
    const p = mapping(phasesDoc[name], `phases.${name}`);
    onlyKeys(p, name === 'install' ? ['runtime-versions', 'commands', 'finally', 'on-failure'] : ['commands', 'finally', 'on-failure'], `phases.${name}`);
    const onFailure = (p['on-failure'] ?? 'ABORT') as string;
    if (onFailure !== 'ABORT' && onFailure !== 'CONTINUE') throw new BuildspecError(`phases.${name}.on-failure is "${onFailure}"; use ABORT or CONTINUE`);
    const runtimeVersions =
      p['runtime-versions'] === undefined ? undefined : (mapping(p['runtime-versions'], `phases.${name}.runtime-versions`) as Record<string, string>);
    phases[name] = {
      runtimeVersions,
      commands: commandList(p.commands, `phases.${name}.commands`),
      finally: commandList(p.finally, `phases.${name}.finally`),
      onFailure,
    };
  }

  let artifacts: Buildspec['artifacts'];
  if (doc.artifacts !== undefined) {
    const a = mapping(doc.artifacts, 'artifacts');
    onlyKeys(a, ['files', 'base-directory', 'discard-paths', 'name'], 'artifacts');
    const files = commandList(a.files, 'artifacts.files');
    if (files.length === 0) throw new BuildspecError('artifacts.files is empty; list the files to collect');
    const discard = (a['discard-paths'] ?? 'no') as string;
    if (discard !== 'yes' && discard !== 'no') throw new BuildspecError(`artifacts.discard-paths is "${discard}"; use yes or no`);
    artifacts = { files, baseDirectory: a['base-directory'] as string | undefined, discardPaths: discard === 'yes' };
  }
  return { shell: shell as Buildspec['shell'], variables: variables as Record<string, string>, exportedVariables, phases, artifacts };
}

/** Runtimes per image, from `runtimes.json`. */
const IMAGE_RUNTIMES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = runtimesData.images;

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => parseInt(p.replace(/\D+/g, ''), 10) || 0);
  const pb = b.split('.').map((p) => parseInt(p.replace(/\D+/g, ''), 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * Resolves each `runtime-versions` entry on an image as CodeBuild does: an exact version, a major
 * with `.x` (its latest minor) or `latest`. Throws when the image does not offer it.
 */
export function resolveRuntimes(image: string, requested: Readonly<Record<string, string>>): Record<string, string> {
  const offered = IMAGE_RUNTIMES[image];
  if (!offered)
    throw new BuildspecError(
      `image ${image} is not in harness/codebuild/runtimes.json (known: ${Object.keys(IMAGE_RUNTIMES).join(', ')}); add its runtimes from its runtimes.yml`,
    );
  const resolved: Record<string, string> = {};
  for (const [runtime, want] of Object.entries(requested)) {
    const versions = offered[runtime];
    if (!versions) throw new BuildspecError(`runtime-versions: ${image} offers no ${runtime} runtime (it offers ${Object.keys(offered).join(', ')})`);
    const sorted = [...versions].sort(compareVersions).reverse();
    let match: string | undefined;
    if (want === 'latest') match = sorted[0];
    else if (want.endsWith('.x')) match = sorted.find((v) => v.split('.')[0] === want.slice(0, -2));
    else match = versions.find((v) => v === want);
    if (!match) {
      throw new BuildspecError(
        `runtime-versions: ${runtime} ${want} is not offered by ${image} (it offers ${sorted.join(', ')}); pick one of those, or ${sorted[0].split('.')[0]}.x to follow the image`,
      );
    }
    resolved[runtime] = match;
  }
  return resolved;
}

export interface CodeBuildRunOptions {
  /** Path of the buildspec inside the primary source, e.g. `app/buildspec.yml`. */
  readonly buildspec: string;
  /** A git repository; its committed tree at `revision` is the primary source. */
  readonly repository: string;
  /** @default 'HEAD' */
  readonly revision?: string;
  /**
   * Whether the source is the project's own CodeCommit (or GitHub) source with git_clone_depth 0,
   * which CodeBuild gives as a full clone checked out at the revision (detached, .git included),
   * rather than CodePipeline's CODE_ZIP artifact. @default false
   */
  readonly gitClone?: boolean;
  /**
   * Whether the source revision is known, as CodePipeline passes it for a CodeCommit source. AWS
   * leaves CODEBUILD_RESOLVED_SOURCE_VERSION unset when CodePipeline cannot resolve one (an S3
   * source without versioning) and for an S3 source. @default true
   */
  readonly sourceVersionResolved?: boolean;
  /**
   * The GitHub pull request event whose webhook started the build (a project with a GitHub source
   * and a webhook; `revision` is then the pull request's head). CodeBuild sets, as "Environment
   * variables in build environments" lists them: CODEBUILD_SOURCE_VERSION and
   * CODEBUILD_WEBHOOK_TRIGGER `pr/<number>`, CODEBUILD_WEBHOOK_EVENT, CODEBUILD_WEBHOOK_BASE_REF and
   * CODEBUILD_WEBHOOK_HEAD_REF (`refs/heads/<branch>`, the filters' form) and
   * CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID. @default - not a webhook build
   */
  readonly gitHubPullRequest?: {
    readonly number: number;
    readonly event: 'PULL_REQUEST_CREATED' | 'PULL_REQUEST_UPDATED' | 'PULL_REQUEST_REOPENED';
    readonly baseBranch: string;
    readonly headBranch: string;
    readonly actorId: number;
  };
  /** Secondary sources: identifier -> directory, copied as they are. */
  readonly secondarySources?: Readonly<Record<string, string>>;
  /** @default the delivery pipeline's image, aws/codebuild/amazonlinux-x86_64-standard:5.0 */
  readonly image?: string;
  /** The project's and pipeline's variables; they override the buildspec's env.variables. */
  readonly variables?: Readonly<Record<string, string>>;
  /** The project's region: AWS_REGION and AWS_DEFAULT_REGION, as CodeBuild sets them. @default - neither set */
  readonly region?: string;
  /** Where the primary artifact's files are collected; emptied first. */
  readonly artifactsDir: string;
  /** The project's build timeout. @default 30 minutes */
  readonly timeoutMs?: number;
  /** Each line of output as it comes (the CLI prints them). */
  readonly onLog?: (line: string) => void;
}

export type PhaseStatus = 'SUCCEEDED' | 'FAILED';

export interface CodeBuildResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** Every phase that ran, in order, including UPLOAD_ARTIFACTS. */
  readonly phases: readonly { readonly phase: string; readonly status: PhaseStatus; readonly ms: number }[];
  /** Why the build failed, as CodeBuild would say it. */
  readonly failure?: string;
  /** Paths of the collected files, relative to `artifactsDir`. */
  readonly artifacts: readonly string[];
  readonly srcDir: string;
  readonly resolvedSourceVersion: string;
  readonly runtimes: Readonly<Record<string, string>>;
  /** The exported variables' values at the end of the build (unset ones are absent). */
  readonly exportedVariables: Readonly<Record<string, string>>;
  /** The whole build log. */
  readonly log: string;
}

function git(repository: string, args: string[]): string {
  const result = spawnSync('git', ['-C', repository, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new BuildspecError(`git ${args.join(' ')} in ${repository} failed: ${(result.stderr || String(result.error)).trim()}`);
  return result.stdout;
}

/**
 * A clean copy of the committed tree at `revision` (no .git, nothing uncommitted): CodePipeline's
 * CODE_ZIP; with `gitClone`, a full clone checked out there, as a CodeBuild source with depth 0.
 */
export function checkout(repository: string, revision: string, gitClone: boolean): { dir: string; commit: string } {
  const commit = git(repository, ['rev-parse', '--verify', `${revision}^{commit}`]).trim();
  const dir = scratchDir('codebuild-src-');
  if (gitClone) {
    git(repository, ['clone', '--quiet', '--no-checkout', '.', dir]);
    git(dir, ['checkout', '--quiet', '--detach', commit]);
    return { dir, commit };
  }
  const archive = spawnSync('bash', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'checkout', repository, commit, dir], {
    encoding: 'utf8',
  });
  if (archive.status !== 0) throw new BuildspecError(`could not export ${commit} of ${repository}: ${archive.stderr}`);
  return { dir, commit };
}

/** A `files` pattern of the buildspec (`*` within a name, `**` across directories) as a regular expression. */
export function artifactPattern(pattern: string): RegExp {
  const body = pattern
    .replace(/^\.\//, '')
    .split('/')
    .map((segment) =>
      segment === '**'
        ? '(?:.*/)?'
        : `${segment
            .split('*')
            .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('[^/]*')}/`,
    )
    .join('');
  return new RegExp(`^${body.replace(/\/$/, '').replace(/\(\?:\.\*\/\)\?$/, '.*')}$`);
}

/**
 * CodeBuild's command model in version 0.2: each command runs as its own script in a new shell,
 * and only the working directory and the shell's variables carry to the next command, so functions,
 * arrays, `set -e`/`set -o pipefail` and traps do not (the CodeBuild team on arrays, aws/aws-cdk#26694;
 * each command runs as /codebuild/output/tmp/script.sh, magenx/Magento-2-aws-cluster-terraform#19).
 * The AWS docs say only that 0.2, unlike 0.1, keeps "the state of previous commands" such as the
 * directory and variables; this is the strictest reading both agree on.
 */
class BuildShell {
  private readonly state: string;
  private child?: ReturnType<typeof spawn>;
  private killed = false;

  constructor(
    private readonly shell: 'bash' | '/bin/sh',
    cwd: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (text: string) => void,
  ) {
    this.state = join(scratchDir('codebuild-state-'), 'state.sh');
    writeFileSync(this.state, `cd '${cwd.replace(/'/g, "'\\''")}'\n`);
  }

  /** Runs one command as its own script; resolves with its exit status. */
  run(command: string): Promise<number> {
    if (this.killed) return Promise.resolve(137);
    const script = [
      `__codebuild_state='${this.state}'`,
      `. "$__codebuild_state"`,
      `. '${join(__dirname, this.shell === 'bash' ? 'carry-state.bash' : 'carry-state.sh')}'`,
      // The command reads nothing of the script; a trailing newline closes heredocs and comments.
      `{\n${command}\n} </dev/null`,
    ].join('\n');
    return new Promise((resolveCommand) => {
      const child = spawn(this.shell === 'bash' ? 'bash' : '/bin/sh', ['-c', script], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      child.stdout!.on('data', (d: Buffer) => this.log(d.toString()));
      child.stderr!.on('data', (d: Buffer) => this.log(d.toString()));
      child.once('close', (code, signal) => resolveCommand(code ?? (signal ? 128 : 1)));
    });
  }

  /** The value a variable holds for the next command, or undefined when it is unset. */
  async value(name: string): Promise<string | undefined> {
    let out = '';
    const script = `. '${this.state}'\nif [ -n "\${${name}+set}" ]; then printf 'set:%s' "$${name}"; fi`;
    await new Promise<void>((done) => {
      const child = spawn(this.shell === 'bash' ? 'bash' : '/bin/sh', ['-c', script], { env: this.env, stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.once('close', () => done());
    });
    return out.startsWith('set:') ? out.slice(4) : undefined;
  }

  /** Sets a variable for the commands that follow, as CodeBuild does between phases. */
  export(name: string, value: string): void {
    appendFileSync(this.state, `export ${name}='${value}'\n`);
  }

  /** Ends the running command and refuses the rest (a timed-out build). */
  kill(): void {
    this.killed = true;
    this.child?.kill('SIGKILL');
  }
}

/** What CodeBuild sets for a build its GitHub webhook started on a pull request (`gitHubPullRequest`). */
function webhookVariables(pr: CodeBuildRunOptions['gitHubPullRequest']): Record<string, string> {
  if (!pr) return {};
  return {
    CODEBUILD_SOURCE_VERSION: `pr/${pr.number}`,
    CODEBUILD_WEBHOOK_TRIGGER: `pr/${pr.number}`,
    CODEBUILD_WEBHOOK_EVENT: pr.event,
    CODEBUILD_WEBHOOK_BASE_REF: `refs/heads/${pr.baseBranch}`,
    CODEBUILD_WEBHOOK_HEAD_REF: `refs/heads/${pr.headBranch}`,
    CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID: String(pr.actorId),
  };
}

/** Runs a buildspec from a clean copy of a committed tree, as CodeBuild would; see the file comment. */
export async function runCodeBuild(options: CodeBuildRunOptions): Promise<CodeBuildResult> {
  const image = options.image ?? DEFAULT_BUILD_IMAGE;
  for (const id of Object.keys(options.secondarySources ?? {})) {
    if (!SOURCE_IDENTIFIER.test(id)) throw new BuildspecError(`secondary source "${id}" is not a source identifier (a letter, then letters, digits or _)`);
    if (!existsSync(options.secondarySources![id])) throw new BuildspecError(`secondary source ${id}: ${options.secondarySources![id]} does not exist`);
  }
  for (const name of Object.keys(options.variables ?? {})) {
    if (!VARIABLE_NAME.test(name) || name.startsWith('CODEBUILD_'))
      throw new BuildspecError(`variable ${name}: use a variable name that does not start with CODEBUILD_`);
  }
  const { dir: srcDir, commit } = checkout(options.repository, options.revision ?? 'HEAD', options.gitClone ?? false);
  const specPath = join(srcDir, options.buildspec);
  if (!existsSync(specPath))
    throw new BuildspecError(`${options.buildspec} is not in the committed tree of ${options.repository} at ${commit.slice(0, 12)}; commit it first`);
  const spec = parseBuildspec(readFileSync(specPath, 'utf8'));
  const runtimes = resolveRuntimes(image, spec.phases.install?.runtimeVersions ?? {});

  const secondaryEnv: Record<string, string> = {};
  for (const [id, source] of Object.entries(options.secondarySources ?? {})) {
    const copy = scratchDir(`codebuild-${id}-`);
    cpSync(source, copy, { recursive: true });
    secondaryEnv[`CODEBUILD_SRC_DIR_${id}`] = copy;
  }

  let log = '';
  const write = (text: string) => {
    log += text;
    if (options.onLog) for (const line of text.replace(/\n$/, '').split('\n')) options.onLog(line);
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    ...spec.variables,
    ...options.variables,
    ...(options.region ? { AWS_REGION: options.region, AWS_DEFAULT_REGION: options.region } : {}),
    CODEBUILD_SRC_DIR: srcDir,
    ...secondaryEnv,
    ...(options.sourceVersionResolved === false ? {} : { CODEBUILD_RESOLVED_SOURCE_VERSION: commit }),
    CODEBUILD_SOURCE_VERSION: commit,
    ...webhookVariables(options.gitHubPullRequest),
    CODEBUILD_BUILD_ID: `local:${randomUUID()}`,
    CODEBUILD_BUILD_NUMBER: '1',
    CODEBUILD_BUILD_IMAGE: image,
    CODEBUILD_INITIATOR: 'local-codebuild',
    CODEBUILD_BUILD_SUCCEEDING: '1',
  };

  const shell = new BuildShell(spec.shell, srcDir, env, write);
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const timer = setTimeout(() => {
    write(`[Container] build timed out after ${timeoutMs} ms\n`);
    shell.kill();
  }, timeoutMs);
  /** Runs commands in order up to the first failure, which it describes as CodeBuild does. */
  const runCommands = async (commands: readonly string[]): Promise<string | undefined> => {
    for (const command of commands) {
      write(`[Container] Running command ${command}\n`);
      const code = await shell.run(command);
      if (code !== 0) return `COMMAND_EXECUTION_ERROR: Error while executing command: ${command}. Reason: exit status ${code}`;
    }
    return undefined;
  };
  const phases: { phase: string; status: PhaseStatus; ms: number }[] = [];
  let failure: string | undefined;
  // An install or pre_build failure skips to the end; anything later still uploads artifacts.
  let aborted = false;
  try {
    for (const name of PHASES) {
      const phase = spec.phases[name];
      if (!phase) continue;
      const started = Date.now();
      write(`[Container] Entering phase ${name.toUpperCase()}\n`);
      const commandsFailed = await runCommands(phase.commands);
      // finally runs whatever the commands did; the first failure is the phase's.
      const finallyFailed = await runCommands(phase.finally);
      const failed = commandsFailed ?? finallyFailed;
      phases.push({ phase: name.toUpperCase(), status: failed ? 'FAILED' : 'SUCCEEDED', ms: Date.now() - started });
      write(`[Container] Phase complete: ${name.toUpperCase()} State: ${failed ? 'FAILED' : 'SUCCEEDED'}\n`);
      if (failed) {
        failure ??= `Phase ${name.toUpperCase()}: ${failed}`;
        shell.export('CODEBUILD_BUILD_SUCCEEDING', '0');
        // A failed build phase still runs post_build (CODEBUILD_BUILD_SUCCEEDING tells it).
        if (phase.onFailure === 'ABORT' && (name === 'install' || name === 'pre_build')) {
          aborted = true;
          break;
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }

  // Artifacts: always attempted unless install or pre_build aborted the build.
  rmSync(options.artifactsDir, { recursive: true, force: true });
  mkdirSync(options.artifactsDir, { recursive: true });
  const artifacts: string[] = [];
  if (spec.artifacts && !aborted) {
    const started = Date.now();
    const base = join(srcDir, spec.artifacts.baseDirectory ?? '.');
    const available = existsSync(base) ? listFiles(base) : [];
    let missing: string | undefined;
    for (const pattern of spec.artifacts.files) {
      const re = artifactPattern(pattern);
      const matched = available.filter((f) => re.test(f));
      if (matched.length === 0) missing ??= pattern;
      for (const file of matched) {
        const target = spec.artifacts.discardPaths ? file.split('/').pop()! : file;
        mkdirSync(dirname(join(options.artifactsDir, target)), { recursive: true });
        cpSync(join(base, file), join(options.artifactsDir, target));
        artifacts.push(target);
      }
    }
    const uploadFailure = missing && `CLIENT_ERROR: no matching artifact paths found for "${missing}" in ${spec.artifacts.baseDirectory ?? '.'}`;
    phases.push({ phase: 'UPLOAD_ARTIFACTS', status: uploadFailure ? 'FAILED' : 'SUCCEEDED', ms: Date.now() - started });
    write(
      `[Container] Phase complete: UPLOAD_ARTIFACTS State: ${uploadFailure ? 'FAILED' : 'SUCCEEDED'}${uploadFailure ? `\n[Container] ${uploadFailure}` : ''}\n`,
    );
    if (uploadFailure) failure ??= `Phase UPLOAD_ARTIFACTS: ${uploadFailure}`;
  }
  const exportedVariables: Record<string, string> = {};
  for (const name of spec.exportedVariables) {
    const value = await shell.value(name);
    if (value !== undefined) exportedVariables[name] = value;
  }
  return {
    status: failure ? 'FAILED' : 'SUCCEEDED',
    phases,
    failure,
    exportedVariables,
    artifacts: [...new Set(artifacts)].sort(),
    srcDir,
    resolvedSourceVersion: commit,
    runtimes,
    log,
  };
}
