// The security design of both systems, as the stacks wire it through the constructs' connections:
// exactly these rules, each its own resource, and nothing else.
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { CachetStack } from '../../stacks/cachet/cachet-stack';
import { WebStack } from '../../stacks/web/web-stack';
import { config, resources, synth, type Json } from '../helpers/synth';

interface Rule {
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
    Object.values(resources(json, type)).map((r) => ({
      direction,
      group: groupName(r.security_group_id),
      port: r.from_port,
      protocol: r.ip_protocol,
      source: r.cidr_ipv4 ?? r.cidr_ipv6 ?? groupName(r.referenced_security_group_id),
    }));
  return [...read('ingress', 'aws_vpc_security_group_ingress_rule'), ...read('egress', 'aws_vpc_security_group_egress_rule')];
}

const summary = (r: Rule) => `${r.direction} ${r.group} ${r.protocol}/${r.port} ${r.source}`;
const cachet = (patch = {}) => rules(synth(new CachetStack(Testing.app(), config('staging', patch))).json);
const web = (patch = {}) => rules(synth(new WebStack(Testing.app(), config('staging', patch))).json);
const WEB_TIER = [
  'ingress load-balancer tcp/80 0.0.0.0/0',
  'ingress load-balancer tcp/80 ::/0',
  'ingress load-balancer tcp/443 0.0.0.0/0',
  'ingress load-balancer tcp/443 ::/0',
  'egress instances tcp/443 0.0.0.0/0',
  'egress instances tcp/80 0.0.0.0/0',
];
const COGNITO = { userPoolArn: 'arn:aws:cognito-idp:eu-west-1:222222222222:userpool/eu-west-1_abc', userPoolClientId: 'client', userPoolDomain: 'auth' };

describe('security groups', () => {
  it('Cachet: exactly the rules of the design, and no others', () => {
    // GIVEN an operator address for SSH
    // WHEN
    const found = cachet({ cachet: { ssh: { operatorCidr: '203.0.113.7/32' } } });
    // THEN
    expect(found.map(summary).sort()).toEqual(
      [
        ...WEB_TIER,
        'egress load-balancer tcp/80 instances',
        'ingress instances tcp/80 load-balancer',
        'ingress instances tcp/22 203.0.113.7/32',
        'egress instances tcp/3306 database',
        'ingress database tcp/3306 instances',
      ].sort(),
    );
  });

  it('web app: exactly the rules of the design, and no others', () => {
    expect(web().map(summary).sort()).toEqual([...WEB_TIER, 'egress load-balancer tcp/8080 instances', 'ingress instances tcp/8080 load-balancer'].sort());
  });

  it('opens no SSH when no operator address is configured', () => {
    expect(cachet().filter((r) => r.port === 22)).toEqual([]);
  });

  it('accepts the database port only from the instances', () => {
    const toDatabase = cachet().filter((r) => r.direction === 'ingress' && r.group === 'database');
    expect(toDatabase.map(summary)).toEqual(['ingress database tcp/3306 instances']);
  });

  it.each([
    ['Cachet', () => cachet({ cachet: { ssh: { operatorCidr: '203.0.113.7/32' } } })],
    ['web', () => web()],
  ])('%s: nothing but the load balancer takes connections from anywhere, and only on 80/443', (_, build) => {
    const fromAnywhere = build().filter((r) => r.direction === 'ingress' && (r.source === '0.0.0.0/0' || r.source === '::/0'));
    expect(fromAnywhere.every((r) => r.group === 'load-balancer' && [80, 443].includes(r.port))).toBe(true);
  });

  it('lets an authenticating load balancer reach the identity provider on 443, and nothing more', () => {
    // GIVEN Cognito sign-in at the load balancer
    const withAuth = web({ webapp: { cognito: COGNITO } }).map(summary);
    const without = web().map(summary);
    // THEN exactly one rule more: HTTPS out from the load balancer
    expect(withAuth.filter((r) => !without.includes(r))).toEqual(['egress load-balancer tcp/443 0.0.0.0/0']);
  });
});
