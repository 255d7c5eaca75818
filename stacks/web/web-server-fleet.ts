import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { AutoscalingPolicy } from '@cdktf/provider-aws/lib/autoscaling-policy';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Connections, Port, type IConnectable } from '../../constructs/connections';
import { allowInstanceEgress, allowLoadBalancerToTargets, instanceSecurityGroup } from '../../constructs/web-tier';
import type { ReleaseTimings } from './release-timings';
import type { EncryptionKey } from '../../constructs/encryption-key';
import type { Network } from '../../constructs/network';
import type { PrivateBucket } from '../../constructs/private-bucket';
import { locationOf } from '../../constructs/policy';
import type { ILoadBalancer } from '../../constructs/public-load-balancer';
import type { SourceBundle } from '../../constructs/source-bundle';
import {
  AL2023_AMI,
  AL2023_AMI_ARCHITECTURE,
  AL2023_AMI_PARAMETER,
  ARCHITECTURE_BUILD,
  instanceArchitecture,
  type Architecture,
} from '../../constructs/platform';
import { Grant, InlinePolicy, type IGrantable, type IPrincipal, ServiceRole } from '../../constructs/grants';
import type { FailureEvent, MetricDefinition } from '../../constructs/monitoring';

/** Key prefix of release archives in the release bucket. */
export const RELEASE_PREFIX = 'webapp';

export type ScalingMetric = { readonly metric: 'requests-per-target'; readonly target: number } | { readonly metric: 'cpu'; readonly target: number };

export interface WebServerFleetProps {
  readonly name: string;
  /** Instances go in the network's application (private) subnets, across its AZs. */
  readonly network: Network;
  /**
   * The instances' group: the app port from the load balancer, HTTPS and HTTP out, and what `connections` allows.
   * @default - a new group (`instanceSecurityGroup`) in this construct
   */
  readonly securityGroup?: SecurityGroup;
  /** The group registers in its target group (and takes the app port from it); request-count scaling waits for its listener. */
  readonly loadBalancer: ILoadBalancer;
  readonly instanceType: string;
  readonly minInstances: number;
  /** Must leave room for the refresh surge: at least twice minInstances. */
  readonly maxInstances: number;
  /** Port the service listens on. */
  readonly appPort: number;
  /** Derived from the target group's health check (config/release-timings.ts). */
  readonly timings: ReleaseTimings;
  /** Seconds from launch until the service can answer (boot, download, start). @default 90 */
  readonly startupSeconds?: number;
  /** Bucket holding release archives; instances may read `webapp/*` only. */
  readonly releaseBucket: PrivateBucket;
  /** Key of the release bucket, for decrypting archives through S3. */
  readonly encryptionKey: EncryptionKey;
  /** Release the template's default version installs: `s3://<releaseBucket>/webapp/<version>.tar.gz`. */
  readonly initialReleaseVersion: string;
  /**
   * The archive (tar.gz of bin/webapp and webapp.service) Terraform uploads as that release, so a
   * fresh apply serves before any pipeline run; the group is created after it.
   */
  readonly initialRelease: SourceBundle;
  readonly scaling: ScalingMetric;
  /**
   * ALB target 5xx per minute that fail (and roll back) a running instance refresh.
   * @default 10
   */
  readonly refreshFailure5xxPerMinute?: number;
}

/**
 * Instance refresh preferences for a release, in the Auto Scaling API's own shape (the deploy
 * script passes them to `start-instance-refresh` as they are).
 */
export interface RefreshPreferences {
  /** 100: no instance leaves before its replacement is healthy. */
  readonly MinHealthyPercentage: number;
  /** Above 100, so the group launches first, even when it holds a single instance. */
  readonly MaxHealthyPercentage: number;
  readonly InstanceWarmup: number;
  /** Return to the previous launch template version when the refresh fails or an alarm fires. */
  readonly AutoRollback: boolean;
  readonly AlarmSpecification: { readonly Alarms: readonly string[] };
  /** Replace every instance, also those already on the desired version (a re-release). */
  readonly SkipMatching: boolean;
}

/**
 * What a release goes to (the delivery pipeline's deploy project, or Jenkins): the bucket archives
 * are published to, the group and launch template an instance refresh moves, the user data and
 * refresh preferences each release uses, and the grant to do all of it.
 */
export interface IReleaseTarget {
  /** Name of the bucket release archives are published to. */
  readonly releaseBucketName: string;
  readonly autoScalingGroupName: string;
  readonly launchTemplateId: string;
  /** The user data (base64) Terraform wants; each release names its archive in it. */
  readonly userData: string;
  /** How a release's instance refresh runs (StartInstanceRefresh's Preferences). */
  readonly refreshPreferences: RefreshPreferences;
  /** Lets `grantee` publish a release and refresh the group to it. */
  grantRelease(grantee: IGrantable): Grant;
}

/**
 * The EC2 side of the web tier: a launch template (AL2023, IMDSv2 only with hop limit 1, encrypted
 * gp3, no public IP, least-privilege profile with Session Manager) whose user data installs one
 * release; an Auto Scaling group across the private subnets with ELB health checks and target
 * tracking.
 *
 * Who owns what: Terraform owns the template's settings (its default version), the user data
 * script and the group's size limits. The deploy pipeline owns which version runs: per release it
 * adds a template version (the default's settings, a concrete AMI, {@link userData} naming the new
 * release) and
 * starts an instance refresh to it with {@link refreshPreferences}: launch before terminate,
 * warmup, the 5xx alarm, auto rollback to the previous version. Terraform therefore ignores the
 * group's template version, and starts no refresh of its own (its refresh would move the group's
 * version before refreshing, leaving a rollback nothing to return to).
 */
export class WebServerFleet extends Construct implements IConnectable, IGrantable, IReleaseTarget {
  /** The instances' allowances. */
  public readonly connections: Connections;
  /** The instances' permissions: a grant to the fleet goes into the instance role's `granted` policy, made on the first grant (the group does not wait for it; running instances get it as IAM applies it). */
  public readonly grantPrincipal: IPrincipal;
  public readonly launchTemplate: LaunchTemplate;
  public readonly autoScalingGroup: AutoscalingGroup;
  /** Role of the instances; whoever writes template versions may pass it to EC2. */
  public readonly instanceRole: IamRole;
  /** Bucket the releases are published to. */
  public readonly releaseBucket: S3Bucket;
  /** How a release's instance refresh runs. */
  public readonly refreshPreferences: RefreshPreferences;
  /**
   * The user data Terraform wants (base64), naming the initial release; each release replaces
   * that line (see RELEASE in the deploy script) and writes the result into its template version.
   */
  public readonly userData: string;
  public readonly warmupSeconds: number;
  private readonly releases: PrivateBucket;
  private readonly minInstances: number;

  constructor(scope: Construct, id: string, props: WebServerFleetProps) {
    super(scope, id);
    validate(id, props);
    this.releases = props.releaseBucket;
    this.minInstances = props.minInstances;
    this.connections = new Connections(props.securityGroup ?? instanceSecurityGroup(this, 'instances', { name: props.name, vpc: props.network.vpc }));
    allowLoadBalancerToTargets(props.loadBalancer, this, Port.tcp(props.appPort));
    allowInstanceEgress(this.connections);
    this.releaseBucket = props.releaseBucket.bucket;
    this.warmupSeconds = (props.startupSeconds ?? 90) + props.timings.healthySeconds;
    const initialKey = `${RELEASE_PREFIX}/${props.initialReleaseVersion}.tar.gz`;
    this.userData = this.renderUserData(props, initialKey);

    const instances = this.addInstanceProfile(props);
    this.instanceRole = instances.role;
    this.grantPrincipal = new InlinePolicy(this, 'instance-grants', { role: instances.role, name: 'granted' });
    this.launchTemplate = this.addLaunchTemplate(props, instances.profile);
    // The release the default version installs; instances launch only once it is there.
    const initialRelease = new S3Object(this, 'initial-release', {
      bucket: this.releaseBucket.id,
      key: initialKey,
      source: props.initialRelease.path,
      sourceHash: props.initialRelease.hash,
      contentType: 'application/gzip',
      // Encrypted with the bucket's key and versioned only once the bucket is set up.
      dependsOn: props.releaseBucket.settings,
    });
    const failureAlarm = this.addRefreshFailureAlarm(props);
    this.autoScalingGroup = this.addGroup(props, initialRelease);
    this.refreshPreferences = {
      MinHealthyPercentage: 100,
      MaxHealthyPercentage: 200,
      InstanceWarmup: this.warmupSeconds,
      AutoRollback: true,
      AlarmSpecification: { Alarms: [failureAlarm.alarmName] },
      SkipMatching: false,
    };
    this.addTargetTracking(props);
  }

  public get releaseBucketName(): string {
    return this.releaseBucket.bucket;
  }

  public get autoScalingGroupName(): string {
    return this.autoScalingGroup.name;
  }

  public get launchTemplateId(): string {
    return this.launchTemplate.id;
  }

  /**
   * The user data every instance boots with (base64): it installs the initial release from the
   * release bucket. The script goes in raw (HCL would read its quotes and newlines) and Terraform puts
   * the bucket's name, known only after apply, where the placeholder stands.
   */
  private renderUserData(props: WebServerFleetProps, initialKey: string): string {
    const bucketPlaceholder = '@release-bucket@';
    const script = userData({
      releaseUri: `s3://${bucketPlaceholder}/${initialKey}`,
      region: locationOf(this).region,
      port: props.appPort,
      timings: props.timings,
      // The load balancer's nodes live in the public subnets: their X-Forwarded-For names the client.
      trustedProxies: props.network.publicSubnetCidrs,
      architecture: instanceArchitecture(props.instanceType),
    });
    return Fn.base64encode(Fn.replace(Fn.rawString(script), bucketPlaceholder, this.releaseBucket.bucket));
  }

  /** The instances' role and profile: Session Manager and the release archives, nothing else. */
  private addInstanceProfile(props: WebServerFleetProps) {
    // EC2 sends no source account to guard on.
    const { role, policy: readRelease } = new ServiceRole(this, 'instance-role', {
      name: `${props.name}-web-instance`,
      service: 'ec2.amazonaws.com',
      sourceAccountOnly: false,
      managedPolicies: [{ id: 'session-manager', policy: 'AmazonSSMManagedInstanceCore' }],
      inlinePolicy: { id: 'read-release', name: 'read-release' },
    });
    props.releaseBucket.grantObjects(readRelease, 'ReadReleaseArchives', 's3:GetObject', {
      prefix: `${RELEASE_PREFIX}/`,
      keySid: 'DecryptReleaseArchivesThroughS3',
    });
    return { role, profile: new IamInstanceProfile(this, 'instance-profile', { name: `${props.name}-web-instance`, role: role.name }) };
  }

  /** IMDSv2 with a hop limit of 1, no public address, an encrypted gp3 root volume, detailed monitoring. */
  private addLaunchTemplate(props: WebServerFleetProps, profile: IamInstanceProfile): LaunchTemplate {
    return new LaunchTemplate(this, 'launch-template', {
      namePrefix: `${props.name}-`,
      imageId: AL2023_AMI,
      instanceType: props.instanceType,
      // Terraform's changes become the default version, which each release starts from.
      updateDefaultVersion: true,
      iamInstanceProfile: { arn: profile.arn },
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
      monitoring: { enabled: true },
      networkInterfaces: [{ associatePublicIpAddress: 'false', securityGroups: [this.connections.securityGroup.id], deleteOnTermination: 'true' }],
      blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 8, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } }],
      userData: this.userData,
      tagSpecifications: [
        { resourceType: 'instance', tags: { Name: `${props.name}-web` } },
        { resourceType: 'volume', tags: { Name: `${props.name}-web` } },
      ],
      lifecycle: {
        // Each release adds a version with a concrete AMI, its release in the user data and a
        // description ("release <commit>"), and the provider reads the template's latest version:
        // these three would show as drift after every release (the emulator's no-change plan after a
        // release caught the description). Terraform's user data still reaches releases through the
        // deploy project (`userData`); its AMI is resolved at release time.
        ignoreChanges: ['image_id', 'user_data', 'description'],
      },
    });
  }

  /** Targets answering 5xx: the alarm an instance refresh watches to roll back. */
  private addRefreshFailureAlarm(props: WebServerFleetProps): CloudwatchMetricAlarm {
    const { loadBalancer } = props;
    return new CloudwatchMetricAlarm(this, 'target-5xx', {
      alarmName: `${props.name}-target-5xx`,
      alarmDescription: 'Targets answer 5xx: fails a running instance refresh, which then rolls back',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: { LoadBalancer: loadBalancer.loadBalancerArnSuffix, TargetGroup: loadBalancer.targetGroupArnSuffix },
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 2,
      threshold: props.refreshFailure5xxPerMinute ?? 10,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
  }

  /** The group in the application subnets behind the target group, checked by ELB health. */
  private addGroup(props: WebServerFleetProps, initialRelease: S3Object): AutoscalingGroup {
    return new AutoscalingGroup(this, 'group', {
      name: `${props.name}-web`,
      vpcZoneIdentifier: props.network.applicationSubnets.map((s) => s.id),
      minSize: props.minInstances,
      maxSize: props.maxInstances,
      desiredCapacity: props.minInstances,
      healthCheckType: 'ELB',
      healthCheckGracePeriod: this.warmupSeconds,
      defaultInstanceWarmup: this.warmupSeconds,
      targetGroupArns: [props.loadBalancer.targetGroupArn],
      // The first version; afterwards each release's refresh sets it (see the class comment).
      launchTemplate: { id: this.launchTemplate.id, version: `${this.launchTemplate.latestVersion}` },
      tag: [{ key: 'Name', value: `${props.name}-web`, propagateAtLaunch: true }],
      // Group metrics (free, one-minute) for the in-service alarm and the dashboard.
      enabledMetrics: ['GroupDesiredCapacity', 'GroupInServiceInstances', 'GroupMinSize', 'GroupMaxSize'],
      metricsGranularity: '1Minute',
      dependsOn: [initialRelease],
      lifecycle: {
        ignoreChanges: [
          // Scaling owns the desired capacity after creation.
          'desired_capacity',
          // The deploy pipeline owns the running template version: each release's refresh sets it,
          // and Terraform putting its own back would undo the release.
          'launch_template[0].version',
        ],
      },
    });
  }

  /** Target tracking on requests per target or on CPU. */
  private addTargetTracking(props: WebServerFleetProps) {
    const { loadBalancer } = props;
    new AutoscalingPolicy(this, 'target-tracking', {
      name: `${props.name}-${props.scaling.metric}`,
      autoscalingGroupName: this.autoScalingGroup.name,
      policyType: 'TargetTrackingScaling',
      estimatedInstanceWarmup: this.warmupSeconds,
      // ALBRequestCountPerTarget is refused until the target group is attached to the load balancer
      // (through its listener or rules), which the provider does not know by itself.
      dependsOn: [...loadBalancer.forwarding],
      targetTrackingConfiguration: {
        targetValue: props.scaling.target,
        predefinedMetricSpecification:
          props.scaling.metric === 'cpu'
            ? { predefinedMetricType: 'ASGAverageCPUUtilization' }
            : { predefinedMetricType: 'ALBRequestCountPerTarget', resourceLabel: `${loadBalancer.loadBalancerArnSuffix}/${loadBalancer.targetGroupArnSuffix}` },
      },
    });
  }

  /**
   * What releasing to this fleet takes, for whoever releases (the Deploy action's role, or Jenkins'):
   * publish to the fleet's release bucket, add launch template versions, refresh the group. Each
   * action is scoped to the one bucket prefix, template, group or role; the `Describe*` reads, which
   * IAM cannot scope, are the only `*`.
   */
  public grantRelease(grantee: IGrantable): Grant {
    const { accountId, region } = locationOf(this);
    const ec2 = `arn:aws:ec2:${region}:${accountId}`;
    const templateArn = `${ec2}:launch-template/${this.launchTemplate.id}`;
    const publish = this.releases.grantObjects(grantee, 'PublishReleases', 's3:PutObject', {
      prefix: `${RELEASE_PREFIX}/`,
      keySid: 'EncryptReleasesThroughS3',
    });
    const release = Grant.addToPrincipal(grantee, [
      { Sid: 'ReadCurrentAmi', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: `arn:aws:ssm:${region}::parameter${AL2023_AMI_PARAMETER}` },
      { Sid: 'AddReleaseVersions', Effect: 'Allow', Action: 'ec2:CreateLaunchTemplateVersion', Resource: templateArn },
      {
        Sid: 'RefreshTheGroup',
        Effect: 'Allow',
        Action: ['autoscaling:StartInstanceRefresh', 'autoscaling:RollbackInstanceRefresh', 'autoscaling:CancelInstanceRefresh'],
        Resource: `arn:aws:autoscaling:${region}:${accountId}:autoScalingGroup:*:autoScalingGroupName/${this.autoScalingGroup.name}`,
      },
      {
        // Auto Scaling checks that whoever sets a template on a group could launch from it.
        Sid: 'LaunchOnlyFromTheTemplate',
        Effect: 'Allow',
        Action: 'ec2:RunInstances',
        Resource: [
          templateArn,
          `arn:aws:ec2:${region}::image/*`,
          ...['instance', 'volume', 'network-interface', 'subnet', 'security-group'].map((type) => `${ec2}:${type}/*`),
        ],
        Condition: { ArnEquals: { 'ec2:LaunchTemplate': templateArn } },
      },
      {
        Sid: 'TagWhatTheLaunchCreates',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: ['instance', 'volume', 'network-interface'].map((type) => `${ec2}:${type}/*`),
        Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
      },
      {
        Sid: 'PassTheInstanceRoleToEc2',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: this.instanceRole.arn,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
      {
        Sid: 'ReadStateIamCannotScope',
        Effect: 'Allow',
        Action: ['ec2:DescribeLaunchTemplateVersions', 'autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeInstanceRefreshes'],
        Resource: '*',
      },
    ]);
    return Grant.combine(publish, release);
  }

  /**
   * An instance refresh that failed or rolls back (a release or a template change that did not
   * become healthy): the group keeps or returns to the previous launch template version.
   */
  public failureEvents(): FailureEvent[] {
    return [
      {
        id: 'refresh-failed',
        description: 'An instance refresh of the web fleet failed or rolled back',
        pattern: {
          source: ['aws.autoscaling'],
          'detail-type': [
            'EC2 Auto Scaling Instance Refresh Failed',
            'EC2 Auto Scaling Instance Refresh Rollback Started',
            'EC2 Auto Scaling Instance Refresh Rollback Failed',
          ],
          detail: { AutoScalingGroupName: [this.autoScalingGroup.name] },
        },
        message:
          '<event> for <group> (refresh <refresh>) at <time>. The release did not become healthy; the refresh status reason says why (aws autoscaling describe-instance-refreshes).',
        paths: { event: '$.detail-type', group: '$.detail.AutoScalingGroupName', refresh: '$.detail.InstanceRefreshId', time: '$.time' },
      },
    ];
  }

  /** Instances in service against the minimum (alarmed), and the instances' CPU. */
  public metrics(): MetricDefinition[] {
    const group = { AutoScalingGroupName: this.autoScalingGroup.name };
    return [
      {
        id: 'in-service',
        group: 'Instances',
        title: 'Instances in service',
        namespace: 'AWS/AutoScaling',
        metricName: 'GroupInServiceInstances',
        dimensions: group,
        statistic: 'Minimum',
        period: 60,
        description: `Fewer instances in service than the minimum (${this.minInstances}): launches fail (capacity, the launch template, the release) or instances fail their health check. See the group's activity history`,
        alarm: { comparison: 'LessThanThreshold', threshold: this.minInstances, evaluationPeriods: 10, treatMissingData: 'breaching' },
      },
      {
        id: 'cpu',
        group: 'Instances',
        title: 'Instance CPU',
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensions: group,
        statistic: 'Average',
        period: 60,
        description: 'Average CPU of the group',
      },
    ];
  }
}

export interface UserDataOptions {
  /** `s3://bucket/key` of the release archive. */
  readonly releaseUri: string;
  /** Region of the release bucket. */
  readonly region: string;
  readonly port: number;
  readonly timings: ReleaseTimings;
  /** CIDR blocks whose X-Forwarded-For the service believes (TRUSTED_PROXIES): the load balancer's subnets. */
  readonly trustedProxies: readonly string[];
  /** The instances' CPU architecture: a release whose binary is built for another is refused. @default 'x86_64' (the AMI's) */
  readonly architecture?: Architecture;
}

/**
 * Boot script (cloud-init runs it once, as root): install one release, with timings from the same
 * config as the health check. The archive is downloaded and checked in a staging directory first;
 * a missing or broken release stops the script (non-zero, `webapp-install: FAILED` on the console)
 * before anything is installed, so no half-installed service ever starts.
 */
export function userData(o: UserDataOptions): string {
  const t = o.timings;
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'trap \'echo "webapp-install: FAILED (exit $?) at line $LINENO: $BASH_COMMAND; nothing was installed or started" >&2\' ERR',
    '# The release this launch template version installs (each release writes a new version).',
    `release='${o.releaseUri}'`,
    'echo "webapp-install: installing $release"',
    'mkdir -p /opt',
    'staging=$(mktemp -d /opt/.webapp-staging.XXXXXX)',
    `aws s3 cp --only-show-errors --region '${o.region}' "$release" "$staging/release.tar.gz"`,
    'mkdir "$staging/root"',
    'tar -xzf "$staging/release.tar.gz" -C "$staging/root" --no-same-owner',
    'for f in bin/webapp webapp.service; do',
    '  [ -s "$staging/root/$f" ] || { echo "webapp-install: FAILED: $release has no $f; nothing was installed or started" >&2; exit 1; }',
    'done',
    '[ -x "$staging/root/bin/webapp" ] || { echo "webapp-install: FAILED: bin/webapp in $release is not executable" >&2; exit 1; }',
    '# A Linux executable for this machine: the ELF magic, then e_machine (bytes 18-19, little-endian).',
    'elf=$(od -An -tx1 -N20 "$staging/root/bin/webapp" | tr -d " \\n")',
    `[ "\${elf:0:8}" = 7f454c46 ] && [ "\${elf:36:4}" = ${ARCHITECTURE_BUILD[o.architecture ?? AL2023_AMI_ARCHITECTURE].elfMachine} ] || { echo "webapp-install: FAILED: bin/webapp in $release is not a Linux ${o.architecture ?? AL2023_AMI_ARCHITECTURE} executable (ELF header $elf); nothing was installed or started" >&2; exit 1; }`,
    'id webapp >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin webapp',
    'rm -rf /opt/webapp',
    'mv "$staging/root" /opt/webapp',
    'rm -rf "$staging"',
    'mkdir -p /etc/webapp /etc/systemd/system/webapp.service.d',
    'install -m 0644 /opt/webapp/webapp.service /etc/systemd/system/webapp.service',
    "cat > /etc/webapp/env <<'ENV'",
    `PORT=${o.port}`,
    `DRAIN_PERIOD=${t.drainSeconds}s`,
    `SHUTDOWN_TIMEOUT=${t.shutdownTimeoutSeconds}s`,
    `TRUSTED_PROXIES=${o.trustedProxies.join(',')}`,
    'ENV',
    "cat > /etc/systemd/system/webapp.service.d/stop.conf <<'UNIT'",
    '[Service]',
    `TimeoutStopSec=${t.stopTimeoutSeconds}`,
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now webapp',
    'echo "webapp-install: started $release"',
    '',
  ].join('\n');
}

/** Checks the props before anything is created. */
function validate(id: string, props: WebServerFleetProps) {
  if (props.minInstances < 1 || props.maxInstances < 2 * props.minInstances) {
    throw new Error(
      `WebServerFleet ${id}: maxInstances ${props.maxInstances} must be at least twice minInstances ${props.minInstances} (>= 1), so an instance refresh can launch a full new set before terminating`,
    );
  }
  if (!/^[A-Za-z0-9._+-]{1,64}$/.test(props.initialReleaseVersion)) {
    throw new Error(`WebServerFleet ${id}: initialReleaseVersion "${props.initialReleaseVersion}" must be a version such as v1.0.0 (letters, digits, . _ + -)`);
  }
}
