import { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { parseCidr } from './cidr';

/** A TCP port. */
export class Port {
  /** @throws when `port` is not a whole number from 1 to 65535 */
  static tcp(port: number): Port {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`Port.tcp: ${port} is not a TCP port; use a whole number from 1 to 65535`);
    }
    return new Port(port);
  }

  private constructor(public readonly port: number) {}
}

/** Addresses outside the project's security groups that a rule names: a CIDR block. */
export class Peer {
  /**
   * Any IPv4 address; `label` names what is reached there when it is one service without fixed
   * addresses (`identity-provider`).
   */
  static anyIpv4(label = 'ipv4'): Peer {
    return new Peer(label, { cidrIpv4: '0.0.0.0/0' });
  }

  /** Any IPv6 address. */
  static anyIpv6(): Peer {
    return new Peer('ipv6', { cidrIpv6: '::/0' });
  }

  /**
   * An IPv4 block; `label` names it in rule ids (`office`, `operator`).
   * @throws when `cidr` is not an IPv4 CIDR block
   */
  static ipv4(cidr: string, label: string): Peer {
    const parsed = parseCidr(cidr);
    if ('error' in parsed) throw new Error(`Peer.ipv4 ${label}: ${parsed.error}`);
    return new Peer(label, { cidrIpv4: cidr });
  }

  private constructor(
    /** Names the peer in rule ids. */
    public readonly label: string,
    /** The rule arguments that name the block. */
    public readonly ruleTarget: { readonly cidrIpv4?: string; readonly cidrIpv6?: string },
  ) {}
}

/** Anything with a security group that others can be allowed to reach, or be reached from. */
export interface IConnectable {
  readonly connections: Connections;
}

/** The description of each of the two rules an allowance between two groups writes. */
export interface RuleDescriptions {
  /** On the egress rule of the group that connects. */
  readonly egress: string;
  /** On the ingress rule of the group that is reached. */
  readonly ingress: string;
}

/**
 * The network allowances of one security group, in the manner of aws-cdk's `Connections`: a stack
 * or construct says `a.connections.allowTo(b, Port.tcp(3306), ...)` rather than writing rules.
 * Each allowance is its own rule resource (`aws_vpc_security_group_*_rule`, never inline rules), so
 * each shows in a plan; rules are created beside the group they belong to (in the group's parent
 * scope), with ids that name both ends: `<group>-to-<other>`, `<group>-from-<other>`,
 * `<group>-<port>-<peer>`. A group has no rule but the ones allowed: egress is closed by default.
 */
export class Connections implements IConnectable {
  constructor(
    public readonly securityGroup: SecurityGroup,
    /** The port others reach this group on (a database's), for `allowDefaultPortFrom`. */
    public readonly defaultPort?: Port,
  ) {}

  get connections(): Connections {
    return this;
  }

  /** This group's id in its scope, the stem of its rules' ids. */
  get label(): string {
    return this.securityGroup.node.id;
  }

  private get scope(): Construct {
    return this.securityGroup.node.scope as Construct;
  }

  /** This group may open connections to `other` on `port`: egress here, ingress there. */
  allowTo(other: IConnectable, port: Port, description: RuleDescriptions): void {
    const target = other.connections;
    this.egress(`${this.label}-to-${target.label}`, port, description.egress, { referencedSecurityGroupId: target.securityGroup.id });
    target.ingress(`${target.label}-from-${this.label}`, port, description.ingress, { referencedSecurityGroupId: this.securityGroup.id });
  }

  /** `other` may reach this group on its default port. */
  allowDefaultPortFrom(other: IConnectable, description: RuleDescriptions): void {
    if (!this.defaultPort) throw new Error(`Connections ${this.label}: has no default port; use allowTo with a port`);
    other.connections.allowTo(this, this.defaultPort, description);
  }

  /**
   * Connections from a block outside the project's groups on `port`.
   * @param id the rule's id @default `<group>-<port>-<peer label>`
   */
  allowFrom(peer: Peer, port: Port, description: string, id = `${this.label}-${port.port}-${peer.label}`): void {
    this.ingress(id, port, description, peer.ruleTarget);
  }

  /**
   * Connections to a block outside the project's groups on `port`.
   * @param id the rule's id @default `<group>-to-<peer label>`
   */
  allowToPeer(peer: Peer, port: Port, description: string, id = `${this.label}-to-${peer.label}`): void {
    this.egress(id, port, description, peer.ruleTarget);
  }

  private ingress(id: string, port: Port, description: string, source: RuleSource): void {
    new VpcSecurityGroupIngressRule(this.scope, id, { securityGroupId: this.securityGroup.id, description, ...tcp(port), ...source });
  }

  private egress(id: string, port: Port, description: string, destination: RuleSource): void {
    new VpcSecurityGroupEgressRule(this.scope, id, { securityGroupId: this.securityGroup.id, description, ...tcp(port), ...destination });
  }
}

type RuleSource = { readonly cidrIpv4?: string; readonly cidrIpv6?: string; readonly referencedSecurityGroupId?: string };

function tcp(port: Port) {
  return { ipProtocol: 'tcp', fromPort: port.port, toPort: port.port };
}

export interface ProjectSecurityGroupProps {
  /** Stem of the group's name; AWS appends a unique suffix. */
  readonly name: string;
  readonly vpc: Vpc;
  /** What the group admits, in words (AWS keeps it; changing it replaces the group). */
  readonly description: string;
}

/**
 * A security group with the project's settings: a name prefix (so a replacement can be created
 * before the old group is destroyed), a Name tag, no inline rules (all come from `Connections`).
 */
export function projectSecurityGroup(scope: Construct, id: string, props: ProjectSecurityGroupProps): SecurityGroup {
  return new SecurityGroup(scope, id, {
    namePrefix: `${props.name}-`,
    description: props.description,
    vpcId: props.vpc.id,
    tags: { Name: props.name },
    lifecycle: { createBeforeDestroy: true },
  });
}
