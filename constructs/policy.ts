import type { IConstruct } from 'constructs';
import { Fn } from 'cdktf';

/** Where a construct lives: the account and region used in ARNs and service principals. */
export interface AwsLocation {
  readonly accountId: string;
  readonly region: string;
}

/**
 * The construct context key a stack gives its account and region under (EnvironmentStack sets it;
 * tests set it on their stack). Constructs read it with `locationOf`, as aws-cdk's read `Stack.of`.
 */
export const LOCATION_CONTEXT = 'cdktf-aws-systems:location';

/** The account and region a construct's resources go in: the nearest enclosing scope's LOCATION_CONTEXT. */
export function locationOf(scope: IConstruct): AwsLocation {
  const location = scope.node.tryGetContext(LOCATION_CONTEXT) as AwsLocation | undefined;
  if (location === undefined) {
    throw new Error(
      `${scope.node.path}: no account and region in its scope; build it in an EnvironmentStack, or set the "${LOCATION_CONTEXT}" context ({ accountId, region }) on its stack before adding constructs`,
    );
  }
  return location;
}

/** One statement: `Action`, or `NotAction` (every action but these; for Deny statements). */
export type PolicyStatement = StatementBody & ({ readonly Action: string | string[] } | { readonly NotAction: string | string[] });

interface StatementBody {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Record<string, string | string[]>;
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
  ReadOnlyAccess: '/',
} as const;

export type AwsManagedPolicy = keyof typeof AWS_MANAGED_POLICY_PATHS;

/** ARN of an AWS managed policy, with the path AWS publishes it under. */
export function managedPolicyArn(name: AwsManagedPolicy): string {
  return `arn:aws:iam::aws:policy${AWS_MANAGED_POLICY_PATHS[name]}${name}`;
}
