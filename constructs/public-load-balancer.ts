import { Construct } from 'constructs';
import type { ITerraformDependable, TerraformResource } from 'cdktf';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener, type LbListenerDefaultAction } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { AliasTarget } from './alias-record';
import type { EncryptionKey } from './encryption-key';
import type { Network } from './network';
import { type PolicyStatement, locationOf } from './policy';
import { Connections, Peer, Port, type IConnectable } from './connections';
import { allowWebFromAnywhere, loadBalancerSecurityGroup } from './web-tier';
import type { ICertificate } from './dns-validated-certificate';
import type { MetricDefinition } from './monitoring';
import { PrivateBucket } from './private-bucket';
import { RegionalWebAcl } from './web-acl';
import { TLS_POLICY } from './platform';

export interface TargetHealthCheck {
  readonly path: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** Forward only requests matching a host and/or path; everything else gets a JSON 404. */
export interface RoutingRule {
  /** Evaluation order, 1 to 50000, unique. */
  readonly priority: number;
  readonly hostHeaders?: readonly string[];
  readonly pathPatterns?: readonly string[];
}

/** Sign users in with a Cognito user pool before forwarding (no client secret in the config). */
export interface CognitoAuthentication {
  readonly userPoolArn: string;
  readonly userPoolClientId: string;
  readonly userPoolDomain: string;
}

/** Alarm thresholds of a load balancer (AWS's recommended alarms, thresholds ours). */
export interface LoadBalancerAlarmThresholds {
  /** 5xx the load balancer itself answers, per minute. */
  readonly elb5xxPerMinute: number;
  /** p99 of the targets' response time, seconds. */
  readonly targetP99Seconds: number;
  /** Connections refused for lack of capacity, per minute. */
  readonly rejectedConnectionsPerMinute: number;
}

/** The metrics every application load balancer is watched by: requests, errors, latency, rejected connections. */
export function loadBalancerMetrics(loadBalancer: string, t: LoadBalancerAlarmThresholds): MetricDefinition[] {
  const lb = { LoadBalancer: loadBalancer };
  const elb = 'AWS/ApplicationELB';
  return [
    {
      id: 'requests',
      group: 'Requests',
      title: 'Requests',
      namespace: elb,
      metricName: 'RequestCount',
      dimensions: lb,
      statistic: 'Sum',
      period: 60,
      description: 'Requests the load balancer received',
    },
    {
      id: 'elb-5xx',
      group: 'Errors',
      title: 'Load balancer 5xx',
      namespace: elb,
      metricName: 'HTTPCode_ELB_5XX_Count',
      dimensions: lb,
      statistic: 'Sum',
      period: 60,
      description: 'The load balancer answers 5xx itself: no healthy target, or targets refusing or timing out. Check target health first',
      alarm: { comparison: 'GreaterThanThreshold', threshold: t.elb5xxPerMinute, evaluationPeriods: 5, treatMissingData: 'notBreaching' },
    },
    {
      id: 'rejected-connections',
      group: 'Errors',
      title: 'Rejected connections',
      namespace: elb,
      metricName: 'RejectedConnectionCount',
      dimensions: lb,
      statistic: 'Sum',
      period: 60,
      description: 'The load balancer refused connections at its connection limit: it has not scaled to the traffic yet',
      alarm: { comparison: 'GreaterThanThreshold', threshold: t.rejectedConnectionsPerMinute, evaluationPeriods: 5, treatMissingData: 'notBreaching' },
    },
    {
      id: 'target-p99',
      group: 'Latency',
      title: 'Target response time p99',
      namespace: elb,
      metricName: 'TargetResponseTime',
      dimensions: lb,
      statistic: 'p99',
      period: 60,
      description: 'The slowest 1 % of responses are slow: look at the instances (CPU, the database) and recent releases',
      alarm: { comparison: 'GreaterThanThreshold', threshold: t.targetP99Seconds, evaluationPeriods: 5, treatMissingData: 'notBreaching' },
    },
  ];
}

export interface PublicLoadBalancerProps {
  readonly name: string;
  /** The load balancer goes in the network's public subnets. */
  readonly network: Network;
  /**
   * The load balancer's group; it takes HTTP and HTTPS from anywhere and reaches what the stack allows.
   * @default - a new group (`loadBalancerSecurityGroup`) in this construct
   */
  readonly securityGroup?: SecurityGroup;
  /** Validated certificate for the HTTPS listener. */
  readonly certificate: ICertificate;
  /** Port the instances serve plain HTTP on. */
  readonly targetPort: number;
  readonly healthCheck: TargetHealthCheck;
  /** Seconds in-flight requests get once a target is deregistered (the service's drain). */
  readonly deregistrationDelaySeconds: number;
  /** @default true */
  readonly deletionProtection?: boolean;
  /**
   * Keep-alive idle timeout of client connections; the service's must be longer.
   * @default 60
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * Write access logs to a private bucket of this construct's own.
   * @default true
   */
  readonly enableAccessLogs?: boolean;
  /** Encrypts the WAF log group when `enableWaf` is on. */
  readonly encryptionKey: EncryptionKey;
  /** @default false */
  readonly enableWaf?: boolean;
  /** Retention of the WAF request logs. @default 90 */
  readonly wafLogRetentionDays?: number;
  /** @default - every request is forwarded */
  readonly routingRules?: readonly RoutingRule[];
  /** @default - no authentication at the load balancer */
  readonly cognito?: CognitoAuthentication;
}

/**
 * A bucket an application load balancer writes its access logs to (ids `elb-account` and
 * `access-logs` in `scope`). ALB log delivery writes with the region's ELB account (older regions)
 * or its service principal (newer ones); the bucket allows both, for this account's prefix only.
 * ALB logs support SSE-S3 only. Make the load balancer depend on `policy`: ELB writes a test object
 * at once, and provider 5.x does not retry "Access Denied for bucket".
 */
export function albAccessLogBucket(scope: Construct, props: { readonly name: string }): PrivateBucket {
  const location = locationOf(scope);
  const elbAccount = new DataAwsElbServiceAccount(scope, 'elb-account', { region: location.region });
  return new PrivateBucket(scope, 'access-logs', {
    namePrefix: `${props.name}-alb-logs-`,
    policyStatements: (bucket): PolicyStatement[] => [
      {
        Sid: 'ElbWritesAccessLogs',
        Effect: 'Allow',
        Principal: { AWS: elbAccount.arn },
        Action: 's3:PutObject',
        Resource: `${bucket.arn}/AWSLogs/${location.accountId}/*`,
      },
      {
        Sid: 'ElbLogDeliveryWritesAccessLogs',
        Effect: 'Allow',
        Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `${bucket.arn}/AWSLogs/${location.accountId}/*`,
      },
    ],
  });
}

/**
 * An internet-facing application load balancer: HTTP answers a 301 to HTTPS, HTTPS terminates TLS
 * with a modern policy and forwards to one target group whose health check and deregistration
 * delay come from the caller (derived from one config). Invalid header fields are dropped; access
 * logs, deletion protection and WAF are on by option.
 */
/**
 * What instances behind a load balancer need of it: its allowances (`connections`), the target group
 * they register in, CloudWatch's dimensions for both, and what attaches that group to the load
 * balancer (scaling on requests per target is refused before).
 */
export interface ILoadBalancer extends IConnectable {
  readonly targetGroupArn: string;
  /** CloudWatch's `LoadBalancer` dimension (`app/<name>/<id>`). */
  readonly loadBalancerArnSuffix: string;
  /** CloudWatch's `TargetGroup` dimension. */
  readonly targetGroupArnSuffix: string;
  /** The listener, or its rules, that forward to the target group. */
  readonly forwarding: readonly ITerraformDependable[];
}

export class PublicLoadBalancer extends Construct implements ILoadBalancer {
  /** Allow the targets' group from here: `loadBalancer.connections.allowTo(fleet, port, ...)`. */
  public readonly connections: Connections;
  public readonly loadBalancer: Lb;
  public readonly targetGroup: LbTargetGroup;
  public readonly httpsListener: LbListener;
  public readonly aliasTarget: AliasTarget;
  /**
   * The listener and rules that forward to the target group: until they exist the group is not
   * attached to the load balancer (request-count scaling on it is refused).
   */
  public readonly forwarding: TerraformResource[];

  constructor(scope: Construct, id: string, props: PublicLoadBalancerProps) {
    super(scope, id);
    validate(id, props);
    this.connections = new Connections(props.securityGroup ?? loadBalancerSecurityGroup(this, 'security-group', { name: props.name, vpc: props.network.vpc }));
    allowWebFromAnywhere(this.connections);
    if (props.cognito) {
      // Cognito's endpoints have no prefix list or fixed addresses: HTTPS to anywhere, nothing else.
      this.connections.allowToPeer(Peer.anyIpv4('identity-provider'), Port.tcp(443), 'HTTPS to the identity provider (Cognito token and user info endpoints)');
    }

    this.loadBalancer = this.addLoadBalancer(props);
    this.targetGroup = this.addTargetGroup(props);
    new LbListener(this, 'http', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: 'HTTP',
      defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
    });
    const forward = forwardActions(this.targetGroup, props.cognito);
    const rules = props.routingRules ?? [];
    this.httpsListener = new LbListener(this, 'https', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: TLS_POLICY,
      certificateArn: props.certificate.certificateArn,
      defaultAction: rules.length > 0 ? [NOT_FOUND] : forward,
    });
    this.forwarding = rules.length === 0 ? [this.httpsListener] : rules.map((rule) => this.addRoutingRule(rule, forward));

    if (props.enableWaf ?? false) {
      new RegionalWebAcl(this, 'waf', {
        name: props.name,
        resourceArn: this.loadBalancer.arn,
        encryptionKey: props.encryptionKey,
        logRetentionDays: props.wafLogRetentionDays,
      });
    }
    this.aliasTarget = { dnsName: this.loadBalancer.dnsName, hostedZoneId: this.loadBalancer.zoneId };
  }

  public get targetGroupArn(): string {
    return this.targetGroup.arn;
  }

  public get loadBalancerArnSuffix(): string {
    return this.loadBalancer.arnSuffix;
  }

  public get targetGroupArnSuffix(): string {
    return this.targetGroup.arnSuffix;
  }

  /** The internet-facing ALB in the public subnets, dropping invalid headers, with access logs unless turned off. */
  private addLoadBalancer(props: PublicLoadBalancerProps): Lb {
    let accessLogs: { bucket: string; enabled: boolean } | undefined;
    let accessLogsPolicy: TerraformResource | undefined;
    if (props.enableAccessLogs ?? true) {
      const logs = albAccessLogBucket(this, { name: props.name });
      accessLogs = { bucket: logs.bucket.id, enabled: true };
      accessLogsPolicy = logs.policy;
    }
    return new Lb(this, 'load-balancer', {
      name: props.name,
      loadBalancerType: 'application',
      internal: false,
      securityGroups: [this.connections.securityGroup.id],
      subnets: props.network.publicSubnets.map((s) => s.id),
      dropInvalidHeaderFields: true,
      desyncMitigationMode: 'defensive',
      enableDeletionProtection: props.deletionProtection ?? true,
      idleTimeout: props.idleTimeoutSeconds ?? 60,
      accessLogs,
      // Enabling access logs makes ELB write a test object at once, and provider 5.x does not retry
      // "Access Denied for bucket": the policy that lets it write must exist first.
      dependsOn: accessLogsPolicy ? [accessLogsPolicy] : undefined,
    });
  }

  /** The instances' target group and its health check (HTTP 200 on the path). */
  private addTargetGroup(props: PublicLoadBalancerProps): LbTargetGroup {
    const hc = props.healthCheck;
    return new LbTargetGroup(this, 'targets', {
      namePrefix: 'web-',
      port: props.targetPort,
      protocol: 'HTTP',
      targetType: 'instance',
      vpcId: props.network.vpc.id,
      deregistrationDelay: String(props.deregistrationDelaySeconds),
      healthCheck: {
        enabled: true,
        path: hc.path,
        protocol: 'HTTP',
        port: 'traffic-port',
        matcher: '200',
        interval: hc.intervalSeconds,
        timeout: hc.timeoutSeconds,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
      },
      lifecycle: { createBeforeDestroy: true },
    });
  }

  /** A listener rule that forwards requests matching the rule's hosts and paths. */
  private addRoutingRule(rule: RoutingRule, forward: LbListenerDefaultAction[]): LbListenerRule {
    return new LbListenerRule(this, `rule-${rule.priority}`, {
      listenerArn: this.httpsListener.arn,
      priority: rule.priority,
      action: forward,
      condition: [
        ...(rule.hostHeaders?.length ? [{ hostHeader: { values: [...rule.hostHeaders] } }] : []),
        ...(rule.pathPatterns?.length ? [{ pathPattern: { values: [...rule.pathPatterns] } }] : []),
      ],
    });
  }

  /**
   * The load balancer's metrics ({@link loadBalancerMetrics}) and its target group's: healthy and
   * unhealthy targets, target 5xx (drawn only: the fleet's refresh alarm watches it).
   */
  public metrics(t: LoadBalancerAlarmThresholds & { readonly unhealthyHosts: number }): MetricDefinition[] {
    const dimensions = { LoadBalancer: this.loadBalancer.arnSuffix, TargetGroup: this.targetGroup.arnSuffix };
    const elb = 'AWS/ApplicationELB';
    return [
      ...loadBalancerMetrics(this.loadBalancer.arnSuffix, t),
      {
        id: 'target-5xx',
        group: 'Errors',
        title: 'Target 5xx',
        namespace: elb,
        metricName: 'HTTPCode_Target_5XX_Count',
        dimensions,
        statistic: 'Sum',
        period: 60,
        description: 'Targets answer 5xx',
      },
      {
        id: 'healthy-hosts',
        group: 'Healthy hosts',
        title: 'Healthy targets',
        namespace: elb,
        metricName: 'HealthyHostCount',
        dimensions,
        statistic: 'Minimum',
        period: 60,
        description: 'Targets passing health checks',
      },
      {
        id: 'unhealthy-hosts',
        group: 'Healthy hosts',
        title: 'Unhealthy targets',
        namespace: elb,
        metricName: 'UnHealthyHostCount',
        dimensions,
        statistic: 'Maximum',
        period: 60,
        description: "Targets fail their health check: see the instances' service logs (journal) and the health check path",
        alarm: { comparison: 'GreaterThanThreshold', threshold: t.unhealthyHosts, evaluationPeriods: 5, treatMissingData: 'notBreaching' },
      },
    ];
  }
}

/** Checks the props before anything is created. */
function validate(id: string, props: PublicLoadBalancerProps) {
  const hc = props.healthCheck;
  if (hc.timeoutSeconds >= hc.intervalSeconds) {
    throw new Error(`PublicLoadBalancer ${id}: healthCheck.timeoutSeconds ${hc.timeoutSeconds} must be below intervalSeconds ${hc.intervalSeconds}`);
  }
  if (props.deregistrationDelaySeconds < 0 || props.deregistrationDelaySeconds > 3600) {
    throw new Error(`PublicLoadBalancer ${id}: deregistrationDelaySeconds ${props.deregistrationDelaySeconds} must be 0 to 3600`);
  }
  const priorities = (props.routingRules ?? []).map((r) => r.priority);
  if (new Set(priorities).size !== priorities.length) {
    throw new Error(`PublicLoadBalancer ${id}: routingRules priorities ${priorities.join(', ')} must be unique`);
  }
  for (const rule of props.routingRules ?? []) {
    if (!rule.hostHeaders?.length && !rule.pathPatterns?.length) {
      throw new Error(`PublicLoadBalancer ${id}: routing rule ${rule.priority} has neither hostHeaders nor pathPatterns; give at least one`);
    }
  }
}

/** What the HTTPS listener answers when routing rules are given and none matches. */
const NOT_FOUND = {
  type: 'fixed-response',
  fixedResponse: { contentType: 'application/json', statusCode: '404', messageBody: '{"error":{"status":404,"message":"no route"}}' },
};

/** Forward to the targets, after signing in through Cognito when it is configured. */
function forwardActions(targetGroup: LbTargetGroup, auth: PublicLoadBalancerProps['cognito']): LbListenerDefaultAction[] {
  return [
    ...(auth
      ? [
          {
            type: 'authenticate-cognito',
            order: 1,
            authenticateCognito: { userPoolArn: auth.userPoolArn, userPoolClientId: auth.userPoolClientId, userPoolDomain: auth.userPoolDomain },
          },
        ]
      : []),
    { type: 'forward', order: auth ? 2 : 1, targetGroupArn: targetGroup.arn },
  ];
}
