// Every name our stacks give AWS fits AWS's limit for it, for the longest `<project>-<name>` stem the
// schema accepts (whatever the split): a name too long fails only at apply (or validate) otherwise.
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../config/load';
import { NAME_STEM_MAX_LENGTH, PROJECT_MAX_LENGTH } from '../../config/schema';
import { buildStacks } from '../../stacks';
import { configInput, type Json } from '../helpers/synth';

/** [resource type, argument, AWS's maximum length] for every name argument our stacks set. */
const LIMITS: readonly [string, string, number][] = [
  ['aws_s3_bucket', 'bucket_prefix', 37], // 63 minus the 26 characters Terraform appends
  ['aws_iam_role', 'name', 64],
  ['aws_iam_role', 'name_prefix', 38],
  ['aws_iam_instance_profile', 'name', 128],
  ['aws_iam_role_policy', 'name', 128],
  ['aws_lb', 'name', 32],
  ['aws_lb_target_group', 'name', 32],
  ['aws_lb_target_group', 'name_prefix', 6],
  ['aws_elastic_beanstalk_application', 'name', 100],
  ['aws_elastic_beanstalk_environment', 'name', 40],
  ['aws_rds_cluster', 'cluster_identifier', 63],
  ['aws_rds_cluster_instance', 'identifier', 63],
  ['aws_rds_cluster_parameter_group', 'name_prefix', 229],
  ['aws_db_subnet_group', 'name', 255],
  ['aws_cloudwatch_event_rule', 'name', 64],
  ['aws_codebuild_project', 'name', 150],
  ['aws_codepipeline', 'name', 100],
  ['aws_codecommit_repository', 'repository_name', 100],
  ['aws_ecr_repository', 'name', 256],
  ['aws_kms_alias', 'name', 256],
  ['aws_secretsmanager_secret', 'name_prefix', 486],
  ['aws_autoscaling_group', 'name', 255],
  ['aws_launch_template', 'name', 128],
  ['aws_wafv2_web_acl', 'name', 128],
  ['aws_cloudwatch_metric_alarm', 'alarm_name', 255],
  ['aws_cloudwatch_log_group', 'name', 512],
  ['aws_security_group', 'name', 255],
  ['aws_sns_topic', 'name', 256],
  ['aws_cloudwatch_dashboard', 'dashboard_name', 255],
  ['aws_lambda_function', 'function_name', 64],
  ['aws_sqs_queue', 'name_prefix', 54], // 80 minus the 26 characters Terraform appends
];

/** The literal length of a name (interpolations, which AWS fills in, count as nothing). */
const literal = (value: string) => value.replace(/\$\{[^}]*\}/g, '').length;

function tooLong(project: string, name: string): string[] {
  // Built past the schema, to find what a longer name would break.
  const config = { ...parseEnvironmentConfig(configInput('staging'), 'staging'), project, name };
  const found: string[] = [];
  for (const stack of buildStacks(Testing.app(), [config])) {
    const json: Json = JSON.parse(Testing.synth(stack));
    for (const [type, argument, max] of LIMITS) {
      for (const [id, body] of Object.entries<Json>(json.resource?.[type] ?? {})) {
        const value = body[argument];
        if (typeof value === 'string' && literal(value) > max) found.push(`${stack.node.id} ${type}.${id} ${argument} "${value}" (${literal(value)} > ${max})`);
      }
    }
  }
  return found;
}

/** [project, environment name] pairs whose stem `<project>-<name>` is `length` long. */
const stems = (length: number): [string, string][] => [2, 6, 16].map((nameLength) => ['p'.repeat(length - 1 - nameLength), 'e'.repeat(nameLength)]);

describe('AWS name limits', () => {
  it.each(stems(NAME_STEM_MAX_LENGTH))('hold for the longest stem the schema accepts: project %s, environment %s', (project, name) => {
    expect(() => parseEnvironmentConfig(configInput('staging', { project }), name)).not.toThrow();
    expect(tooLong(project, name)).toEqual([]);
  });

  it.each(stems(NAME_STEM_MAX_LENGTH + 1))('are what bounds the stem: one character more breaks a name (project %s, environment %s)', (project, name) => {
    expect(tooLong(project, name)).not.toEqual([]);
    expect(() => parseEnvironmentConfig(configInput('staging', { project }), name)).toThrow(/project: ".*" \(project-name\) is 29 characters; at most 28/);
  });

  it('bounds project by the stem and the shortest environment name', () => {
    expect(PROJECT_MAX_LENGTH).toBe(NAME_STEM_MAX_LENGTH - '-qa'.length);
  });
});
