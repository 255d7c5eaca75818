import { describe, expect, it } from 'vitest';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import { AuroraMysqlCluster, type AuroraMysqlClusterProps } from '../../constructs/aurora-mysql-cluster';
import { addTestNetwork, emptyStack, resourceList, resources, synth } from '../helpers/synth';

function build(props: Partial<AuroraMysqlClusterProps> = {}) {
  const stack = emptyStack();
  const { key, network } = addTestNetwork(stack);
  new AuroraMysqlCluster(stack, 'db', {
    name: 'test-db',
    network,
    encryptionKey: key,
    engineVersion: '8.0.mysql_aurora.3.08.2',
    instanceClass: 'db.r7g.large',
    readerCount: 2,
    ...props,
  });
  return synth(stack);
}

describe('AuroraMysqlCluster', () => {
  it('encrypts storage and lets RDS manage the master password with the customer key', () => {
    const { text } = build();
    expect(text).toHaveResourceWithProperties(RdsCluster, {
      engine: 'aurora-mysql',
      engine_version: '8.0.mysql_aurora.3.08.2',
      storage_encrypted: true,
      kms_key_id: expect.stringMatching(/aws_kms_key\.key_.*\.arn/),
      manage_master_user_password: true,
      master_user_secret_kms_key_id: expect.stringMatching(/aws_kms_key\.key_.*\.arn/),
    });
  });

  it('never sets a master password', () => {
    const { json } = build();
    const [cluster] = resourceList(json, 'aws_rds_cluster');
    expect(cluster.master_password).toBeUndefined();
    expect(cluster.master_password_wo).toBeUndefined();
  });

  it('pins the writer and each reader to a different AZ, writer first', () => {
    const { json } = build({ readerCount: 2 });
    const instances = resources(json, 'aws_rds_cluster_instance');
    const byRole = Object.fromEntries(Object.values(instances).map((i) => [i.identifier, i]));
    expect(byRole['test-db-writer'].availability_zone).toBe('eu-west-1a');
    expect(byRole['test-db-reader-1'].availability_zone).toBe('eu-west-1b');
    expect(byRole['test-db-reader-2'].availability_zone).toBe('eu-west-1c');
    const writerId = Object.keys(instances).find((id) => instances[id].identifier === 'test-db-writer');
    expect(byRole['test-db-reader-1'].depends_on).toEqual([`aws_rds_cluster_instance.${writerId}`]);
  });

  it("gives each instance its own maintenance window inside the cluster's: the readers first, then the writer", () => {
    const { json } = build({ readerCount: 2 });
    const [cluster] = resourceList(json, 'aws_rds_cluster');
    const windows = Object.fromEntries(resourceList(json, 'aws_rds_cluster_instance').map((i) => [i.identifier, i.preferred_maintenance_window]));
    expect(cluster.preferred_maintenance_window).toBe('sun:03:30-sun:04:30');
    expect(windows).toEqual({
      'test-db-reader-1': 'sun:03:30-sun:04:00',
      'test-db-reader-2': 'sun:03:30-sun:04:00',
      'test-db-writer': 'sun:04:00-sun:04:30',
    });
  });

  it('keeps every instance private', () => {
    const { json } = build();
    expect(resourceList(json, 'aws_rds_cluster_instance').map((i) => i.publicly_accessible)).toEqual([false, false, false]);
  });

  it('places the cluster in the data subnets behind the data security group only', () => {
    const { json } = build();
    const [subnetGroup] = resourceList(json, 'aws_db_subnet_group');
    expect(subnetGroup.subnet_ids.every((s: string) => s.includes('aws_subnet.network_data-'))).toBe(true);
    const [cluster] = resourceList(json, 'aws_rds_cluster');
    expect(cluster.vpc_security_group_ids).toEqual([expect.stringMatching(/aws_security_group\.db_security-group_/)]);
  });

  it('requires TLS through the cluster parameter group', () => {
    const { text } = build();
    expect(text).toHaveResourceWithProperties(RdsClusterParameterGroup, {
      family: 'aurora-mysql8.0',
      parameter: expect.arrayContaining([expect.objectContaining({ name: 'require_secure_transport', value: 'ON' })]),
    });
  });

  it.each([
    [
      { deletionProtection: true, finalSnapshot: true },
      { deletion_protection: true, skip_final_snapshot: false, final_snapshot_identifier: 'test-db-final-${formatdate("YYYYMMDDhhmmss", timestamp())}' },
    ],
    [
      { deletionProtection: false, finalSnapshot: false },
      { deletion_protection: false, skip_final_snapshot: true },
    ],
  ])('maps %j to %j', (props, expected) => {
    const { json } = build(props);
    expect(resourceList(json, 'aws_rds_cluster')[0]).toMatchObject(expected);
  });

  it('names the final snapshot once, at creation, so destroying a re-created cluster does not collide with the last snapshot', () => {
    const [cluster] = resourceList(build().json, 'aws_rds_cluster');
    expect(cluster.final_snapshot_identifier).toContain('timestamp()');
    expect(cluster.lifecycle.ignore_changes).toContain('final_snapshot_identifier');
  });

  it('follows automatic minor upgrades instead of downgrading on the next apply', () => {
    const [cluster] = resourceList(build().json, 'aws_rds_cluster');
    expect(cluster.lifecycle.ignore_changes).toContain('engine_version');
    expect(
      resourceList(build().json, 'aws_rds_cluster_instance').every(
        (i) => i.auto_minor_version_upgrade === true && /aws_rds_cluster\.db_cluster_\w+\.engine_version/.test(i.engine_version),
      ),
    ).toBe(true);
  });

  it.each([
    ['audit', { server_audit_logging: '1', server_audit_events: 'CONNECT,QUERY_DCL,QUERY_DDL', log_output: 'FILE' }],
    ['slowquery', { slow_query_log: '1', long_query_time: '2', log_output: 'FILE' }],
    ['general', { general_log: '1', log_output: 'FILE' }],
  ] as const)('makes Aurora write the %s log it exports', (log, expected) => {
    const [group] = resourceList(build({ logExports: [log] }).json, 'aws_rds_cluster_parameter_group');
    const values = Object.fromEntries(group.parameter.map((p: { name: string; value: string }) => [p.name, p.value]));
    expect(values).toMatchObject(expected);
  });

  it('sets no log parameters when only the error log is exported', () => {
    const [group] = resourceList(build({ logExports: ['error'] }).json, 'aws_rds_cluster_parameter_group');
    expect(group.parameter.map((p: { name: string }) => p.name)).toEqual(['require_secure_transport', 'tls_version']);
  });

  it('turns backtrack hours into seconds', () => {
    const { json } = build({ backtrackWindowHours: 24 });
    expect(resourceList(json, 'aws_rds_cluster')[0].backtrack_window).toBe(86400);
  });

  it('exports logs to pre-created encrypted log groups with retention', () => {
    const { json } = build({ logExports: ['error', 'slowquery'], logRetentionDays: 14 });
    const [cluster] = resourceList(json, 'aws_rds_cluster');
    expect(cluster.enabled_cloudwatch_logs_exports).toEqual(['error', 'slowquery']);
    const groups = resourceList(json, 'aws_cloudwatch_log_group').filter((g) => g.name.startsWith('/aws/rds/cluster/test-db/'));
    expect(groups.map((g) => [g.name, g.retention_in_days, !!g.kms_key_id])).toEqual([
      ['/aws/rds/cluster/test-db/error', 14, true],
      ['/aws/rds/cluster/test-db/slowquery', 14, true],
    ]);
    expect(cluster.depends_on).toHaveLength(2);
  });

  it('turns on Enhanced Monitoring with its own role, and Performance Insights encrypted with the key', () => {
    const { json } = build();
    for (const instance of resourceList(json, 'aws_rds_cluster_instance')) {
      expect(instance).toMatchObject({
        monitoring_interval: 60,
        monitoring_role_arn: expect.stringMatching(/aws_iam_role\.db_monitoring-role_\w+\.arn/),
        performance_insights_enabled: true,
        performance_insights_kms_key_id: expect.stringMatching(/aws_kms_key\.key_\w+\.arn/),
      });
    }
    const role = resourceList(json, 'aws_iam_role').find((r) => r.name === 'test-db-rds-monitoring')!;
    expect(role.assume_role_policy).toContain('monitoring.rds.amazonaws.com');
  });

  it('creates no monitoring role when monitoring is off', () => {
    const { json } = build({ monitoringIntervalSeconds: 0, performanceInsights: false });
    expect(resourceList(json, 'aws_iam_role').find((r) => r.name === 'test-db-rds-monitoring')).toBeUndefined();
    expect(resourceList(json, 'aws_rds_cluster_instance')[0]).toMatchObject({ monitoring_interval: 0, performance_insights_enabled: false });
  });

  it('restores from a snapshot when asked, read only at creation (never a replacement), with a new managed master secret', () => {
    const [cluster] = resourceList(build({ restoreFromSnapshot: 'test-db-final-20261206101500' }).json, 'aws_rds_cluster');
    expect(cluster).toMatchObject({ snapshot_identifier: 'test-db-final-20261206101500', manage_master_user_password: true, storage_encrypted: true });
    expect(cluster.lifecycle.ignore_changes).toContain('snapshot_identifier');
    expect(resourceList(build().json, 'aws_rds_cluster')[0].snapshot_identifier).toBeUndefined();
  });

  it.each([
    ['db.t3.medium', false],
    ['db.t3.large', false],
    ['db.t4g.medium', true],
    ['db.r7g.large', true],
  ])('turns Performance Insights on by default only where Aurora MySQL has it: %s -> %s', (instanceClass, enabled) => {
    const [instance] = resourceList(build({ instanceClass }).json, 'aws_rds_cluster_instance');
    expect(instance.performance_insights_enabled).toBe(enabled);
    expect(instance.performance_insights_kms_key_id === undefined).toBe(!enabled);
  });

  it.each([
    [{ monitoringIntervalSeconds: 45 }, /monitoringIntervalSeconds is 45; use one of 0, 1, 5, 10, 15, 30, 60/],
    [
      { restoreFromSnapshot: 'final snapshot' },
      /restoreFromSnapshot "final snapshot" is not a cluster snapshot identifier or ARN; find it with aws rds describe-db-cluster-snapshots/,
    ],
    [
      { instanceClass: 'db.t3.medium', performanceInsights: true },
      /performanceInsights is true, but Aurora MySQL has no Performance Insights on db\.t3\.medium; use a db\.t4g\.medium or larger/,
    ],
    [{ readerCount: 3 }, /readerCount 3 needs 4 AZs \(one instance per AZ\); the network has 3/],
    [{ readerCount: -1 }, /readerCount is -1/],
    [{ backtrackWindowHours: 73 }, /backtrackWindowHours is 73; use 0 \(off\) to 72/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});
