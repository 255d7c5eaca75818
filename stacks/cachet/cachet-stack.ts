import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import type { EnvironmentConfig } from '../../config/schema';
import { AliasRecord } from '../../constructs/alias-record';
import { AuroraMysqlCluster, MYSQL_PORT } from '../../constructs/aurora-mysql-cluster';
import { CACHET_IMAGE_DIR, CachetBeanstalk } from './cachet-beanstalk';
import { ContainerImage } from '../../constructs/container-image';
import { DnsValidatedCertificate } from '../../constructs/dns-validated-certificate';
import { DatabaseApplicationUser } from '../../constructs/database-application-user';
import { EncryptionKey } from '../../constructs/encryption-key';
import { Network } from '../../constructs/network';
import { ExistingHostedZone } from '../../constructs/hosted-zone';
import { AlarmTopic, Monitoring } from '../../constructs/monitoring';
import { instanceSecurityGroup, loadBalancerSecurityGroup } from '../../constructs/web-tier';
import { EnvironmentStack } from '../environment-stack';
import { webAlarmName } from '../web/web-stack';
import { StatusPageUpdates } from './status-page-updates';

/** Stack name of the Cachet system in one environment. */
export function cachetStackName(config: EnvironmentConfig): string {
  return `cachet-${config.name}`;
}

/** Prefix of the names of Cachet's resources, e.g. `statuspage-dev-cachet`. */
function cachetNameStem(config: EnvironmentConfig): string {
  return `${config.project}-${config.name}-cachet`;
}

/**
 * The Cachet status page in one environment: network, security groups, Aurora MySQL, the Beanstalk
 * application, its certificate and DNS name.
 */
export class CachetStack extends EnvironmentStack {
  public readonly network: Network;
  public readonly database: AuroraMysqlCluster;
  public readonly app: CachetBeanstalk;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, cachetStackName(config), config);
    const name = `${config.project}-${config.name}`;
    const stem = cachetNameStem(config);

    const key = new EncryptionKey(this, 'data-key', {
      alias: name,
      description: `Data at rest of ${name}: database, secrets, logs`,
      allowCloudWatchLogs: true,
      allowCloudWatchAlarms: true,
      allowEventBridgeRules: true,
    });
    this.network = new Network(this, 'network', {
      ...config.network,
      name,
      flowLogEncryptionKey: key,
    });
    // The groups stay in the scope they had before the constructs took connections: a group's
    // address is a contract, and a new one would replace it (and, for the database, cut it off).
    const groups = new Construct(this, 'security-groups');
    const inVpc = { name, vpc: this.network.vpc };
    this.database = new AuroraMysqlCluster(this, 'database', {
      ...config.database,
      name: stem,
      network: this.network,
      securityGroup: AuroraMysqlCluster.securityGroup(groups, 'database', inVpc),
      encryptionKey: key,
    });

    const zone = ExistingHostedZone.fromZoneId(config.dns.hostedZoneId);
    const certificate = new DnsValidatedCertificate(this, 'certificate', { domainName: config.dns.domainName, hostedZone: zone });
    const image = new ContainerImage(this, 'cachet-image', {
      name: stem,
      directory: CACHET_IMAGE_DIR,
      encryptionKey: key,
      logRetentionDays: config.cachet.logRetentionDays,
    });
    const databaseUser = new DatabaseApplicationUser(this, 'database-app-user', {
      name: stem,
      database: this.database,
      encryptionKey: key,
    });
    this.app = this.addCachet(config, { key, certificate, image, databaseUser, groups, inVpc });
    // The rotation function runs in the web instances' group: the database stays reachable from
    // that group only. Cachet's first start creates the user; the environment is ready once it serves.
    databaseUser.addRotation({ network: this.network, runIn: this.app, after: [this.app.environment] });
    new AliasRecord(this, 'status-page-name', { zone, recordName: config.dns.domainName, target: this.app.aliasTarget });
    this.database.connections.allowDefaultPortFrom(this.app, { egress: 'To the database', ingress: 'Database port from the web instances only' });

    const updates = this.addStatusPageUpdates(config, key);
    this.addMonitoring(config, key, image, updates);
    this.addOutputs(config, image, databaseUser);
  }

  private addCachet(
    config: EnvironmentConfig,
    parts: {
      key: EncryptionKey;
      certificate: DnsValidatedCertificate;
      image: ContainerImage;
      databaseUser: DatabaseApplicationUser;
      groups: Construct;
      inVpc: { name: string; vpc: Network['vpc'] };
    },
  ): CachetBeanstalk {
    const cachet = config.cachet;
    return new CachetBeanstalk(this, 'cachet', {
      ...cachet,
      name: cachetNameStem(config),
      network: this.network,
      loadBalancerSecurityGroup: loadBalancerSecurityGroup(parts.groups, 'load-balancer', parts.inVpc),
      instanceSecurityGroup: instanceSecurityGroup(parts.groups, 'instances', parts.inVpc),
      certificate: parts.certificate,
      database: this.database,
      databaseUser: parts.databaseUser,
      encryptionKey: parts.key,
      appUrl: `https://${config.dns.domainName}`,
      setup: { siteName: cachet.siteName, adminEmail: cachet.adminEmail ?? `admin@${config.dns.domainName}` },
      image: parts.image,
      enableWaf: cachet.enableWaf,
      setupAllowedFrom: [cachet.setupCidr ?? cachet.ssh?.operatorCidr].filter((c): c is string => c !== undefined),
    });
  }

  /** The function that shows the web app's alarms on the status page, when components are configured. */
  private addStatusPageUpdates(config: EnvironmentConfig, key: EncryptionKey): StatusPageUpdates | undefined {
    const shown = config.statusPage.components;
    if (shown.length === 0) return undefined;
    const updates = new StatusPageUpdates(this, 'status-page-updates', {
      name: cachetNameStem(config),
      cachetUrl: `https://${config.dns.domainName}`,
      encryptionKey: key,
      logRetentionDays: config.cachet.logRetentionDays,
      components: shown.map((c) => ({ ...c, alarmName: webAlarmName(config, c.alarm) })),
    });
    new TerraformOutput(this, 'status_page_token_secret_arn', {
      value: updates.tokenSecret.arn,
      description: "Put a Cachet user's API token here after Cachet's set-up (docs/operations.md)",
    });
    new TerraformOutput(this, 'status_page_dead_letter_queue', { value: updates.deadLetterQueue.url });
    return updates;
  }

  /** The alarm topic and the dashboard: Cachet, the database, the network and the status-page function. */
  private addMonitoring(config: EnvironmentConfig, key: EncryptionKey, image: ContainerImage, updates?: StatusPageUpdates) {
    const alarms = config.alarms;
    const topic = new AlarmTopic(this, 'alarm-topic', { ...alarms, name: `${cachetNameStem(config)}-alarms`, encryptionKey: key });
    const monitoring = new Monitoring(this, 'monitoring', {
      name: cachetNameStem(config),
      topic,
      metrics: [
        ...this.app.metrics(alarms),
        ...this.database.metrics({ ...alarms, cpuPercent: alarms.databaseCpuPercent }),
        ...this.network.metrics(alarms),
        ...(updates?.metrics() ?? []),
      ],
      failureEvents: [...image.failureEvents(), ...this.app.failureEvents()],
    });
    new TerraformOutput(this, 'dashboard_url', { value: monitoring.dashboardUrl, description: 'The CloudWatch dashboard of this stack' });
  }

  private addOutputs(config: EnvironmentConfig, image: ContainerImage, databaseUser: DatabaseApplicationUser) {
    new TerraformOutput(this, 'status_page_url', { value: `https://${config.dns.domainName}`, description: 'Public URL of the status page' });
    new TerraformOutput(this, 'beanstalk_cname', { value: this.app.cname, description: 'Beanstalk environment CNAME' });
    new TerraformOutput(this, 'database_writer_endpoint', { value: this.database.endpoint });
    new TerraformOutput(this, 'database_reader_endpoint', { value: this.database.readerEndpoint });
    new TerraformOutput(this, 'database_port', {
      value: MYSQL_PORT,
      description: 'MySQL port; open only to the web instances (npm run verify checks it is closed from outside)',
    });
    new TerraformOutput(this, 'vpc_id', { value: this.network.vpc.id });
    new TerraformOutput(this, 'database_master_secret_arn', {
      value: this.database.masterUserSecretArn,
      description: 'Secrets Manager secret (managed by RDS) with the master credentials',
    });
    new TerraformOutput(this, 'database_app_user_secret_arn', {
      value: databaseUser.secretArn,
      description: 'Secrets Manager secret of the database user Cachet serves as (rotated by alternating users)',
    });
    new TerraformOutput(this, 'app_key_secret_arn', { value: this.app.appKeySecretArn });
    new TerraformOutput(this, 'admin_secret_arn', {
      value: this.app.adminSecretArn,
      description: "Cachet's first admin, set up at install: aws secretsmanager get-secret-value --secret-id <this>",
    });
    new TerraformOutput(this, 'cachet_image', {
      value: image.imageUri,
      description: 'The image the environment runs (built by the cachet image CodeBuild project)',
    });
  }
}
