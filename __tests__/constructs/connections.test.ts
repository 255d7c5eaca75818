import { describe, expect, it } from 'vitest';
import { Connections, Peer, Port, projectSecurityGroup } from '../../constructs/connections';
import { allowSshFromOperator } from '../../constructs/web-tier';
import { addTestNetwork, emptyStack, resources, synth } from '../helpers/synth';

function twoGroups() {
  const stack = emptyStack();
  const { network } = addTestNetwork(stack);
  const group = (id: string) => projectSecurityGroup(stack, id, { name: `t-${id}`, vpc: network.vpc, description: id });
  return { stack, app: new Connections(group('app')), db: new Connections(group('db'), Port.tcp(3306)) };
}

describe('Connections', () => {
  it('writes an allowance between two groups as one egress and one ingress rule, named after both ends', () => {
    // GIVEN
    const { stack, app, db } = twoGroups();
    // WHEN
    app.allowTo(db, Port.tcp(3306), { egress: 'to db', ingress: 'from app' });
    // THEN
    const json = synth(stack).json;
    const egress = Object.entries(resources(json, 'aws_vpc_security_group_egress_rule'));
    const ingress = Object.entries(resources(json, 'aws_vpc_security_group_ingress_rule'));
    expect(egress.map(([id]) => id)).toEqual(['app-to-db']);
    expect(ingress.map(([id]) => id)).toEqual(['db-from-app']);
    expect(egress[0][1]).toMatchObject({
      from_port: 3306,
      to_port: 3306,
      ip_protocol: 'tcp',
      description: 'to db',
      referenced_security_group_id: expect.stringContaining('aws_security_group.db'),
    });
    expect(ingress[0][1]).toMatchObject({ description: 'from app', referenced_security_group_id: expect.stringContaining('aws_security_group.app') });
  });

  it('opens the default port with allowDefaultPortFrom, the same rules as allowTo', () => {
    const { stack, app, db } = twoGroups();
    db.allowDefaultPortFrom(app, { egress: 'e', ingress: 'i' });
    expect(Object.values(resources(synth(stack).json, 'aws_vpc_security_group_ingress_rule'))).toEqual([expect.objectContaining({ from_port: 3306 })]);
  });

  it('refuses allowDefaultPortFrom on a group without a default port', () => {
    const { app, db } = twoGroups();
    expect(() => app.allowDefaultPortFrom(db, { egress: 'e', ingress: 'i' })).toThrow(/app: has no default port/);
  });

  it('names a rule from a peer after the group, the port and the peer', () => {
    const { stack, app } = twoGroups();
    app.allowFrom(Peer.anyIpv6(), Port.tcp(443), 'https');
    const [[id, rule]] = Object.entries(resources(synth(stack).json, 'aws_vpc_security_group_ingress_rule'));
    expect(id).toBe('app-443-ipv6');
    expect(rule).toMatchObject({ cidr_ipv6: '::/0', from_port: 443 });
  });

  it.each([
    [() => Port.tcp(0), /Port.tcp: 0 is not a TCP port/],
    [() => Port.tcp(65536), /65536/],
    [() => Peer.ipv4('10.0.0.1/8', 'office'), /Peer.ipv4 office: "10.0.0.1\/8" has host bits set/],
    [() => Peer.ipv4('laptop', 'operator'), /"laptop" is not an IPv4 CIDR block/],
  ])('refuses bad input (%#)', (make, error) => {
    expect(make).toThrow(error);
  });
});

describe('allowSshFromOperator', () => {
  it.each([
    ['0.0.0.0/0', /"0\.0\.0\.0\/0" is wider than a \/24/],
    ['10.0.0.0/8', /"10\.0\.0\.0\/8" is wider than a \/24/],
    ['my-laptop', /operator: "my-laptop" is not an IPv4 CIDR/],
  ])('refuses %s', (cidr, error) => {
    const { app } = twoGroups();
    expect(() => allowSshFromOperator(app, cidr)).toThrow(error);
  });

  it('admits one operator address on 22', () => {
    const { stack, app } = twoGroups();
    allowSshFromOperator(app, '203.0.113.7/32');
    const [[id, rule]] = Object.entries(resources(synth(stack).json, 'aws_vpc_security_group_ingress_rule'));
    expect(id).toBe('app-ssh-from-operator');
    expect(rule).toMatchObject({ cidr_ipv4: '203.0.113.7/32', from_port: 22, to_port: 22 });
  });
});
