// WAF in every stack of every environment: each public load balancer has a web ACL in front of it
// with the known-bad-inputs group, Cachet's adds SQL injection and refuses its set-up pages to the
// internet. Fails when an environment file (or a default) turns WAF off anywhere.
import { describe, expect, it } from 'vitest';
import { environmentNames } from '../../config/load';
import { everyShippedStack, resourceList, type Json } from '../helpers/synth';
import { wafAction } from '../helpers/waf';

const stacks = await everyShippedStack();
const managedGroups = (json: Json): string[] =>
  resourceList(json, 'aws_wafv2_web_acl')[0].rule.flatMap((r: Json) =>
    r.statement.managed_rule_group_statement ? [r.statement.managed_rule_group_statement.name] : [],
  );

describe('WAF across environments', () => {
  it.each(stacks)('%s has one web ACL, associated, with known bad inputs and logging', (_name, json) => {
    expect(resourceList(json, 'aws_wafv2_web_acl')).toHaveLength(1);
    expect(resourceList(json, 'aws_wafv2_web_acl_association')).toHaveLength(1);
    expect(resourceList(json, 'aws_wafv2_web_acl_logging_configuration')).toHaveLength(1);
    expect(managedGroups(json)).toContain('AWSManagedRulesKnownBadInputsRuleSet');
  });

  const cachet = stacks.filter(([name]) => name.startsWith('cachet-'));

  it('covers Cachet in every environment', () => {
    expect(cachet.map(([name]) => name).sort()).toEqual(
      environmentNames()
        .map((e) => `cachet-${e}`)
        .sort(),
    );
  });

  it.each(cachet)('%s runs the SQL-injection group in front of Cachet', (_name, json) => {
    expect(managedGroups(json)).toContain('AWSManagedRulesSQLiRuleSet');
  });

  it.each(cachet)("%s refuses Cachet's set-up pages to an address on the internet", (_name, json) => {
    for (const path of ['/setup', '/setup/step1', '/Setup/step3', '/%73etup']) expect(wafAction(json, { path, sourceIp: '198.51.100.20' })).toBe('block');
    expect(wafAction(json, { path: '/api/v1/components', sourceIp: '198.51.100.20' })).toBe('allow');
  });
});
