import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { EnvironmentConfig } from '../../config/schema';
import { releaseTimings } from './release-timings';
import { AliasRecord } from '../../constructs/alias-record';
import { DeliveryPipeline } from './delivery-pipeline';
import { DnsValidatedCertificate } from '../../constructs/dns-validated-certificate';
import { EncryptionKey } from '../../constructs/encryption-key';
import { JenkinsServer } from '../../constructs/jenkins-server';
import { Network } from '../../constructs/network';
import { PrivateBucket } from '../../constructs/private-bucket';
import { PublicLoadBalancer } from '../../constructs/public-load-balancer';
import { WebServerFleet } from './web-server-fleet';
import { SourceBundle } from '../../constructs/source-bundle';
import { ExistingHostedZone, type IHostedZone } from '../../constructs/hosted-zone';
import { AlarmTopic, Monitoring } from '../../constructs/monitoring';
import { instanceSecurityGroup, loadBalancerSecurityGroup } from '../../constructs/web-tier';
import { EnvironmentStack } from '../environment-stack';
import { initialReleaseDirectory } from './webapp-release';
import { instanceArchitecture } from '../../constructs/platform';

/** The stem of the web stack's resource names, `<project>-<name>-web`. */
export function webNameStem(config: EnvironmentConfig): string {
  return `${config.project}-${config.name}-web`;
}

/** The name of a web stack alarm, `<stem>-<id>` (the fleet's and the monitoring's alike). */
export function webAlarmName(config: EnvironmentConfig, id: string): string {
  return `${webNameStem(config)}-${id}`;
}

/** Stack name of the Go web app in one environment. */
export function webStackName(config: EnvironmentConfig): string {
  return `web-${config.name}`;
}

/**
 * The highly available Go web app in one environment: its VPC, an internet-facing ALB with TLS and
 * a DNS name, an Auto Scaling group in the private subnets that releases by instance refresh, and
 * the delivery pipeline that releases pushes to the environment's branch (optionally a Jenkins server).
 */
export class WebStack extends EnvironmentStack {
  public readonly loadBalancer: PublicLoadBalancer;
  public readonly fleet: WebServerFleet;
  public readonly delivery: DeliveryPipeline;
  /** Present when `webapp.delivery.enableJenkins` is true. */
  public readonly jenkins?: JenkinsServer;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, webStackName(config), config);
    const web = config.webapp;
    const name = webNameStem(config);

    const key = new EncryptionKey(this, 'data-key', {
      alias: name,
      description: `Data at rest of ${name}: releases, pipeline artifacts, repository, logs`,
      allowCloudWatchLogs: true,
      allowCloudWatchAlarms: true,
      allowEventBridgeRules: true,
    });
    const network = new Network(this, 'network', {
      ...web.network,
      name,
      flowLogEncryptionKey: key,
    });
    // The groups stay in the scope they had before the constructs took connections: a group's
    // address is a contract, and a new one would replace it.
    const groups = new Construct(this, 'security-groups');
    const inVpc = { name, vpc: network.vpc };
    const zone = ExistingHostedZone.fromZoneId(config.dns.hostedZoneId);
    const certificate = new DnsValidatedCertificate(this, 'certificate', { domainName: web.domainName, hostedZone: zone });

    this.loadBalancer = this.addLoadBalancer(config, { network, key, certificate, securityGroup: loadBalancerSecurityGroup(groups, 'load-balancer', inVpc) });
    const releases = new PrivateBucket(this, 'releases', { namePrefix: `${name}-releases-`, encryptionKey: key });
    this.fleet = this.addFleet(config, { network, key, releases, securityGroup: instanceSecurityGroup(groups, 'instances', inVpc) });
    new AliasRecord(this, 'app-name', { zone, recordName: web.domainName, target: this.loadBalancer.aliasTarget });

    this.delivery = this.addDelivery(config, key);
    const jenkins = web.delivery.enableJenkins ? web.delivery.jenkins : undefined;
    if (jenkins) this.jenkins = this.addJenkins(config, jenkins, { network, key, zone });

    this.addMonitoring(config, key, network);
    this.addOutputs(config, releases);
  }

  /** The internet-facing load balancer: HTTPS with the certificate, HTTP redirected, WAF unless turned off. */
  private addLoadBalancer(
    config: EnvironmentConfig,
    parts: { network: Network; key: EncryptionKey; certificate: DnsValidatedCertificate; securityGroup: SecurityGroup },
  ): PublicLoadBalancer {
    const web = config.webapp;
    return new PublicLoadBalancer(this, 'load-balancer', {
      name: webNameStem(config),
      network: parts.network,
      securityGroup: parts.securityGroup,
      certificate: parts.certificate,
      targetPort: web.appPort,
      healthCheck: web.healthCheck,
      deregistrationDelaySeconds: releaseTimings(web).deregistrationDelaySeconds,
      deletionProtection: web.deletionProtection,
      encryptionKey: parts.key,
      enableWaf: web.enableWaf,
      wafLogRetentionDays: web.network.flowLogRetentionDays,
      routingRules: web.routingRules,
      cognito: web.cognito,
    });
  }

  /** The Auto Scaling group behind the load balancer, with the initial release built from app/. */
  private addFleet(
    config: EnvironmentConfig,
    parts: { network: Network; key: EncryptionKey; releases: PrivateBucket; securityGroup: SecurityGroup },
  ): WebServerFleet {
    const web = config.webapp;
    const initialRelease = new SourceBundle(this, 'initial-release', {
      directory: initialReleaseDirectory(web.initialReleaseVersion, instanceArchitecture(web.instanceType)),
      format: 'tar.gz',
    });
    return new WebServerFleet(this, 'fleet', {
      name: webNameStem(config),
      network: parts.network,
      securityGroup: parts.securityGroup,
      loadBalancer: this.loadBalancer,
      instanceType: web.instanceType,
      minInstances: web.minInstances,
      maxInstances: web.maxInstances,
      appPort: web.appPort,
      timings: releaseTimings(web),
      startupSeconds: web.startupSeconds,
      releaseBucket: parts.releases,
      encryptionKey: parts.key,
      initialReleaseVersion: web.initialReleaseVersion,
      initialRelease,
      scaling: web.scaling,
    });
  }

  /** The pipeline that releases pushes to the environment's branch (approval in production by default). */
  private addDelivery(config: EnvironmentConfig, key: EncryptionKey): DeliveryPipeline {
    const delivery = config.webapp.delivery;
    return new DeliveryPipeline(this, 'delivery', {
      name: webNameStem(config),
      source: delivery.source,
      branch: delivery.branch,
      environment: config.name,
      fleet: this.fleet,
      encryptionKey: key,
      pullRequestApprovals: delivery.pullRequestApprovals,
      requireApproval: delivery.requireApproval ?? config.production,
      artifactRetentionDays: delivery.artifactRetentionDays,
      logRetentionDays: delivery.buildLogRetentionDays,
      buildImage: delivery.buildImage,
      refreshTimeoutMinutes: delivery.refreshTimeoutMinutes,
      enablePullRequestReports: delivery.enablePullRequestReports,
    });
  }

  /** The optional Jenkins server, which may release to the fleet as the pipeline does. */
  private addJenkins(
    config: EnvironmentConfig,
    jenkins: NonNullable<EnvironmentConfig['webapp']['delivery']['jenkins']>,
    parts: { network: Network; key: EncryptionKey; zone: IHostedZone },
  ): JenkinsServer {
    const server = new JenkinsServer(this, 'jenkins', {
      name: webNameStem(config),
      network: parts.network,
      webhookCidrs: jenkins.webhookCidrs,
      officeCidr: jenkins.officeCidr,
      domainName: jenkins.domainName,
      hostedZone: parts.zone,
      deletionProtection: config.webapp.deletionProtection,
      webPort: jenkins.webPort,
      instanceType: jenkins.instanceType,
      encryptionKey: parts.key,
    });
    this.fleet.grantRelease(server);
    new TerraformOutput(this, 'jenkins_url', { value: server.url });
    return server;
  }

  /** The alarm topic and the dashboard: load balancer, fleet, network, and the pipeline's and fleet's failures. */
  private addMonitoring(config: EnvironmentConfig, key: EncryptionKey, network: Network) {
    const name = webNameStem(config);
    const alarms = config.alarms;
    const topic = new AlarmTopic(this, 'alarm-topic', { ...alarms, name: `${name}-alarms`, encryptionKey: key });
    const monitoring = new Monitoring(this, 'monitoring', {
      name,
      topic,
      metrics: [...this.loadBalancer.metrics(alarms), ...this.fleet.metrics(), ...network.metrics(alarms)],
      failureEvents: [...this.delivery.failureEvents(), ...this.fleet.failureEvents()],
    });
    new TerraformOutput(this, 'dashboard_url', { value: monitoring.dashboardUrl, description: 'The CloudWatch dashboard of this stack' });
  }

  private addOutputs(config: EnvironmentConfig, releases: PrivateBucket) {
    const web = config.webapp;
    new TerraformOutput(this, 'app_url', { value: `https://${web.domainName}`, description: 'Public URL of the web app' });
    new TerraformOutput(this, 'alb_dns_name', { value: this.loadBalancer.aliasTarget.dnsName });
    new TerraformOutput(this, 'asg_name', { value: this.fleet.autoScalingGroup.name });
    new TerraformOutput(this, 'target_group_arn', { value: this.loadBalancer.targetGroup.arn });
    new TerraformOutput(this, 'min_instances', {
      value: web.minInstances,
      description: 'Instances always running; npm run verify expects to reach more than one when above 1',
    });
    new TerraformOutput(this, 'launch_template_id', { value: this.fleet.launchTemplate.id });
    new TerraformOutput(this, 'release_bucket', { value: releases.bucket.bucket });
    new TerraformOutput(this, 'pipeline_name', { value: this.delivery.pipeline.name });
    new TerraformOutput(this, 'artifact_bucket', { value: this.delivery.artifactBucket.bucket });
    const repository = this.delivery.repository;
    if (repository) {
      new TerraformOutput(this, 'repository_clone_url_http', {
        value: repository.cloneUrlHttp,
        description: 'git remote for pushes (HTTPS, git-remote-codecommit or credential helper)',
      });
      new TerraformOutput(this, 'repository_clone_url_ssh', { value: repository.cloneUrlSsh });
    }
    if (this.delivery.connection) {
      new TerraformOutput(this, 'source_connection_arn', {
        value: this.delivery.connection.arn,
        description: 'Complete the GitHub handshake for this connection in the console once',
      });
    }
  }
}
