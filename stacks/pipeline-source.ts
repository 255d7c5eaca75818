// The Source side both pipelines share (the web app's, stacks/web/delivery-pipeline.ts, and the
// infrastructure's, stacks/pipeline/infrastructure-pipeline.ts): the Source action on a CodeCommit or
// GitHub branch, what reading CodeCommit takes, and the EventBridge rule that starts a pipeline on a
// push. One push to an environment's branch starts both on the same commit.
import type { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import type { CodebuildProject } from '@cdktf/provider-aws/lib/codebuild-project';
import type { CodepipelineStage, CodepipelineStageAction, CodepipelineTrigger } from '@cdktf/provider-aws/lib/codepipeline';
import { roleTarget } from '../constructs/event-target';
import type { FailureEvent } from '../constructs/monitoring';

/** The Source action's output artifact. */
export const SOURCE_OUTPUT = 'SourceOutput';
/** Namespace of the Source action's variables; `#{SourceVariables.CommitId}` is the commit. */
export const SOURCE_VARIABLES = 'SourceVariables';

/** What a pipeline's role needs of a CodeCommit repository for a Source action (CODE_ZIP). */
export const CODECOMMIT_SOURCE_ACTIONS = [
  'codecommit:GetBranch',
  'codecommit:GetCommit',
  'codecommit:GetRepository',
  'codecommit:UploadArchive',
  'codecommit:GetUploadArchiveStatus',
  'codecommit:CancelUploadArchive',
];

const SOURCE = { name: 'Source', category: 'Source', owner: 'AWS', version: '1', namespace: SOURCE_VARIABLES, outputArtifacts: [SOURCE_OUTPUT] };

/** The Source action on a CodeCommit branch; EventBridge starts the pipeline (`startOnPush`): polling would be slower and cost more. */
export function codeCommitSourceAction(repositoryName: string, branch: string): CodepipelineStageAction {
  return {
    ...SOURCE,
    provider: 'CodeCommit',
    configuration: { RepositoryName: repositoryName, BranchName: branch, PollForSourceChanges: 'false', OutputArtifactFormat: 'CODE_ZIP' },
  };
}

/** The Source action on a GitHub branch through a CodeConnections connection. */
export function gitHubSourceAction(connectionArn: string, fullRepositoryId: string, branch: string): CodepipelineStageAction {
  return {
    ...SOURCE,
    provider: 'CodeStarSourceConnection',
    configuration: { ConnectionArn: connectionArn, FullRepositoryId: fullRepositoryId, BranchName: branch, OutputArtifactFormat: 'CODE_ZIP' },
  };
}

/** A V2 pipeline's trigger on pushes to the branch, for a GitHub source. */
export function gitHubPushTrigger(branch: string): CodepipelineTrigger[] {
  return [{ providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName: 'Source', push: [{ branches: { includes: [branch] } }] } }];
}

/**
 * A push to the branch of the repository starts the pipeline: an EventBridge rule named
 * `<name>-on-push`, with a role that may start only that pipeline (ids `on-push`, `events-role`,
 * `events-policy`, `start-pipeline` in `scope`).
 */
export function startOnPush(scope: Construct, props: { name: string; branch: string; repositoryArn: string; pipelineArn: string }): void {
  const rule = new CloudwatchEventRule(scope, 'on-push', {
    name: `${props.name}-on-push`,
    description: `Starts ${props.name} on pushes to ${props.branch}`,
    eventPattern: JSON.stringify({
      source: ['aws.codecommit'],
      'detail-type': ['CodeCommit Repository State Change'],
      resources: [props.repositoryArn],
      detail: { event: ['referenceCreated', 'referenceUpdated'], referenceType: ['branch'], referenceName: [props.branch] },
    }),
  });
  roleTarget(scope, {
    rule,
    arn: props.pipelineArn,
    action: 'codepipeline:StartPipelineExecution',
    ids: { role: 'events-role', policy: 'events-policy', target: 'start-pipeline' },
    roleName: `${props.name}-on-push`,
    policyName: 'start-pipeline',
    sid: 'StartThePipeline',
  });
}

/**
 * A failed execution of the pipeline, for its topic (`AlarmTopic.notifyOn`): `<what> failed:
 * pipeline <pipeline>, execution <execution>, at <time>. <then>`.
 */
export function pipelineFailed(id: string, description: string, pipelineName: string, what: string, then: string): FailureEvent {
  return {
    id,
    description,
    pattern: {
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      detail: { pipeline: [pipelineName], state: ['FAILED'] },
    },
    message: `${what} failed: pipeline <pipeline>, execution <execution>, at <time>. ${then}`,
    paths: { pipeline: '$.detail.pipeline', execution: '$.detail.execution-id', time: '$.time' },
  };
}

const AWS_ACTION = { owner: 'AWS', version: '1' };

/** A stage of one CodeBuild action, both named `name`: its input artifacts (the first the primary), outputs, variables' namespace and configuration beyond the project. */
export function codeBuildStage(
  name: string,
  project: CodebuildProject,
  io: { readonly inputs: string[]; readonly outputs?: string[]; readonly namespace?: string; readonly configuration?: Readonly<Record<string, string>> },
): CodepipelineStage {
  return {
    name,
    action: [
      {
        name,
        category: 'Build',
        ...AWS_ACTION,
        provider: 'CodeBuild',
        namespace: io.namespace,
        inputArtifacts: io.inputs,
        outputArtifacts: io.outputs,
        configuration: { ProjectName: project.name, ...io.configuration },
      },
    ],
  };
}

/** The manual approval stage, `Approve`, showing `customData` to the approver; a refusal fails the run there. */
export function approvalStage(customData: string): CodepipelineStage {
  return { name: 'Approve', action: [{ name: 'Approve', category: 'Approval', ...AWS_ACTION, provider: 'Manual', configuration: { CustomData: customData } }] };
}
