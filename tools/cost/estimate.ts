// A monthly cost estimate per stack and resource from the synthesized JSON, the environment's config
// (sizes, and the usage it assumes) and a dated price table. Hourly prices run 730 hours a month.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { EnvironmentConfig } from '../../config/schema';
import type { Json } from '../../harness/offline-terraform';
import { projectPath } from '../../project';

export const PRICES_PATH = projectPath('tools', 'cost', 'prices.json');
export const HOURS_PER_MONTH = 730;

const priceSchema = z
  .object({
    usd: z.number().min(0),
    unit: z.string().min(1),
    /** How `--refresh` finds it: the Price List API's service code and TERM_MATCH filters. */
    query: z.object({ serviceCode: z.string().min(1), filters: z.record(z.string()) }).strict(),
  })
  .strict();

export const priceTableSchema = z
  .object({
    '//': z.string().optional(),
    region: z.string(),
    currency: z.literal('USD'),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be the date the prices were taken, YYYY-MM-DD'),
    source: z.string().min(1),
    prices: z.record(priceSchema),
  })
  .strict();
export type PriceTable = z.infer<typeof priceTableSchema>;

export function readPriceTable(path = PRICES_PATH): PriceTable {
  return priceTableSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** One line of the estimate: what, how many, the month's cost at the minimum and maximum size, and how it was reckoned. */
export interface CostLine {
  readonly item: string;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly basis: string;
}

/** Resource types that cost nothing by themselves (or are billed through another line), with why. */
export const UNPRICED: Readonly<Record<string, string>> = {
  aws_vpc: 'no charge',
  aws_subnet: 'no charge',
  aws_route_table: 'no charge',
  aws_route_table_association: 'no charge',
  aws_route: 'no charge',
  aws_internet_gateway: 'no charge',
  aws_default_security_group: 'no charge',
  aws_security_group: 'no charge',
  aws_vpc_endpoint: 'gateway endpoints (S3) are free',
  aws_vpc_security_group_ingress_rule: 'no charge',
  aws_vpc_security_group_egress_rule: 'no charge',
  aws_flow_log: 'billed as log ingestion (the logs line)',
  aws_cloudwatch_log_group: 'billed as log ingestion (the logs line)',
  aws_iam_role: 'no charge',
  aws_iam_role_policy: 'no charge',
  aws_iam_role_policy_attachment: 'no charge',
  aws_iam_instance_profile: 'no charge',
  aws_kms_alias: 'no charge',
  aws_acm_certificate: 'public certificates are free',
  aws_acm_certificate_validation: 'no charge',
  aws_route53_record: "alias queries to AWS endpoints are free; the zone is the account owner's",
  aws_s3_bucket_versioning: 'billed as storage (the buckets line)',
  aws_s3_bucket_server_side_encryption_configuration: 'no charge (SSE-S3 or bucket keys)',
  aws_s3_bucket_public_access_block: 'no charge',
  aws_s3_bucket_ownership_controls: 'no charge',
  aws_s3_bucket_lifecycle_configuration: 'no charge',
  aws_s3_bucket_policy: 'no charge',
  aws_s3_bucket_notification: 'no charge',
  aws_s3_object: 'billed as storage (the buckets line)',
  aws_lb_listener: 'part of the load balancer',
  aws_lb_listener_rule: 'part of the load balancer',
  aws_lb_target_group: 'part of the load balancer',
  aws_lb_target_group_attachment: 'part of the load balancer',
  aws_launch_template: 'no charge',
  aws_autoscaling_policy: 'no charge',
  aws_db_subnet_group: 'no charge',
  aws_rds_cluster_parameter_group: 'no charge',
  aws_elastic_beanstalk_application: 'no charge (Beanstalk bills its EC2 and load balancer)',
  aws_elastic_beanstalk_application_version: 'billed as storage (the buckets line)',
  aws_ecr_lifecycle_policy: 'no charge',
  aws_cloudwatch_event_rule: 'AWS service events are free',
  aws_cloudwatch_event_target: 'no charge',
  aws_codecommit_repository: 'free for the first 5 active users',
  aws_codecommit_approval_rule_template: 'no charge',
  aws_codecommit_approval_rule_template_association: 'no charge',
  aws_codeconnections_connection: 'no charge',
  aws_wafv2_web_acl_association: 'part of the web ACL',
  aws_wafv2_ip_set: 'no charge (its rule is billed with the web ACL)',
  aws_serverlessapplicationrepository_cloudformation_stack: "AWS's rotation function: a few invocations a month, within Lambda's free tier",
  aws_secretsmanager_secret_rotation: 'no charge (the secret is priced with the secrets)',
  aws_wafv2_web_acl_logging_configuration: 'billed as log ingestion (the logs line)',
  aws_sns_topic: 'alarm notifications stay within the free tier',
  aws_sns_topic_policy: 'no charge',
  aws_sns_topic_subscription: 'alarm notifications stay within the free tier',
  aws_sqs_queue: 'dead letters stay within the free tier',
  aws_sqs_queue_policy: 'no charge',
  aws_lambda_permission: 'no charge',
  aws_secretsmanager_secret_version: 'part of the secret',
};

function price(table: PriceTable, key: string): number {
  const entry = table.prices[key];
  if (!entry) throw new Error(`the price table (${PRICES_PATH}) has no "${key}"; add it with its query`);
  return entry.usd;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Dollars with cents, the sign before the dollar sign: `$1.50`, `-$1.50`. */
export const money = (n: number) => `${n < 0 ? '-' : ''}$${Math.abs(n).toFixed(2)}`;

/** The resources of each type in a synthesized stack. */
function byType(json: Json): Record<string, Json[]> {
  return Object.fromEntries(Object.entries<Json>(json.resource ?? {}).map(([type, resources]) => [type, Object.values<Json>(resources)]));
}

/** The estimate of one synthesized stack, and the resource types it could not price. */
export function estimateStack(json: Json, config: EnvironmentConfig, table: PriceTable): { lines: CostLine[]; unpriced: string[] } {
  const resources = byType(json);
  const count = (type: string) => resources[type]?.length ?? 0;
  const u = config.cost;
  const hour = (key: string) => price(table, key) * HOURS_PER_MONTH;
  const lines: CostLine[] = [];
  const add = (item: string, n: number, min: number, max: number, basis: string) => {
    if (n > 0) lines.push({ item, count: n, min: round(min), max: round(max), basis });
  };
  const handled = new Set<string>(Object.keys(UNPRICED));
  const handle = (...types: string[]) => types.forEach((t) => handled.add(t));

  handle('aws_nat_gateway', 'aws_eip');
  const nats = count('aws_nat_gateway');
  const nat = hour('natGatewayHour') + u.natGigabytesPerMonth * price(table, 'natGatewayGigabyte') + hour('publicIpv4Hour');
  add('NAT gateways', nats, nats * nat, nats * nat, `${HOURS_PER_MONTH} h, ${u.natGigabytesPerMonth} GB processed and a public IPv4 address each`);

  // Load balancers: ours (aws_lb) and Beanstalk's, one public IPv4 address per availability zone.
  handle('aws_lb', 'aws_elastic_beanstalk_environment', 'aws_autoscaling_group', 'aws_instance');
  const lbs = count('aws_lb') + count('aws_elastic_beanstalk_environment');
  // The stack's own network: one subnet per tier (three) in each availability zone.
  const azs = count('aws_subnet') / 3;
  const lb = hour('loadBalancerHour') + u.loadBalancerCapacityUnits * hour('loadBalancerCapacityUnitHour') + azs * hour('publicIpv4Hour');
  add('Application load balancers', lbs, lbs * lb, lbs * lb, `${HOURS_PER_MONTH} h, ${u.loadBalancerCapacityUnits} LCU average, a public IPv4 address per AZ`);

  const instances = (type: string, min: number, max: number, volumeGb: number, what: string) => {
    const each = hour(`ec2.${type}`) + volumeGb * price(table, 'ebsGp3GigabyteMonth');
    add(what, 1, min * each, max * each, `${min}-${max} x ${type} (${HOURS_PER_MONTH} h) with ${volumeGb} GB gp3 each`);
  };
  if (count('aws_autoscaling_group'))
    instances(config.webapp.instanceType, config.webapp.minInstances, config.webapp.maxInstances, 8, 'Web instances (Auto Scaling group)');
  if (count('aws_elastic_beanstalk_environment'))
    instances(config.cachet.instanceType, config.cachet.minInstances, config.cachet.maxInstances, 8, 'Cachet instances (Beanstalk)');
  if (count('aws_instance')) {
    const jenkins = config.webapp.delivery.jenkins;
    if (jenkins) instances(jenkins.instanceType, 1, 1, 30, 'Jenkins server');
  }

  handle('aws_rds_cluster', 'aws_rds_cluster_instance');
  const dbInstances = count('aws_rds_cluster_instance');
  const dbInstance = hour(`aurora.${config.database.instanceClass}`);
  add(
    'Aurora instances',
    dbInstances,
    dbInstances * dbInstance,
    dbInstances * dbInstance,
    `${dbInstances} x ${config.database.instanceClass} (${HOURS_PER_MONTH} h)`,
  );
  const storage = u.databaseStorageGigabytes * price(table, 'auroraStorageGigabyteMonth') + u.databaseIoMillionsPerMonth * price(table, 'auroraIoMillion');
  add(
    'Aurora storage and I/O',
    count('aws_rds_cluster'),
    storage,
    storage,
    `${u.databaseStorageGigabytes} GB, ${u.databaseIoMillionsPerMonth} million I/O; backups within the free allowance`,
  );

  handle('aws_kms_key', 'aws_secretsmanager_secret', 'aws_cloudwatch_metric_alarm', 'aws_cloudwatch_dashboard');
  add(
    'KMS keys',
    count('aws_kms_key'),
    count('aws_kms_key') * price(table, 'kmsKeyMonth'),
    count('aws_kms_key') * price(table, 'kmsKeyMonth'),
    'per key; requests within a few thousand a month',
  );
  // RDS keeps each cluster's master password in a secret of its own, billed like ours.
  const secrets = count('aws_secretsmanager_secret') + count('aws_rds_cluster');
  add('Secrets', secrets, secrets * price(table, 'secretMonth'), secrets * price(table, 'secretMonth'), 'per secret, the RDS-managed master secret included');
  const alarms = count('aws_cloudwatch_metric_alarm');
  add('CloudWatch alarms', alarms, alarms * price(table, 'alarmMonth'), alarms * price(table, 'alarmMonth'), 'standard resolution');
  const dashboards = count('aws_cloudwatch_dashboard');
  add(
    'CloudWatch dashboard',
    dashboards,
    dashboards * price(table, 'dashboardMonth'),
    dashboards * price(table, 'dashboardMonth'),
    'beyond the 3 free per account',
  );
  const logs = u.logGigabytesPerMonth * price(table, 'logsIngestGigabyte');
  add('CloudWatch Logs', count('aws_cloudwatch_log_group'), logs, logs, `${u.logGigabytesPerMonth} GB ingested; storage of that volume is cents`);

  handle('aws_wafv2_web_acl');
  for (const acl of resources.aws_wafv2_web_acl ?? []) {
    const rules = (acl.rule ?? []).length;
    const waf = price(table, 'wafWebAclMonth') + rules * price(table, 'wafRuleMonth') + u.wafMillionRequestsPerMonth * price(table, 'wafMillionRequests');
    add('WAF web ACL', 1, waf, waf, `1 ACL, ${rules} rules (a managed rule group is one), ${u.wafMillionRequestsPerMonth} million requests`);
  }

  handle('aws_codepipeline', 'aws_codebuild_project', 'aws_lambda_function', 'aws_ecr_repository', 'aws_s3_bucket');
  const pipelines = count('aws_codepipeline');
  add(
    'CodePipeline (V2)',
    pipelines,
    pipelines * u.pipelineActionMinutesPerMonth * price(table, 'pipelineActionMinute'),
    pipelines * u.pipelineActionMinutesPerMonth * price(table, 'pipelineActionMinute'),
    `${u.pipelineActionMinutesPerMonth} action minutes`,
  );
  const build = u.buildMinutesPerMonth * price(table, 'buildMinuteSmall');
  add('CodeBuild', count('aws_codebuild_project'), build, build, `${u.buildMinutesPerMonth} minutes on general1.small (past the free 100 in the account)`);
  const fn = (u.functionInvocationsPerMonth / 1e6) * price(table, 'lambdaMillionRequests');
  add('Lambda (status page)', count('aws_lambda_function'), fn, fn, `${u.functionInvocationsPerMonth} invocations; compute within the free tier`);
  const ecr = u.imageGigabytes * price(table, 'ecrGigabyteMonth');
  add('ECR images', count('aws_ecr_repository'), ecr, ecr, `${u.imageGigabytes} GB`);
  const s3 = u.bucketGigabytes * price(table, 's3GigabyteMonth');
  add('S3 buckets', count('aws_s3_bucket'), s3, s3, `${u.bucketGigabytes} GB in all; requests are cents`);

  const unpriced = Object.keys(resources).filter((type) => !handled.has(type));
  return { lines, unpriced };
}

/** The sum of lines. */
export function total(lines: readonly CostLine[]): { min: number; max: number } {
  return { min: round(lines.reduce((s, l) => s + l.min, 0)), max: round(lines.reduce((s, l) => s + l.max, 0)) };
}
