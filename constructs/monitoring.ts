import { Construct, type IConstruct } from 'constructs';
import { Annotations, Aspects, type IAspect, TerraformStack } from 'cdktf';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { EncryptionKey } from './encryption-key';
import { policyDocument, type AwsLocation } from './policy';
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

export interface AlarmTopicProps {
  /** The topic's name. */
  readonly name: string;
  readonly location: AwsLocation;
  /** Encrypts messages at rest; its policy must let CloudWatch use it (`allowCloudWatchAlarms`). */
  readonly encryptionKey: EncryptionKey;
  /** @default - none: the alarms notify nobody (synth says so) */
  readonly emailAddresses?: readonly string[];
  /** HTTPS endpoints (a chat webhook, an incident tool). @default - none */
  readonly httpsEndpoints?: readonly string[];
}

/**
 * The topic a stack's alarms notify: encrypted with the stack's key; only CloudWatch alarms of
 * this account and region may publish. Subscriptions come from config; without any, synth warns
 * that alarms reach nobody.
 */
export class AlarmTopic extends Construct {
  public readonly topic: SnsTopic;
  /** The topic's ARN, for `alarm_actions` and `ok_actions`. */
  public readonly arn: string;

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
    const { accountId, region } = props.location;
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
      ]),
    });
    emails.forEach((endpoint, i) => new SnsTopicSubscription(this, `email-${i}`, { topicArn: this.topic.arn, protocol: 'email', endpoint }));
    endpoints.forEach((endpoint, i) => new SnsTopicSubscription(this, `https-${i}`, { topicArn: this.topic.arn, protocol: 'https', endpoint }));
    if (emails.length + endpoints.length === 0) {
      Annotations.of(this).addWarning(`${props.name}: alarms notify nobody until a subscription is set (an e-mail address or an HTTPS endpoint)`);
    }
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
  readonly location: AwsLocation;
  readonly topic: AlarmTopic;
  /** The metrics: each is drawn on the dashboard, and alarmed when it has an `alarm`. */
  readonly metrics: readonly MetricDefinition[];
}

/**
 * A stack's alarms and dashboard (its URL in `dashboardUrl`), from one list of metric definitions. Every alarm in the stack,
 * these and any other construct's, notifies the topic on ALARM and on OK (an aspect sets both).
 */
export class Monitoring extends Construct {
  public readonly dashboard: CloudwatchDashboard;
  /** The dashboard in the CloudWatch console. */
  public readonly dashboardUrl: string;
  public readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const ids = props.metrics.map((m) => m.id);
    const repeated = ids.find((m, i) => ids.indexOf(m) !== i);
    if (repeated) throw new Error(`Monitoring ${id}: metrics: "${repeated}" is defined twice; give each metric its own id`);

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

    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: props.name,
      dashboardBody: JSON.stringify(dashboardBody(props.metrics, props.location.region)),
    });
    this.dashboardUrl = `https://${props.location.region}.console.aws.amazon.com/cloudwatch/home?region=${props.location.region}#dashboards/dashboard/${props.name}`;
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
