import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import type { EncryptionKey } from './encryption-key';
import type { MetricDefinition } from './monitoring';
import { PrivateBucket } from './private-bucket';
import { locationOf } from './policy';
import { ServiceRole } from './grants';

export type NatGatewayMode = 'one-per-az' | 'single';

/** Where flow logs go: CloudWatch Logs (Logs Insights), or a private bucket (Athena; cheaper to keep long). */
export type FlowLogDestination = 'cloud-watch-logs' | 's3';

export interface NetworkProps {
  /** Name prefix for tags and named resources. */
  readonly name: string;
  readonly vpcCidr: string;
  /** Explicit AZ names, at least two. */
  readonly availabilityZones: readonly string[];
  /** One block per AZ, in AZ order: load balancers and NAT gateways. */
  readonly publicSubnetCidrs: readonly string[];
  /** One block per AZ: instances, reaching out through NAT only. */
  readonly applicationSubnetCidrs: readonly string[];
  /** One block per AZ: databases, no route out of the VPC at all. */
  readonly dataSubnetCidrs: readonly string[];
  /**
   * `one-per-az` keeps each AZ's egress independent; `single` shares one NAT gateway (cheaper, but an
   * AZ outage cuts every private subnet's egress).
   * @default 'one-per-az'
   */
  readonly natGateways?: NatGatewayMode;
  /** VPC flow logs (all traffic) in CloudWatch Logs go to a log group encrypted with this key. */
  readonly flowLogEncryptionKey: EncryptionKey;
  /**
   * Flow log retention in days (the log group's, or the bucket's expiration).
   * @default 90
   */
  readonly flowLogRetentionDays?: number;
  /**
   * `cloud-watch-logs`: a log group, queried with Logs Insights, stored at CloudWatch Logs' rate.
   * `s3`: a private bucket (SSE-S3, TLS only, expired after the retention) in Parquet by hour,
   * queried with Athena; storage costs a fraction of CloudWatch Logs', for long retention.
   * @default 'cloud-watch-logs'
   */
  readonly flowLogDestination?: FlowLogDestination;
  /**
   * An S3 gateway endpoint on the application tier's routes: the instances reach S3 (releases,
   * bundles, ECR's image layers, Amazon Linux's package repositories) without the NAT gateways,
   * which charge for each GB they process. The endpoint itself is free.
   * @default true
   */
  readonly enableS3GatewayEndpoint?: boolean;
}

/**
 * A VPC over two or more AZs with three subnet tiers (public, application, data), an internet
 * gateway, NAT and an S3 gateway endpoint for the application tier, encrypted flow logs, and the
 * default security group stripped of all rules so that nothing can use it by accident.
 */
export class Network extends Construct {
  public readonly vpc: Vpc;
  public readonly availabilityZones: readonly string[];
  public readonly publicSubnets: Subnet[];
  /** The public subnets' blocks, as given: where the load balancer's nodes get their addresses. */
  public readonly publicSubnetCidrs: readonly string[];
  public readonly applicationSubnets: Subnet[];
  public readonly dataSubnets: Subnet[];
  public readonly natGateways: NatGateway[];
  /** The S3 gateway endpoint, unless `enableS3GatewayEndpoint` is false. */
  public readonly s3Endpoint?: VpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    validate(id, props);
    const azs = props.availabilityZones;
    this.availabilityZones = azs;
    const name = props.name;

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: name },
    });
    // The default security group allows all traffic between its members; with no rule blocks,
    // Terraform removes every rule it has.
    new DefaultSecurityGroup(this, 'default-security-group', {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-default-unused` },
    });
    const igw = new InternetGateway(this, 'internet-gateway', { vpcId: this.vpc.id, tags: { Name: name } });

    this.publicSubnets = this.addSubnets(name, 'public', props.publicSubnetCidrs);
    this.publicSubnetCidrs = props.publicSubnetCidrs;
    this.applicationSubnets = this.addSubnets(name, 'application', props.applicationSubnetCidrs);
    this.dataSubnets = this.addSubnets(name, 'data', props.dataSubnetCidrs);

    this.routePublicSubnets(name, igw);
    const natCount = (props.natGateways ?? 'one-per-az') === 'single' ? 1 : azs.length;
    this.natGateways = azs.slice(0, natCount).map((az, i) => {
      const eip = new Eip(this, `nat-${az}-address`, { domain: 'vpc', tags: { Name: `${name}-nat-${az}` } });
      return new NatGateway(this, `nat-${az}`, {
        allocationId: eip.allocationId,
        subnetId: this.publicSubnets[i].id,
        tags: { Name: `${name}-${az}` },
        dependsOn: [igw],
      });
    });
    const applicationRoutes = this.routeApplicationSubnets(name);
    if (props.enableS3GatewayEndpoint ?? true) {
      // The data tier stays without any route out of the VPC, S3 included.
      this.s3Endpoint = new VpcEndpoint(this, 's3-endpoint', {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${locationOf(this).region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: applicationRoutes.map((r) => r.id),
        tags: { Name: `${name}-s3` },
      });
    }
    // Data subnets only have the implicit local route: no way in or out of the VPC.
    const dataRoutes = new RouteTable(this, 'data-routes', { vpcId: this.vpc.id, tags: { Name: `${name}-data` } });
    this.dataSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `data-${azs[i]}-association`, { subnetId: subnet.id, routeTableId: dataRoutes.id });
    });

    if ((props.flowLogDestination ?? 'cloud-watch-logs') === 's3') this.createFlowLogBucket(name, props);
    else this.createFlowLogs(name, props);
  }

  /** One subnet of a tier per AZ, in AZ order; none gives instances a public address. */
  private addSubnets(name: string, tier: string, cidrs: readonly string[]): Subnet[] {
    return this.availabilityZones.map(
      (az, i) =>
        new Subnet(this, `${tier}-${az}`, {
          vpcId: this.vpc.id,
          cidrBlock: cidrs[i],
          availabilityZone: az,
          mapPublicIpOnLaunch: false,
          tags: { Name: `${name}-${tier}-${az}`, Tier: tier },
        }),
    );
  }

  /** The public subnets share one route table, out through the internet gateway. */
  private routePublicSubnets(name: string, igw: InternetGateway) {
    const publicRoutes = new RouteTable(this, 'public-routes', { vpcId: this.vpc.id, tags: { Name: `${name}-public` } });
    new Route(this, 'public-default-route', {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });
    this.publicSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `public-${this.availabilityZones[i]}-routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
    });
  }

  /** Each application subnet has its own route table, out through its AZ's NAT gateway (or the only one). */
  private routeApplicationSubnets(name: string): RouteTable[] {
    return this.applicationSubnets.map((subnet, i) => {
      const az = this.availabilityZones[i];
      const routes = new RouteTable(this, `application-${az}-routes`, {
        vpcId: this.vpc.id,
        tags: { Name: `${name}-application-${az}` },
      });
      new Route(this, `application-${az}-default-route`, {
        routeTableId: routes.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: this.natGateways[Math.min(i, this.natGateways.length - 1)].id,
      });
      new RouteTableAssociation(this, `application-${az}-association`, { subnetId: subnet.id, routeTableId: routes.id });
      return routes;
    });
  }

  /**
   * Flow logs delivered to a private bucket by the log delivery service, which AWS's documented
   * bucket policy lets write under AWSLogs/<account>/ and check the bucket, for this account's
   * log sources only (confused-deputy conditions).
   */
  private createFlowLogBucket(name: string, props: NetworkProps): void {
    const { accountId, region } = locationOf(this);
    const fromThisAccount = {
      StringEquals: { 'aws:SourceAccount': accountId },
      ArnLike: { 'aws:SourceArn': `arn:aws:logs:${region}:${accountId}:*` },
    };
    const logs = new PrivateBucket(this, 'flow-log-bucket', {
      namePrefix: `${name}-flow-logs-`,
      expirationDays: props.flowLogRetentionDays ?? 90,
      noncurrentVersionExpirationDays: 1,
      policyStatements: (bucket) => [
        {
          Sid: 'LogDeliveryWritesFlowLogs',
          Effect: 'Allow',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `${bucket.arn}/AWSLogs/${accountId}/*`,
          Condition: { ...fromThisAccount, StringEquals: { ...fromThisAccount.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } },
        },
        {
          Sid: 'LogDeliveryChecksTheBucket',
          Effect: 'Allow',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: ['s3:GetBucketAcl', 's3:ListBucket'],
          Resource: bucket.arn,
          Condition: fromThisAccount,
        },
      ],
    });
    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 's3',
      logDestination: logs.bucket.arn,
      destinationOptions: { fileFormat: 'parquet', perHourPartition: true, hiveCompatiblePartitions: false },
      maxAggregationInterval: 60,
      tags: { Name: name },
      // Delivery checks the bucket's policy when the flow log is created.
      dependsOn: logs.settings,
    });
  }

  private createFlowLogs(name: string, props: NetworkProps): void {
    const logGroup = new CloudwatchLogGroup(this, 'flow-log-group', {
      name: `/vpc/${name}/flow-logs`,
      retentionInDays: props.flowLogRetentionDays ?? 90,
      kmsKeyId: props.flowLogEncryptionKey.arn,
    });
    const { role } = new ServiceRole(this, 'flow-log-role', {
      name: `${name}-vpc-flow-logs`,
      service: 'vpc-flow-logs.amazonaws.com',
      inlinePolicy: {
        id: 'flow-log-policy',
        name: 'write-flow-log-group',
        statements: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [logGroup.arn, `${logGroup.arn}:*`],
          },
        ],
      },
    });
    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: { Name: name },
    });
  }

  /** Per NAT gateway: port allocation errors (alarmed at the first) and dropped packets. */
  public metrics(t: { readonly natDroppedPacketsPerMinute: number }): MetricDefinition[] {
    return this.natGateways.flatMap((nat, i): MetricDefinition[] => {
      const az = this.availabilityZones[i];
      const dimensions = { NatGatewayId: nat.id };
      return [
        {
          id: `nat-port-allocation-${az}`,
          group: 'NAT',
          title: `NAT ${az}: port allocation errors`,
          namespace: 'AWS/NATGateway',
          metricName: 'ErrorPortAllocation',
          dimensions,
          statistic: 'Sum',
          period: 60,
          description: `The NAT gateway in ${az} ran out of source ports: too many concurrent connections to one destination`,
          alarm: { comparison: 'GreaterThanThreshold', threshold: 0, evaluationPeriods: 15, treatMissingData: 'notBreaching' },
        },
        {
          id: `nat-dropped-packets-${az}`,
          group: 'NAT',
          title: `NAT ${az}: dropped packets`,
          namespace: 'AWS/NATGateway',
          metricName: 'PacketsDropCount',
          dimensions,
          statistic: 'Sum',
          period: 60,
          description: `The NAT gateway in ${az} drops packets: check the AWS Health Dashboard for the gateway, then its traffic`,
          alarm: { comparison: 'GreaterThanThreshold', threshold: t.natDroppedPacketsPerMinute, evaluationPeriods: 5, treatMissingData: 'notBreaching' },
        },
      ];
    });
  }
}

/** Checks the props before anything is created. */
function validate(id: string, props: NetworkProps) {
  const azs = props.availabilityZones;
  if (azs.length < 2) {
    throw new Error(`Network ${id}: availabilityZones has ${azs.length} entries; give at least two for high availability`);
  }
  for (const tier of ['publicSubnetCidrs', 'applicationSubnetCidrs', 'dataSubnetCidrs'] as const) {
    if (props[tier].length !== azs.length) {
      throw new Error(`Network ${id}: ${tier} has ${props[tier].length} blocks for ${azs.length} AZs; give one per AZ`);
    }
  }
}
