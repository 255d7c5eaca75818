import { describe, expect, it } from 'vitest';
import { WebTierSecurityGroups, type WebTierSecurityGroupsProps } from '../../constructs/web-tier-security-groups';
import { addTestNetwork, emptyStack, resources, synth, type Json } from '../helpers/synth';

interface Rule {
  readonly id: string;
  readonly direction: 'ingress' | 'egress';
  readonly group: string;
  readonly port: number;
  readonly protocol: string;
  readonly source: string;
}

/** Every rule as (direction, group, port, peer), peers being a CIDR or the other group's id. */
function rules(json: Json): Rule[] {
  const groupName = (ref: string) => /aws_security_group\.security-groups_([a-z-]+)_/.exec(ref)?.[1] ?? ref;
  const read = (direction: Rule['direction'], type: string) =>
    Object.entries(resources(json, type)).map(([id, r]) => ({
      id,
      direction,
      group: groupName(r.security_group_id),
      port: r.from_port,
      protocol: r.ip_protocol,
      source: r.cidr_ipv4 ?? r.cidr_ipv6 ?? groupName(r.referenced_security_group_id),
    }));
  return [...read('ingress', 'aws_vpc_security_group_ingress_rule'), ...read('egress', 'aws_vpc_security_group_egress_rule')];
}

function build(props: Partial<WebTierSecurityGroupsProps> = {}) {
  const stack = emptyStack();
  const { network } = addTestNetwork(stack);
  new WebTierSecurityGroups(stack, 'security-groups', { name: 'test', vpc: network.vpc, instancePort: 80, databasePort: 3306, ...props });
  return synth(stack).json;
}

const summary = (r: Rule) => `${r.direction} ${r.group} ${r.protocol}/${r.port} ${r.source}`;

describe('WebTierSecurityGroups', () => {
  it('has exactly the rules of the design, and no others', () => {
    // GIVEN an operator address for SSH
    // WHEN
    const json = build({ sshOperatorCidr: '203.0.113.7/32' });

    // THEN
    expect(rules(json).map(summary).sort()).toEqual(
      [
        'ingress load-balancer tcp/80 0.0.0.0/0',
        'ingress load-balancer tcp/80 ::/0',
        'ingress load-balancer tcp/443 0.0.0.0/0',
        'ingress load-balancer tcp/443 ::/0',
        'egress load-balancer tcp/80 instances',
        'ingress instances tcp/80 load-balancer',
        'ingress instances tcp/22 203.0.113.7/32',
        'egress instances tcp/443 0.0.0.0/0',
        'egress instances tcp/80 0.0.0.0/0',
        'egress instances tcp/3306 database',
        'ingress database tcp/3306 instances',
      ].sort(),
    );
  });

  it('opens no SSH when no operator address is configured', () => {
    const json = build();
    expect(rules(json).filter((r) => r.port === 22)).toEqual([]);
  });

  it('accepts the database port only from the instances', () => {
    const json = build();
    const toDatabase = rules(json).filter((r) => r.direction === 'ingress' && r.group === 'database');
    expect(toDatabase.map(summary)).toEqual(['ingress database tcp/3306 instances']);
  });

  it('lets nothing but the load balancer in from anywhere, and only on 80/443', () => {
    const json = build({ sshOperatorCidr: '203.0.113.7/32' });
    const fromAnywhere = rules(json).filter((r) => r.direction === 'ingress' && (r.source === '0.0.0.0/0' || r.source === '::/0'));
    expect(fromAnywhere.every((r) => r.group === 'load-balancer' && [80, 443].includes(r.port))).toBe(true);
  });

  it('creates no data tier group without a database port', () => {
    const json = build({ databasePort: undefined });
    expect(Object.keys(resources(json, 'aws_security_group'))).toHaveLength(2);
    expect(rules(json).some((r) => r.port === 3306)).toBe(false);
  });

  it.each([
    [{ sshOperatorCidr: '0.0.0.0/0' }, /sshOperatorCidr "0\.0\.0\.0\/0" is wider than a \/24/],
    [{ sshOperatorCidr: '10.0.0.0/8' }, /sshOperatorCidr "10\.0\.0\.0\/8" is wider than a \/24/],
    [{ sshOperatorCidr: 'my-laptop' }, /sshOperatorCidr "my-laptop" is not an IPv4 CIDR/],
    [{ instancePort: 0 }, /instancePort is 0; use a TCP port from 1 to 65535/],
    [{ databasePort: 70000 }, /databasePort is 70000/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });

  it('lets an authenticating load balancer reach the identity provider on 443, and nothing more', () => {
    // GIVEN Cognito sign-in at the load balancer
    const withAuth = rules(build({ loadBalancerAuthenticates: true })).map(summary);
    const without = rules(build()).map(summary);
    // THEN exactly one rule more: HTTPS out from the load balancer
    expect(withAuth.filter((r) => !without.includes(r))).toEqual(['egress load-balancer tcp/443 0.0.0.0/0']);
  });
});
