import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { Wafv2WebAclLoggingConfiguration } from '@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration';
import { Wafv2IpSet } from '@cdktf/provider-aws/lib/wafv2-ip-set';
import { parseCidr } from './cidr';
import type { EncryptionKey } from './encryption-key';

/** AWS managed rule groups applied by default: common exploits, known bad inputs (Log4j), bad IPs. */
export const DEFAULT_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesAmazonIpReputationList',
] as const;

/** An SQL-injection rule group, for applications with a SQL database behind them. */
export const SQL_INJECTION_RULE_GROUP = 'AWSManagedRulesSQLiRuleSet';

/** Paths only some addresses may reach, e.g. an application's set-up pages. */
export interface RestrictedPath {
  /**
   * Lower-case path prefix such as `/setup`. Requests are compared after URL decoding, path
   * normalization (`//`, `/./`, `/../`) and lower-casing, so `/%53etup` or `//Setup` match too.
   */
  readonly pathPrefix: string;
  /** IPv4 blocks that may reach the paths; any other source is blocked. Empty: nobody may. */
  readonly allowFrom: readonly string[];
}

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
  /**
   * Paths blocked for every source but the given ones, evaluated before the managed rule groups.
   * @default - none
   */
  readonly restrictedPaths?: readonly RestrictedPath[];
  /** @default 90 */
  readonly logRetentionDays?: number;
}

/** The transformations a restricted path is compared after, in order. */
export const PATH_TRANSFORMATIONS = ['URL_DECODE', 'NORMALIZE_PATH', 'LOWERCASE'] as const;

/**
 * A regional WAF web ACL in front of one resource: restricted paths first (blocked for every source
 * but the allowed ones), then AWS managed rule groups; what no rule blocks is allowed. Request logs
 * go to an encrypted log group.
 */
export class RegionalWebAcl extends Construct {
  public readonly webAcl: Wafv2WebAcl;

  constructor(scope: Construct, id: string, props: RegionalWebAclProps) {
    super(scope, id);
    const groups = props.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
    if (groups.length === 0) {
      throw new Error(`RegionalWebAcl ${id}: managedRuleGroups is empty; name at least one AWS managed rule group`);
    }
    const restricted = props.restrictedPaths ?? [];
    restricted.forEach((r, i) => {
      if (!/^\/[a-z0-9._~\-/]*$/.test(r.pathPrefix)) {
        throw new Error(`RegionalWebAcl ${id}: restrictedPaths[${i}].pathPrefix "${r.pathPrefix}" must be a lower-case absolute path such as /setup`);
      }
      for (const block of r.allowFrom) {
        const parsed = parseCidr(block);
        if ('error' in parsed) throw new Error(`RegionalWebAcl ${id}: restrictedPaths[${i}].allowFrom "${block}": ${parsed.error}`);
      }
    });
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

    // `statement` is untyped in the bindings (it nests too deep): keys are Terraform's own.
    const pathRules = restricted.map((r, priority) => {
      const name = `restrict-${r.pathPrefix.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'root'}`;
      const pathMatch = {
        byte_match_statement: {
          positional_constraint: 'STARTS_WITH',
          search_string: r.pathPrefix,
          field_to_match: { uri_path: {} },
          text_transformation: PATH_TRANSFORMATIONS.map((type, p) => ({ priority: p, type })),
        },
      };
      const allowed = r.allowFrom.length
        ? new Wafv2IpSet(this, `${name}-allowed`, {
            name: `${props.name}-${name}`,
            description: `May reach ${r.pathPrefix}`,
            scope: 'REGIONAL',
            ipAddressVersion: 'IPV4',
            addresses: [...r.allowFrom],
          })
        : undefined;
      return {
        name,
        priority,
        action: { block: {} },
        statement: allowed
          ? { and_statement: { statement: [pathMatch, { not_statement: { statement: [{ ip_set_reference_statement: { arn: allowed.arn } }] } }] } }
          : pathMatch,
        visibilityConfig: visibility(name),
      };
    });

    this.webAcl = new Wafv2WebAcl(this, 'web-acl', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(props.name),
      rule: [
        ...pathRules,
        ...groups.map((group, i) => ({
          name: group,
          priority: pathRules.length + i,
          overrideAction: { none: {} },
          statement: { managed_rule_group_statement: { name: group, vendor_name: 'AWS' } },
          visibilityConfig: visibility(group),
        })),
      ],
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
