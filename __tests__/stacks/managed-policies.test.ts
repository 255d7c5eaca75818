// Every AWS managed policy the stacks attach exists in AWS's catalogue at the path in its ARN. A
// wrong path (AWSElasticBeanstalkEnhancedHealth without `service-role/`) names no policy, and the
// attachment fails at apply in every account; offline plans and checkov cannot see it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { environmentNames } from '../../config/load';
import { AWS_MANAGED_POLICY_PATHS, managedPolicyArn, type AwsManagedPolicy } from '../../constructs/policy';
import { awsManagedPolicyArns } from '../../harness/aws-managed-policies';
import { PipelineStack } from '../../stacks/pipeline/pipeline-stack';
import { WebStack } from '../../stacks/web/web-stack';
import { config, shippedStacks, WITH_JENKINS } from '../helpers/synth';

const catalogue = awsManagedPolicyArns();

/** Every managed policy ARN written anywhere in a synthesized stack. */
const managedArnsIn = (text: string) => [...new Set(text.match(/arn:aws:iam::aws:policy\/[\w+=,.@/-]+/g) ?? [])];

const synthesized: [string, string][] = [
  ...(await Promise.all(environmentNames().map((env) => shippedStacks(env)))).flat().map(([id, text]): [string, string] => [id, text]),
  ['web-dev with Jenkins', Testing.synth(new WebStack(Testing.app(), config('dev', WITH_JENKINS)))],
  ['pipeline-prod', Testing.synth(new PipelineStack(Testing.app(), config('prod')))],
];

describe('AWS managed policies', () => {
  it("reads AWS's catalogue with paths (a check that could not fail would pass on an empty set)", () => {
    // GIVEN moto's copy of AWS's catalogue
    // THEN it holds the service-role policies under their path, and not at the root
    expect(catalogue.size).toBeGreaterThan(1000);
    expect(catalogue).toContain('arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth');
    expect(catalogue).not.toContain('arn:aws:iam::aws:policy/AWSElasticBeanstalkEnhancedHealth');
  });

  it.each(Object.keys(AWS_MANAGED_POLICY_PATHS) as AwsManagedPolicy[])('managedPolicyArn(%s) names a policy AWS publishes', (name) => {
    expect(catalogue).toContain(managedPolicyArn(name));
  });

  it.each(synthesized)('%s attaches only managed policies that exist', (_stack, text) => {
    // GIVEN a synthesized stack WHEN its managed policy ARNs are looked up THEN each is in the catalogue
    const unknown = managedArnsIn(text).filter((arn) => !catalogue.has(arn));
    expect(unknown).toEqual([]);
  });

  it("the stacks attach every policy the list names (the Beanstalk roles, the instances, the pipeline's read-only roles)", () => {
    const all = new Set(synthesized.flatMap(([, text]) => managedArnsIn(text)));
    expect([...all].sort()).toEqual(
      Object.keys(AWS_MANAGED_POLICY_PATHS)
        .map((n) => managedPolicyArn(n as AwsManagedPolicy))
        .sort(),
    );
  });

  it('finds a policy at the wrong path (the check fails where it should)', () => {
    // GIVEN a stack text naming EnhancedHealth at the root, as before the fix
    const text = JSON.stringify({ policy_arn: 'arn:aws:iam::aws:policy/AWSElasticBeanstalkEnhancedHealth' });
    // THEN it is reported
    expect(managedArnsIn(text).filter((arn) => !catalogue.has(arn))).toEqual(['arn:aws:iam::aws:policy/AWSElasticBeanstalkEnhancedHealth']);
  });

  it('refuses a catalogue file it cannot read as such, naming the fix', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'catalogue-')), 'aws_managed_policies.py');
    writeFileSync(file, 'nothing here');
    expect(() => awsManagedPolicyArns(file)).toThrow(/no aws_managed_policies_data/);
  });
});
