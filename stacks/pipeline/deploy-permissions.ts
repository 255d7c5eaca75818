// What the infrastructure pipeline's deploy role may do, as data: the AWS services through which
// Terraform creates each resource type of the systems' stacks (and the calls those services make
// with the caller's permissions, as Elastic Beanstalk does), read by the role's policy
// (stacks/pipeline/infrastructure-pipeline.ts). A test holds every resource type of every
// environment's stacks to this table, so a new type without an entry fails it by name.
import type { PolicyStatement } from '../../constructs/policy';

/** IAM service prefixes by Terraform resource type. IAM and S3 are left out: the role gets them scoped by name. */
export const DEPLOY_SERVICES: Readonly<Record<string, readonly string[]>> = {
  aws_acm_certificate: ['acm'],
  aws_acm_certificate_validation: ['acm'],
  aws_autoscaling_group: ['autoscaling', 'ec2'],
  aws_autoscaling_policy: ['autoscaling', 'cloudwatch'],
  aws_cloudwatch_dashboard: ['cloudwatch'],
  aws_cloudwatch_event_rule: ['events'],
  aws_cloudwatch_event_target: ['events'],
  aws_cloudwatch_log_group: ['logs'],
  aws_cloudwatch_metric_alarm: ['cloudwatch'],
  aws_codebuild_project: ['codebuild'],
  // CodeBuild creates the repository's webhook through the project's connection.
  aws_codebuild_webhook: ['codebuild', 'codeconnections'],
  aws_codecommit_approval_rule_template: ['codecommit'],
  aws_codecommit_approval_rule_template_association: ['codecommit'],
  aws_codecommit_repository: ['codecommit'],
  aws_codeconnections_connection: ['codeconnections'],
  aws_codepipeline: ['codepipeline'],
  aws_db_subnet_group: ['rds'],
  aws_default_security_group: ['ec2'],
  aws_ecr_lifecycle_policy: ['ecr'],
  aws_ecr_repository: ['ecr'],
  aws_eip: ['ec2'],
  aws_elastic_beanstalk_application: ['elasticbeanstalk'],
  aws_elastic_beanstalk_application_version: ['elasticbeanstalk'],
  // Beanstalk builds the environment with the caller's permissions, through CloudFormation.
  aws_elastic_beanstalk_environment: ['elasticbeanstalk', 'cloudformation', 'autoscaling', 'elasticloadbalancing', 'ec2', 'cloudwatch', 'sns', 'sqs', 'logs'],
  aws_flow_log: ['ec2', 'logs'],
  aws_instance: ['ec2'],
  aws_internet_gateway: ['ec2'],
  aws_kms_alias: ['kms'],
  aws_kms_key: ['kms'],
  aws_lambda_function: ['lambda'],
  aws_lambda_permission: ['lambda'],
  aws_launch_template: ['ec2', 'ssm'],
  aws_lb: ['elasticloadbalancing'],
  aws_lb_listener: ['elasticloadbalancing'],
  aws_lb_listener_rule: ['elasticloadbalancing'],
  aws_lb_target_group: ['elasticloadbalancing'],
  aws_lb_target_group_attachment: ['elasticloadbalancing'],
  aws_nat_gateway: ['ec2'],
  aws_rds_cluster: ['rds'],
  aws_rds_cluster_instance: ['rds'],
  aws_rds_cluster_parameter_group: ['rds'],
  aws_route: ['ec2'],
  aws_route53_record: ['route53'],
  aws_route_table: ['ec2'],
  aws_route_table_association: ['ec2'],
  aws_secretsmanager_secret: ['secretsmanager'],
  aws_secretsmanager_secret_rotation: ['secretsmanager', 'lambda'],
  aws_secretsmanager_secret_version: ['secretsmanager'],
  aws_security_group: ['ec2'],
  // The rotation function comes from the Serverless Application Repository, deployed by CloudFormation.
  aws_serverlessapplicationrepository_cloudformation_stack: ['serverlessrepo', 'cloudformation', 'lambda'],
  aws_sns_topic: ['sns'],
  aws_sns_topic_policy: ['sns'],
  aws_sns_topic_subscription: ['sns'],
  aws_sqs_queue: ['sqs'],
  aws_sqs_queue_policy: ['sqs'],
  aws_subnet: ['ec2'],
  aws_vpc: ['ec2'],
  aws_vpc_endpoint: ['ec2'],
  aws_vpc_security_group_egress_rule: ['ec2'],
  aws_vpc_security_group_ingress_rule: ['ec2'],
  aws_wafv2_ip_set: ['wafv2'],
  aws_wafv2_web_acl: ['wafv2'],
  aws_wafv2_web_acl_association: ['wafv2', 'elasticloadbalancing'],
  aws_wafv2_web_acl_logging_configuration: ['wafv2', 'logs'],
};

/** Resource types the role manages through the scoped IAM and S3 statements, not by service. */
export const SCOPED_RESOURCE_TYPES: readonly RegExp[] = [/^aws_iam_/, /^aws_s3_/];

/** The services of `types`, sorted; throws naming a type the table does not know (fail closed). */
export function deployServices(types: Iterable<string>): string[] {
  const services = new Set<string>();
  for (const type of types) {
    if (SCOPED_RESOURCE_TYPES.some((re) => re.test(type))) continue;
    const entry = DEPLOY_SERVICES[type];
    if (!entry)
      throw new Error(
        `deploy permissions: no entry for ${type}; add the services it is created through to DEPLOY_SERVICES (stacks/pipeline/deploy-permissions.ts)`,
      );
    for (const service of entry) services.add(service);
  }
  return [...services].sort();
}

/** Every service the table names: what the deploy role of any environment may call. */
export const ALL_DEPLOY_SERVICES: readonly string[] = deployServices(Object.keys(DEPLOY_SERVICES));

/**
 * The statements that keep a role to one environment: nothing tagged with, or created for, another
 * environment (the stacks' default tag `environment`), and nothing outside its regions but the
 * global services. Deny statements: no other grant can lift them.
 */
export function environmentGuard(environment: string, regions: readonly string[]): PolicyStatement[] {
  return [
    {
      Sid: 'NothingOfAnotherEnvironment',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:ResourceTag/environment': environment }, Null: { 'aws:ResourceTag/environment': 'false' } },
    },
    {
      Sid: 'NothingCreatedForAnotherEnvironment',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestTag/environment': environment }, Null: { 'aws:RequestTag/environment': 'false' } },
    },
    {
      Sid: 'OnlyTheEnvironmentsRegions',
      Effect: 'Deny',
      NotAction: ['iam:*', 'route53:*', 'sts:*'],
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestedRegion': [...new Set(regions)] } },
    },
  ];
}
