import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { WEB_ALARM_IDS } from '../../../config/schema';
import { EncryptionKey } from '../../../constructs/encryption-key';
import { CachetStack } from '../../../stacks/cachet/cachet-stack';
import { STATUS_PAGE_FUNCTION_DIR, StatusPageUpdates, type StatusPageUpdatesProps } from '../../../stacks/cachet/status-page-updates';
import { webAlarmName, WebStack } from '../../../stacks/web/web-stack';
import { config, emptyStack, policyStatements, resourceList, resources, synth, type Json } from '../../helpers/synth';

const dev = config('dev');
const cachetDev = (): Json => JSON.parse(Testing.synth(new CachetStack(Testing.app(), dev)));
const only = (json: Json, type: string) => {
  const list = resourceList(json, type).filter((r) => JSON.stringify(r).includes('status-page'));
  expect(list).toHaveLength(1);
  return list[0];
};

describe('the status page shows the web app alarms', () => {
  const json = cachetDev();

  const webAlarms = resourceList(JSON.parse(Testing.synth(new WebStack(Testing.app(), dev))), 'aws_cloudwatch_metric_alarm').map((a) => a.alarm_name);

  it.each(WEB_ALARM_IDS)('%s names an alarm the web stack has', (id) => {
    expect(webAlarms).toContain(webAlarmName(dev, id));
  });

  it("takes exactly the configured alarms' state changes", () => {
    const rule = resourceList(json, 'aws_cloudwatch_event_rule').find((r) => r.name.endsWith('alarm-changes'))!;
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: dev.statusPage.components.map((c) => webAlarmName(dev, c.alarm)) },
    });
  });

  it('never loses an event unseen: EventBridge hands it to Lambda (retrying its delivery for a day), Lambda retries a failed run twice, then both dead-letter to a queue only the rule and the function may write', () => {
    const target = resourceList(json, 'aws_cloudwatch_event_target').find((t) => /status-page-updates_function/.test(t.arn))!;
    const [queueId] = Object.keys(resources(json, 'aws_sqs_queue'));
    expect(target.retry_policy).toEqual({ maximum_retry_attempts: 185, maximum_event_age_in_seconds: 86400 });
    expect(target.dead_letter_config.arn).toBe(`\${aws_sqs_queue.${queueId}.arn}`);
    expect(only(json, 'aws_lambda_function').dead_letter_config.target_arn).toBe(`\${aws_sqs_queue.${queueId}.arn}`);
    const [statement] = policyStatements(resourceList(json, 'aws_sqs_queue_policy')[0].policy);
    expect(statement).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { ArnEquals: { 'aws:SourceArn': expect.stringMatching(/alarm-changes/) } },
    });
    expect(resourceList(json, 'aws_sqs_queue')[0]).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
  });

  it.each([
    ['status-page-errors', 'AWS/Lambda', 'Errors', 'FunctionName', /aws_lambda_function\.status-page-updates_function_\w+\.function_name/],
    ['status-page-dead-letters', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', /aws_sqs_queue\.status-page-updates_dead-letters_\w+\.name/],
  ])('pages on %s: %s %s above 0, to the stack topic on ALARM and OK', (id, namespace, metric, dimension, target) => {
    // GIVEN the Cachet stack with the status page on WHEN synthesized
    const alarm = resourceList(json, 'aws_cloudwatch_metric_alarm').find((a) => a.alarm_name === `${dev.project}-dev-cachet-${id}`)!;
    // THEN the alarm watches the function's failures or the queue's depth, at the first datapoint
    expect(alarm).toMatchObject({
      namespace,
      metric_name: metric,
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
      evaluation_periods: 1,
      treat_missing_data: 'notBreaching',
    });
    expect(alarm.dimensions[dimension]).toMatch(target);
    expect(alarm.alarm_actions).toEqual([expect.stringMatching(/aws_sns_topic\.alarm-topic/)]);
    expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
  });

  it('keeps the token out of Terraform: a secret created empty, read by the function at run time', () => {
    const [secretId] = Object.entries(resources(json, 'aws_secretsmanager_secret')).find(([, s]) => s.name_prefix.includes('cachet-api-token'))!;
    expect(resourceList(json, 'aws_secretsmanager_secret_version').filter((v) => v.secret_id.includes(secretId))).toEqual([]);
    expect(only(json, 'aws_lambda_function').environment.variables.TOKEN_SECRET_ARN).toBe(`\${aws_secretsmanager_secret.${secretId}.arn}`);
  });

  it("grants the function its logs, that secret, the key through Secrets Manager, the queue and the mapped alarms' states, nothing else", () => {
    const policy = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'update-status-page')!;
    expect(policyStatements(policy.policy).map((s) => [s.Sid, s.Action])).toEqual([
      ['WriteLogs', ['logs:CreateLogStream', 'logs:PutLogEvents']],
      ['ReadTheApiToken', 'secretsmanager:GetSecretValue'],
      ['DeadLetterUndeliveredEvents', 'sqs:SendMessage'],
      ['ReadTheMappedAlarmsStates', 'cloudwatch:DescribeAlarms'],
      ['DecryptTheApiTokenThroughSecretsManager', 'kms:Decrypt'],
    ]);
  });

  it('lets the function read the states of the alarms it maps, by ARN, not every alarm of the account', () => {
    const policy = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'update-status-page')!;
    const read = policyStatements(policy.policy).find((s) => s.Sid === 'ReadTheMappedAlarmsStates')!;
    const { accountId, region } = dev;
    expect(read.Resource).toEqual(dev.statusPage.components.map((c) => `arn:aws:cloudwatch:${region}:${accountId}:alarm:${webAlarmName(dev, c.alarm)}`));
  });

  it('runs the code in this repo, zipped at synth, on a current Node.js runtime', () => {
    const fn = only(json, 'aws_lambda_function');
    expect(fn).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.handler' });
    // No reservation: an account with Lambda's minimum of 10 concurrent executions must take the apply.
    expect(fn).not.toHaveProperty('reserved_concurrent_executions');
    const zip = join(Testing.fullSynth(new CachetStack(Testing.app(), dev)), 'stacks', 'cachet-dev', fn.filename);
    const packed = execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("index.mjs"))', zip]);
    expect(packed.toString('utf8')).toBe(readFileSync(join(STATUS_PAGE_FUNCTION_DIR, 'index.mjs'), 'utf8'));
  });

  it('deploys nothing for it when no component is mapped (staging)', () => {
    const staging: Json = JSON.parse(Testing.synth(new CachetStack(Testing.app(), config('staging'))));
    expect(resourceList(staging, 'aws_lambda_function')).toEqual([]);
    expect(staging.output.status_page_token_secret_arn).toBeUndefined();
  });
});

describe('StatusPageUpdates refuses', () => {
  const build = (props: Partial<StatusPageUpdatesProps>) => {
    const stack = emptyStack();
    const key = new EncryptionKey(stack, 'key', { alias: 't', description: 't' });
    new StatusPageUpdates(stack, 'updates', {
      name: 't',
      cachetUrl: 'https://status.example.com',
      encryptionKey: key,
      components: [{ alarmName: 'a', componentId: 1, status: 'major-outage' }],
      ...props,
    });
    return synth(stack);
  };

  it.each([
    [{ components: [] }, /components is empty/],
    [{ cachetUrl: 'http://status.example.com' }, /cachetUrl "http:\/\/status\.example\.com" must be the status page's https:\/\/ origin/],
    [{ components: [{ alarmName: 'a', componentId: 0, status: 'major-outage' as const }] }, /componentId 0 of a is not a Cachet component id/],
    [
      { components: Array.from({ length: 101 }, (_, i) => ({ alarmName: `a${i}`, componentId: 1, status: 'major-outage' as const })) },
      /component 1 has 101 alarms; .* at most 100: split them over components/,
    ],
  ])('%j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});
