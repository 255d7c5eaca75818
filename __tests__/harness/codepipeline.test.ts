// The local CodePipeline (harness/codepipeline.ts) held to CodePipeline's rules on a small pipeline:
// stage order, artifacts between actions (secondary sources by artifact name), variables by
// namespace, a failed action stopping the execution, a refused approval, a retried stage, and the
// configurations CodePipeline refuses.
import { describe, expect, it } from 'vitest';
import { PipelineExecution, runPipeline, type PipelineRunOptions } from '../../harness/codepipeline';
import type { Json } from '../../harness/offline-terraform';
import { git, repositoryWith } from '../helpers/repository';

const PRODUCE = `version: 0.2
env:
  exported-variables: [GREETING]
phases:
  build:
    commands:
      - export GREETING="hello from $(git rev-parse --short HEAD 2>/dev/null || echo the-tree)"
      - mkdir -p out && echo "made by produce" > out/made.txt
artifacts:
  base-directory: out
  files: ['**/*']
`;
const CONSUME = `version: 0.2
phases:
  build:
    commands:
      - test "$(cat "$CODEBUILD_SRC_DIR_made/made.txt")" = "made by produce"
      - test "$SAID" = "$EXPECTED"
`;
const FAIL = `version: 0.2
phases:
  build:
    commands:
      - exit 3
`;

const repository = repositoryWith({ 'produce.yml': PRODUCE, 'consume.yml': CONSUME, 'fail.yml': FAIL });
git(repository, 'branch', 'dev');
const commit = git(repository, 'rev-parse', 'dev');

const project = (name: string, buildspec: string, type = 'CODEPIPELINE') => ({ name, source: { type, buildspec }, environment: { environment_variable: [] } });
const source = {
  name: 'Source',
  category: 'Source',
  provider: 'CodeCommit',
  namespace: 'SourceVariables',
  output_artifacts: ['SourceOutput'],
  configuration: { BranchName: 'dev' },
};
const build = (name: string, projectId: string, extra: Json = {}) => ({
  name,
  category: 'Build',
  provider: 'CodeBuild',
  input_artifacts: ['SourceOutput'],
  configuration: { ProjectName: `\${aws_codebuild_project.${projectId}.name}` },
  ...extra,
});
const approval = {
  name: 'Approve',
  category: 'Approval',
  provider: 'Manual',
  configuration: { CustomData: 'Apply #{SourceVariables.CommitId}: #{Made.GREETING}' },
};

function stackWith(stages: Json[]): Json {
  return {
    resource: {
      aws_codebuild_project: { produce: project('produce', 'produce.yml'), consume: project('consume', 'consume.yml'), fail: project('fail', 'fail.yml') },
      aws_codepipeline: { pipeline: { name: 'test', stage: stages.map((action) => ({ name: action.name, action: [action] })) } },
    },
  };
}

const options = (stages: Json[], approve: PipelineRunOptions['approve'] = () => true): PipelineRunOptions => ({
  stack: stackWith(stages),
  repository,
  region: 'eu-west-1',
  approve,
});

const produce = build('Produce', 'produce', { namespace: 'Made', output_artifacts: ['made'] });
const consume = build('Consume', 'consume', {
  input_artifacts: ['SourceOutput', 'made'],
  configuration: {
    ProjectName: '${aws_codebuild_project.consume.name}',
    PrimarySource: 'SourceOutput',
    EnvironmentVariables: JSON.stringify([
      { name: 'SAID', value: '#{Made.GREETING}', type: 'PLAINTEXT' },
      { name: 'EXPECTED', value: 'hello from the-tree', type: 'PLAINTEXT' },
    ]),
  },
});

describe('the local CodePipeline', () => {
  it("runs the stages in order, handing an action's artifact and variables to the next", async () => {
    // GIVEN Source -> Produce (an artifact and a variable) -> Approve -> Consume (reads both)
    let shown = '';
    const execution = await runPipeline(
      options([source, produce, approval, consume], (data) => {
        shown = data;
        return true;
      }),
    );
    // THEN every action succeeds, and the approval showed the resolved variables
    expect(execution.actions.map((a) => [a.action, a.status, a.failure])).toEqual([
      ['Source', 'Succeeded', undefined],
      ['Produce', 'Succeeded', undefined],
      ['Approve', 'Succeeded', undefined],
      ['Consume', 'Succeeded', undefined],
    ]);
    expect(execution.status).toBe('Succeeded');
    expect(shown).toBe(`Apply ${commit}: hello from the-tree`);
  }, 60_000);

  it('stops at a failed build: no later stage runs', async () => {
    const execution = await runPipeline(options([source, build('Fail', 'fail'), produce]));
    expect(execution.actions.map((a) => [a.action, a.status])).toEqual([
      ['Source', 'Succeeded'],
      ['Fail', 'Failed'],
    ]);
    expect(execution.status).toBe('Failed');
  }, 60_000);

  it('stops at a refused approval, and runs on from it when the stage is retried and approved', async () => {
    const execution = await runPipeline(options([source, produce, approval, consume], () => false));
    expect(execution.actions.map((a) => a.action)).toEqual(['Source', 'Produce', 'Approve']);
    expect(execution.actions[2]).toMatchObject({ status: 'Failed', failure: 'Rejected by the reviewer' });
    await execution.retryStage('Approve', () => true);
    expect(execution.actions.slice(3).map((a) => [a.action, a.status])).toEqual([
      ['Approve', 'Succeeded'],
      ['Consume', 'Succeeded'],
    ]);
  }, 60_000);

  it('refuses to retry a stage that did not fail', async () => {
    const execution = await runPipeline(options([source, produce]));
    await expect(execution.retryStage('Produce')).rejects.toThrow(/stage Produce has not failed in this execution/);
  }, 60_000);

  it.each([
    ['a variable no earlier action set', [source, approval], /variables could not be resolved: #\{Made\.GREETING\}/],
    ['several inputs without PrimarySource', [source, produce, { ...consume, configuration: { ProjectName: 'consume' } }], /has 2 inputs and no PrimarySource/],
    ['a project whose source is not CODEPIPELINE', [source, build('Clone', 'clone')], /project clone's source is CODECOMMIT, not CODEPIPELINE/],
    ['a branch the repository does not have', [{ ...source, configuration: { BranchName: 'main-x' } }], /The branch main-x does not exist/],
    [
      'a project variable known only once applied',
      [source, build('Referenced', 'referenced')],
      /variable TOPIC is \$\{aws_sns_topic\.t\.arn\}, known only once applied/,
    ],
  ])(
    'fails the action on %s',
    async (_, stages, failure) => {
      const stack = stackWith(stages as Json[]);
      stack.resource.aws_codebuild_project.clone = project('clone', 'produce.yml', 'CODECOMMIT');
      stack.resource.aws_codebuild_project.referenced = {
        ...project('referenced', 'produce.yml'),
        environment: { environment_variable: [{ name: 'TOPIC', value: '${aws_sns_topic.t.arn}' }] },
      };
      const execution = await new PipelineExecution({ ...options([]), stack }).start();
      expect(execution.status).toBe('Failed');
      expect(execution.actions.at(-1)).toMatchObject({ status: 'Failed', failure: expect.stringMatching(failure) });
    },
    60_000,
  );
});
