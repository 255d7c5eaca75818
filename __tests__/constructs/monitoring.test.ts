import { describe, expect, it } from 'vitest';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { EncryptionKey } from '../../constructs/encryption-key';
import { AlarmTopic, dashboardBody, Monitoring, type FailureEvent, type MetricDefinition } from '../../constructs/monitoring';
import { emptyStack, policyStatements, resourceList, resources, synth } from '../helpers/synth';

const metric = (id: string, alarmed = true): MetricDefinition => ({
  id,
  group: 'Errors',
  title: id,
  namespace: 'AWS/ApplicationELB',
  metricName: `Metric-${id}`,
  dimensions: { LoadBalancer: 'app/x/1' },
  statistic: 'Sum',
  period: 60,
  description: `${id} happened`,
  ...(alarmed ? { alarm: { comparison: 'GreaterThanThreshold' as const, threshold: 5, evaluationPeriods: 3, treatMissingData: 'notBreaching' as const } } : {}),
});

const failure = (id: string, extra: Partial<FailureEvent> = {}): FailureEvent => ({
  id,
  description: `${id} happened`,
  pattern: { source: ['aws.codepipeline'], 'detail-type': ['CodePipeline Pipeline Execution State Change'], detail: { state: ['FAILED'] } },
  message: 'Pipeline <pipeline> failed at <time>',
  paths: { pipeline: '$.detail.pipeline', time: '$.time' },
  ...extra,
});

function build(props: { emailAddresses?: string[]; httpsEndpoints?: string[]; metrics?: MetricDefinition[]; failureEvents?: FailureEvent[] } = {}) {
  const stack = emptyStack();
  const key = new EncryptionKey(stack, 'key', {
    alias: 't',
    description: 't',
    allowCloudWatchAlarms: true,
    allowEventBridgeRules: true,
  });
  const topic = new AlarmTopic(stack, 'topic', {
    name: 't-alarms',
    encryptionKey: key,
    emailAddresses: props.emailAddresses,
    httpsEndpoints: props.httpsEndpoints,
  });
  // An alarm of another construct: it must notify the topic too.
  new CloudwatchMetricAlarm(stack, 'elsewhere', { alarmName: 'other', comparisonOperator: 'GreaterThanThreshold', evaluationPeriods: 1, threshold: 1 });
  const monitoring = new Monitoring(stack, 'monitoring', {
    name: 't',
    topic,
    metrics: props.metrics ?? [metric('a'), metric('b', false)],
    failureEvents: props.failureEvents,
  });
  return { stack, monitoring, ...synth(stack) };
}

describe('AlarmTopic', () => {
  it('encrypts with the stack key and lets only CloudWatch alarms of this account and region publish', () => {
    const { json } = build();
    const [topic] = resourceList(json, 'aws_sns_topic');
    expect(topic.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.key_\w+\.arn\}$/);
    const [statement] = policyStatements(resourceList(json, 'aws_sns_topic_policy')[0].policy);
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*' } },
    });
  });

  it("lets the topic's own EventBridge rules publish (named after the topic), no other rule", () => {
    const { json } = build();
    const statements = policyStatements(resourceList(json, 'aws_sns_topic_policy')[0].policy);
    expect(statements.find((st) => st.Sid === 'TheTopicsEventRulesPublish')).toEqual({
      Sid: 'TheTopicsEventRulesPublish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: expect.stringMatching(/^\$\{aws_sns_topic\.topic_\w+\.arn\}$/),
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:123456789012:rule/t-alarms-*' } },
    });
  });

  it('lets EventBridge use the key for the encrypted topic when asked', () => {
    const [key] = resourceList(build().json, 'aws_kms_key');
    expect(policyStatements(key.policy).find((st) => st.Sid === 'EventBridgeRulesPublishToEncryptedTopics')).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    });
  });

  it('lets CloudWatch use the key for the encrypted topic', () => {
    const [key] = resourceList(build().json, 'aws_kms_key');
    expect(policyStatements(key.policy).find((s) => s.Sid === 'CloudWatchAlarmsPublishToEncryptedTopics')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    });
  });

  it('subscribes the configured e-mail addresses and HTTPS endpoints', () => {
    const { json } = build({ emailAddresses: ['ops@example.com'], httpsEndpoints: ['https://hooks.example.com/alarms'] });
    expect(resourceList(json, 'aws_sns_topic_subscription').map((s) => [s.protocol, s.endpoint])).toEqual([
      ['email', 'ops@example.com'],
      ['https', 'https://hooks.example.com/alarms'],
    ]);
  });

  it('warns at synth that alarms notify nobody without a subscription, and not with one', () => {
    const warnings = (stack: ReturnType<typeof build>['stack']) =>
      stack.node.findAll().flatMap((n) => n.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
    expect(warnings(build().stack)).toEqual([expect.stringMatching(/t-alarms: alarms notify nobody until a subscription is set/)]);
    expect(warnings(build({ emailAddresses: ['ops@example.com'] }).stack)).toEqual([]);
  });

  it.each([
    [{ emailAddresses: ['ops'] }, /emailAddresses: "ops" is not an e-mail address/],
    [{ httpsEndpoints: ['http://hooks.example.com'] }, /httpsEndpoints: "http:\/\/hooks\.example\.com" is not an https:\/\/ URL/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});

describe('Monitoring', () => {
  it('alarms each metric that has an alarm, as defined, and only those', () => {
    const alarms = resourceList(build().json, 'aws_cloudwatch_metric_alarm').filter((a) => a.alarm_name !== 'other');
    expect(alarms).toEqual([
      expect.objectContaining({
        alarm_name: 't-a',
        metric_name: 'Metric-a',
        namespace: 'AWS/ApplicationELB',
        statistic: 'Sum',
        period: 60,
        evaluation_periods: 3,
        datapoints_to_alarm: 3,
        threshold: 5,
        comparison_operator: 'GreaterThanThreshold',
        treat_missing_data: 'notBreaching',
      }),
    ]);
  });

  it("sends ALARM and OK of every alarm in the stack to the topic, its own and other constructs'", () => {
    const { json } = build();
    const [topicId] = Object.keys(resources(json, 'aws_sns_topic'));
    const alarms = resourceList(json, 'aws_cloudwatch_metric_alarm');
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm.alarm_actions).toEqual([`\${aws_sns_topic.${topicId}.arn}`]);
      expect(alarm.ok_actions).toEqual([`\${aws_sns_topic.${topicId}.arn}`]);
    }
  });

  it('takes a percentile as an extended statistic', () => {
    const [alarm] = resourceList(build({ metrics: [{ ...metric('p'), statistic: 'p99' }] }).json, 'aws_cloudwatch_metric_alarm').filter(
      (a) => a.alarm_name === 't-p',
    );
    expect(alarm.extended_statistic).toBe('p99');
    expect(alarm.statistic).toBeUndefined();
  });

  it('draws every metric, alarmed or not, with the alarm threshold as an annotation', () => {
    const body = JSON.parse(resourceList(build().json, 'aws_cloudwatch_dashboard')[0].dashboard_body);
    const graphs = body.widgets.filter((w: { type: string }) => w.type === 'metric');
    expect(graphs.map((w: { properties: { metrics: string[][] } }) => w.properties.metrics[0].slice(0, 2))).toEqual([
      ['AWS/ApplicationELB', 'Metric-a'],
      ['AWS/ApplicationELB', 'Metric-b'],
    ]);
    expect(graphs[0].properties.annotations.horizontal).toEqual([{ label: 'alarm: GreaterThanThreshold 5', value: 5 }]);
    expect(graphs[1].properties.annotations).toBeUndefined();
  });

  it('lays the rows out in the group order, each row below the last', () => {
    const body = dashboardBody([{ ...metric('n'), group: 'NAT' }, metric('e'), { ...metric('r'), group: 'Requests' }], 'eu-west-1');
    const titles = body.widgets
      .filter((w) => (w as { type: string }).type === 'text')
      .map((w) => (w as { properties: { markdown: string } }).properties.markdown);
    expect(titles).toEqual(['## Requests', '## Errors', '## NAT']);
    const ys = body.widgets.map((w) => (w as { y: number }).y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
  });

  it('gives the dashboard URL in the console', () => {
    expect(build().monitoring.dashboardUrl).toBe('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/t');
  });

  it('refuses a metric id given twice', () => {
    expect(() => build({ metrics: [metric('a'), metric('a')] })).toThrow(/metrics: "a" is defined twice/);
  });
});

describe('Monitoring failure events', () => {
  it('sends each failure event to the topic through its own rule, named after the topic', () => {
    // GIVEN a failure event WHEN monitored
    const { json } = build({ failureEvents: [failure('pipeline-failed')] });
    // THEN a rule with its pattern targets the topic
    const [rule] = resourceList(json, 'aws_cloudwatch_event_rule');
    expect(rule).toMatchObject({ name: 't-alarms-pipeline-failed', description: 'pipeline-failed happened' });
    expect(JSON.parse(rule.event_pattern)).toEqual(failure('x').pattern);
    const [target] = resourceList(json, 'aws_cloudwatch_event_target');
    expect(target.arn).toMatch(/^\$\{aws_sns_topic\.topic_\w+\.arn\}$/);
    expect(target.rule).toMatch(/^\$\{aws_cloudwatch_event_rule\.topic_pipeline-failed_\w+\.name\}$/);
  });

  it('delivers one sentence: the message as a JSON string template, its placeholders filled by the paths', () => {
    const [target] = resourceList(build({ failureEvents: [failure('pipeline-failed')] }).json, 'aws_cloudwatch_event_target');
    expect(target.input_transformer).toEqual({
      input_paths: { pipeline: '$.detail.pipeline', time: '$.time' },
      input_template: '"Pipeline <pipeline> failed at <time>"',
    });
  });

  it.each([
    [[failure('a'), failure('a')], /failureEvents: "a" is defined twice/],
    [[failure('a', { message: 'failed at <when>' })], /the message of a has <when> with no path in paths; add one for each/],
    [[failure('x'.repeat(60))], /the rule name "t-alarms-x+" is 69 characters; EventBridge takes 64: shorten the id/],
  ])('refuses %#: %s', (failureEvents, error) => {
    expect(() => build({ failureEvents })).toThrow(error);
  });
});
