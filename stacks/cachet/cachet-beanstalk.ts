import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsElasticBeanstalkHostedZone } from '@cdktf/provider-aws/lib/data-aws-elastic-beanstalk-hosted-zone';
import { ElasticBeanstalkApplication } from '@cdktf/provider-aws/lib/elastic-beanstalk-application';
import { ElasticBeanstalkApplicationVersion } from '@cdktf/provider-aws/lib/elastic-beanstalk-application-version';
import { ElasticBeanstalkEnvironment, type ElasticBeanstalkEnvironmentSetting } from '@cdktf/provider-aws/lib/elastic-beanstalk-environment';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import type { AliasTarget } from '../../constructs/alias-record';
import type { IDatabase } from '../../constructs/aurora-mysql-cluster';
import type { IDatabaseUser } from '../../constructs/database-application-user';
import { Connections, Port, type IConnectable } from '../../constructs/connections';
import type { IContainerImage } from '../../constructs/container-image';
import type { ICertificate } from '../../constructs/dns-validated-certificate';
import type { EncryptionKey } from '../../constructs/encryption-key';
import type { Network } from '../../constructs/network';
import { managedPolicyArn, policyDocument, locationOf } from '../../constructs/policy';
import { PrivateBucket } from '../../constructs/private-bucket';
import type { FailureEvent, MetricDefinition } from '../../constructs/monitoring';
import { albAccessLogBucket, loadBalancerMetrics, type LoadBalancerAlarmThresholds } from '../../constructs/public-load-balancer';
import {
  allowInstanceEgress,
  allowLoadBalancerToTargets,
  allowSshFromOperator,
  allowWebFromAnywhere,
  instanceSecurityGroup,
  loadBalancerSecurityGroup,
} from '../../constructs/web-tier';
import { SourceBundle } from '../../constructs/source-bundle';
import { DEFAULT_MANAGED_RULE_GROUPS, RegionalWebAcl, SQL_INJECTION_RULE_GROUP } from '../../constructs/web-acl';
import { projectPath } from '../../project';
import { TLS_POLICY } from '../../constructs/platform';
import { InlinePolicy, type IGrantable, type IPrincipal, ServiceRole } from '../../constructs/grants';

/** The port the instances serve on (the container's 8000 is published on it). */
export const CACHET_INSTANCE_PORT = 80;

/** The image's readiness path (assets/cachet-image/conf/nginx-site.conf, bin/ready.php). */
export const CACHET_READINESS_PATH = '/readyz';

/** Cachet's set-up pages (`/setup`, `/setup/step1`, ...): whoever completes them first creates the admin. */
export const CACHET_SETUP_PATH = '/setup';

/** The source bundle: compose file, platform hooks and .ebextensions, zipped at synth time. */
export const CACHET_BUNDLE_DIR = projectPath('assets', 'cachet');

/** Cachet's image: the official one with our fixes (Dockerfile, buildspec.yml, PHP config). */
export const CACHET_IMAGE_DIR = projectPath('assets', 'cachet-image');

/**
 * The enhanced health configuration document as Beanstalk stores it (`Instance` first, the default
 * 4xx rules filled in): written any other way, every plan shows it as a change. One environment
 * metric, EnvironmentHealth, published each minute for the health alarm.
 */
export const HEALTH_CONFIG_DOCUMENT =
  '{"Version":1,"CloudWatchMetrics":{"Instance":{},"Environment":{"EnvironmentHealth":60}},"Rules":{"Environment":{"ELB":{"ELBRequests4xx":{"Enabled":true}},"Application":{"ApplicationRequests4xx":{"Enabled":true}}}}}';

/** How long an instance deployment may take: the first waits for the image build (see ContainerImage). */
export const DEPLOYMENT_TIMEOUT_SECONDS = 1800;

export type DeploymentPolicy = 'RollingWithAdditionalBatch' | 'Immutable';

export interface CachetBeanstalkProps {
  /** Name of the application and environment (4-40 characters). */
  readonly name: string;
  /** Instances go in the application subnets, the load balancer in the public subnets. */
  readonly network: Network;
  /**
   * The load balancer's group (the environment never uses Beanstalk's own): HTTP and HTTPS from anywhere, the instances' port out.
   * @default - a new group (`loadBalancerSecurityGroup`) in this construct
   */
  readonly loadBalancerSecurityGroup?: SecurityGroup;
  /**
   * The instances' group: their port from the load balancer, HTTPS and HTTP out, and what `connections` allows.
   * @default - a new group (`instanceSecurityGroup`) in this construct
   */
  readonly instanceSecurityGroup?: SecurityGroup;
  /**
   * SSH to the instances from exactly one operator block (at most a /24), optionally with an EC2 key
   * pair (without one, use EC2 Instance Connect).
   * @default - no SSH ingress and no key pair
   */
  readonly ssh?: { readonly operatorCidr: string; readonly keyName?: string };
  /** Validated ACM certificate for the HTTPS listener. */
  readonly certificate: ICertificate;
  /** Cachet's database: host, name and the RDS-managed master secret (for the schema step) come from it. */
  readonly database: IDatabase;
  /** The database user Cachet serves as (its secret, rotated by alternating users). */
  readonly databaseUser: IDatabaseUser;
  /** Encrypts the APP_KEY secret. */
  readonly encryptionKey: EncryptionKey;
  /** Public URL of the status page, e.g. `https://status.example.com`. */
  readonly appUrl: string;
  /**
   * Cachet's set-up, done at install so that `/setup` is never open: the site name and the first
   * admin's e-mail address (user name `admin`; the password is generated at apply time into the
   * admin secret, `adminSecretArn`).
   */
  readonly setup: { readonly siteName: string; readonly adminEmail: string };
  /** Cachet's image (assets/cachet-image), built into the stack's ECR repository. */
  readonly image: IContainerImage;
  /**
   * Amazon Linux 2023 Docker solution stack a new environment starts on. Managed platform updates
   * move it on afterwards, so later changes to this value are ignored.
   */
  readonly solutionStackName: string;
  readonly instanceType: string;
  /** @default 2 */
  readonly minInstances?: number;
  /** @default 4 */
  readonly maxInstances?: number;
  /**
   * Version of Cachet's APP_KEY: a new number writes a new key and redeploys every instance with it
   * (signed-in sessions end; see docs/cachet.md).
   * @default 1
   */
  readonly appKeyVersion?: number;
  /**
   * How releases roll; both keep full capacity in service throughout.
   * @default 'RollingWithAdditionalBatch'
   */
  readonly deploymentPolicy?: DeploymentPolicy;
  /**
   * The load balancer's health check path.
   * @default CACHET_READINESS_PATH (a query on the database through Cachet's connection, never cached)
   */
  readonly healthCheckPath?: string;
  /** @default 70 */
  readonly scaleOutCpuPercent?: number;
  /** @default 25 */
  readonly scaleInCpuPercent?: number;
  /** Retention of the streamed instance and health logs. @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Put a WAF web ACL in front of the load balancer: Cachet's set-up pages refused but from
   * `setupAllowedFrom`, then AWS managed rule groups (common exploits, known bad inputs, bad IPs, SQL
   * injection). Without it, `/setup` is open to the internet until set-up is done.
   * @default true
   */
  readonly enableWaf?: boolean;
  /**
   * IPv4 blocks that may reach Cachet's set-up pages (`/setup...`) through the WAF; every other
   * source is refused there.
   * @default - nobody
   */
  readonly setupAllowedFrom?: readonly string[];
}

/** The application version's label: `cachet-<bundle hash, 16 hex digits>-<image tag>-k<APP_KEY version>`. */
export function cachetVersionLabel(bundleHash: string, imageTag: string, appKeyVersion: number): string {
  return `cachet-${bundleHash.slice(0, 16)}-${imageTag}-k${appKeyVersion}`;
}

function setting(namespace: string, name: string, value: string | number | boolean): ElasticBeanstalkEnvironmentSetting {
  return { namespace, name, value: String(value) };
}

/** The props with their defaults, checked before anything is created. */
function withDefaults(id: string, props: CachetBeanstalkProps) {
  const resolved = {
    minInstances: props.minInstances ?? 2,
    maxInstances: props.maxInstances ?? 4,
    scaleOut: props.scaleOutCpuPercent ?? 70,
    scaleIn: props.scaleInCpuPercent ?? 25,
    appKeyVersion: props.appKeyVersion ?? 1,
    healthCheckPath: props.healthCheckPath ?? CACHET_READINESS_PATH,
    logRetentionDays: props.logRetentionDays ?? 30,
    deploymentPolicy: props.deploymentPolicy ?? 'RollingWithAdditionalBatch',
  };
  const { minInstances, maxInstances, scaleOut, scaleIn, appKeyVersion } = resolved;
  if (!Number.isInteger(appKeyVersion) || appKeyVersion < 1) {
    throw new Error(`CachetBeanstalk ${id}: appKeyVersion ${appKeyVersion} must be a whole number from 1; raise it by one to rotate APP_KEY`);
  }
  if (props.name.length < 4 || props.name.length > 40) {
    throw new Error(`CachetBeanstalk ${id}: name "${props.name}" has ${props.name.length} characters; Beanstalk environment names need 4 to 40`);
  }
  if (minInstances < 1 || minInstances > maxInstances) {
    throw new Error(`CachetBeanstalk ${id}: minInstances ${minInstances} / maxInstances ${maxInstances}; need 1 <= minInstances <= maxInstances`);
  }
  if (scaleIn >= scaleOut) {
    throw new Error(`CachetBeanstalk ${id}: scaleInCpuPercent ${scaleIn} must be below scaleOutCpuPercent ${scaleOut}`);
  }
  return resolved;
}

/** What the environment's option settings are made of: the props and the resources made for them. */
interface SettingsInput {
  readonly props: CachetBeanstalkProps;
  readonly resolved: ReturnType<typeof withDefaults>;
  readonly serviceRoleArn: string;
  readonly instanceProfileName: string;
  readonly instanceSecurityGroupId: string;
  readonly loadBalancerSecurityGroupId: string;
  readonly appKeySecretArn: string;
  readonly adminSecretArn: string;
  readonly accessLogsBucket: string;
}

/** The environment's option settings, by Beanstalk namespace group, in the order Beanstalk is given them. */
function environmentSettings(input: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  return [
    ...placementSettings(input),
    ...instanceSettings(input),
    ...loadBalancerSettings(input),
    ...healthSettings(input),
    ...capacitySettings(input),
    ...deploymentSettings(input),
    ...managedUpdateSettings(input),
    ...applicationEnvironment(input),
  ];
}

/** Network placement: instances in the application subnets, the load balancer in the public ones. */
function placementSettings({ props, serviceRoleArn }: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  return [
    setting('aws:ec2:vpc', 'VPCId', props.network.vpc.id),
    setting(
      'aws:ec2:vpc',
      'Subnets',
      Fn.join(
        ',',
        props.network.applicationSubnets.map((s) => s.id),
      ),
    ),
    setting(
      'aws:ec2:vpc',
      'ELBSubnets',
      Fn.join(
        ',',
        props.network.publicSubnets.map((s) => s.id),
      ),
    ),
    setting('aws:ec2:vpc', 'ELBScheme', 'public'),
    setting('aws:ec2:vpc', 'AssociatePublicIpAddress', false),
    // Environment
    setting('aws:elasticbeanstalk:environment', 'EnvironmentType', 'LoadBalanced'),
    setting('aws:elasticbeanstalk:environment', 'LoadBalancerType', 'application'),
    setting('aws:elasticbeanstalk:environment', 'ServiceRole', serviceRoleArn),
  ];
}

/** Instances: our security group only, IMDSv2 only, gp3 root volume. */
function instanceSettings({ props, instanceProfileName, instanceSecurityGroupId }: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  return [
    setting('aws:ec2:instances', 'InstanceTypes', props.instanceType),
    setting('aws:autoscaling:launchconfiguration', 'IamInstanceProfile', instanceProfileName),
    setting('aws:autoscaling:launchconfiguration', 'SecurityGroups', instanceSecurityGroupId),
    setting('aws:autoscaling:launchconfiguration', 'DisableDefaultEC2SecurityGroup', true),
    setting('aws:autoscaling:launchconfiguration', 'DisableIMDSv1', true),
    setting('aws:autoscaling:launchconfiguration', 'RootVolumeType', 'gp3'),
    setting('aws:autoscaling:launchconfiguration', 'MonitoringInterval', '1 minute'),
    ...(props.ssh?.keyName ? [setting('aws:autoscaling:launchconfiguration', 'EC2KeyName', props.ssh.keyName)] : []),
  ];
}

/** Load balancer: our security group, HTTPS with a modern policy (port 80 redirects, see the bundle). */
function loadBalancerSettings({ props, resolved, loadBalancerSecurityGroupId }: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  return [
    setting('aws:elbv2:loadbalancer', 'SecurityGroups', loadBalancerSecurityGroupId),
    setting('aws:elbv2:loadbalancer', 'ManagedSecurityGroup', loadBalancerSecurityGroupId),
    setting('aws:elbv2:listener:443', 'ListenerEnabled', true),
    setting('aws:elbv2:listener:443', 'Protocol', 'HTTPS'),
    setting('aws:elbv2:listener:443', 'SSLCertificateArns', props.certificate.certificateArn),
    setting('aws:elbv2:listener:443', 'SSLPolicy', TLS_POLICY),
    setting('aws:elasticbeanstalk:environment:process:default', 'Port', CACHET_INSTANCE_PORT),
    setting('aws:elasticbeanstalk:environment:process:default', 'Protocol', 'HTTP'),
    setting('aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath', resolved.healthCheckPath),
    setting('aws:elasticbeanstalk:environment:process:default', 'MatcherHTTPCode', '200'),
    setting('aws:elasticbeanstalk:environment:process:default', 'HealthCheckInterval', 15),
    setting('aws:elasticbeanstalk:environment:process:default', 'HealthyThresholdCount', 3),
    setting('aws:elasticbeanstalk:environment:process:default', 'UnhealthyThresholdCount', 3),
    setting('aws:elasticbeanstalk:environment:process:default', 'DeregistrationDelay', 30),
  ];
}

/** Health: enhanced reporting, the environment's health published as a CloudWatch metric, logs streamed. */
function healthSettings({ resolved }: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  return [
    setting('aws:elasticbeanstalk:healthreporting:system', 'SystemType', 'enhanced'),
    setting('aws:elasticbeanstalk:healthreporting:system', 'EnhancedHealthAuthEnabled', true),
    setting('aws:elasticbeanstalk:healthreporting:system', 'ConfigDocument', HEALTH_CONFIG_DOCUMENT),
    setting('aws:elasticbeanstalk:cloudwatch:logs', 'StreamLogs', true),
    setting('aws:elasticbeanstalk:cloudwatch:logs', 'DeleteOnTerminate', false),
    setting('aws:elasticbeanstalk:cloudwatch:logs', 'RetentionInDays', resolved.logRetentionDays),
    setting('aws:elasticbeanstalk:cloudwatch:logs:health', 'HealthStreamingEnabled', true),
    setting('aws:elasticbeanstalk:cloudwatch:logs:health', 'DeleteOnTerminate', false),
    setting('aws:elasticbeanstalk:cloudwatch:logs:health', 'RetentionInDays', resolved.logRetentionDays),
  ];
}

/** Capacity and scaling on CPU. */
function capacitySettings({ resolved }: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  return [
    setting('aws:autoscaling:asg', 'MinSize', resolved.minInstances),
    setting('aws:autoscaling:asg', 'MaxSize', resolved.maxInstances),
    setting('aws:autoscaling:trigger', 'MeasureName', 'CPUUtilization'),
    setting('aws:autoscaling:trigger', 'Statistic', 'Average'),
    setting('aws:autoscaling:trigger', 'Unit', 'Percent'),
    setting('aws:autoscaling:trigger', 'Period', 1),
    setting('aws:autoscaling:trigger', 'BreachDuration', 5),
    setting('aws:autoscaling:trigger', 'UpperThreshold', resolved.scaleOut),
    setting('aws:autoscaling:trigger', 'LowerThreshold', resolved.scaleIn),
  ];
}

/** Releases and configuration changes keep full capacity in service. */
function deploymentSettings({ resolved: { deploymentPolicy } }: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  return [
    setting('aws:elasticbeanstalk:command', 'DeploymentPolicy', deploymentPolicy),
    ...(deploymentPolicy === 'RollingWithAdditionalBatch'
      ? [setting('aws:elasticbeanstalk:command', 'BatchSizeType', 'Fixed'), setting('aws:elasticbeanstalk:command', 'BatchSize', 1)]
      : []),
    setting('aws:elasticbeanstalk:command', 'IgnoreHealthCheck', false),
    setting('aws:elasticbeanstalk:command', 'Timeout', DEPLOYMENT_TIMEOUT_SECONDS),
    setting('aws:autoscaling:updatepolicy:rollingupdate', 'RollingUpdateEnabled', true),
    setting('aws:autoscaling:updatepolicy:rollingupdate', 'RollingUpdateType', deploymentPolicy === 'Immutable' ? 'Immutable' : 'Health'),
  ];
}

/** Managed platform updates in a weekly window, replacing instances rather than patching them. */
function managedUpdateSettings({ serviceRoleArn }: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  return [
    setting('aws:elasticbeanstalk:managedactions', 'ManagedActionsEnabled', true),
    setting('aws:elasticbeanstalk:managedactions', 'PreferredStartTime', 'Sun:02:00'),
    setting('aws:elasticbeanstalk:managedactions', 'ServiceRoleForManagedUpdates', serviceRoleArn),
    setting('aws:elasticbeanstalk:managedactions:platformupdate', 'UpdateLevel', 'minor'),
    setting('aws:elasticbeanstalk:managedactions:platformupdate', 'InstanceRefreshEnabled', true),
  ];
}

/** Cachet's environment (no secrets here: only the ARNs they are read by). */
function applicationEnvironment({ props, appKeySecretArn, adminSecretArn, accessLogsBucket }: SettingsInput): ElasticBeanstalkEnvironmentSetting[] {
  const variable = (name: string, value: string | number | boolean) => setting('aws:elasticbeanstalk:application:environment', name, value);
  return [
    variable('CACHET_IMAGE', props.image.imageUri),
    variable('APP_ENV', 'production'),
    variable('APP_DEBUG', false),
    // Laravel's log through PHP's error_log: PHP-FPM's workers' stderr (catch_workers_output) and the
    // queue's, i.e. the container's, which Beanstalk streams; Cachet's default writes a file inside it.
    variable('APP_LOG', 'errorlog'),
    variable('APP_URL', props.appUrl),
    variable('DB_DRIVER', 'mysql'),
    variable('DB_HOST', props.database.endpoint),
    variable('DB_PORT', props.database.port),
    variable('DB_DATABASE', props.database.databaseName),
    variable('DB_USERNAME', props.databaseUser.username),
    // Not secrets: the ARNs the instance's refresher reads the credentials from (the serving
    // container gets the application user's, the schema container the master's).
    variable('DB_SECRET_ARN', props.databaseUser.secretArn),
    variable('DB_MASTER_SECRET_ARN', props.database.masterUserSecretArn),
    // The load balancer's nodes are in the VPC: Cachet trusts their X-Forwarded-* headers.
    variable('TRUSTED_PROXIES', props.network.vpc.cidrBlock),
    variable('CACHE_DRIVER', 'database'),
    variable('SESSION_DRIVER', 'database'),
    variable('QUEUE_DRIVER', 'database'),
    variable('CACHET_SITE_NAME', props.setup.siteName),
    // Not a secret: the ARN the refresher reads APP_KEY by (the containers read it from its file at start).
    variable('APP_KEY_SECRET_ARN', appKeySecretArn),
    // Beanstalk resolves this ARN on the instance at boot; only the ARN is in the JSON. Read once,
    // when the entry point sets Cachet up.
    setting('aws:elasticbeanstalk:application:environmentsecrets', 'CACHET_ADMIN', adminSecretArn),
    setting('aws:elasticbeanstalk:customoption', 'AccessLogsBucket', accessLogsBucket),
  ];
}

/**
 * Cachet on Elastic Beanstalk's Docker platform: a versioned source bundle in a private bucket, an
 * application load balanced environment (HTTPS with a modern policy, HTTP redirected), instances in
 * private subnets with IMDSv2 only, the project's security groups instead of Beanstalk's, enhanced
 * health with CloudWatch streaming, CPU-based autoscaling, full-capacity deployments and managed
 * platform updates. APP_KEY and the database password reach the container from Secrets Manager.
 */
export class CachetBeanstalk extends Construct implements IConnectable, IGrantable {
  /** The instances' allowances: `database.connections.allowDefaultPortFrom(cachet, ...)`. */
  public readonly connections: Connections;
  /** The instances' permissions: a grant to Cachet goes into the instance role's `granted` policy, made on the first grant (the environment does not wait for it; running instances get it as IAM applies it). */
  public readonly grantPrincipal: IPrincipal;
  /** The load balancer's allowances. */
  public readonly loadBalancerConnections: Connections;
  public readonly application: ElasticBeanstalkApplication;
  public readonly environment: ElasticBeanstalkEnvironment;
  /** The environment's CNAME (`<prefix>.<region>.elasticbeanstalk.com`). */
  public readonly cname: string;
  /** ARN of the secret holding Cachet's APP_KEY. */
  public readonly appKeySecretArn: string;
  /** ARN of the secret holding Cachet's first admin (user name, e-mail, password). */
  public readonly adminSecretArn: string;
  /** Target for a Route 53 alias record to the environment. */
  public readonly aliasTarget: AliasTarget;

  constructor(scope: Construct, id: string, props: CachetBeanstalkProps) {
    super(scope, id);
    const resolved = withDefaults(id, props);
    const release = this.addApplication(props, resolved.appKeyVersion);
    this.application = release.application;
    const secrets = this.addSecrets(props, resolved.appKeyVersion);
    this.appKeySecretArn = secrets.appKey.arn;
    this.adminSecretArn = secrets.admin.arn;
    const instances = this.addInstanceProfile(props, secrets, release.bundles);
    this.grantPrincipal = new InlinePolicy(this, 'instance-grants', { role: instances.role, name: 'granted' });

    const vpc = { name: props.name, vpc: props.network.vpc };
    this.loadBalancerConnections = new Connections(props.loadBalancerSecurityGroup ?? loadBalancerSecurityGroup(this, 'load-balancer', vpc));
    this.connections = new Connections(props.instanceSecurityGroup ?? instanceSecurityGroup(this, 'instances', vpc));
    allowWebFromAnywhere(this.loadBalancerConnections);
    allowLoadBalancerToTargets(this.loadBalancerConnections, this, Port.tcp(CACHET_INSTANCE_PORT));
    if (props.ssh) allowSshFromOperator(this.connections, props.ssh.operatorCidr);
    allowInstanceEgress(this.connections);
    // Access logs (SSE-S3, the only encryption ALB logs take): the bundle's .ebextensions/load-balancer.config
    // sets the load balancer's attributes and reads this bucket from a custom option.
    const accessLogs = albAccessLogBucket(this, { name: props.name });

    this.environment = new ElasticBeanstalkEnvironment(this, 'environment', {
      name: props.name,
      application: this.application.name,
      tier: 'WebServer',
      solutionStackName: props.solutionStackName,
      versionLabel: release.version.name,
      setting: environmentSettings({
        props,
        resolved,
        serviceRoleArn: release.serviceRole.arn,
        instanceProfileName: instances.profile.name,
        instanceSecurityGroupId: this.connections.securityGroup.id,
        loadBalancerSecurityGroupId: this.loadBalancerConnections.securityGroup.id,
        appKeySecretArn: secrets.appKey.arn,
        adminSecretArn: secrets.admin.arn,
        accessLogsBucket: accessLogs.bucket.id,
      }),
      waitForReadyTimeout: '45m',
      // Instances read the secrets and pull the image at boot, and ELB checks the log bucket's policy.
      dependsOn: [...secrets.values, ...instances.dependables, ...release.serviceRolePolicies, accessLogs.policy],
      lifecycle: { ignoreChanges: ['solution_stack_name'] },
    });
    this.cname = this.environment.cname;

    const zone = new DataAwsElasticBeanstalkHostedZone(this, 'hosted-zone', { region: locationOf(this).region });
    this.aliasTarget = { dnsName: this.environment.cname, hostedZoneId: zone.id };

    if (props.enableWaf ?? true) this.addWebAcl(props, resolved.logRetentionDays);
    this.addHealthAlarm(props.name);
  }

  /**
   * The application, its service role, and the version the environment runs: the source bundle in
   * its private bucket, labelled with the bundle's hash, the image tag and the APP_KEY version.
   */
  private addApplication(props: CachetBeanstalkProps, appKeyVersion: number) {
    // SSE-S3: Beanstalk reads bundles with its own credentials and documents no KMS bundles.
    const bundles = new PrivateBucket(this, 'bundles', { namePrefix: `${props.name}-bundles-` });
    const source = new SourceBundle(this, 'bundle-source', { directory: CACHET_BUNDLE_DIR });
    const bundle = new S3Object(this, 'bundle', {
      bucket: bundles.bucket.id,
      key: `cachet/${source.hash}.zip`,
      source: source.path,
      sourceHash: source.hash,
      dependsOn: bundles.settings,
    });

    // The trust AWS documents for Beanstalk's service role: Beanstalk passes this external ID.
    const serviceRole = new IamRole(this, 'service-role', {
      name: `${props.name}-beanstalk-service`,
      assumeRolePolicy: policyDocument([
        {
          Effect: 'Allow',
          Principal: { Service: 'elasticbeanstalk.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'elasticbeanstalk' } },
        },
      ]),
    });
    const serviceRolePolicies = (['AWSElasticBeanstalkEnhancedHealth', 'AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy'] as const).map(
      (policy) => new IamRolePolicyAttachment(this, `service-role-${policy}`, { role: serviceRole.name, policyArn: managedPolicyArn(policy) }),
    );

    const application = new ElasticBeanstalkApplication(this, 'application', {
      name: props.name,
      description: 'Cachet status page',
      appversionLifecycle: { serviceRole: serviceRole.arn, maxCount: 50, deleteSourceFromS3: false },
    });
    // The label names the bundle and the image: a change to either is an application deployment,
    // which runs .platform/hooks (the image wait among them). An image change alone would otherwise
    // change only CACHET_IMAGE, a configuration deployment (see the bundle's confighooks).
    const version = new ElasticBeanstalkApplicationVersion(this, 'version', {
      application: application.name,
      name: cachetVersionLabel(source.hash, props.image.tag, appKeyVersion),
      description: `Source bundle ${source.hash}, image tag ${props.image.tag}, APP_KEY version ${appKeyVersion}`,
      bucket: bundles.bucket.id,
      key: bundle.key,
    });
    return { bundles, serviceRole, serviceRolePolicies, application, version };
  }

  /** APP_KEY and the first admin, generated at apply time: neither value is in this JSON or the state. */
  private addSecrets(props: CachetBeanstalkProps, appKeyVersion: number) {
    // APP_KEY: 32 random bytes in Laravel's `base64:` form, made by Terraform at apply time from two
    // UUIDs and written through a write-only argument, so the value is neither in this JSON nor in
    // the state. A new appKeyVersion writes a new key and, being part of the version label, redeploys
    // every instance, whose refresher writes the key the containers read at start. A name prefix: a
    // destroyed secret keeps its name for the 30-day recovery window; a re-created stack must not need it.
    const appKey = new SecretsmanagerSecret(this, 'app-key', {
      namePrefix: `${props.name}/app-key-`,
      description: 'Cachet APP_KEY (Laravel encryption key)',
      kmsKeyId: props.encryptionKey.arn,
      recoveryWindowInDays: 30,
    });
    const appKeyValue = new SecretsmanagerSecretVersion(this, 'app-key-value', {
      secretId: appKey.id,
      secretStringWo: `base64:${Fn.base64sha256(`${Fn.uuid()}${Fn.uuid()}`)}`,
      secretStringWoVersion: appKeyVersion,
    });

    // Cachet's first admin, seeded at install by the image's entry point (bin/db.php) with the
    // settings that close /setup: made at apply time like APP_KEY, so the password is in neither
    // this JSON nor the state. Operators read it from the secret.
    const admin = new SecretsmanagerSecret(this, 'admin', {
      namePrefix: `${props.name}/admin-`,
      description: "Cachet's first admin (user name, e-mail, password), set up at install",
      kmsKeyId: props.encryptionKey.arn,
      recoveryWindowInDays: 30,
    });
    const adminValue = new SecretsmanagerSecretVersion(this, 'admin-value', {
      secretId: admin.id,
      secretStringWo: Fn.jsonencode({ username: 'admin', email: props.setup.adminEmail, password: Fn.base64sha256(Fn.join('', [Fn.uuid(), Fn.uuid()])) }),
      secretStringWoVersion: 1,
    });
    return { appKey, admin, values: [appKeyValue, adminValue] };
  }

  /**
   * The instances' role and profile: Beanstalk's web tier, Session Manager, the secrets, the source
   * bundles, the image, and lowering their own metadata hop limit. Returns what the environment
   * must wait for.
   */
  private addInstanceProfile(props: CachetBeanstalkProps, secrets: { appKey: SecretsmanagerSecret; admin: SecretsmanagerSecret }, bundles: PrivateBucket) {
    const { accountId, region } = locationOf(this);
    // WebTier: bundle download, log and health publishing; SSMManagedInstanceCore: Session Manager
    // instead of SSH. The database secret is read by the instance's refresher
    // (.platform/cachet/cachet-db-secret), APP_KEY by Beanstalk at boot; the image is pulled by
    // Beanstalk with this profile. EC2 sends no source account to guard on.
    const instance = new ServiceRole(this, 'instance-role', {
      name: `${props.name}-beanstalk-instance`,
      service: 'ec2.amazonaws.com',
      sourceAccountOnly: false,
      managedPolicies: (['AWSElasticBeanstalkWebTier', 'AmazonSSMManagedInstanceCore'] as const).map((policy) => ({ id: `instance-role-${policy}`, policy })),
      inlinePolicy: {
        id: 'instance-secrets',
        name: 'read-cachet-secrets',
        statements: [
          {
            Sid: 'ReadCachetSecrets',
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: [secrets.appKey.arn, secrets.admin.arn, props.databaseUser.secretArn, props.database.masterUserSecretArn],
          },
          {
            // The bundle's 05-cachet-imds.sh lowers the hop limit to 1, out of the container's reach;
            // only on this environment's instances (Beanstalk tags each with its environment's name).
            Sid: 'KeepInstanceMetadataFromContainers',
            Effect: 'Allow',
            Action: 'ec2:ModifyInstanceMetadataOptions',
            Resource: `arn:aws:ec2:${region}:${accountId}:instance/*`,
            Condition: { StringEquals: { 'aws:ResourceTag/elasticbeanstalk:environment-name': props.name } },
          },
        ],
      },
    });
    const instancePolicy = instance.policy;
    props.encryptionKey.grantThroughService(instancePolicy, 'DecryptSecretsThroughSecretsManager', 'secretsmanager');
    bundles.grantObjects(instancePolicy, 'ReadSourceBundles', 's3:GetObject');
    props.image.grantPull(instancePolicy);
    const profile = new IamInstanceProfile(this, 'instance-profile', {
      name: `${props.name}-beanstalk-instance`,
      role: instance.role.name,
    });
    return { role: instance.role, profile, dependables: [instancePolicy.resource, profile, ...instance.attachments] };
  }

  /** WAF in front of Beanstalk's load balancer: `/setup` for `setupAllowedFrom` only, then AWS's managed groups. */
  private addWebAcl(props: CachetBeanstalkProps, logRetentionDays: number) {
    new RegionalWebAcl(this, 'waf', {
      name: props.name,
      // Beanstalk reports its application load balancer by ARN.
      resourceArn: Fn.element(this.environment.loadBalancers, 0),
      encryptionKey: props.encryptionKey,
      managedRuleGroups: [...DEFAULT_MANAGED_RULE_GROUPS, SQL_INJECTION_RULE_GROUP],
      restrictedPaths: [{ pathPrefix: CACHET_SETUP_PATH, allowFrom: props.setupAllowedFrom ?? [] }],
      logRetentionDays,
    });
  }

  /** Beanstalk's enhanced health, Degraded or worse for five minutes (or not reported at all). */
  private addHealthAlarm(name: string) {
    new CloudwatchMetricAlarm(this, 'health-alarm', {
      alarmName: `${name}-environment-health`,
      alarmDescription: 'Cachet environment health is Degraded or Severe',
      namespace: 'AWS/ElasticBeanstalk',
      metricName: 'EnvironmentHealth',
      dimensions: { EnvironmentName: this.environment.name },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 5,
      threshold: 20, // 20 = Degraded, 25 = Severe
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'breaching',
    });
  }

  /**
   * The environment's load balancer (Beanstalk's, by the ARN suffix CloudWatch names it with), the
   * 5xx its targets answer, and the environment's health, which the health alarm watches.
   */
  public metrics(t: LoadBalancerAlarmThresholds & { readonly target5xxPerMinute: number }): MetricDefinition[] {
    const arnSuffix = Fn.element(Fn.split(':loadbalancer/', Fn.element(this.environment.loadBalancers, 0)), 1);
    return [
      ...loadBalancerMetrics(arnSuffix, t),
      {
        id: 'target-5xx',
        group: 'Errors',
        title: 'Cachet 5xx',
        namespace: 'AWS/ApplicationELB',
        metricName: 'HTTPCode_Target_5XX_Count',
        dimensions: { LoadBalancer: arnSuffix },
        statistic: 'Sum',
        period: 60,
        description: 'Cachet answers 5xx: PHP or the database failing behind a load balancer that still routes to it',
        alarm: { comparison: 'GreaterThanThreshold', threshold: t.target5xxPerMinute, evaluationPeriods: 5, treatMissingData: 'notBreaching' },
      },
      {
        id: 'environment-health',
        group: 'Healthy hosts',
        title: 'Environment health (0 ok, 20 degraded, 25 severe)',
        namespace: 'AWS/ElasticBeanstalk',
        metricName: 'EnvironmentHealth',
        dimensions: { EnvironmentName: this.environment.name },
        statistic: 'Maximum',
        period: 60,
        description: 'Beanstalk enhanced health (the health alarm watches it)',
      },
    ];
  }

  /** A deployment, a configuration change or a managed platform update Beanstalk could not apply. */
  public failureEvents(): FailureEvent[] {
    return [
      {
        id: 'beanstalk-failed',
        description: 'Beanstalk failed to create or update the Cachet environment, or a managed platform update failed',
        pattern: {
          source: ['aws.elasticbeanstalk'],
          'detail-type': ['Elastic Beanstalk resource status change', 'Managed update status change'],
          detail: {
            EnvironmentName: [this.environment.name],
            Status: ['Environment creation failed', 'Environment update failed', 'Managed update failed'],
          },
        },
        message:
          '<status> for <environment> at <time>. Beanstalk says: <detail> The environment events say which step failed (aws elasticbeanstalk describe-events).',
        paths: { status: '$.detail.Status', environment: '$.detail.EnvironmentName', detail: '$.detail.Message', time: '$.time' },
      },
    ];
  }
}
