// Every stack of every environment (and the bootstrap stacks): synthesized, `terraform validate`d and `terraform plan`ned
// offline against the real provider, checked on what Terraform itself planned, and scanned by
// checkov (the policy gate) with waivers only from policy/checkov-skips.json.
import { beforeAll, describe, expect, it } from 'vitest';
import { countByType, plannedResources, type Json, type OfflineResult } from '../../harness/offline-terraform';
import { releaseTimings } from '../../stacks/web/release-timings';
import { expectedSubnets } from '../helpers/synth';
import { formatReport, runPolicyGate, summarize, type Finding, type Skip } from '../../harness/policy';
import { environmentNames, loadEnvironments } from '../../config/load';

const ENVIRONMENTS = environmentNames();

let results: OfflineResult[] = [];
let findings: Finding[] = [];
let unusedSkips: Skip[] = [];
let variant: OfflineResult;
let variantFindings: Finding[] = [];

beforeAll(async () => {
  // The gate npm run policy runs: every stack, and the web stack again with its optional parts on.
  ({ results, findings, variant, variantFindings, unused: unusedSkips } = await runPolicyGate());
  for (const r of results) {
    console.log(`${r.stack.name}: ${plannedResources(r.plan).length} resources planned`);
  }
  console.log(
    formatReport(findings)
      .split('\n')
      .slice(-(results.length + 2))
      .join('\n'),
  );
  console.log(
    `web-dev with its optional parts: ${plannedResources(variant.plan).length} resources planned; their findings: ${JSON.stringify(summarize(variantFindings))}`,
  );
});

describe('offline Terraform', () => {
  it('synthesizes a Cachet and a web stack for every environment, and the bootstrap and pipeline stacks of each with S3 state', () => {
    const withS3State = loadEnvironments(ENVIRONMENTS)
      .filter((c) => c.state.backend === 's3')
      .flatMap((c) => [`bootstrap-${c.name}`, `pipeline-${c.name}`]);
    expect(withS3State.length).toBeGreaterThan(0);
    expect(results.map((r) => r.stack.name).sort()).toEqual([...ENVIRONMENTS.flatMap((n) => [`cachet-${n}`, `web-${n}`]), ...withS3State].sort());
  });

  it('validates every stack', () => {
    for (const r of results) {
      expect({ stack: r.stack.name, valid: r.validate.valid, errors: r.validate.error_count }).toEqual({ stack: r.stack.name, valid: true, errors: 0 });
    }
  });

  it('plans only creations, for every stack', () => {
    for (const r of results) {
      const actions = new Set((r.plan.resource_changes as Json[]).flatMap((c) => c.change.actions));
      expect([r.stack.name, [...actions]]).toEqual([r.stack.name, ['create']]);
    }
  });
});

describe.each(ENVIRONMENTS)('the cachet-%s plan', (name) => {
  const result = () => results.find((r) => r.stack.name === `cachet-${name}`)!;

  it('plans the resource counts that the config implies', () => {
    const { config } = result().stack;
    const azs = config.network.availabilityZones.length;
    const nats = config.network.natGateways === 'single' ? 1 : azs;
    const expected: Record<string, number> = {
      aws_vpc: 1,
      aws_subnet: 3 * azs,
      aws_nat_gateway: nats,
      aws_eip: nats,
      aws_route_table: 2 + azs,
      aws_route_table_association: 3 * azs,
      aws_rds_cluster: 1,
      aws_rds_cluster_instance: config.database.readerCount + 1,
      // flow logs (unless they go to S3), database log exports, the image build, WAF, the status-page function
      aws_cloudwatch_log_group:
        (config.network.flowLogDestination === 's3' ? 0 : 1) + 2 + config.database.logExports.length + (config.statusPage.components.length > 0 ? 1 : 0),
      aws_lambda_function: config.statusPage.components.length > 0 ? 1 : 0,
      aws_sns_topic: 1,
      aws_cloudwatch_dashboard: 1,
      aws_ecr_repository: 1,
      aws_codebuild_project: 1,
      aws_wafv2_web_acl: 1,
      aws_security_group: 3,
      aws_elastic_beanstalk_environment: 1,
      aws_acm_certificate: 1,
      aws_acm_certificate_validation: 1,
      aws_kms_key: 1,
      // the image build's trigger, the failed-image-build and failed-Beanstalk rules, the status page's alarm changes
      aws_cloudwatch_event_rule: 3 + (config.statusPage.components.length > 0 ? 1 : 0),
      aws_vpc_endpoint: 1,
    };
    const counts = countByType(result().plan);
    expect(Object.fromEntries(Object.keys(expected).map((type) => [type, counts[type] ?? 0]))).toEqual(expected);
  });

  it('plans the subnet CIDRs from the config', () => {
    const { config } = result().stack;
    const planned = plannedResources(result().plan)
      .filter((r) => r.type === 'aws_subnet')
      .map((r) => `${r.values.tags.Tier} ${r.values.availability_zone} ${r.values.cidr_block}`)
      .sort();
    expect(planned).toEqual(expectedSubnets(config));
  });

  it('plans an encrypted cluster with an RDS-managed password and TLS-only connections', () => {
    const resources = plannedResources(result().plan);
    const cluster = resources.find((r) => r.type === 'aws_rds_cluster')!;
    expect(cluster.values).toMatchObject({ storage_encrypted: true, manage_master_user_password: true, engine: 'aurora-mysql' });
    expect(cluster.values.master_password ?? null).toBeNull();
    const parameters = resources.find((r) => r.type === 'aws_rds_cluster_parameter_group')!;
    expect(parameters.values.parameter).toContainEqual(expect.objectContaining({ name: 'require_secure_transport', value: 'ON' }));
  });

  it('plans a rotating KMS key and encrypted log groups', () => {
    const resources = plannedResources(result().plan);
    expect(resources.find((r) => r.type === 'aws_kms_key')!.values.enable_key_rotation).toBe(true);
    const groups = resources.filter((r) => r.type === 'aws_cloudwatch_log_group');
    expect(groups.every((g) => g.values.retention_in_days > 0)).toBe(true);
  });
});

describe.each(ENVIRONMENTS)('the web-%s plan', (name) => {
  const result = () => results.find((r) => r.stack.name === `web-${name}`)!;

  it('plans the resource counts that the config implies', () => {
    const { config } = result().stack;
    const azs = config.webapp.network.availabilityZones.length;
    const nats = config.webapp.network.natGateways === 'single' ? 1 : azs;
    const waf = config.webapp.enableWaf ? 1 : 0;
    const codecommit = config.webapp.delivery.source.provider === 'codecommit' ? 1 : 0;
    const reports = codecommit && config.webapp.delivery.enablePullRequestReports !== false ? 1 : 0;
    const expected: Record<string, number> = {
      aws_vpc: 1,
      aws_subnet: 3 * azs,
      aws_nat_gateway: nats,
      aws_lb: 1,
      aws_lb_listener: 2,
      aws_lb_target_group: 1,
      aws_launch_template: 1,
      aws_s3_object: 1, // the initial release
      aws_autoscaling_group: 1,
      aws_autoscaling_policy: 1,
      aws_security_group: 2,
      aws_wafv2_web_acl: waf,
      aws_acm_certificate_validation: 1,
      aws_codecommit_repository: codecommit,
      aws_codepipeline: 1,
      // build, deploy, and the pull request reports
      aws_codebuild_project: 2 + reports,
      // the push rule (CodeCommit), the pull request rule, and the failed-release and failed-refresh rules to the topic
      aws_cloudwatch_event_rule: 2 + codecommit + reports,
      aws_vpc_endpoint: 1,
      aws_instance: 0,
    };
    const counts = countByType(result().plan);
    expect(Object.fromEntries(Object.keys(expected).map((type) => [type, counts[type] ?? 0]))).toEqual(expected);
  });

  it('plans the target group and the release refresh from the same release timings', () => {
    const { config } = result().stack;
    const t = releaseTimings(config.webapp);
    const resources = plannedResources(result().plan);
    const tg = resources.find((r) => r.type === 'aws_lb_target_group')!.values;
    expect(tg.deregistration_delay).toBe(String(t.deregistrationDelaySeconds));
    expect(tg.health_check[0]).toMatchObject({ path: config.webapp.healthCheck.path, interval: config.webapp.healthCheck.intervalSeconds });
    const deploy = resources.find((r) => r.type === 'aws_codebuild_project' && r.values.name.endsWith('-deploy'))!.values;
    const preferences = JSON.parse(deploy.environment[0].environment_variable.find((v: Json) => v.name === 'REFRESH_PREFERENCES').value);
    expect(preferences).toEqual({
      MinHealthyPercentage: 100,
      MaxHealthyPercentage: 200,
      InstanceWarmup: config.webapp.startupSeconds + t.healthySeconds,
      AutoRollback: true,
      AlarmSpecification: { Alarms: [`${config.project}-${name}-web-target-5xx`] },
      SkipMatching: false,
    });
  });

  it("plans the pipeline on the environment's branch, with the approval in prod only", () => {
    const { config } = result().stack;
    const pipeline = plannedResources(result().plan).find((r) => r.type === 'aws_codepipeline')!.values;
    expect(pipeline.stage.map((st: Json) => st.name)).toEqual(name === 'prod' ? ['Source', 'Build', 'Approve', 'Deploy'] : ['Source', 'Build', 'Deploy']);
    expect(pipeline.stage[0].action[0].configuration.BranchName).toBe(config.webapp.delivery.branch);
  });
});

describe('the web-dev plan with its optional parts (Jenkins, GitHub pull request reports)', () => {
  const planned = (type: string) => plannedResources(variant.plan).filter((r) => r.type === type);

  it('validates and plans the Jenkins server with the rest of the stack', () => {
    expect(variant.validate.valid).toBe(true);
    expect(countByType(variant.plan).aws_instance).toBe(1);
    const instance = planned('aws_instance')[0].values;
    expect(instance.metadata_options[0]).toMatchObject({ http_tokens: 'required' });
    expect(instance.root_block_device[0]).toMatchObject({ encrypted: true });
  });

  it('plans the report project on the GitHub repository through the connection, reporting its status', () => {
    const project = planned('aws_codebuild_project').find((p) => p.values.name === 'statuspage-dev-web-pull-requests')!;
    expect(project.values.source).toEqual([
      expect.objectContaining({
        type: 'GITHUB',
        location: 'https://github.com/example/webapp.git',
        git_clone_depth: 0,
        report_build_status: true,
        auth: [expect.objectContaining({ type: 'CODECONNECTIONS' })],
        build_status_config: [expect.objectContaining({ context: 'infrastructure report (dev)' })],
      }),
    ]);
  });

  it('plans the webhook on pull requests into dev by the listed author, and no pull request rule', () => {
    expect(planned('aws_codebuild_webhook')[0].values.filter_group[0].filter.map((f: Json) => [f.type, f.pattern])).toEqual([
      ['EVENT', 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED'],
      ['BASE_REF', '^refs/heads/dev$'],
      ['ACTOR_ACCOUNT_ID', '^(583231)$'],
    ]);
    expect(planned('aws_cloudwatch_event_rule').map((r) => r.values.name)).not.toContain('statuspage-dev-web-pull-requests');
  });

  it('passes checkov on the optional parts, with waivers only from the file', () => {
    expect(variantFindings.filter((f) => f.result === 'passed').length).toBeGreaterThan(20);
    expect(variantFindings.filter((f) => /pull-request-reports_/.test(f.resource)).length).toBeGreaterThan(5);
    expect(variantFindings.filter((f) => f.result === 'failed').map((f) => `${f.checkId} ${f.resource}`)).toEqual([]);
  });
});

describe('the checkov policy gate', () => {
  it('scans every stack', () => {
    expect(Object.keys(summarize(findings)).sort()).toEqual(results.map((r) => r.stack.name).sort());
  });

  it('passes a substantial number of checks on every stack (a bootstrap stack holds one bucket, a pipeline stack 40 resources)', () => {
    const least = (stack: string) => (stack.startsWith('bootstrap-') ? 10 : stack.startsWith('pipeline-') ? 60 : 100);
    for (const [stack, s] of Object.entries(summarize(findings))) {
      expect([stack, s.passed > least(stack)]).toEqual([stack, true]);
    }
  });

  it('finds no failed check that is not waived with a reason', () => {
    const failed = findings.filter((f) => f.result === 'failed').map((f) => `${f.stack} ${f.checkId} ${f.resource} (${f.checkName})`);
    expect(failed).toEqual([]);
  });

  it('has no stale waiver', () => {
    expect(unusedSkips.map((s) => s.id)).toEqual([]);
  });
});
