import { Construct, type IConstruct } from 'constructs';
import { Annotations, Aspects, type IAspect, TerraformStack } from 'cdktf';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { EncryptionKey } from './encryption-key';
import { policyDocument, locationOf } from './policy';
import { EMAIL_ADDRESS, HTTPS_URL } from './validation';

/**
 * AWS's recommended alarms, which the definitions below follow (metric, statistic, period,
 * datapoints): https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html
 */
export const RECOMMENDED_ALARMS_URL = 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html';

/** The dashboard's rows, in order: each metric is drawn in its group's row. */
export const DASHBOARD_GROUPS = ['Requests', 'Errors', 'Latency', 'Healthy hosts', 'Instances', 'Database', 'NAT'] as const;
export type DashboardGroup = (typeof DASHBOARD_GROUPS)[number];

/** When an alarm fires: the comparison against `threshold` over `datapoints` of `evaluationPeriods` periods. */
export interface AlarmCondition {
  readonly comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
  readonly threshold: number;
  readonly evaluationPeriods: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** What a period without data means: quiet load balancers publish no error counts. */
  readonly treatMissingData: 'notBreaching' | 'breaching' | 'missing' | 'ignore';
}

/**
 * One metric, as both the dashboard and its alarm use it: the alarms and the dashboard are built
 * from the same list, so they cannot disagree.
 */
export interface MetricDefinition {
  /** Construct id of the alarm and the suffix of its name, e.g. `elb-5xx`. */
  readonly id: string;
  readonly group: DashboardGroup;
  /** Widget title, e.g. `Load balancer 5xx`. */
  readonly title: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `Sum`, `Average`, `Minimum`, `Maximum`, or a percentile such as `p99`. */
  readonly statistic: string;
  /** Seconds. */
  readonly period: number;
  /** What the alarm means and what to look at first. */
  readonly description: string;
  /** @default - drawn on the dashboard only, no alarm */
  readonly alarm?: AlarmCondition;
}

/**
 * An AWS event that means something failed where no metric shows it (a pipeline, an instance
 * refresh, an image build, a Beanstalk update): an EventBridge rule sends it to the stack's topic
 * as one sentence.
 */
export interface FailureEvent {
  /** Construct id of the rule and the suffix of its name (`<topic name>-<id>`), e.g. `pipeline-failed`. */
  readonly id: string;
  /** What failed, for the rule's description. */
  readonly description: string;
  /** The EventBridge event pattern, with literal names (source, detail-type, detail). */
  readonly pattern: Readonly<Record<string, unknown>>;
  /** The message: a sentence with `<name>` placeholders, each filled from the event by `paths`. */
  readonly message: string;
  /** JSON paths into the event, by placeholder name, e.g. `{ pipeline: '$.detail.pipeline' }`. */
  readonly paths: Readonly<Record<string, string>>;
}

export interface AlarmTopicProps {
  /** The topic's name. */
  readonly name: string;
  /** Encrypts messages at rest; its policy must let CloudWatch use it (`allowCloudWatchAlarms`). */
  readonly encryptionKey: EncryptionKey;
  /** @default - none: the alarms notify nobody (synth says so) */
  readonly emailAddresses?: readonly string[];
  /** HTTPS endpoints (a chat webhook, an incident tool). @default - none */
  readonly httpsEndpoints?: readonly string[];
}

/** EventBridge's limit on a rule name. */
const RULE_NAME_MAX = 64;

/**
 * The topic a stack's alarms notify: encrypted with the stack's key; only CloudWatch alarms and
 * the topic's own EventBridge rules (`notifyOn`, named after the topic) of this account and region
 * may publish. Subscriptions come from config; without any, synth warns that alarms reach nobody.
 */
export class AlarmTopic extends Construct {
  public readonly topic: SnsTopic;
  /** The topic's ARN, for `alarm_actions` and `ok_actions`. */
  public readonly arn: string;
  private readonly name: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const emails = props.emailAddresses ?? [];
    const endpoints = props.httpsEndpoints ?? [];
    for (const email of emails) {
      if (!EMAIL_ADDRESS.test(email)) throw new Error(`AlarmTopic ${id}: emailAddresses: "${email}" is not an e-mail address`);
    }
    for (const url of endpoints) {
      if (!HTTPS_URL.test(url)) throw new Error(`AlarmTopic ${id}: httpsEndpoints: "${url}" is not an https:// URL (SNS delivers alarms over HTTPS only here)`);
    }
    const { accountId, region } = locationOf(this);
    this.topic = new SnsTopic(this, 'topic', { name: props.name, kmsMasterKeyId: props.encryptionKey.arn });
    this.arn = this.topic.arn;
    new SnsTopicPolicy(this, 'policy', {
      arn: this.topic.arn,
      policy: policyDocument([
        {
          Sid: 'CloudWatchAlarmsOfThisAccountPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: this.topic.arn,
          Condition: {
            StringEquals: { 'aws:SourceAccount': accountId },
            ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${region}:${accountId}:alarm:*` },
          },
        },
        {
          Sid: 'TheTopicsEventRulesPublish',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: this.topic.arn,
          Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:events:${region}:${accountId}:rule/${props.name}-*` } },
        },
      ]),
    });
    this.name = props.name;
    emails.forEach((endpoint, i) => new SnsTopicSubscription(this, `email-${i}`, { topicArn: this.topic.arn, protocol: 'email', endpoint }));
    endpoints.forEach((endpoint, i) => new SnsTopicSubscription(this, `https-${i}`, { topicArn: this.topic.arn, protocol: 'https', endpoint }));
    if (emails.length + endpoints.length === 0) {
      Annotations.of(this).addWarning(`${props.name}: alarms notify nobody until a subscription is set (an e-mail address or an HTTPS endpoint)`);
    }
  }

  /**
   * Sends each event matching `event.pattern` to the topic as its sentence. The key must let
   * EventBridge use it (`allowEventBridgeRules`), as AWS requires for an encrypted topic.
   */
  public notifyOn(event: FailureEvent): CloudwatchEventRule {
    const ruleName = `${this.name}-${event.id}`;
    if (ruleName.length > RULE_NAME_MAX) {
      throw new Error(
        `AlarmTopic ${this.node.id}: the rule name "${ruleName}" is ${ruleName.length} characters; EventBridge takes ${RULE_NAME_MAX}: shorten the id "${event.id}"`,
      );
    }
    const placeholders = [...event.message.matchAll(/<([A-Za-z0-9_.-]+)>/g)].map((m) => m[1]);
    const unknown = placeholders.filter((p) => !(p in event.paths));
    if (unknown.length > 0)
      throw new Error(`AlarmTopic ${this.node.id}: the message of ${event.id} has <${unknown.join('>, <')}> with no path in paths; add one for each`);
    const rule = new CloudwatchEventRule(this, event.id, { name: ruleName, description: event.description, eventPattern: JSON.stringify(event.pattern) });
    new CloudwatchEventTarget(this, `${event.id}-target`, {
      rule: rule.name,
      arn: this.topic.arn,
      inputTransformer: { inputPaths: { ...event.paths }, inputTemplate: JSON.stringify(event.message) },
    });
    return rule;
  }
}

/** Gives every CloudWatch metric alarm in a scope the topic as its ALARM and OK action. */
class NotifyTopic implements IAspect {
  constructor(private readonly topicArn: string) {}

  visit(node: IConstruct): void {
    if (node instanceof CloudwatchMetricAlarm) {
      node.alarmActions = [this.topicArn];
      node.okActions = [this.topicArn];
    }
  }
}

export interface MonitoringProps {
  /** Prefix of alarm names and the dashboard's name. */
  readonly name: string;
  readonly topic: AlarmTopic;
  /** The metrics: each is drawn on the dashboard, and alarmed when it has an `alarm`. */
  readonly metrics: readonly MetricDefinition[];
  /** Failures no metric shows, each sent to the topic by an EventBridge rule. @default - none */
  readonly failureEvents?: readonly FailureEvent[];
}

/**
 * A stack's alarms and dashboard (its URL in `dashboardUrl`), from one list of metric definitions. Every alarm in the stack,
 * these and any other construct's, notifies the topic on ALARM and on OK (an aspect sets both);
 * each failure event reaches the topic through its own rule.
 */
export class Monitoring extends Construct {
  public readonly dashboard: CloudwatchDashboard;
  /** The dashboard in the CloudWatch console. */
  public readonly dashboardUrl: string;
  public readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    for (const [field, ids] of [
      ['metrics', props.metrics.map((m) => m.id)],
      ['failureEvents', (props.failureEvents ?? []).map((e) => e.id)],
    ] as const) {
      const repeated = ids.find((m, i) => ids.indexOf(m) !== i);
      if (repeated) throw new Error(`Monitoring ${id}: ${field}: "${repeated}" is defined twice; give each its own id`);
    }

    this.alarms = props.metrics
      .filter((m) => m.alarm)
      .map((m) => {
        const alarm = m.alarm!;
        const percentile = /^p\d+(\.\d+)?$/.test(m.statistic);
        return new CloudwatchMetricAlarm(this, m.id, {
          alarmName: `${props.name}-${m.id}`,
          alarmDescription: `${m.description} (${RECOMMENDED_ALARMS_URL})`,
          namespace: m.namespace,
          metricName: m.metricName,
          dimensions: { ...m.dimensions },
          ...(percentile ? { extendedStatistic: m.statistic } : { statistic: m.statistic }),
          period: m.period,
          evaluationPeriods: alarm.evaluationPeriods,
          datapointsToAlarm: alarm.datapointsToAlarm ?? alarm.evaluationPeriods,
          threshold: alarm.threshold,
          comparisonOperator: alarm.comparison,
          treatMissingData: alarm.treatMissingData,
        });
      });

    for (const event of props.failureEvents ?? []) props.topic.notifyOn(event);

    const { region } = locationOf(this);
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: props.name,
      dashboardBody: JSON.stringify(dashboardBody(props.metrics, region)),
    });
    this.dashboardUrl = `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${props.name}`;
    Aspects.of(TerraformStack.of(this)).add(new NotifyTopic(props.topic.arn));
  }
}

/**
 * A dashboard body: one row per group (in DASHBOARD_GROUPS order), one graph per metric, each
 * with its alarm's threshold drawn as an annotation. Tokens (dimension values) stay in the text
 * and Terraform fills them in.
 */
export function dashboardBody(metrics: readonly MetricDefinition[], region: string): { widgets: unknown[] } {
  const widgets: unknown[] = [];
  let y = 0;
  for (const group of DASHBOARD_GROUPS) {
    const inGroup = metrics.filter((m) => m.group === group);
    if (inGroup.length === 0) continue;
    widgets.push({ type: 'text', x: 0, y, width: 24, height: 1, properties: { markdown: `## ${group}` } });
    y += 1;
    inGroup.forEach((m, i) => {
      widgets.push({
        type: 'metric',
        x: (i % 3) * 8,
        y: y + Math.floor(i / 3) * 6,
        width: 8,
        height: 6,
        properties: {
          title: m.title,
          region,
          view: 'timeSeries',
          stat: m.statistic,
          period: m.period,
          metrics: [[m.namespace, m.metricName, ...Object.entries(m.dimensions).flat()]],
          ...(m.alarm ? { annotations: { horizontal: [{ label: `alarm: ${m.alarm.comparison} ${m.alarm.threshold}`, value: m.alarm.threshold }] } } : {}),
        },
      });
    });
    y += Math.ceil(inGroup.length / 3) * 6;
  }
  return { widgets };
}
