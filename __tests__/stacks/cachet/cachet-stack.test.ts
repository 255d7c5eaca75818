import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { CachetStack } from '../../../stacks/cachet/cachet-stack';
import { wafAction } from '../../helpers/waf';
import { config, resourceList, synth, type Json } from '../../helpers/synth';
import { environmentNames } from '../../../config/load';

const ENVIRONMENTS = environmentNames();

const stacks = Object.fromEntries(ENVIRONMENTS.map((name) => [name, synth(new CachetStack(Testing.app(), config(name))).json]));

/** Every [path, value] in a JSON tree. */
function* walk(node: unknown, path = ''): Generator<[string, unknown]> {
  if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) yield* walk(v, `${path}.${k}`);
  } else {
    yield [path, node];
  }
}

const SECRET_KEYS = /(^|\.)(password|master_password|secret_string|secret_binary|access_key|secret_key|token)$/;

describe.each(ENVIRONMENTS)('CachetStack %s', (name) => {
  const json: Json = stacks[name];

  it('holds no secret value anywhere in the JSON', () => {
    const offending = [...walk(json)].filter(([path]) => SECRET_KEYS.test(path));
    expect(offending).toEqual([]);
    const plainEnv = resourceList(json, 'aws_elastic_beanstalk_environment')[0].setting.filter(
      (s: Json) => s.namespace === 'aws:elasticbeanstalk:application:environment' && /PASSWORD|SECRET|APP_KEY/.test(s.name),
    );
    // Only the secrets' ARNs, which the instance's refresher reads the secrets by.
    expect(plainEnv.map((s: Json) => [s.name, s.value])).toEqual([
      ['DB_SECRET_ARN', expect.stringMatching(/^\$\{aws_secretsmanager_secret\.database-app-user_secret_\w+\.arn\}$/)],
      ['DB_MASTER_SECRET_ARN', expect.stringMatching(/^\$\{aws_rds_cluster\.database_cluster_\w+\.master_user_secret\[0\]\.secret_arn\}$/)],
      ['APP_KEY_SECRET_ARN', expect.stringMatching(/^\$\{aws_secretsmanager_secret\.cachet_app-key_\w+\.arn\}$/)],
    ]);
  });

  it('opens nothing to the internet but the load balancer on 80 and 443', () => {
    const open = resourceList(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.cidr_ipv4 === '0.0.0.0/0' || r.cidr_ipv6 === '::/0');
    expect(open.map((r) => r.from_port).sort()).toEqual([443, 443, 80, 80]);
    expect(open.every((r) => /aws_security_group\.security-groups_load-balancer_/.test(r.security_group_id))).toBe(true);
  });

  it('reaches MySQL only from the web instances', () => {
    const toDatabase = resourceList(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.from_port === 3306);
    expect(toDatabase).toHaveLength(1);
    expect(toDatabase[0].referenced_security_group_id).toMatch(/aws_security_group\.security-groups_instances_/);
    expect(toDatabase[0].cidr_ipv4).toBeUndefined();
  });

  it('puts each database instance in its own AZ', () => {
    const azs = resourceList(json, 'aws_rds_cluster_instance').map((i) => i.availability_zone);
    expect(new Set(azs).size).toBe(azs.length);
    expect(azs.length).toBe(config(name).database.readerCount + 1);
  });

  it('attaches the validated certificate to the HTTPS listener and aliases the name to Beanstalk', () => {
    const env = resourceList(json, 'aws_elastic_beanstalk_environment')[0];
    const cert = env.setting.find((s: Json) => s.namespace === 'aws:elbv2:listener:443' && s.name === 'SSLCertificateArns');
    expect(cert.value).toMatch(/aws_acm_certificate_validation\.certificate_validation_\w+\.certificate_arn/);
    const alias = resourceList(json, 'aws_route53_record').find((r) => r.alias);
    expect(alias).toMatchObject({ name: config(name).dns.domainName, type: 'A', zone_id: config(name).dns.hostedZoneId });
    expect(alias!.alias.name).toMatch(/aws_elastic_beanstalk_environment\.cachet_environment_\w+\.cname/);
  });

  it('has the outputs operators need', () => {
    expect(Object.keys(json.output).sort()).toEqual(
      [
        'admin_secret_arn',
        'app_key_secret_arn',
        'beanstalk_cname',
        'cachet_image',
        'dashboard_url',
        'database_app_user_secret_arn',
        'database_master_secret_arn',
        'database_port',
        'database_reader_endpoint',
        'database_writer_endpoint',
        'status_page_url',
        'vpc_id',
        // With status page components mapped (the dev and prod examples): where the token goes, and the dead letters.
        ...(config(name).statusPage.components.length > 0 ? ['status_page_token_secret_arn', 'status_page_dead_letter_queue'] : []),
      ].sort(),
    );
    expect(json.output.database_port.value).toBe(3306);
    expect(json.output.status_page_url.value).toBe(`https://${config(name).dns.domainName}`);
  });

  it('uses no data source that calls AWS (plans stay offline)', () => {
    // The Beanstalk hosted zone and ELB account data sources are tables inside the provider.
    expect(Object.keys(json.data ?? {}).sort()).toEqual(['aws_elastic_beanstalk_hosted_zone', 'aws_elb_service_account']);
  });
});

describe('CachetStack across environments', () => {
  it('protects the prod database and lets dev be thrown away', () => {
    const cluster = (n: string) => resourceList(stacks[n], 'aws_rds_cluster')[0];
    expect(cluster('prod')).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, backtrack_window: 86400 });
    expect(cluster('dev')).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
  });

  it('leaves WAF out only when an environment turns it off', () => {
    const devWithout = synth(new CachetStack(Testing.app(), config('dev', { cachet: { enableWaf: false } }))).json;
    expect(resourceList(devWithout, 'aws_wafv2_web_acl')).toHaveLength(0);
  });

  it.each([
    ['setupCidr', { cachet: { setupCidr: '203.0.113.7/32' } }],
    ['ssh.operatorCidr, when setupCidr is not set', { cachet: { ssh: { operatorCidr: '203.0.113.7/32' } } }],
  ])("lets %s open Cachet's set-up, and nobody else", (_field, patch) => {
    const json = synth(new CachetStack(Testing.app(), config('dev', patch))).json;
    expect(wafAction(json, { path: '/setup/step1', sourceIp: '203.0.113.7' })).toBe('allow');
    expect(wafAction(json, { path: '/setup/step1', sourceIp: '203.0.113.8' })).toBe('block');
  });

  it.each([
    ['dev', 10],
    ['prod', 10],
  ])('%s alarms when Cachet answers more than %i 5xx a minute for 5 minutes, on the load balancer as a whole', (env, threshold) => {
    const alarm = resourceList(stacks[env], 'aws_cloudwatch_metric_alarm').find((a) => a.metric_name === 'HTTPCode_Target_5XX_Count')!;
    expect(alarm).toMatchObject({
      alarm_name: `statuspage-${env}-cachet-target-5xx`,
      namespace: 'AWS/ApplicationELB',
      statistic: 'Sum',
      period: 60,
      evaluation_periods: 5,
      threshold,
      comparison_operator: 'GreaterThanThreshold',
      treat_missing_data: 'notBreaching',
    });
    expect(Object.keys(alarm.dimensions)).toEqual(['LoadBalancer']);
  });

  it("rotates Cachet's database user only once the environment (whose first start creates the user) is up, from the web instances' group", () => {
    const [rotation] = resourceList(stacks.dev, 'aws_secretsmanager_secret_rotation');
    expect(rotation.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_elastic_beanstalk_environment\.cachet_environment_\w+$/)]));
    const [application] = resourceList(stacks.dev, 'aws_serverlessapplicationrepository_cloudformation_stack');
    expect(application.parameters.vpcSecurityGroupIds).toMatch(/^\$\{aws_security_group\.security-groups_instances_\w+\.id\}$/);
  });

  it('gives dev one shared NAT gateway and prod one per AZ', () => {
    expect(resourceList(stacks.dev, 'aws_nat_gateway')).toHaveLength(1);
    expect(resourceList(stacks.prod, 'aws_nat_gateway')).toHaveLength(3);
  });

  it('opens SSH only when an operator address is configured', () => {
    const ssh = (json: Json) => resourceList(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.from_port === 22);
    expect(ssh(stacks.dev)).toEqual([]);
    const withSsh = synth(new CachetStack(Testing.app(), config('dev', { cachet: { ssh: { operatorCidr: '198.51.100.7/32' } } }))).json;
    expect(ssh(withSsh).map((r) => r.cidr_ipv4)).toEqual(['198.51.100.7/32']);
  });
});
