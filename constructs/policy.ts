import { Fn } from 'cdktf';

/** Where a construct lives: the account and region used in ARNs and service principals. */
export interface AwsLocation {
  readonly accountId: string;
  readonly region: string;
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Record<string, string | string[]>;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/**
 * An IAM policy document as a Terraform `jsonencode(...)` expression, so statements may hold
 * references to other resources. No data source: plans stay offline.
 */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return Fn.jsonencode({ Version: '2012-10-17', Statement: statements });
}

/** Trust policy letting one AWS service assume a role. */
export function serviceAssumeRolePolicy(service: string, location?: AwsLocation): string {
  return policyDocument([
    {
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sts:AssumeRole',
      // Confused-deputy guard: only this account's use of the service may assume the role.
      ...(location ? { Condition: { StringEquals: { 'aws:SourceAccount': location.accountId } } } : {}),
    },
  ]);
}

/**
 * The AWS managed policies the stacks attach, each with the path AWS publishes it under: an ARN
 * with the wrong path names no policy, and the attachment fails at apply (NoSuchEntity). Taken from
 * AWS's catalogue; a test holds every managed policy ARN in every stack to that catalogue.
 */
export const AWS_MANAGED_POLICY_PATHS = {
  AmazonRDSEnhancedMonitoringRole: '/service-role/',
  AmazonSSMManagedInstanceCore: '/',
  AWSElasticBeanstalkEnhancedHealth: '/service-role/',
  AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy: '/',
  AWSElasticBeanstalkWebTier: '/',
} as const;

export type AwsManagedPolicy = keyof typeof AWS_MANAGED_POLICY_PATHS;

/** ARN of an AWS managed policy, with the path AWS publishes it under. */
export function managedPolicyArn(name: AwsManagedPolicy): string {
  return `arn:aws:iam::aws:policy${AWS_MANAGED_POLICY_PATHS[name]}${name}`;
}
