import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import type { EncryptionKey } from '../../constructs/encryption-key';
import { InlinePolicy, ServiceRole } from '../../constructs/grants';
import type { MetricDefinition } from '../../constructs/monitoring';
import { policyDocument, locationOf } from '../../constructs/policy';
import { SourceBundle } from '../../constructs/source-bundle';
import { projectPath } from '../../project';

/** The function's code: packed into a zip at synth. */
export const STATUS_PAGE_FUNCTION_DIR = projectPath('assets', 'status-page-function');

/** The function's Lambda runtime (the suite runs its handler on a release of it: harness/lambda-node.ts). */
export const STATUS_PAGE_FUNCTION_RUNTIME = 'nodejs22.x';

/** Cachet's component statuses, by name. */
export const COMPONENT_STATUSES = { 'performance-issues': 2, 'partial-outage': 3, 'major-outage': 4 } as const;
export type ComponentStatus = keyof typeof COMPONENT_STATUSES;

/** One alarm shown on the status page. */
export interface StatusPageComponent {
  /** The alarm's full name. */
  readonly alarmName: string;
  /** The Cachet component's id (Dashboard, Components, the number in the edit link). */
  readonly componentId: number;
  /** The component's status while the alarm is in ALARM; OK sets it back to operational. */
  readonly status: ComponentStatus;
  /** Open an incident of this name on ALARM and resolve it on OK. @default - no incident */
  readonly incident?: string;
}

export interface StatusPageUpdatesProps {
  readonly name: string;
  /** The status page's base URL, e.g. `https://status.example.com`. */
  readonly cachetUrl: string;
  readonly components: readonly StatusPageComponent[];
  /** Encrypts the token secret, the function's environment and its logs. */
  readonly encryptionKey: EncryptionKey;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

/** DescribeAlarms reads at most 100 alarms by name, the function's one call per component. */
export const MAX_ALARMS_PER_COMPONENT = 100;

/**
 * Shows alarms on the status page: an EventBridge rule takes the named alarms' state changes to a
 * small Node.js function (assets/status-page-function), which sets each changed alarm's component
 * to the worst current state of all alarms mapped to it (read from CloudWatch), ignores an event
 * older than its alarm's last state change, and opens and resolves incidents through Cachet's API. The API token lives in a secret
 * created empty (the operator puts a Cachet user's token there after Cachet's set-up). EventBridge
 * hands each event to Lambda asynchronously (its delivery succeeds once Lambda accepts it); Lambda
 * runs the function and retries a failure twice, then puts the event in a dead-letter queue kept 14
 * days. `metrics()` gives the alarms that page on either: a failed run and a dead-lettered event.
 */
export class StatusPageUpdates extends Construct {
  public readonly function: LambdaFunction;
  /** The secret the operator puts the Cachet API token in. */
  public readonly tokenSecret: SecretsmanagerSecret;
  /** Where events go that could not be delivered. */
  public readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: StatusPageUpdatesProps) {
    super(scope, id);
    validate(id, props);
    const { name, encryptionKey: key } = props;
    const functionName = `${name}-status-page`;

    this.tokenSecret = new SecretsmanagerSecret(this, 'api-token', {
      namePrefix: `${name}-cachet-api-token-`,
      description: `Cachet API token of the user ${functionName} acts as; put it after Cachet's set-up`,
      kmsKeyId: key.arn,
      recoveryWindowInDays: 7,
    });
    // A name prefix: SQS refuses a deleted queue's name for 60 seconds, which a destroy and apply would meet.
    this.deadLetterQueue = new SqsQueue(this, 'dead-letters', {
      namePrefix: `${functionName}-dlq-`,
      messageRetentionSeconds: 14 * 24 * 3600,
      sqsManagedSseEnabled: true,
    });
    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: key.arn,
    });
    const role = this.addRole(props, functionName, logGroup);
    this.function = this.addFunction(props, functionName, logGroup, role);
    this.invokeOnAlarmChanges(props, functionName);
  }

  /** The function's role: its log, the token, the dead-letter queue and the mapped alarms' states. */
  private addRole(props: StatusPageUpdatesProps, functionName: string, logGroup: CloudwatchLogGroup) {
    const { encryptionKey: key } = props;
    const location = locationOf(this);
    const { role, policy } = new ServiceRole(this, 'role', {
      name: functionName,
      service: 'lambda.amazonaws.com',
      inlinePolicy: {
        id: 'policy',
        name: 'update-status-page',
        statements: [
          { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
          { Sid: 'ReadTheApiToken', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: this.tokenSecret.arn },
          { Sid: 'DeadLetterUndeliveredEvents', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: this.deadLetterQueue.arn },
          {
            Sid: 'ReadTheMappedAlarmsStates',
            Effect: 'Allow',
            Action: 'cloudwatch:DescribeAlarms',
            Resource: props.components.map((c) => `arn:aws:cloudwatch:${location.region}:${location.accountId}:alarm:${c.alarmName}`),
          },
        ],
      },
    });
    key.grantThroughService(policy, 'DecryptTheApiTokenThroughSecretsManager', 'secretsmanager');
    return { role, policy };
  }

  /** The function, its code zipped from STATUS_PAGE_FUNCTION_DIR and the alarm-to-component mapping in its environment. */
  private addFunction(
    props: StatusPageUpdatesProps,
    functionName: string,
    logGroup: CloudwatchLogGroup,
    { role, policy }: { role: IamRole; policy: InlinePolicy },
  ): LambdaFunction {
    const code = new SourceBundle(this, 'code', { directory: STATUS_PAGE_FUNCTION_DIR, format: 'zip' });
    const mapping = Object.fromEntries(
      props.components.map((c) => [
        c.alarmName,
        { componentId: c.componentId, status: COMPONENT_STATUSES[c.status], ...(c.incident ? { incident: c.incident } : {}) },
      ]),
    );
    return new LambdaFunction(this, 'function', {
      functionName,
      description: "Sets the status page's components from the web app's alarms",
      role: role.arn,
      runtime: STATUS_PAGE_FUNCTION_RUNTIME,
      handler: 'index.handler',
      filename: code.path,
      sourceCodeHash: Buffer.from(code.hash, 'hex').toString('base64'),
      timeout: 60,
      memorySize: 128,
      // No reserved concurrency: Lambda keeps at least 10 executions unreserved, and a new account
      // may have only 10 in all, where any reservation fails the apply. A few alarm changes at a
      // time need no guarantee, and the account's pool bounds a flood.
      kmsKeyArn: props.encryptionKey.arn,
      environment: { variables: { CACHET_URL: props.cachetUrl, TOKEN_SECRET_ARN: this.tokenSecret.arn, COMPONENTS: JSON.stringify(mapping) } },
      deadLetterConfig: { targetArn: this.deadLetterQueue.arn },
      loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
      dependsOn: [logGroup, policy.resource],
    });
  }

  /** The mapped alarms' state changes invoke the function (retried for a day, then dead-lettered). */
  private invokeOnAlarmChanges(props: StatusPageUpdatesProps, functionName: string) {
    const rule = new CloudwatchEventRule(this, 'alarm-changes', {
      name: `${functionName}-alarm-changes`,
      description: 'State changes of the alarms the status page shows',
      eventPattern: JSON.stringify({
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: props.components.map((c) => c.alarmName) },
      }),
    });
    new CloudwatchEventTarget(this, 'target', {
      rule: rule.name,
      arn: this.function.arn,
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
      deadLetterConfig: { arn: this.deadLetterQueue.arn },
    });
    new LambdaPermission(this, 'invoked-by-the-rule', {
      statementId: 'AlarmChanges',
      action: 'lambda:InvokeFunction',
      functionName: this.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: rule.arn,
    });
    new SqsQueuePolicy(this, 'dead-letters-policy', {
      queueUrl: this.deadLetterQueue.url,
      policy: policyDocument([
        {
          Sid: 'TheRuleDeadLettersEventsItCannotDeliver',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: this.deadLetterQueue.arn,
          Condition: { ArnEquals: { 'aws:SourceArn': rule.arn } },
        },
      ]),
    });
  }

  /** A run that failed (the status page did not change) and an event given up on: each alarms the stack's topic. */
  public metrics(): MetricDefinition[] {
    return [
      {
        id: 'status-page-errors',
        group: 'Errors',
        title: 'Status page updates failed',
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: this.function.functionName },
        statistic: 'Sum',
        period: 60,
        description: "The status-page function failed: the page may not show an alarm's state; its log group names the reason (a refused token, Cachet down)",
        alarm: { comparison: 'GreaterThanThreshold', threshold: 0, evaluationPeriods: 1, treatMissingData: 'notBreaching' },
      },
      {
        id: 'status-page-dead-letters',
        group: 'Errors',
        title: 'Status page events given up on',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: this.deadLetterQueue.name },
        statistic: 'Maximum',
        period: 300,
        description:
          'An alarm change the status page never showed sits in the dead-letter queue (output status_page_dead_letter_queue): fix the cause, then set the component by hand',
        alarm: { comparison: 'GreaterThanThreshold', threshold: 0, evaluationPeriods: 1, treatMissingData: 'notBreaching' },
      },
    ];
  }
}

/** Checks the props before anything is created. */
function validate(id: string, props: StatusPageUpdatesProps) {
  if (props.components.length === 0) throw new Error(`StatusPageUpdates ${id}: components is empty; map at least one alarm to a component`);
  if (!/^https:\/\/[^\s/]+$/.test(props.cachetUrl)) {
    throw new Error(`StatusPageUpdates ${id}: cachetUrl "${props.cachetUrl}" must be the status page's https:// origin, such as https://status.example.com`);
  }
  for (const c of props.components) {
    if (!Number.isInteger(c.componentId) || c.componentId < 1) {
      throw new Error(`StatusPageUpdates ${id}: componentId ${c.componentId} of ${c.alarmName} is not a Cachet component id (a whole number from 1)`);
    }
    const onComponent = props.components.filter((other) => other.componentId === c.componentId).length;
    if (onComponent > MAX_ALARMS_PER_COMPONENT) {
      throw new Error(
        `StatusPageUpdates ${id}: component ${c.componentId} has ${onComponent} alarms; the function reads a component's alarms in one DescribeAlarms call of at most ${MAX_ALARMS_PER_COMPONENT}: split them over components`,
      );
    }
  }
}
