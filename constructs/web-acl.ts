import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { Wafv2WebAclLoggingConfiguration } from '@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration';
import type { EncryptionKey } from './encryption-key';

/** AWS managed rule groups applied by default: common exploits, known bad inputs (Log4j), bad IPs. */
export const DEFAULT_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesAmazonIpReputationList',
] as const;

export interface RegionalWebAclProps {
  /** Name of the web ACL and suffix of its log group. */
  readonly name: string;
  /** ARN of the regional resource to protect, e.g. an application load balancer. */
  readonly resourceArn: string;
  /** Encrypts the WAF log group. */
  readonly encryptionKey: EncryptionKey;
  /**
   * AWS managed rule groups, evaluated in this order.
   * @default DEFAULT_MANAGED_RULE_GROUPS
   */
  readonly managedRuleGroups?: readonly string[];
  /** @default 90 */
  readonly logRetentionDays?: number;
}

/**
 * A regional WAF web ACL with AWS managed rule groups in front of one resource, allowing what no
 * rule blocks, with request logs in an encrypted log group.
 */
export class RegionalWebAcl extends Construct {
  public readonly webAcl: Wafv2WebAcl;

  constructor(scope: Construct, id: string, props: RegionalWebAclProps) {
    super(scope, id);
    const groups = props.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
    if (groups.length === 0) {
      throw new Error(`RegionalWebAcl ${id}: managedRuleGroups is empty; name at least one AWS managed rule group`);
    }
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

    this.webAcl = new Wafv2WebAcl(this, 'web-acl', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(props.name),
      rule: groups.map((group, priority) => ({
        name: group,
        priority,
        overrideAction: { none: {} },
        // `statement` is untyped in the bindings (it nests too deep): keys are Terraform's own.
        statement: { managed_rule_group_statement: { name: group, vendor_name: 'AWS' } },
        visibilityConfig: visibility(group),
      })),
    });

    new Wafv2WebAclAssociation(this, 'association', { resourceArn: props.resourceArn, webAclArn: this.webAcl.arn });

    // WAF only delivers to log groups whose names start with `aws-waf-logs-`.
    const logs = new CloudwatchLogGroup(this, 'log-group', {
      name: `aws-waf-logs-${props.name}`,
      retentionInDays: props.logRetentionDays ?? 90,
      kmsKeyId: props.encryptionKey.arn,
    });
    new Wafv2WebAclLoggingConfiguration(this, 'logging', {
      resourceArn: this.webAcl.arn,
      logDestinationConfigs: [logs.arn],
    });
  }
}
