// Every name our stacks give AWS fits AWS's limit for it, for the longest `project` the schema
// accepts, in every environment: a name too long fails only at apply (or validate) otherwise.
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../config/load';
import { ENVIRONMENT_NAMES, PROJECT_MAX_LENGTH } from '../../config/schema';
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
];

/** The literal length of a name (interpolations, which AWS fills in, count as nothing). */
const literal = (value: string) => value.replace(/\$\{[^}]*\}/g, '').length;

function tooLong(project: string, env: (typeof ENVIRONMENT_NAMES)[number]): string[] {
  // Built past the schema, to find what a longer name would break.
  const config = { ...parseEnvironmentConfig(configInput(env), env), project };
  const app = Testing.app();
  const stacks = buildStacks(app, [config]);
  const found: string[] = [];
  for (const stack of stacks) {
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

describe('AWS name limits', () => {
  it.each(ENVIRONMENT_NAMES)('hold in %s for the longest project name the schema accepts', (env) => {
    expect(tooLong('p'.repeat(PROJECT_MAX_LENGTH), env)).toEqual([]);
  });

  it('are what the project length is bounded by: one character more would break one', () => {
    const longer = 'p'.repeat(PROJECT_MAX_LENGTH + 1);
    expect(ENVIRONMENT_NAMES.flatMap((env) => tooLong(longer, env))).not.toEqual([]);
    expect(() => parseEnvironmentConfig(configInput('staging', { project: longer }), 'staging')).toThrow(
      new RegExp(`project: must be 2-${PROJECT_MAX_LENGTH} lower-case letters`),
    );
  });
});
