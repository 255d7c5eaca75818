import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { WebStack } from '../../../stacks/web/web-stack';
import { config, resourceList, synth, WITH_JENKINS, type Json } from '../../helpers/synth';
import { environmentNames } from '../../../config/load';

const ENVIRONMENTS = environmentNames();

const stacks = Object.fromEntries(ENVIRONMENTS.map((name) => [name, synth(new WebStack(Testing.app(), config(name))).json]));

describe.each(ENVIRONMENTS)('WebStack %s', (name) => {
  const json: Json = stacks[name];

  it('opens nothing to the internet but the load balancer on 80 and 443, and the app port only to it', () => {
    const ingress = resourceList(json, 'aws_vpc_security_group_ingress_rule');
    const open = ingress.filter((r) => r.cidr_ipv4 || r.cidr_ipv6);
    expect(open.every((r) => /security-groups_load-balancer_/.test(r.security_group_id) && [80, 443].includes(r.from_port))).toBe(true);
    const app = ingress.filter((r) => r.from_port === config(name).webapp.appPort);
    expect(app).toHaveLength(1);
    expect(app[0].referenced_security_group_id).toMatch(/aws_security_group\.security-groups_load-balancer_/);
    expect(ingress.some((r) => r.from_port === 22)).toBe(false);
  });

  it('points the app name at the load balancer', () => {
    const alias = resourceList(json, 'aws_route53_record').find((r) => r.alias)!;
    expect(alias).toMatchObject({ name: config(name).webapp.domainName, type: 'A' });
    expect(alias.alias.name).toMatch(/aws_lb\.load-balancer_\w+\.dns_name/);
  });

  it('installs the configured initial release from its own releases bucket', () => {
    const [template] = resourceList(json, 'aws_launch_template');
    expect(template.user_data).toContain(`release='s3://@release-bucket@/webapp/${config(name).webapp.initialReleaseVersion}.tar.gz'`);
    expect(template.user_data).toMatch(/"@release-bucket@", aws_s3_bucket\.releases_bucket_\w+\.bucket\)/);
  });

  it("releases pushes to the environment's own branch", () => {
    const [pipeline] = resourceList(json, 'aws_codepipeline');
    expect(pipeline.stage[0].action[0].configuration.BranchName).toBe(config(name).webapp.delivery.branch);
    const rule = resourceList(json, 'aws_cloudwatch_event_rule').find((r) => JSON.parse(r.event_pattern).source[0] === 'aws.codecommit')!;
    expect(JSON.parse(rule.event_pattern).detail.referenceName).toEqual([config(name).webapp.delivery.branch]);
  });

  it('has the outputs the web tier and pipeline issues ask for', () => {
    expect(Object.keys(json.output)).toEqual(
      expect.arrayContaining([
        'app_url',
        'alb_dns_name',
        'asg_name',
        'target_group_arn',
        'repository_clone_url_http',
        'repository_clone_url_ssh',
        'pipeline_name',
        'artifact_bucket',
      ]),
    );
    expect(json.output.app_url.value).toBe(`https://${config(name).webapp.domainName}`);
  });
});

describe('WebStack options', () => {
  it('passes routing rules and Cognito sign-in from the config to the load balancer', () => {
    const json = synth(
      new WebStack(
        Testing.app(),
        config('dev', {
          webapp: {
            routingRules: [{ priority: 5, pathPatterns: ['/api/*'] }],
            cognito: { userPoolArn: 'arn:aws:cognito-idp:eu-west-1:111111111111:userpool/eu-west-1_abc', userPoolClientId: 'client', userPoolDomain: 'auth' },
          },
        }),
      ),
    ).json;
    const [rule] = resourceList(json, 'aws_lb_listener_rule');
    expect(rule.condition).toEqual([{ path_pattern: { values: ['/api/*'] } }]);
    expect(rule.action.map((a: Json) => a.type)).toEqual(['authenticate-cognito', 'forward']);
  });
});

describe('WebStack across environments', () => {
  it('protects the prod load balancer from deletion; dev not', () => {
    const lb = (n: string) => resourceList(stacks[n], 'aws_lb')[0];
    expect(lb('prod').enable_deletion_protection).toBe(true);
    expect(lb('dev').enable_deletion_protection).toBe(false);
  });

  it('leaves WAF out only when an environment turns it off', () => {
    const devWithout = synth(new WebStack(Testing.app(), config('dev', { webapp: { enableWaf: false } }))).json;
    expect(resourceList(devWithout, 'aws_wafv2_web_acl')).toHaveLength(0);
  });
});

describe('WebStack delivery across environments', () => {
  const stageNames = (n: string) => resourceList(stacks[n], 'aws_codepipeline')[0].stage.map((s: Json) => s.name);

  it.each([
    ['dev', 'dev', ['Source', 'Build', 'Deploy']],
    ['staging', 'staging', ['Source', 'Build', 'Deploy']],
    ['prod', 'main', ['Source', 'Build', 'Approve', 'Deploy']],
  ])('%s releases branch %s through %j', (env, branch, stages) => {
    expect(config(env as 'dev').webapp.delivery.branch).toBe(branch);
    expect(stageNames(env)).toEqual(stages);
  });

  it('creates no Jenkins server unless enableJenkins is set', () => {
    for (const n of ENVIRONMENTS) expect(resourceList(stacks[n], 'aws_instance')).toHaveLength(0);
  });

  it('builds Jenkins, with the release permissions and its URL, when enableJenkins is set', () => {
    const json = synth(new WebStack(Testing.app(), config('dev', WITH_JENKINS))).json;
    expect(resourceList(json, 'aws_instance')).toHaveLength(1);
    const jobs = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'jobs')!;
    expect(jobs.policy).toContain('autoscaling:StartInstanceRefresh');
    expect(json.output.jenkins_url.value).toBe('https://jenkins.example.com');
  });

  it('takes the source from GitHub through a connection when configured, triggered by pushes to the branch', () => {
    const json = synth(
      new WebStack(Testing.app(), config('staging', { webapp: { delivery: { source: { provider: 'github', fullRepositoryId: 'example/webapp' } } } })),
    ).json;
    const [pipeline] = resourceList(json, 'aws_codepipeline');
    expect(pipeline.stage[0].action[0]).toMatchObject({
      provider: 'CodeStarSourceConnection',
      configuration: { FullRepositoryId: 'example/webapp', BranchName: 'staging' },
    });
    expect(pipeline.trigger).toEqual([
      { provider_type: 'CodeStarSourceConnection', git_configuration: { source_action_name: 'Source', push: [{ branches: { includes: ['staging'] } }] } },
    ]);
    expect(resourceList(json, 'aws_codecommit_repository')).toHaveLength(0);
    expect(resourceList(json, 'aws_cloudwatch_event_rule').filter((r) => JSON.parse(r.event_pattern).source[0] === 'aws.codecommit')).toEqual([]);
    expect(Object.keys(json.output)).toContain('source_connection_arn');
  });
});

describe('WebStack serving from a fresh apply', () => {
  it.each(ENVIRONMENTS)('%s uploads the initial release its launch template installs, built from app/', (name) => {
    const json = stacks[name];
    const [object] = resourceList(json, 'aws_s3_object');
    expect(object.key).toBe(`webapp/${config(name).webapp.initialReleaseVersion}.tar.gz`);
    const [template] = resourceList(json, 'aws_launch_template');
    expect(template.user_data).toContain(`/webapp/${config(name).webapp.initialReleaseVersion}.tar.gz`);
  });

  it.each([
    ['dev', true],
    ['staging', true],
    ['prod', false],
  ] as const)('%s lets a destroy empty its buckets: %s', (name, force) => {
    const buckets = resourceList(stacks[name], 'aws_s3_bucket');
    expect(buckets.length).toBeGreaterThanOrEqual(3);
    expect(buckets.every((b) => b.force_destroy === force)).toBe(true);
  });

  it('opens HTTPS out of the load balancer only when it signs users in with Cognito', () => {
    const cognito = { userPoolArn: 'arn:aws:cognito-idp:eu-west-1:111111111111:userpool/eu-west-1_abc', userPoolClientId: 'client', userPoolDomain: 'auth' };
    const lbEgress = (json: Json) =>
      resourceList(json, 'aws_vpc_security_group_egress_rule')
        .filter((r) => /load-balancer_/.test(r.security_group_id))
        .map((r) => `${r.from_port} ${r.cidr_ipv4 ?? 'instances'}`);
    expect(lbEgress(stacks.dev)).toEqual([`${config('dev').webapp.appPort} instances`]);
    expect(lbEgress(synth(new WebStack(Testing.app(), config('dev', { webapp: { cognito } }))).json).sort()).toEqual([
      '443 0.0.0.0/0',
      `${config('dev').webapp.appPort} instances`,
    ]);
  });
});
