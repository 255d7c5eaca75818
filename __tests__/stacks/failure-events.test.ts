// Failures no metric shows reach the stack's topic: a failed release (pipeline), an instance refresh
// that fails or rolls back, a failed image build and a Beanstalk update or managed update that
// fails. Each rule is read from the synthesized stacks, its names resolved as Terraform would, and
// run on the emulator's EventBridge against the example events AWS documents for each service: the
// failure arrives as one sentence, the success and another resource's failure do not arrive.
// The emulator stands in for EventBridge's matching and input transformer (moto's implementation of
// them); it takes `aws.*` sources in PutEvents, which AWS refuses to anyone but the service, and
// which is how the documented events are put here. Its target is a queue, where AWS's is the topic.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorCliEnv, startEmulator, VENV_BIN, type Emulator } from '../../harness/emulator';
import { evaluateTemplate, type Traversal } from '../../harness/hcl-expression';
import { CachetStack } from '../../stacks/cachet/cachet-stack';
import { WebStack } from '../../stacks/web/web-stack';
import { config, resources, type Json } from '../helpers/synth';

const REGION = 'eu-west-1';
const dev = config('dev');
const stacks: Record<'web' | 'cachet', Json> = {
  web: JSON.parse(Testing.synth(new WebStack(Testing.app(), dev))),
  cachet: JSON.parse(Testing.synth(new CachetStack(Testing.app(), dev))),
};

/** The rule whose construct id ends the address `alarm-topic_<id>`, and its target. */
function failureRule(system: keyof typeof stacks, id: string): { rule: Json; target: Json } {
  const json = stacks[system];
  const [ruleId, rule] = Object.entries(resources(json, 'aws_cloudwatch_event_rule')).find(([address]) => address.startsWith(`alarm-topic_${id}_`))!;
  const target = Object.values(resources(json, 'aws_cloudwatch_event_target')).find((t) => t.rule === `\${aws_cloudwatch_event_rule.${ruleId}.name}`)!;
  return { rule, target };
}

/** A reference resolved to the attribute as the stack writes it (names are literal in our stacks). */
function resolver(json: Json) {
  return (t: Traversal) => {
    const [type, id, attr] = t as string[];
    const value = json.resource?.[type]?.[id]?.[attr];
    if (typeof value !== 'string' || value.includes('${')) throw new Error(`${t.join('.')} is not a literal in the stack`);
    return value;
  };
}

function pattern(system: keyof typeof stacks, id: string): Json {
  return JSON.parse(String(evaluateTemplate(failureRule(system, id).rule.event_pattern, resolver(stacks[system]))));
}

const name = (system: keyof typeof stacks, type: string, attr: string, address: string) =>
  String(resolver(stacks[system])([type, Object.keys(resources(stacks[system], type)).find((a) => a.startsWith(`${address}_`))!, attr]));
const PIPELINE = name('web', 'aws_codepipeline', 'name', 'delivery_pipeline');
const GROUP = name('web', 'aws_autoscaling_group', 'name', 'fleet_group');
const PROJECT = name('cachet', 'aws_codebuild_project', 'name', 'cachet-image_build');
const ENVIRONMENT = name('cachet', 'aws_elastic_beanstalk_environment', 'name', 'cachet_environment');

/** An event as AWS's documentation shows it for the service (source, detail-type, detail). */
interface ServiceEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

const pipelineExecution = (state: string, pipeline = PIPELINE): ServiceEvent => ({
  source: 'aws.codepipeline',
  detailType: 'CodePipeline Pipeline Execution State Change',
  detail: {
    pipeline,
    'execution-id': '01234567-0123-0123-0123-012345678901',
    'execution-trigger': { 'trigger-type': 'StartPipelineExecution' },
    state,
    version: 1,
  },
});
const instanceRefresh = (what: string, group = GROUP): ServiceEvent => ({
  source: 'aws.autoscaling',
  detailType: `EC2 Auto Scaling Instance Refresh ${what}`,
  detail: { InstanceRefreshId: 'c613620e-07e2-4ed2-a9e2-ef8258911ade', AutoScalingGroupName: group },
});
const build = (status: string, project = PROJECT): ServiceEvent => ({
  source: 'aws.codebuild',
  detailType: 'CodeBuild Build State Change',
  detail: {
    'build-status': status,
    'project-name': project,
    'build-id': `arn:aws:codebuild:${REGION}:123456789012:build/${project}:0a1b2c3d`,
    'additional-information': { 'build-complete': true },
    'current-phase': 'COMPLETED',
    version: '1',
  },
});
const beanstalk = (detailType: string, status: string, message: string, environment = ENVIRONMENT): ServiceEvent => ({
  source: 'aws.elasticbeanstalk',
  detailType,
  detail: { Status: status, EventDate: 1604363687870, ApplicationName: ENVIRONMENT, Message: message, EnvironmentName: environment, Severity: 'ERROR' },
});

let emulator: Emulator;

function aws(...args: string[]): Json {
  // --endpoint-url as well: the CLI's SQS commands do not take AWS_ENDPOINT_URL.
  const out = execFileSync(join(VENV_BIN, 'aws'), [...args, '--region', REGION, '--output', 'json', '--endpoint-url', emulator.endpoint], {
    env: { PATH: process.env.PATH!, ...emulatorCliEnv(emulator) },
    encoding: 'utf8',
  });
  return out.trim() ? JSON.parse(out) : {};
}

let queues = 0;

/** The rule as synthesized (pattern and input transformer) on the emulator, targeting a new queue. */
function deliver(system: keyof typeof stacks, id: string): { receive: () => string[]; put: (e: ServiceEvent) => void } {
  const { target } = failureRule(system, id);
  const ruleName = `${id}-${++queues}`;
  const queueUrl = aws('sqs', 'create-queue', '--queue-name', ruleName).QueueUrl;
  const queueArn = aws('sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'QueueArn').Attributes.QueueArn;
  aws('events', 'put-rule', '--name', ruleName, '--event-pattern', JSON.stringify(pattern(system, id)));
  const transformer = { InputPathsMap: target.input_transformer.input_paths, InputTemplate: target.input_transformer.input_template };
  aws('events', 'put-targets', '--rule', ruleName, '--targets', JSON.stringify([{ Id: 'topic', Arn: queueArn, InputTransformer: transformer }]));
  return {
    put: (e) => {
      const answer = aws(
        'events',
        'put-events',
        '--entries',
        JSON.stringify([{ Source: e.source, DetailType: e.detailType, Detail: JSON.stringify(e.detail), Time: '2026-12-06T03:14:15Z' }]),
      );
      expect(answer.FailedEntryCount).toBe(0);
    },
    receive: () => (aws('sqs', 'receive-message', '--queue-url', queueUrl, '--max-number-of-messages', '10').Messages ?? []).map((m: Json) => m.Body),
  };
}

beforeAll(async () => {
  emulator = await startEmulator();
}, 120_000);

afterAll(async () => emulator?.stop());

describe('failure events reach the topic', () => {
  it.each([
    ['web', 'pipeline-failed', 'aws_codepipeline.delivery_pipeline'],
    ['web', 'refresh-failed', 'aws_autoscaling_group.fleet_group'],
    ['cachet', 'image-build-failed', 'aws_codebuild_project.cachet-image_build'],
    ['cachet', 'beanstalk-failed', 'aws_elastic_beanstalk_environment.cachet_environment'],
  ] as const)('%s: %s names its resource by reference and targets the topic', (system, id, resource) => {
    const { rule, target } = failureRule(system, id);
    expect(rule.event_pattern).toContain(`\${${resource}_`);
    expect(target.arn).toMatch(/^\$\{aws_sns_topic\.alarm-topic_\w+\.arn\}$/);
    expect(rule.name).toBe(`${dev.project}-${dev.name}${system === 'web' ? '-web-alarms' : '-cachet-alarms'}-${id}`);
  });

  it.each([
    [
      'web',
      'pipeline-failed',
      [pipelineExecution('FAILED')],
      [pipelineExecution('SUCCEEDED'), pipelineExecution('STARTED'), pipelineExecution('FAILED', 'another-pipeline')],
      /^"Release failed: pipeline .+-web, execution 01234567-0123-0123-0123-012345678901, at 2026-12-06T03:14:15Z\./,
    ],
    [
      'web',
      'refresh-failed',
      [instanceRefresh('Failed'), instanceRefresh('Rollback Started'), instanceRefresh('Rollback Failed')],
      [instanceRefresh('Succeeded'), instanceRefresh('Started'), instanceRefresh('Checkpoint Reached'), instanceRefresh('Failed', 'another-group')],
      /^"EC2 Auto Scaling Instance Refresh (Failed|Rollback Started|Rollback Failed) for .+-web \(refresh c613620e-07e2-4ed2-a9e2-ef8258911ade\) at 2026-12-06T03:14:15Z\./,
    ],
    [
      'cachet',
      'image-build-failed',
      [build('FAILED'), build('STOPPED')],
      [build('SUCCEEDED'), build('IN_PROGRESS'), build('FAILED', 'another-project')],
      /^"Image build (FAILED|STOPPED): project .+-image, build arn:aws:codebuild:.+, at 2026-12-06T03:14:15Z\./,
    ],
    [
      'cachet',
      'beanstalk-failed',
      [
        beanstalk('Elastic Beanstalk resource status change', 'Environment update failed', 'Failed to deploy application.'),
        beanstalk('Elastic Beanstalk resource status change', 'Environment creation failed', 'Failed to launch environment.'),
        beanstalk('Managed update status change', 'Managed update failed', 'Managed update failed, retrying in 10 minutes.'),
      ],
      [
        beanstalk('Elastic Beanstalk resource status change', 'Environment update successful', 'Environment update completed successfully.'),
        beanstalk('Managed update status change', 'Managed updated started', 'Managed platform update is in-progress.'),
        beanstalk('Health status change', 'Environment health changed', 'Environment health has transitioned from Ok to Severe.'),
        beanstalk('Elastic Beanstalk resource status change', 'Environment update failed', 'Failed to deploy application.', 'another-environment'),
      ],
      /^"(Environment update failed|Environment creation failed|Managed update failed) for .+-cachet at 2026-12-06T03:14:15Z\. Beanstalk says: (Failed|Managed update failed).+\. The environment events say which step failed/,
    ],
  ] as const)('%s: %s delivers each documented failure as its sentence, and nothing else', (system, id, failures, others, sentence) => {
    // GIVEN the rule on the emulator's EventBridge
    const rule = deliver(system, id);
    // WHEN the service's events arrive, the failures among others
    for (const event of [...others, ...failures]) rule.put(event);
    // THEN exactly the failures reach the target, each as its sentence
    const messages = rule.receive();
    expect(messages).toHaveLength(failures.length);
    for (const message of messages) expect(message).toMatch(sentence);
  });
});
