import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Connections, Port, projectSecurityGroup, type IConnectable } from './connections';
import type { EncryptionKey } from './encryption-key';
import type { Network } from './network';
import type { MetricDefinition } from './monitoring';
import { ServiceRole } from './grants';

export type AuroraLogType = 'audit' | 'error' | 'general' | 'slowquery';

export interface AuroraMysqlClusterProps {
  /** Cluster identifier; instances are `<name>-writer`, `<name>-reader-1`, ... */
  readonly name: string;
  /** The cluster sits in the network's data subnets; instances are pinned to its AZs in order. */
  readonly network: Network;
  /**
   * The only security group on the cluster; it admits what `connections` allows and sends nothing.
   * @default - a new group (`AuroraMysqlCluster.securityGroup`) in this construct
   */
  readonly securityGroup?: SecurityGroup;
  /** Encrypts storage, the RDS-managed master secret and the log groups. */
  readonly encryptionKey: EncryptionKey;
  /**
   * Aurora MySQL 3 engine version a new cluster starts on, e.g. `8.0.mysql_aurora.3.08.2`. Automatic
   * minor upgrades move it on; Terraform then follows the cluster (later changes here are ignored,
   * so an apply never tries to go back).
   */
  readonly engineVersion: string;
  readonly instanceClass: string;
  /**
   * Readers besides the writer. Each instance is in its own AZ, so readers + 1 must not exceed the
   * network's AZ count.
   * @default 1
   */
  readonly readerCount?: number;
  /** @default 'app' */
  readonly databaseName?: string;
  /** @default 'admin_user' */
  readonly masterUsername?: string;
  /** @default 7 */
  readonly backupRetentionDays?: number;
  /**
   * Backtrack window in hours; 0 turns backtrack off.
   * @default 0
   */
  readonly backtrackWindowHours?: number;
  /** @default true */
  readonly deletionProtection?: boolean;
  /**
   * Keep a final snapshot named `<name>-final-<creation time>` when the cluster is destroyed (unique
   * per cluster, so a stack destroyed, re-created and destroyed again does not collide). Fixed when
   * the cluster is created: turning it on later needs a new cluster.
   * @default true
   */
  readonly finalSnapshot?: boolean;
  /**
   * Create the cluster from this cluster snapshot (its identifier or ARN), such as the final snapshot
   * of a destroyed stack: the data, the users and the schema come back, re-encrypted with
   * `encryptionKey` (the snapshot's key must still exist), with a new RDS-managed master secret. Read
   * only when the cluster is created: changing it later changes nothing (never a replacement).
   * @default - a new, empty cluster
   */
  readonly restoreFromSnapshot?: string;
  /**
   * Refuse unencrypted client connections (`require_secure_transport = ON`).
   * @default true
   */
  readonly requireTls?: boolean;
  /**
   * Logs exported to CloudWatch; the parameters that make Aurora write them are set too (audit:
   * connections, DCL and DDL; slow query: over `slowQuerySeconds`; general: every statement).
   * @default ['audit', 'error', 'slowquery']
   */
  readonly logExports?: readonly AuroraLogType[];
  /** @default 2 */
  readonly slowQuerySeconds?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Enhanced Monitoring interval in seconds (1, 5, 10, 15, 30 or 60); 0 turns it off.
   * @default 60
   */
  readonly monitoringIntervalSeconds?: number;
  /**
   * Performance Insights (Database Insights standard mode), encrypted with `encryptionKey`, 7 days
   * kept. Aurora MySQL has it on neither db.t2 nor db.t3 classes (AWS's instance class support for
   * Database Insights), where `true` is refused.
   * @default - true where the instance class supports it, false on db.t3
   */
  readonly performanceInsights?: boolean;
}

/** Aurora MySQL classes without Performance Insights (Database Insights): db.t2, db.t3, db.t4g.micro and .small. */
export function supportsPerformanceInsights(instanceClass: string): boolean {
  return !/^db\.t[23]\.|^db\.t4g\.(micro|small)$/.test(instanceClass);
}

const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60];

export const MYSQL_PORT = 3306;

/** Cluster-level maintenance (UTC), an hour after the backup window starts. */
export const CLUSTER_MAINTENANCE_WINDOW = 'sun:03:30-sun:04:30';
/** The readers' own maintenance, in the first half of the cluster's window. */
export const READER_MAINTENANCE_WINDOW = 'sun:03:30-sun:04:00';
/** The writer's own maintenance, after the readers'. */
export const WRITER_MAINTENANCE_WINDOW = 'sun:04:00-sun:04:30';

/**
 * Memory and Aurora MySQL's default `max_connections` of the instance classes the alarms know
 * (the freeable-memory and connections thresholds are shares of them). Source: AWS's table,
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html
 * (connections) and the instance class specifications (memory). Add a class here to use it.
 */
export const AURORA_INSTANCE_CLASSES: Readonly<Record<string, { readonly memoryGiB: number; readonly maxConnections: number }>> = {
  'db.t3.medium': { memoryGiB: 4, maxConnections: 90 },
  'db.t3.large': { memoryGiB: 8, maxConnections: 135 },
  'db.t4g.medium': { memoryGiB: 4, maxConnections: 90 },
  'db.t4g.large': { memoryGiB: 8, maxConnections: 135 },
  'db.r5.large': { memoryGiB: 16, maxConnections: 1000 },
  'db.r5.xlarge': { memoryGiB: 32, maxConnections: 2000 },
  'db.r5.2xlarge': { memoryGiB: 64, maxConnections: 3000 },
  'db.r5.4xlarge': { memoryGiB: 128, maxConnections: 4000 },
  'db.r5.8xlarge': { memoryGiB: 256, maxConnections: 5000 },
  'db.r5.12xlarge': { memoryGiB: 384, maxConnections: 6000 },
  'db.r5.16xlarge': { memoryGiB: 512, maxConnections: 6000 },
  'db.r6g.large': { memoryGiB: 16, maxConnections: 1000 },
  'db.r6g.xlarge': { memoryGiB: 32, maxConnections: 2000 },
  'db.r6g.2xlarge': { memoryGiB: 64, maxConnections: 3000 },
  'db.r6g.4xlarge': { memoryGiB: 128, maxConnections: 4000 },
  'db.r6g.8xlarge': { memoryGiB: 256, maxConnections: 5000 },
  'db.r6g.12xlarge': { memoryGiB: 384, maxConnections: 6000 },
  'db.r6g.16xlarge': { memoryGiB: 512, maxConnections: 6000 },
  'db.r6i.large': { memoryGiB: 16, maxConnections: 1000 },
  'db.r6i.xlarge': { memoryGiB: 32, maxConnections: 2000 },
  'db.r6i.2xlarge': { memoryGiB: 64, maxConnections: 3000 },
  'db.r6i.4xlarge': { memoryGiB: 128, maxConnections: 4000 },
  'db.r6i.8xlarge': { memoryGiB: 256, maxConnections: 5000 },
  'db.r6i.12xlarge': { memoryGiB: 384, maxConnections: 6000 },
  'db.r6i.16xlarge': { memoryGiB: 512, maxConnections: 6000 },
  'db.r7g.large': { memoryGiB: 16, maxConnections: 1000 },
  'db.r7g.xlarge': { memoryGiB: 32, maxConnections: 2000 },
  'db.r7g.2xlarge': { memoryGiB: 64, maxConnections: 3000 },
  'db.r7g.4xlarge': { memoryGiB: 128, maxConnections: 4000 },
  'db.r7g.8xlarge': { memoryGiB: 256, maxConnections: 5000 },
  'db.r7g.12xlarge': { memoryGiB: 384, maxConnections: 6000 },
  'db.r7g.16xlarge': { memoryGiB: 512, maxConnections: 6000 },
};

/** Alarm thresholds of an Aurora cluster's instances. */
export interface AuroraAlarmThresholds {
  readonly cpuPercent: number;
  /** Alarm below this share of the class's memory free. */
  readonly freeableMemoryPercent: number;
  readonly replicaLagMilliseconds: number;
  /** Alarm above this share of the class's max_connections. */
  readonly connectionsPercent: number;
}

/**
 * An Aurora MySQL (8.0-compatible) cluster: a writer and N readers, each instance pinned to a
 * different AZ; storage and the RDS-managed master password (Secrets Manager) encrypted with a
 * customer-managed key; TLS required; logs exported to encrypted log groups with retention.
 * No password ever passes through Terraform.
 */
/**
 * What a client of a MySQL database needs: where it is, its schema, the master secret that makes
 * users, and who may reach it (`connections`). AuroraMysqlCluster is one; an RDS Proxy in front of
 * it could be another.
 */
export interface IDatabase extends IConnectable {
  /** Writer endpoint (DNS name). */
  readonly endpoint: string;
  readonly port: number;
  /** The schema created with the database. */
  readonly databaseName: string;
  /** ARN of the Secrets Manager secret with the master user's credentials (JSON: username, password). */
  readonly masterUserSecretArn: string;
}

export class AuroraMysqlCluster extends Construct implements IDatabase {
  /** A group for a database cluster, `<name>-<id>`; `connections` adds its rules. */
  static securityGroup(scope: Construct, id: string, props: { readonly name: string; readonly vpc: Vpc }): SecurityGroup {
    return projectSecurityGroup(scope, id, { name: `${props.name}-${id}`, vpc: props.vpc, description: 'Database: its port from the web instances only' });
  }

  /** Who may reach the cluster: `database.connections.allowDefaultPortFrom(app, ...)` opens MySQL's port to it. */
  public readonly connections: Connections;
  public readonly cluster: RdsCluster;
  public readonly writer: RdsClusterInstance;
  public readonly readers: RdsClusterInstance[];
  /** Writer endpoint (DNS name). */
  public readonly endpoint: string;
  /** Load-balanced reader endpoint (DNS name). */
  public readonly readerEndpoint: string;
  /** ARN of the Secrets Manager secret RDS keeps the master user's credentials in (JSON: username, password). */
  public readonly masterUserSecretArn: string;
  public readonly port = MYSQL_PORT;
  public readonly databaseName: string;
  private readonly instanceClass: string;

  constructor(scope: Construct, id: string, props: AuroraMysqlClusterProps) {
    super(scope, id);
    const settings = withDefaults(id, props);
    this.connections = new Connections(
      props.securityGroup ?? AuroraMysqlCluster.securityGroup(this, 'security-group', { name: props.name, vpc: props.network.vpc }),
      Port.tcp(MYSQL_PORT),
    );
    this.instanceClass = props.instanceClass;
    this.databaseName = props.databaseName ?? 'app';

    const subnetGroup = new DbSubnetGroup(this, 'subnet-group', {
      name: props.name,
      description: `Data subnets of ${props.name}`,
      subnetIds: props.network.dataSubnets.map((s) => s.id),
    });
    const parameters = this.addParameterGroup(props, settings.logExports);
    // Pre-create the export log groups so they get retention and encryption; RDS would otherwise
    // create them itself, unencrypted and kept forever.
    const logGroups = settings.logExports.map(
      (log) =>
        new CloudwatchLogGroup(this, `log-${log}`, {
          name: `/aws/rds/cluster/${props.name}/${log}`,
          retentionInDays: props.logRetentionDays ?? 30,
          kmsKeyId: props.encryptionKey.arn,
        }),
    );
    this.cluster = this.addCluster(props, settings, { subnetGroup, parameters, logGroups });

    const instances = { subnetGroup, monitoringRoleArn: this.addMonitoringRole(props.name, settings.monitoringInterval) };
    // Aurora makes the first instance the writer: readers wait for it, so the writer is in azs[0].
    // Instances keep their own maintenance windows (AWS picks one at random when none is given):
    // the readers in the first half of the cluster's window, the writer in the second.
    const azs = props.network.availabilityZones;
    this.writer = this.addInstance(props, settings, instances, {
      instanceId: 'writer',
      az: azs[0],
      promotionTier: 0,
      maintenanceWindow: WRITER_MAINTENANCE_WINDOW,
    });
    this.readers = Array.from({ length: settings.readerCount }, (_, i) =>
      this.addInstance(props, settings, instances, {
        instanceId: `reader-${i + 1}`,
        az: azs[i + 1],
        promotionTier: 1,
        maintenanceWindow: READER_MAINTENANCE_WINDOW,
        after: this.writer,
      }),
    );

    this.endpoint = this.cluster.endpoint;
    this.readerEndpoint = this.cluster.readerEndpoint;
    this.masterUserSecretArn = this.cluster.masterUserSecret.get(0).secretArn;
  }

  /** TLS only (1.2 and 1.3), and the logging each exported log needs Aurora to write. */
  private addParameterGroup(props: AuroraMysqlClusterProps, logExports: AuroraLogType[]): RdsClusterParameterGroup {
    // Exporting a log only ships what Aurora writes; these parameters make it write them.
    const logParameters: Record<AuroraLogType, { name: string; value: string }[]> = {
      audit: [
        { name: 'server_audit_logging', value: '1' },
        { name: 'server_audit_events', value: 'CONNECT,QUERY_DCL,QUERY_DDL' },
        { name: 'server_audit_excl_users', value: 'rdsadmin' },
      ],
      slowquery: [
        { name: 'slow_query_log', value: '1' },
        { name: 'long_query_time', value: String(props.slowQuerySeconds ?? 2) },
      ],
      general: [{ name: 'general_log', value: '1' }],
      error: [],
    };
    const logging = logExports.flatMap((log) => logParameters[log]);
    return new RdsClusterParameterGroup(this, 'parameters', {
      namePrefix: `${props.name}-`,
      family: 'aurora-mysql8.0',
      description: `Cluster parameters of ${props.name}`,
      parameter: [
        { name: 'require_secure_transport', value: (props.requireTls ?? true) ? 'ON' : 'OFF', applyMethod: 'immediate' },
        { name: 'tls_version', value: 'TLSv1.2,TLSv1.3', applyMethod: 'pending-reboot' },
        // CloudWatch export reads the slow query and general logs from files only.
        ...(logging.length > 0 ? [{ name: 'log_output', value: 'FILE', applyMethod: 'immediate' }] : []),
        ...logging.map((p) => ({ ...p, applyMethod: 'immediate' })),
      ],
      lifecycle: { createBeforeDestroy: true },
    });
  }

  /** The encrypted cluster with an RDS-managed master password, backups, a final snapshot unless told otherwise. */
  private addCluster(
    props: AuroraMysqlClusterProps,
    settings: ClusterSettings,
    parts: { subnetGroup: DbSubnetGroup; parameters: RdsClusterParameterGroup; logGroups: CloudwatchLogGroup[] },
  ): RdsCluster {
    const { finalSnapshot } = settings;
    return new RdsCluster(this, 'cluster', {
      clusterIdentifier: props.name,
      engine: 'aurora-mysql',
      engineVersion: props.engineVersion,
      databaseName: this.databaseName,
      masterUsername: props.masterUsername ?? 'admin_user',
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.encryptionKey.arn,
      storageEncrypted: true,
      kmsKeyId: props.encryptionKey.arn,
      dbSubnetGroupName: parts.subnetGroup.name,
      vpcSecurityGroupIds: [this.connections.securityGroup.id],
      dbClusterParameterGroupName: parts.parameters.name,
      port: MYSQL_PORT,
      backupRetentionPeriod: props.backupRetentionDays ?? 7,
      preferredBackupWindow: '02:00-03:00',
      preferredMaintenanceWindow: CLUSTER_MAINTENANCE_WINDOW,
      backtrackWindow: settings.backtrackHours * 3600,
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection ?? true,
      skipFinalSnapshot: !finalSnapshot,
      finalSnapshotIdentifier: finalSnapshot ? `${props.name}-final-${Fn.formatdate('YYYYMMDDhhmmss', Fn.timestamp())}` : undefined,
      snapshotIdentifier: props.restoreFromSnapshot,
      enabledCloudwatchLogsExports: settings.logExports,
      iamDatabaseAuthenticationEnabled: true,
      dependsOn: parts.logGroups,
      // engine_version: minor upgrades are AWS's after creation. final_snapshot_identifier: fixed at
      // creation (timestamp() would change it on every plan). snapshot_identifier: read at creation
      // only; the provider would otherwise replace the cluster when it is set or cleared later.
      lifecycle: { ignoreChanges: ['engine_version', 'final_snapshot_identifier', 'snapshot_identifier'] },
    });
  }

  /** The role Enhanced Monitoring publishes with, when it is on. */
  private addMonitoringRole(name: string, monitoringInterval: number): string | undefined {
    if (monitoringInterval === 0) return undefined;
    const { role } = new ServiceRole(this, 'monitoring-role', {
      name: `${name}-rds-monitoring`,
      service: 'monitoring.rds.amazonaws.com',
      sourceAccountOnly: false,
      managedPolicies: [{ id: 'monitoring-role-policy', policy: 'AmazonRDSEnhancedMonitoringRole' }],
    });
    return role.arn;
  }

  /** One instance of the cluster, pinned to an AZ, private, with its own maintenance window. */
  private addInstance(
    props: AuroraMysqlClusterProps,
    settings: ClusterSettings,
    shared: { subnetGroup: DbSubnetGroup; monitoringRoleArn?: string },
    instance: { instanceId: string; az: string; promotionTier: number; maintenanceWindow: string; after?: RdsClusterInstance },
  ): RdsClusterInstance {
    const performanceInsights = settings.performanceInsights;
    return new RdsClusterInstance(this, instance.instanceId, {
      identifier: `${props.name}-${instance.instanceId}`,
      clusterIdentifier: this.cluster.id,
      engine: 'aurora-mysql',
      engineVersion: this.cluster.engineVersion,
      instanceClass: props.instanceClass,
      availabilityZone: instance.az,
      dbSubnetGroupName: shared.subnetGroup.name,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      promotionTier: instance.promotionTier,
      copyTagsToSnapshot: true,
      monitoringInterval: settings.monitoringInterval,
      monitoringRoleArn: shared.monitoringRoleArn,
      performanceInsightsEnabled: performanceInsights,
      performanceInsightsKmsKeyId: performanceInsights ? props.encryptionKey.arn : undefined,
      performanceInsightsRetentionPeriod: performanceInsights ? 7 : undefined,
      preferredMaintenanceWindow: instance.maintenanceWindow,
      dependsOn: instance.after ? [instance.after] : undefined,
    });
  }

  /**
   * By role, as AWS advises for Aurora (an instance's role changes in a failover, so alarms on
   * `DBClusterIdentifier` + `Role` follow whichever instance is the writer, and the readers together
   * by their worst): CPU, freeable memory and connections near the class's limit; the readers'
   * replica lag.
   */
  public metrics(t: AuroraAlarmThresholds): MetricDefinition[] {
    const { memoryGiB, maxConnections } = AURORA_INSTANCE_CLASSES[this.instanceClass];
    const rds = 'AWS/RDS';
    const roles = [{ id: 'writer', role: 'WRITER', who: 'the writer' }, ...(this.readers.length ? [{ id: 'readers', role: 'READER', who: 'a reader' }] : [])];
    return roles.flatMap(({ id, role, who }): MetricDefinition[] => {
      const dimensions = { DBClusterIdentifier: this.cluster.clusterIdentifier, Role: role };
      const metrics: MetricDefinition[] = [
        {
          id: `db-cpu-${id}`,
          group: 'Database',
          title: `${id}: CPU (highest)`,
          namespace: rds,
          metricName: 'CPUUtilization',
          dimensions,
          statistic: 'Maximum',
          period: 60,
          description: `The database's ${id === 'writer' ? 'writer' : 'busiest reader'} is CPU-bound: look at Performance Insights' top SQL`,
          alarm: { comparison: 'GreaterThanThreshold', threshold: t.cpuPercent, evaluationPeriods: 5, treatMissingData: 'missing' },
        },
        {
          id: `db-deadlocks-${id}`,
          group: 'Database',
          title: `${id}: deadlocks per second`,
          namespace: rds,
          metricName: 'Deadlocks',
          dimensions,
          statistic: 'Maximum',
          period: 60,
          description: `Transactions on the ${id === 'writer' ? 'writer' : 'readers'} deadlock: look at Performance Insights' waits and the recent release`,
          alarm: { comparison: 'GreaterThanThreshold', threshold: 0, evaluationPeriods: 5, treatMissingData: 'notBreaching' },
        },
        {
          id: `db-freeable-memory-${id}`,
          group: 'Database',
          title: `${id}: freeable memory (lowest)`,
          namespace: rds,
          metricName: 'FreeableMemory',
          dimensions,
          statistic: 'Minimum',
          period: 60,
          description: `${who} has less than ${t.freeableMemoryPercent} % of its ${memoryGiB} GiB free: connections or queries use more than the class has`,
          alarm: {
            comparison: 'LessThanThreshold',
            threshold: Math.round(memoryGiB * 2 ** 30 * (t.freeableMemoryPercent / 100)),
            evaluationPeriods: 15,
            treatMissingData: 'missing',
          },
        },
        {
          id: `db-connections-${id}`,
          group: 'Database',
          title: `${id}: connections (most)`,
          namespace: rds,
          metricName: 'DatabaseConnections',
          dimensions,
          statistic: 'Maximum',
          period: 60,
          description: `${who} nears its ${maxConnections} connections (max_connections of ${this.instanceClass}): new connections will be refused`,
          alarm: {
            comparison: 'GreaterThanThreshold',
            threshold: Math.floor(maxConnections * (t.connectionsPercent / 100)),
            evaluationPeriods: 5,
            treatMissingData: 'missing',
          },
        },
      ];
      if (role === 'WRITER') return metrics;
      return [
        ...metrics,
        {
          id: 'db-replica-lag-readers',
          group: 'Database',
          title: 'readers: replica lag (most)',
          namespace: rds,
          metricName: 'AuroraReplicaLag',
          dimensions,
          statistic: 'Maximum',
          period: 60,
          description: 'A reader lags the writer: reads from it are stale, and a failover to it loses time',
          alarm: { comparison: 'GreaterThanThreshold', threshold: t.replicaLagMilliseconds, evaluationPeriods: 10, treatMissingData: 'missing' },
        },
      ];
    });
  }
}

type ClusterSettings = ReturnType<typeof withDefaults>;

/** The props with their defaults, checked before anything is created. */
function withDefaults(id: string, props: AuroraMysqlClusterProps) {
  const readerCount = props.readerCount ?? 1;
  const azs = props.network.availabilityZones;
  if (!Number.isInteger(readerCount) || readerCount < 0) {
    throw new Error(`AuroraMysqlCluster ${id}: readerCount is ${readerCount}; use a whole number, 0 or more`);
  }
  if (readerCount + 1 > azs.length) {
    throw new Error(
      `AuroraMysqlCluster ${id}: readerCount ${readerCount} needs ${readerCount + 1} AZs (one instance per AZ); the network has ${azs.length}. Lower readerCount or add AZs`,
    );
  }
  const backtrackHours = props.backtrackWindowHours ?? 0;
  if (backtrackHours < 0 || backtrackHours > 72) {
    throw new Error(`AuroraMysqlCluster ${id}: backtrackWindowHours is ${backtrackHours}; use 0 (off) to 72`);
  }
  const monitoringInterval = props.monitoringIntervalSeconds ?? 60;
  if (!MONITORING_INTERVALS.includes(monitoringInterval)) {
    throw new Error(`AuroraMysqlCluster ${id}: monitoringIntervalSeconds is ${monitoringInterval}; use one of ${MONITORING_INTERVALS.join(', ')} (0 is off)`);
  }
  if (!AURORA_INSTANCE_CLASSES[props.instanceClass]) {
    throw new Error(
      `AuroraMysqlCluster ${id}: instanceClass ${props.instanceClass} has no memory and connection figures for its alarms; use one of ${Object.keys(AURORA_INSTANCE_CLASSES).join(', ')} or add it to AURORA_INSTANCE_CLASSES`,
    );
  }
  const snapshot = props.restoreFromSnapshot;
  if (snapshot !== undefined && !/^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster-snapshot:)?[a-zA-Z][a-zA-Z0-9:-]{0,254}$/.test(snapshot)) {
    throw new Error(
      `AuroraMysqlCluster ${id}: restoreFromSnapshot "${snapshot}" is not a cluster snapshot identifier or ARN; find it with aws rds describe-db-cluster-snapshots --query 'DBClusterSnapshots[].DBClusterSnapshotIdentifier'`,
    );
  }
  const performanceInsights = props.performanceInsights ?? supportsPerformanceInsights(props.instanceClass);
  if (performanceInsights && !supportsPerformanceInsights(props.instanceClass)) {
    throw new Error(
      `AuroraMysqlCluster ${id}: performanceInsights is true, but Aurora MySQL has no Performance Insights on ${props.instanceClass}; use a db.t4g.medium or larger class, or leave performanceInsights unset`,
    );
  }
  return {
    readerCount,
    backtrackHours,
    monitoringInterval,
    performanceInsights,
    finalSnapshot: props.finalSnapshot ?? true,
    logExports: [...(props.logExports ?? ['audit', 'error', 'slowquery'])],
  };
}
