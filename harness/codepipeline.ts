// A local CodePipeline: runs a synthesized V2 pipeline (the `aws_codepipeline` of a stack, with the
// CodeBuild projects it names) stage by stage, the way CodePipeline runs an execution, with the
// local CodeBuild runner for its build actions. What it reproduces, from the CodePipeline user guide
// ("Pipeline executions", "Variables reference", "CodeBuild build and test action reference",
// "Manual approval"):
// - stages in order, one at a time; a failed action fails its stage and the execution, and no later
//   stage runs; a failed stage can be retried (RetryStageExecution), keeping the execution's
//   artifacts and variables;
// - the Source action (CodeCommit or a connection) at the head of its `BranchName`, as a CODE_ZIP
//   artifact, with its namespace's CommitId and BranchName;
// - a CodeBuild action: its project must have a CODEPIPELINE source; the primary input is the only
//   one or `PrimarySource` (required with several); the other inputs are secondary sources at
//   CODEBUILD_SRC_DIR_<artifact name>; the project's plaintext variables, then the action's
//   `EnvironmentVariables`; the first output artifact holds what the buildspec collects; its
//   exported variables go to the action's namespace;
// - `#{namespace.variable}` in an action's configuration, resolved when the action runs; a variable
//   that does not exist fails the action;
// - a manual approval shows its CustomData (resolved) and fails the stage when rejected.
// What it does not reproduce: triggers, concurrency (QUEUED/SUPERSEDED), action timeouts, artifact
// encryption, IAM (the authorization tests evaluate the roles).
import { execFileSync } from 'node:child_process';
import type { Json } from './offline-terraform';
import { checkout, runCodeBuild, type CodeBuildResult } from './codebuild/runner';
import { scratchDir } from './scratch';

export interface PipelineRunOptions {
  /** The synthesized stack (cdk.tf.json) holding the pipeline and its CodeBuild projects. */
  readonly stack: Json;
  /** The git repository the Source action reads; its branch `BranchName` must exist. */
  readonly repository: string;
  /** The project's region (AWS_REGION in builds). */
  readonly region: string;
  /**
   * Variables every build gets last: what stands here for the build image and AWS's endpoints
   * (the emulator's address, local tools). @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** The reviewer: sees an approval's CustomData and approves (true) or rejects (false). */
  readonly approve: (customData: string) => boolean;
  /** Bound of each build. @default 30 minutes */
  readonly buildTimeoutMs?: number;
}

export interface ActionRun {
  readonly stage: string;
  readonly action: string;
  readonly status: 'Succeeded' | 'Failed';
  /** Why it failed, as CodePipeline would say. */
  readonly failure?: string;
  /** A CodeBuild action's build. */
  readonly build?: CodeBuildResult;
  /** An approval's CustomData, as the reviewer saw it. */
  readonly customData?: string;
}

type Artifact = { readonly commit: string } | { readonly dir: string };

/** The pipeline of `stack`: its one `aws_codepipeline`. */
function pipelineOf(stack: Json): Json {
  const pipelines = Object.values<Json>(stack.resource?.aws_codepipeline ?? {});
  if (pipelines.length !== 1) throw new Error(`the stack holds ${pipelines.length} pipelines; give a stack with one`);
  return pipelines[0];
}

/** One execution of the pipeline; `start` runs it, `retryStage` re-runs a failed stage and what follows. */
export class PipelineExecution {
  readonly actions: ActionRun[] = [];
  private readonly pipeline: Json;
  private readonly artifacts = new Map<string, Artifact>();
  private readonly variables = new Map<string, Record<string, string>>();
  private failedStage?: number;

  constructor(private readonly options: PipelineRunOptions) {
    this.pipeline = pipelineOf(options.stack);
  }

  get status(): 'Succeeded' | 'Failed' | 'InProgress' {
    if (this.failedStage !== undefined) return 'Failed';
    return this.actions.length > 0 && this.actions.at(-1)!.stage === this.stages.at(-1)!.name ? 'Succeeded' : 'InProgress';
  }

  private get stages(): Json[] {
    return this.pipeline.stage;
  }

  /** Runs the execution from the first stage. */
  async start(): Promise<this> {
    await this.runFrom(0);
    return this;
  }

  /** RetryStageExecution: runs the failed stage again (its failed actions), then the stages after it. */
  async retryStage(name: string, approve?: (customData: string) => boolean): Promise<this> {
    const index = this.stages.findIndex((s) => s.name === name);
    if (this.failedStage === undefined || index !== this.failedStage) {
      throw new Error(`stage ${name} has not failed in this execution (StageNotRetryableException); only the failed stage can be retried`);
    }
    this.failedStage = undefined;
    await this.runFrom(index, approve);
    return this;
  }

  /** The build of a CodeBuild action that ran last under that name. */
  build(action: string): CodeBuildResult {
    const run = [...this.actions].reverse().find((a) => a.action === action && a.build);
    if (!run) throw new Error(`no build of action ${action} ran`);
    return run.build!;
  }

  private async runFrom(index: number, approve = this.options.approve): Promise<void> {
    for (let i = index; i < this.stages.length; i++) {
      const stage = this.stages[i];
      for (const action of stage.action as Json[]) {
        const run = await this.runAction(stage.name, action, approve).catch((error: Error) => ({
          stage: stage.name,
          action: action.name,
          status: 'Failed' as const,
          failure: error.message,
        }));
        this.actions.push(run);
        if (run.status === 'Failed') {
          this.failedStage = i;
          return;
        }
      }
    }
  }

  private async runAction(stage: string, action: Json, approve: (customData: string) => boolean): Promise<ActionRun> {
    const configuration = Object.fromEntries(Object.entries<string>(action.configuration ?? {}).map(([k, v]) => [k, this.resolve(v)]));
    switch (`${action.category}/${action.provider}`) {
      case 'Source/CodeCommit':
      case 'Source/CodeStarSourceConnection':
        return this.source(stage, action, configuration);
      case 'Build/CodeBuild':
        return this.codeBuild(stage, action, configuration);
      case 'Approval/Manual': {
        const customData = configuration.CustomData ?? '';
        const approved = approve(customData);
        return {
          stage,
          action: action.name,
          status: approved ? 'Succeeded' : 'Failed',
          customData,
          failure: approved ? undefined : 'Rejected by the reviewer',
        };
      }
      default:
        throw new Error(`action ${action.name}: ${action.category}/${action.provider} is not run here; add it to harness/codepipeline.ts`);
    }
  }

  private source(stage: string, action: Json, configuration: Record<string, string>): ActionRun {
    const branch = configuration.BranchName;
    let commit: string;
    try {
      commit = execFileSync('git', ['-C', this.options.repository, 'rev-parse', '--verify', `refs/heads/${branch}^{commit}`], {
        encoding: 'utf8',
        stdio: 'pipe',
      }).trim();
    } catch {
      return { stage, action: action.name, status: 'Failed', failure: `The branch ${branch} does not exist in the repository` };
    }
    for (const output of action.output_artifacts ?? []) this.artifacts.set(output, { commit });
    if (action.namespace) this.variables.set(action.namespace, { CommitId: commit, BranchName: branch });
    return { stage, action: action.name, status: 'Succeeded' };
  }

  private async codeBuild(stage: string, action: Json, configuration: Record<string, string>): Promise<ActionRun> {
    const project = this.project(configuration.ProjectName);
    if (project.source?.type !== 'CODEPIPELINE') throw new Error(`project ${project.name}'s source is ${project.source?.type}, not CODEPIPELINE`);
    const inputs: string[] = action.input_artifacts ?? [];
    if (inputs.length > 1 && !configuration.PrimarySource) throw new Error(`action ${action.name} has ${inputs.length} inputs and no PrimarySource`);
    const primaryName = configuration.PrimarySource ?? inputs[0];
    const primary = this.artifacts.get(primaryName);
    if (!primary || !('commit' in primary))
      throw new Error(`action ${action.name}: the primary input ${primaryName} is not a source artifact of this execution`);
    const secondarySources = Object.fromEntries(inputs.filter((n) => n !== primaryName).map((n) => [n, this.artifactDir(n)]));
    const variables: Record<string, string> = {};
    for (const v of project.environment?.environment_variable ?? []) {
      if ((v.type ?? 'PLAINTEXT') !== 'PLAINTEXT') throw new Error(`project ${project.name}: ${v.type} variables are not run here`);
      // A value Terraform computes at apply (a reference) is not in the synthesized stack: the caller gives it.
      if (String(v.value).includes('${') && this.options.environment?.[v.name] === undefined) {
        throw new Error(`project ${project.name}: variable ${v.name} is ${v.value}, known only once applied; give its value in environment`);
      }
      variables[v.name] = this.resolve(String(v.value));
    }
    for (const v of JSON.parse(configuration.EnvironmentVariables ?? '[]') as Json[]) variables[v.name] = String(v.value);
    const artifactsDir = scratchDir(`pipeline-${action.name}-`);
    const build = await runCodeBuild({
      buildspec: project.source.buildspec,
      repository: this.options.repository,
      revision: primary.commit,
      secondarySources,
      variables: { ...variables, ...this.options.environment },
      region: this.options.region,
      artifactsDir,
      timeoutMs: this.options.buildTimeoutMs,
    });
    if (build.status !== 'SUCCEEDED') return { stage, action: action.name, status: 'Failed', failure: build.failure, build };
    const [output] = action.output_artifacts ?? [];
    if (output) this.artifacts.set(output, { dir: artifactsDir });
    if (action.namespace) this.variables.set(action.namespace, { ...build.exportedVariables });
    return { stage, action: action.name, status: 'Succeeded', build };
  }

  /** An artifact as a directory: a source artifact is its commit's tree (CODE_ZIP). */
  private artifactDir(name: string): string {
    const artifact = this.artifacts.get(name);
    if (!artifact) throw new Error(`input artifact ${name} was not produced by an earlier action of this execution`);
    return 'dir' in artifact ? artifact.dir : checkout(this.options.repository, artifact.commit, false).dir;
  }

  /** The project a `ProjectName` names: a literal name, or cdktf's `${aws_codebuild_project.<id>.name}`. */
  private project(name: string): Json {
    const projects = this.options.stack.resource?.aws_codebuild_project ?? {};
    const ref = /^\$\{aws_codebuild_project\.([^.}]+)\.name\}$/.exec(name);
    const project = ref ? projects[ref[1]] : Object.values<Json>(projects).find((p) => p.name === name);
    if (!project) throw new Error(`no CodeBuild project ${name} in the stack`);
    return project;
  }

  /** `#{namespace.variable}` resolved from this execution's variables; an unknown one fails the action. */
  private resolve(text: string): string {
    return text.replace(/#\{([A-Za-z0-9@_-]+)\.([A-Za-z0-9@_-]+)\}/g, (whole, namespace: string, name: string) => {
      const value = this.variables.get(namespace)?.[name];
      if (value === undefined) throw new Error(`An action in this pipeline failed because one or more variables could not be resolved: ${whole}`);
      return value;
    });
  }
}

/** Starts an execution of the stack's pipeline and runs it until it succeeds or a stage fails. */
export function runPipeline(options: PipelineRunOptions): Promise<PipelineExecution> {
  return new PipelineExecution(options).start();
}
