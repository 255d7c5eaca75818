import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { policyDocument, type PolicyStatement, locationOf } from './policy';
import { Grant, type IGrantable } from './grants';

export interface EncryptionKeyProps {
  /** Alias name without the `alias/` prefix, e.g. `statuspage-dev`. */
  readonly alias: string;
  readonly description: string;
  /**
   * Let CloudWatch Logs in this account and region encrypt log groups with the key.
   * @default false
   */
  readonly allowCloudWatchLogs?: boolean;
  /**
   * Let CloudWatch alarms publish to SNS topics encrypted with the key (AWS's documented statement
   * for alarms and encrypted topics: data keys and decrypt for the CloudWatch service).
   * @default false
   */
  readonly allowCloudWatchAlarms?: boolean;
  /**
   * Let EventBridge rules deliver to SNS topics encrypted with the key (AWS's documented statement
   * for an encrypted topic as a rule's target: data keys and decrypt for the EventBridge service).
   * @default false
   */
  readonly allowEventBridgeRules?: boolean;
  /**
   * Days KMS waits before deleting the key after destroy (7-30).
   * @default 30
   */
  readonly deletionWindowDays?: number;
}

/**
 * A customer-managed KMS key with yearly rotation, for one stack's data at rest (database storage,
 * secrets, log groups). Services reach it through the account's IAM policies; CloudWatch Logs, which
 * has no caller identity, through an explicit statement limited to this account's log groups.
 */
export class EncryptionKey extends Construct {
  public readonly key: KmsKey;
  /** ARN of the key, for `kms_key_id` arguments. */
  public readonly arn: string;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const deletionWindowDays = props.deletionWindowDays ?? 30;
    if (!Number.isInteger(deletionWindowDays) || deletionWindowDays < 7 || deletionWindowDays > 30) {
      throw new Error(`EncryptionKey ${id}: deletionWindowDays is ${deletionWindowDays}; KMS accepts a whole number from 7 to 30`);
    }
    const { accountId, region } = locationOf(this);
    const statements: PolicyStatement[] = [
      {
        Sid: 'AccountIamAdministersAndUsesKey',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ];
    if (props.allowCloudWatchLogs ?? false) {
      statements.push({
        Sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        Effect: 'Allow',
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${accountId}:log-group:*` },
        },
      });
    }

    // The statement SNS documents for each service that publishes to an encrypted topic.
    for (const [allowed, sid, service] of [
      [props.allowCloudWatchAlarms, 'CloudWatchAlarmsPublishToEncryptedTopics', 'cloudwatch.amazonaws.com'],
      [props.allowEventBridgeRules, 'EventBridgeRulesPublishToEncryptedTopics', 'events.amazonaws.com'],
    ] as const) {
      if (allowed ?? false) {
        statements.push({ Sid: sid, Effect: 'Allow', Principal: { Service: service }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' });
      }
    }

    this.key = new KmsKey(this, 'key', {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: deletionWindowDays,
      policy: policyDocument(statements),
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.alias}`, targetKeyId: this.key.keyId });
    this.arn = this.key.arn;
    this.region = region;
  }

  /**
   * The statement that lets a principal use this key only through one AWS service in the key's
   * region (`kms:ViaService`): decrypt what the service hands back, and with `encrypt` also have it
   * encrypt (data keys for what it writes), for a grantee that uses the service.
   */
  public grantThroughService(
    grantee: IGrantable,
    sid: string,
    service: 's3' | 'secretsmanager' | 'codecommit',
    options: { readonly encrypt?: boolean } = {},
  ): Grant {
    return Grant.addToPrincipal(grantee, [
      {
        Sid: sid,
        Effect: 'Allow',
        Action: options.encrypt ? ['kms:GenerateDataKey', 'kms:Decrypt'] : 'kms:Decrypt',
        Resource: this.arn,
        Condition: { StringEquals: { 'kms:ViaService': `${service}.${this.region}.amazonaws.com` } },
      },
    ]);
  }
}
