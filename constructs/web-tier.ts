import type { Construct } from 'constructs';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { parseCidr } from './cidr';
import { Peer, Port, projectSecurityGroup, type Connections, type IConnectable } from './connections';

// The allowances of a load-balanced web tier, shared by the web app's fleet and Cachet's Beanstalk
// environment: the load balancer takes HTTP and HTTPS from anywhere and reaches only its targets;
// the instances take their port from the load balancer only (SSH only from one operator block, when
// asked) and go out on HTTPS and HTTP through NAT.

/** The group of a public load balancer, named `<name>-<id>`. */
export function loadBalancerSecurityGroup(scope: Construct, id: string, props: { readonly name: string; readonly vpc: Vpc }): SecurityGroup {
  return projectSecurityGroup(scope, id, { name: `${props.name}-${id}`, vpc: props.vpc, description: 'Load balancer: HTTP and HTTPS from anywhere' });
}

/** The group of web instances behind a load balancer, named `<name>-<id>`. */
export function instanceSecurityGroup(scope: Construct, id: string, props: { readonly name: string; readonly vpc: Vpc }): SecurityGroup {
  return projectSecurityGroup(scope, id, { name: `${props.name}-${id}`, vpc: props.vpc, description: 'Web instances: app port from the load balancer only' });
}

/** A public web entry point: HTTP (which redirects) and HTTPS from any IPv4 and IPv6 address. */
export function allowWebFromAnywhere(connections: Connections): void {
  for (const [port, what] of [
    [80, 'HTTP (redirected to HTTPS)'],
    [443, 'HTTPS'],
  ] as const) {
    for (const peer of [Peer.anyIpv4(), Peer.anyIpv6()]) connections.allowFrom(peer, Port.tcp(port), `${what} from anywhere`);
  }
}

/** A load balancer forwards to its targets on their port. */
export function allowLoadBalancerToTargets(loadBalancer: IConnectable, targets: IConnectable, port: Port): void {
  loadBalancer.connections.allowTo(targets, port, { egress: 'To the web instances on the app port', ingress: 'App port from the load balancer' });
}

/** Instances behind NAT: HTTPS out for AWS APIs and image registries, HTTP for OS package mirrors. */
export function allowInstanceEgress(connections: Connections): void {
  connections.allowToPeer(Peer.anyIpv4(), Port.tcp(443), 'HTTPS out (AWS APIs, container registry)', `${connections.label}-egress-443`);
  connections.allowToPeer(Peer.anyIpv4(), Port.tcp(80), 'HTTP out (OS package mirrors)', `${connections.label}-egress-80`);
}

/** The widest block SSH may come from: an operator's own address, at most a /24. */
export const SSH_WIDEST_PREFIX = 24;

/** SSH to the instances from one operator block (at most a /24, never the internet). */
export function allowSshFromOperator(connections: Connections, operatorCidr: string): void {
  const peer = Peer.ipv4(operatorCidr, 'operator');
  const block = parseCidr(operatorCidr);
  if (!('error' in block) && block.prefix < SSH_WIDEST_PREFIX) {
    throw new Error(`allowSshFromOperator: "${operatorCidr}" is wider than a /${SSH_WIDEST_PREFIX}; give the operator's own address (a /32)`);
  }
  connections.allowFrom(peer, Port.tcp(22), 'SSH from the operator address only', `${connections.label}-ssh-from-operator`);
}
