import { describe, expect, it } from 'vitest';
import { Wafv2WebAclLoggingConfiguration } from '@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration';
import { EncryptionKey } from '../../constructs/encryption-key';
import { DEFAULT_MANAGED_RULE_GROUPS, RegionalWebAcl, type RegionalWebAclProps } from '../../constructs/web-acl';
import { wafAction, type WafRequest } from '../helpers/waf';
import { emptyStack, resourceList, synth } from '../helpers/synth';

function build(props: Partial<RegionalWebAclProps> = {}) {
  const stack = emptyStack();
  const encryptionKey = new EncryptionKey(stack, 'key', { alias: 't', description: 't', allowCloudWatchLogs: true });
  new RegionalWebAcl(stack, 'waf', {
    name: 'test',
    resourceArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1',
    encryptionKey,
    ...props,
  });
  return synth(stack);
}

describe('RegionalWebAcl', () => {
  it('is regional and allows what no rule blocks', () => {
    const [acl] = resourceList(build().json, 'aws_wafv2_web_acl');
    expect(acl).toMatchObject({ scope: 'REGIONAL', default_action: { allow: {} } });
  });

  it('applies the AWS managed rule groups in order, including known bad inputs (Log4j)', () => {
    const [acl] = resourceList(build().json, 'aws_wafv2_web_acl');
    expect(
      acl.rule.map((r: { priority: number; statement: { managed_rule_group_statement: { name: string; vendor_name: string } } }) => [
        r.priority,
        r.statement.managed_rule_group_statement.name,
        r.statement.managed_rule_group_statement.vendor_name,
      ]),
    ).toEqual(DEFAULT_MANAGED_RULE_GROUPS.map((name, i) => [i, name, 'AWS']));
    expect(DEFAULT_MANAGED_RULE_GROUPS).toContain('AWSManagedRulesKnownBadInputsRuleSet');
  });

  it('associates the ACL with the given resource', () => {
    const [association] = resourceList(build().json, 'aws_wafv2_web_acl_association');
    expect(association.resource_arn).toBe('arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1');
  });

  it('logs requests to an encrypted aws-waf-logs- group', () => {
    const { text, json } = build();
    const [group] = resourceList(json, 'aws_cloudwatch_log_group');
    expect(group).toMatchObject({ name: 'aws-waf-logs-test', retention_in_days: 90 });
    expect(group.kms_key_id).toMatch(/aws_kms_key\.key_\w+\.arn/);
    expect(text).toHaveResource(Wafv2WebAclLoggingConfiguration);
  });

  it('refuses an empty rule group list', () => {
    expect(() => build({ managedRuleGroups: [] })).toThrow(/managedRuleGroups is empty/);
  });

  it.each([
    [{ restrictedPaths: [{ pathPrefix: '/Setup', allowFrom: [] }] }, /restrictedPaths\[0\]\.pathPrefix "\/Setup" must be a lower-case absolute path/],
    [{ restrictedPaths: [{ pathPrefix: 'setup', allowFrom: [] }] }, /restrictedPaths\[0\]\.pathPrefix "setup"/],
    [{ restrictedPaths: [{ pathPrefix: '/setup', allowFrom: ['203.0.113.300/32'] }] }, /restrictedPaths\[0\]\.allowFrom "203\.0\.113\.300\/32"/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});

describe('RegionalWebAcl restricted paths, evaluated', () => {
  const OPERATOR = '203.0.113.7';
  const json = build({ restrictedPaths: [{ pathPrefix: '/setup', allowFrom: [`${OPERATOR}/32`] }] }).json;
  const ask = (path: string, sourceIp: string): string => wafAction(json, { path, sourceIp } satisfies WafRequest);

  it('puts the path rule before the managed rule groups', () => {
    const [acl] = resourceList(json, 'aws_wafv2_web_acl');
    expect(acl.rule.map((r: { name: string; priority: number }) => [r.priority, r.name])).toEqual([
      [0, 'restrict-setup'],
      ...DEFAULT_MANAGED_RULE_GROUPS.map((name, i) => [i + 1, name]),
    ]);
  });

  it.each(['/setup', '/setup/step1', '/Setup', '/SETUP/step2', '/%73etup', '//setup', '/./setup', '/api/../setup'])(
    'blocks %s from any other address',
    (path) => {
      expect(ask(path, '198.51.100.20')).toBe('block');
    },
  );

  it.each(['/setup', '/setup/step3'])('lets the allowed address reach %s', (path) => {
    expect(ask(path, OPERATOR)).toBe('allow');
  });

  it.each(['/', '/api/v1/components', '/dashboard', '/set', '/status/setup'])('leaves %s to the other rules', (path) => {
    expect(ask(path, '198.51.100.20')).toBe('allow');
  });

  it('blocks the paths for every source when nobody is allowed', () => {
    const closed = build({ restrictedPaths: [{ pathPrefix: '/setup', allowFrom: [] }] }).json;
    expect(resourceList(closed, 'aws_wafv2_ip_set')).toHaveLength(0);
    expect(wafAction(closed, { path: '/setup', sourceIp: OPERATOR })).toBe('block');
  });
});
