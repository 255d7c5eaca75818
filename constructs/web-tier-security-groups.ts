import { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { parseCidr } from './cidr';

export interface WebTierSecurityGroupsProps {
  readonly name: string;
  readonly vpc: Vpc;
  /** Port the instances serve plain HTTP on, reached only from the load balancer. */
  readonly instancePort: number;
  /**
   * SSH to the instances from exactly this operator block (at most a /24).
   * @default - no SSH ingress at all
   */
  readonly sshOperatorCidr?: string;
  /**
   * Create a data tier group that accepts this port from the instances only (3306 for MySQL).
   * @default - no data tier group
   */
  readonly databasePort?: number;
  /**
   * The load balancer signs users in with an identity provider (Cognito): it must reach the
   * provider's token and user info endpoints on 443, or users get HTTP 500 after logging in.
   * @default false
   */
  readonly loadBalancerAuthenticates?: boolean;
}

const ANYWHERE_V4 = '0.0.0.0/0';
const ANYWHERE_V6 = '::/0';

/**
 * The security groups of a load-balanced web tier, one rule per resource so each is visible in a
 * plan: the load balancer takes 80/443 from anywhere and talks only to the instances; the instances
 * take the app port only from the load balancer (and SSH only from the operator, when configured);
 * the data tier takes its port only from the instances and sends nothing.
 */
export class WebTierSecurityGroups extends Construct {
  public readonly loadBalancer: SecurityGroup;
  public readonly instances: SecurityGroup;
  /** Present when `databasePort` is set. */
  public readonly database?: SecurityGroup;

  constructor(scope: Construct, id: string, props: WebTierSecurityGroupsProps) {
    super(scope, id);
    validatePort(id, 'instancePort', props.instancePort);
    if (props.databasePort !== undefined) validatePort(id, 'databasePort', props.databasePort);
    if (props.sshOperatorCidr !== undefined) validateOperatorCidr(id, props.sshOperatorCidr);

    const group = (groupId: string, description: string) =>
      new SecurityGroup(this, groupId, {
        namePrefix: `${props.name}-${groupId}-`,
        description,
        vpcId: props.vpc.id,
        tags: { Name: `${props.name}-${groupId}` },
        lifecycle: { createBeforeDestroy: true },
      });

    this.loadBalancer = group('load-balancer', 'Load balancer: HTTP and HTTPS from anywhere');
    this.instances = group('instances', 'Web instances: app port from the load balancer only');

    for (const port of [80, 443]) {
      for (const [suffix, cidr] of [
        ['ipv4', ANYWHERE_V4],
        ['ipv6', ANYWHERE_V6],
      ] as const) {
        new VpcSecurityGroupIngressRule(this, `load-balancer-${port}-${suffix}`, {
          securityGroupId: this.loadBalancer.id,
          description: `${port === 80 ? 'HTTP (redirected to HTTPS)' : 'HTTPS'} from anywhere`,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          ...(suffix === 'ipv4' ? { cidrIpv4: cidr } : { cidrIpv6: cidr }),
        });
      }
    }
    new VpcSecurityGroupEgressRule(this, 'load-balancer-to-instances', {
      securityGroupId: this.loadBalancer.id,
      description: 'To the web instances on the app port',
      ipProtocol: 'tcp',
      fromPort: props.instancePort,
      toPort: props.instancePort,
      referencedSecurityGroupId: this.instances.id,
    });

    if (props.loadBalancerAuthenticates) {
      // Cognito's endpoints have no prefix list or fixed addresses: HTTPS to anywhere, nothing else.
      new VpcSecurityGroupEgressRule(this, 'load-balancer-to-identity-provider', {
        securityGroupId: this.loadBalancer.id,
        description: 'HTTPS to the identity provider (Cognito token and user info endpoints)',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: ANYWHERE_V4,
      });
    }

    new VpcSecurityGroupIngressRule(this, 'instances-from-load-balancer', {
      securityGroupId: this.instances.id,
      description: 'App port from the load balancer',
      ipProtocol: 'tcp',
      fromPort: props.instancePort,
      toPort: props.instancePort,
      referencedSecurityGroupId: this.loadBalancer.id,
    });
    if (props.sshOperatorCidr !== undefined) {
      new VpcSecurityGroupIngressRule(this, 'instances-ssh-from-operator', {
        securityGroupId: this.instances.id,
        description: 'SSH from the operator address only',
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidrIpv4: props.sshOperatorCidr,
      });
    }
    // Out through NAT: HTTPS for AWS APIs and image registries, HTTP for OS package mirrors.
    for (const port of [443, 80]) {
      new VpcSecurityGroupEgressRule(this, `instances-egress-${port}`, {
        securityGroupId: this.instances.id,
        description: port === 443 ? 'HTTPS out (AWS APIs, container registry)' : 'HTTP out (OS package mirrors)',
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        cidrIpv4: ANYWHERE_V4,
      });
    }

    if (props.databasePort !== undefined) {
      const database = group('database', 'Database: its port from the web instances only');
      this.database = database;
      new VpcSecurityGroupIngressRule(this, 'database-from-instances', {
        securityGroupId: database.id,
        description: 'Database port from the web instances only',
        ipProtocol: 'tcp',
        fromPort: props.databasePort,
        toPort: props.databasePort,
        referencedSecurityGroupId: this.instances.id,
      });
      new VpcSecurityGroupEgressRule(this, 'instances-to-database', {
        securityGroupId: this.instances.id,
        description: 'To the database',
        ipProtocol: 'tcp',
        fromPort: props.databasePort,
        toPort: props.databasePort,
        referencedSecurityGroupId: database.id,
      });
    }
  }
}

function validatePort(id: string, field: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`WebTierSecurityGroups ${id}: ${field} is ${port}; use a TCP port from 1 to 65535`);
  }
}

function validateOperatorCidr(id: string, cidr: string): void {
  const parsed = parseCidr(cidr);
  if ('error' in parsed) {
    throw new Error(`WebTierSecurityGroups ${id}: sshOperatorCidr ${parsed.error}`);
  }
  if (parsed.prefix < 24) {
    throw new Error(`WebTierSecurityGroups ${id}: sshOperatorCidr "${cidr}" is wider than a /24; give the operator's own address (a /32)`);
  }
}
