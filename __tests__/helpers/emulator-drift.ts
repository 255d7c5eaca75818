// "After an apply, a plan shows no changes", on the emulator: what moto reads back differently from
// AWS is listed resource by resource and attribute by attribute, each entry naming the moto defect
// behind it (harness/emulator.ts MOTO_DEFECTS, each reproduced in
// __tests__/harness/emulator-defects.test.ts); everything else must plan as no change.
import { expect } from 'vitest';
import { MOTO_DEFECTS, type DetailedPlan, type MotoDefect, type PlannedChange } from '../../harness/emulator';

/** One attribute of one resource that moto reads back differently from AWS. */
export interface EmulatorDrift {
  /** The resource's address in the dev stack. */
  readonly address: string;
  /** The attribute, as the plan names it. */
  readonly attribute: string;
  readonly defect: MotoDefect;
}

/** The security group rules that reference another group, in both systems' dev stacks (the CIDR rules are not listed). */
const GROUP_RULES = {
  cachet: [
    'aws_vpc_security_group_ingress_rule.security-groups_database-from-instances_EAA3DCF4',
    'aws_vpc_security_group_ingress_rule.security-groups_instances-from-load-balancer_6989A044',
    'aws_vpc_security_group_egress_rule.security-groups_instances-to-database_2ECE6087',
    'aws_vpc_security_group_egress_rule.security-groups_load-balancer-to-instances_4B7AF021',
  ],
  web: [
    'aws_vpc_security_group_ingress_rule.security-groups_instances-from-load-balancer_6989A044',
    'aws_vpc_security_group_egress_rule.security-groups_load-balancer-to-instances_4B7AF021',
  ],
} as const;

const each = (addresses: readonly string[], attribute: string, defect: MotoDefect): EmulatorDrift[] =>
  addresses.map((address) => ({ address, attribute, defect }));

/** What moto reads back differently in each system's dev stack. */
export const EMULATOR_DRIFT: Readonly<Record<'cachet' | 'web', readonly EmulatorDrift[]>> = {
  cachet: [
    ...each(GROUP_RULES.cachet, 'description', 'groupRuleDescription'),
    ...(['performance_insights_enabled', 'performance_insights_kms_key_id', 'performance_insights_retention_period'] as const).flatMap((attribute) =>
      each(['aws_rds_cluster_instance.database_writer_36AD03F8', 'aws_rds_cluster_instance.database_reader-1_95006995'], attribute, 'rdsPerformanceInsights'),
    ),
    { address: 'aws_rds_cluster.database_cluster_FAF2FB92', attribute: 'scaling_configuration', defect: 'rdsScalingConfigurationInfo' },
    { address: 'aws_codebuild_project.cachet-image_build_894DC05A', attribute: 'encryption_key', defect: 'codebuildEncryptionKey' },
    { address: 'aws_s3_bucket_notification.cachet-image_source-events_71621C83', attribute: 'eventbridge', defect: 's3EventBridge' },
    { address: 'aws_lambda_function.status-page-updates_function_4310F807', attribute: 'dead_letter_config', defect: 'lambdaDeadLetterConfig' },
    { address: 'aws_lambda_function.status-page-updates_function_4310F807', attribute: 'logging_config', defect: 'lambdaLoggingConfig' },
  ],
  web: [
    ...each(GROUP_RULES.web, 'description', 'groupRuleDescription'),
    { address: 'aws_autoscaling_group.fleet_group_B839149E', attribute: 'default_instance_warmup', defect: 'asgDefaultInstanceWarmup' },
    { address: 'aws_autoscaling_group.fleet_group_B839149E', attribute: 'capacity_reservation_specification', defect: 'asgCapacityReservation' },
    { address: 'aws_autoscaling_policy.fleet_target-tracking_5CA6C698', attribute: 'enabled', defect: 'scalingPolicyEnabled' },
    { address: 'aws_autoscaling_policy.fleet_target-tracking_5CA6C698', attribute: 'predictive_scaling_configuration', defect: 'scalingPolicyPredictive' },
  ],
};

/**
 * Fails on any planned change but the listed drift (same address, same attribute), and on a listed
 * drift that no longer occurs (it must leave the list). Prints both, so a failure says what changed.
 */
export function expectNoChangesButDrift({ exitCode, changes }: DetailedPlan, drift: readonly EmulatorDrift[]): void {
  const listed = (c: PlannedChange, attribute: string) => drift.some((d) => d.address === c.address && d.attribute === attribute);
  const unexpected = changes.flatMap((c) =>
    (c.attributes.length ? c.attributes : ['(whole resource)'])
      .filter((a) => !listed(c, a))
      .map((a) => `${c.address} ${c.actions.join('/')}: ${c.details.find((d) => d.startsWith(`${a}:`)) ?? a}`),
  );
  console.log(`known emulator drift:\n  ${changes.flatMap((c) => c.details.map((d) => `${c.address} ${d}`)).join('\n  ')}`);
  if (unexpected.length) console.log(`perpetual diff:\n  ${unexpected.join('\n  ')}`);
  expect(unexpected, 'perpetual diff: resource and attribute').toEqual([]);
  const gone = drift.filter((d) => !changes.some((c) => c.address === d.address && c.attributes.includes(d.attribute)));
  expect(
    gone.map((d) => `${d.address} ${d.attribute}: ${MOTO_DEFECTS[d.defect].what}`),
    'listed drift that no longer occurs',
  ).toEqual([]);
  expect(exitCode).toBe(changes.length ? 2 : 0);
}
