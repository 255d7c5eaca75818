import { describe, expect, it } from 'vitest';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { ExistingHostedZone } from '../../constructs/hosted-zone';
import { JENKINS_WEBHOOK_PATH, JenkinsServer, jenkinsUserData, type JenkinsServerProps } from '../../constructs/jenkins-server';
import { addTestNetwork, emptyStack, policyStatements, resourceList, synth } from '../helpers/synth';
import { AL2023_AMI } from '../../constructs/platform';

const WEBHOOKS = ['192.30.252.0/22', '185.199.108.0/22'];
const OFFICE = '203.0.113.0/24';

function build(props: Partial<JenkinsServerProps> = {}, grant?: (jenkins: JenkinsServer) => void) {
  const stack = emptyStack();
  const { key, network } = addTestNetwork(stack);
  const jenkins = new JenkinsServer(stack, 'jenkins', {
    name: 'test',
    network,
    webhookCidrs: WEBHOOKS,
    officeCidr: OFFICE,
    domainName: 'jenkins.example.com',
    hostedZone: ExistingHostedZone.fromZoneId('Z0123456789ABCDEFGHIJ'),
    encryptionKey: key,
    ...props,
  });
  grant?.(jenkins);
  return synth(stack);
}

describe('JenkinsServer', () => {
  it('lets its load balancer take 443 and 80 from exactly the webhook blocks and the office, and nothing else', () => {
    const ingress = resourceList(build().json, 'aws_vpc_security_group_ingress_rule').filter((r) => /jenkins_lb-security-group/.test(r.security_group_id));
    const sources = ingress.map((r) => `${r.from_port}-${r.to_port} ${r.cidr_ipv4}`).sort();
    const expected = [443, 80].flatMap((port) => [...WEBHOOKS, OFFICE].map((cidr) => `${port}-${port} ${cidr}`)).sort();
    expect(sources).toEqual(expected);
  });

  it('lets the instance take its web port from its load balancer only', () => {
    const ingress = resourceList(build({ webPort: 8443 }).json, 'aws_vpc_security_group_ingress_rule').filter((r) =>
      /jenkins_security-group_/.test(r.security_group_id),
    );
    expect(ingress.map((r) => [r.from_port, r.referenced_security_group_id ?? r.cidr_ipv4])).toEqual([
      [8443, expect.stringMatching(/aws_security_group\.jenkins_lb-security-group_\w+\.id/)],
    ]);
  });

  it('terminates TLS with a DNS-validated certificate for its name and redirects HTTP to HTTPS', () => {
    const { json } = build();
    const listeners = resourceList(json, 'aws_lb_listener');
    expect(listeners.map((l) => [l.port, l.protocol, l.default_action[0].type])).toEqual([
      [80, 'HTTP', 'redirect'],
      [443, 'HTTPS', 'fixed-response'],
    ]);
    expect(listeners[1]).toMatchObject({
      ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificate_arn: expect.stringMatching(/aws_acm_certificate_validation\./),
    });
    expect(resourceList(json, 'aws_acm_certificate')[0].domain_name).toBe('jenkins.example.com');
    expect(resourceList(json, 'aws_route53_record').find((r) => r.type === 'A')).toMatchObject({ name: 'jenkins.example.com' });
  });

  it('forwards the webhook path from the webhook blocks and everything from the office, and answers anyone else 403', () => {
    const { json } = build();
    const rules = resourceList(json, 'aws_lb_listener_rule')
      .map((r) => [r.priority, r.condition])
      .sort((a, b) => a[0] - b[0]);
    expect(rules).toEqual([
      [10, [{ path_pattern: { values: [JENKINS_WEBHOOK_PATH] } }, { source_ip: { values: WEBHOOKS } }]],
      [20, [{ source_ip: { values: [OFFICE] } }]],
    ]);
    const https = resourceList(json, 'aws_lb_listener').find((l) => l.port === 443)!;
    expect(https.default_action[0].fixed_response).toMatchObject({ status_code: '403' });
    expect(resourceList(json, 'aws_lb_target_group')[0].health_check).toMatchObject({ path: '/login', matcher: '200' });
  });

  it('has no SSH and no key pair: operators use Session Manager', () => {
    const { json } = build();
    expect(resourceList(json, 'aws_vpc_security_group_ingress_rule').some((r) => r.from_port <= 22 && r.to_port >= 22)).toBe(false);
    expect(resourceList(json, 'aws_instance')[0].key_name).toBeUndefined();
    expect(resourceList(json, 'aws_iam_role_policy_attachment').map((a) => a.policy_arn)).toContain('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore');
  });

  it('runs with IMDSv2 only, a KMS-encrypted root volume and an instance profile, in an application subnet without a public address', () => {
    const { text, json } = build();
    expect(text).toHaveResourceWithProperties(Instance, {
      metadata_options: expect.objectContaining({ http_tokens: 'required', http_put_response_hop_limit: 1 }),
      root_block_device: expect.objectContaining({ encrypted: true, kms_key_id: expect.stringMatching(/aws_kms_key\.key_\w+\.arn/) }),
      iam_instance_profile: expect.stringMatching(/aws_iam_instance_profile\.jenkins_profile_\w+\.name/),
      subnet_id: expect.stringMatching(/aws_subnet\.network_application-/),
      associate_public_ip_address: false,
    });
    const [template] = resourceList(json, 'aws_launch_template');
    expect(template).toMatchObject({ image_id: AL2023_AMI, metadata_options: expect.objectContaining({ http_tokens: 'required' }) });
  });

  it('has no jobs policy until something is granted to it (IAM refuses an empty one)', () => {
    expect(resourceList(build().json, 'aws_iam_role_policy').filter((p) => p.name === 'jobs')).toEqual([]);
  });

  it('puts what is granted to it, in order, in one jobs policy on its role', () => {
    // GIVEN two grants to the server
    const json = build({}, (jenkins) => {
      jenkins.grantPrincipal.addToPrincipalPolicy([{ Sid: 'First', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }]);
      jenkins.grantPrincipal.addToPrincipalPolicy([
        { Sid: 'Second', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:123456789012:q' },
      ]);
    }).json;
    // THEN
    const policies = resourceList(json, 'aws_iam_role_policy').filter((p) => /aws_iam_role\.jenkins_role_/.test(p.role));
    expect(policies.map((p) => p.name)).toEqual(['jobs']);
    expect(policyStatements(policies[0].policy).map((s) => s.Sid)).toEqual(['First', 'Second']);
  });

  it('installs Jenkins on the configured port, with the Java 21 current Jenkins LTS lines need', () => {
    expect(jenkinsUserData(8443)).toContain('JENKINS_PORT=8443');
    expect(jenkinsUserData(8443)).toContain('dnf install -y java-21-amazon-corretto-headless');
    expect(jenkinsUserData(8443)).not.toMatch(/java-1[17]-/);
    expect(jenkinsUserData(8443)).toContain('systemctl enable --now jenkins');
  });

  it.each([
    [{ officeCidr: '0.0.0.0/0' }, /officeCidr "0\.0\.0\.0\/0" is wider than \/16/],
    [{ webhookCidrs: ['10.0.0.0/8'] }, /webhookCidrs "10\.0\.0\.0\/8" is wider than \/16/],
    [{ webhookCidrs: [] }, /webhookCidrs is empty/],
    [
      { webhookCidrs: ['192.30.252.0/22', '185.199.108.0/22', '140.82.112.0/20', '143.55.64.0/20', '20.201.28.0/24'] },
      /webhookCidrs has 5 blocks; the load balancer's webhook rule takes 4/,
    ],
    [{ officeCidr: 'office' }, /officeCidr: "office" is not an IPv4 CIDR/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});
