import { Construct } from 'constructs';
import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { AutoscalingPolicy } from '@cdktf/provider-aws/lib/autoscaling-policy';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import type { Lb } from '@cdktf/provider-aws/lib/lb';
import type { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import type { ReleaseTimings } from '../config/release-timings';
import type { EncryptionKey } from './encryption-key';
import type { Network } from './network';
import { managedPolicyArn, policyDocument, serviceAssumeRolePolicy, type AwsLocation } from './policy';

/** Amazon Linux 2023, resolved by EC2 at launch from AWS's public SSM parameter (no data source). */
export const AL2023_AMI = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/** Key prefix of release archives in the release bucket. */
export const RELEASE_PREFIX = 'webapp';

export type ScalingMetric = { readonly metric: 'requests-per-target'; readonly target: number } | { readonly metric: 'cpu'; readonly target: number };

export interface WebServerFleetProps {
  readonly name: string;
  readonly location: AwsLocation;
  /** Instances go in the network's application (private) subnets, across its AZs. */
  readonly network: Network;
  readonly securityGroup: SecurityGroup;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly instanceType: string;
  readonly minSize: number;
  /** Must leave room for the refresh surge: at least twice minSize. */
  readonly maxSize: number;
  /** Port the service listens on. */
  readonly appPort: number;
  /** Derived from the target group's health check (config/release-timings.ts). */
  readonly timings: ReleaseTimings;
  /** Seconds from launch until the service can answer (boot, download, start). @default 90 */
  readonly startupSeconds?: number;
  /** Bucket holding release archives; instances may read `webapp/*` only. */
  readonly releaseBucket: S3Bucket;
  /** Key of the release bucket and the release pointer, for decrypting through S3 and SSM. */
  readonly encryptionKey: EncryptionKey;
  /** Version installed until the pipeline records another: `s3://<releaseBucket>/webapp/<version>.tar.gz`. */
  readonly initialReleaseVersion: string;
  readonly scaling: ScalingMetric;
  /**
   * ALB target 5xx per minute that fail a running instance refresh.
   * @default 10
   */
  readonly refreshFailure5xxPerMinute?: number;
}

/**
 * The EC2 side of the web tier: a launch template (AL2023 via SSM, IMDSv2 only with hop limit 1,
 * encrypted gp3, no public IP, least-privilege profile with Session Manager) whose user data
 * installs the release named in an SSM parameter; an Auto Scaling group across the private subnets
 * with ELB health checks, target tracking, and instance refresh that launches before it
 * terminates (min 100 %, max 200 %), waits for warmup, and stops on an ALB 5xx alarm.
 */
export class WebServerFleet extends Construct {
  public readonly launchTemplate: LaunchTemplate;
  public readonly autoScalingGroup: AutoscalingGroup;
  /** The SSM parameter with the S3 URI of the release to install; the pipeline updates it. */
  public readonly releaseParameter: SsmParameter;
  public readonly warmupSeconds: number;

  constructor(scope: Construct, id: string, props: WebServerFleetProps) {
    super(scope, id);
    if (props.minSize < 1 || props.maxSize < 2 * props.minSize) {
      throw new Error(`WebServerFleet ${id}: maxSize ${props.maxSize} must be at least twice minSize ${props.minSize} (>= 1), so an instance refresh can launch a full new set before terminating`);
    }
    if (!/^[A-Za-z0-9._+-]{1,64}$/.test(props.initialReleaseVersion)) {
      throw new Error(`WebServerFleet ${id}: initialReleaseVersion "${props.initialReleaseVersion}" must be a version such as v1.0.0 (letters, digits, . _ + -)`);
    }
    const t = props.timings;
    this.warmupSeconds = (props.startupSeconds ?? 90) + t.healthySeconds;

    const releaseParameterName = `/${props.name}/release`;
    this.releaseParameter = new SsmParameter(this, 'release', {
      name: releaseParameterName,
      type: 'SecureString',
      keyId: props.encryptionKey.arn,
      value: `s3://${props.releaseBucket.bucket}/${RELEASE_PREFIX}/${props.initialReleaseVersion}.tar.gz`,
      description: 'S3 URI of the release archive new instances install',
      // The pipeline records each release here; Terraform must not roll it back.
      lifecycle: { ignoreChanges: ['value'] },
    });

    const role = new IamRole(this, 'instance-role', {
      name: `${props.name}-web-instance`,
      assumeRolePolicy: serviceAssumeRolePolicy('ec2.amazonaws.com'),
    });
    new IamRolePolicyAttachment(this, 'session-manager', { role: role.name, policyArn: managedPolicyArn('AmazonSSMManagedInstanceCore') });
    new IamRolePolicy(this, 'read-release', {
      role: role.id,
      name: 'read-release',
      policy: policyDocument([
        { Sid: 'ReadReleasePointer', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: this.releaseParameter.arn },
        { Sid: 'ReadReleaseArchives', Effect: 'Allow', Action: 's3:GetObject', Resource: `${props.releaseBucket.arn}/${RELEASE_PREFIX}/*` },
        {
          Sid: 'DecryptReleasePointerAndArchivesThroughTheirServices',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: props.encryptionKey.arn,
          Condition: {
            StringEquals: { 'kms:ViaService': [`s3.${props.location.region}.amazonaws.com`, `ssm.${props.location.region}.amazonaws.com`] },
          },
        },
      ]),
    });
    const profile = new IamInstanceProfile(this, 'instance-profile', { name: `${props.name}-web-instance`, role: role.name });

    this.launchTemplate = new LaunchTemplate(this, 'launch-template', {
      namePrefix: `${props.name}-`,
      imageId: AL2023_AMI,
      instanceType: props.instanceType,
      updateDefaultVersion: true,
      iamInstanceProfile: { arn: profile.arn },
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
      monitoring: { enabled: true },
      networkInterfaces: [{ associatePublicIpAddress: 'false', securityGroups: [props.securityGroup.id], deleteOnTermination: 'true' }],
      blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 8, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } }],
      // Plain text known at synth (the parameter's name is fixed), encoded here.
      userData: Buffer.from(userData(releaseParameterName, props.appPort, t)).toString('base64'),
      dependsOn: [this.releaseParameter],
      tagSpecifications: [{ resourceType: 'instance', tags: { Name: `${props.name}-web` } }, { resourceType: 'volume', tags: { Name: `${props.name}-web` } }],
    });

    const failureAlarm = new CloudwatchMetricAlarm(this, 'target-5xx', {
      alarmName: `${props.name}-target-5xx`,
      alarmDescription: 'Targets answer 5xx: fails a running instance refresh',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: { LoadBalancer: props.loadBalancer.arnSuffix, TargetGroup: props.targetGroup.arnSuffix },
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 2,
      threshold: props.refreshFailure5xxPerMinute ?? 10,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });

    this.autoScalingGroup = new AutoscalingGroup(this, 'group', {
      name: `${props.name}-web`,
      vpcZoneIdentifier: props.network.applicationSubnets.map((s) => s.id),
      minSize: props.minSize,
      maxSize: props.maxSize,
      desiredCapacity: props.minSize,
      healthCheckType: 'ELB',
      healthCheckGracePeriod: this.warmupSeconds,
      defaultInstanceWarmup: this.warmupSeconds,
      targetGroupArns: [props.targetGroup.arn],
      // latest_version, never "$Latest": only a concrete version change makes Terraform see the
      // template change and trigger the refresh.
      launchTemplate: { id: this.launchTemplate.id, version: `${this.launchTemplate.latestVersion}` },
      instanceRefresh: {
        strategy: 'Rolling',
        preferences: {
          // Both set explicitly (declaring preferences otherwise sends 90/100), and max above 100
          // so a new instance is healthy before an old one goes, even in a group of one.
          minHealthyPercentage: 100,
          maxHealthyPercentage: 200,
          instanceWarmup: String(this.warmupSeconds),
          autoRollback: true,
          alarmSpecification: { alarms: [failureAlarm.alarmName] },
        },
      },
      tag: [{ key: 'Name', value: `${props.name}-web`, propagateAtLaunch: true }],
      // Scaling owns the desired capacity after creation.
      lifecycle: { ignoreChanges: ['desired_capacity'] },
    });

    new AutoscalingPolicy(this, 'target-tracking', {
      name: `${props.name}-${props.scaling.metric}`,
      autoscalingGroupName: this.autoScalingGroup.name,
      policyType: 'TargetTrackingScaling',
      estimatedInstanceWarmup: this.warmupSeconds,
      targetTrackingConfiguration: {
        targetValue: props.scaling.target,
        predefinedMetricSpecification:
          props.scaling.metric === 'cpu'
            ? { predefinedMetricType: 'ASGAverageCPUUtilization' }
            : { predefinedMetricType: 'ALBRequestCountPerTarget', resourceLabel: `${props.loadBalancer.arnSuffix}/${props.targetGroup.arnSuffix}` },
      },
    });
  }
}

/** Boot script: install the release the SSM parameter names, with timings from the same config. */
export function userData(releaseParameter: string, port: number, t: ReleaseTimings): string {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    `release=$(aws ssm get-parameter --with-decryption --name '${releaseParameter}' --query Parameter.Value --output text)`,
    'mkdir -p /opt/webapp /etc/webapp /etc/systemd/system/webapp.service.d',
    'aws s3 cp "$release" /tmp/webapp.tar.gz',
    'tar -xzf /tmp/webapp.tar.gz -C /opt/webapp',
    'id webapp >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin webapp',
    'install -m 0644 /opt/webapp/webapp.service /etc/systemd/system/webapp.service',
    `printf 'PORT=${port}\\nDRAIN_PERIOD=${t.drainSeconds}s\\nSHUTDOWN_TIMEOUT=${t.shutdownTimeoutSeconds}s\\n' > /etc/webapp/env`,
    `printf '[Service]\\nTimeoutStopSec=${t.stopTimeoutSeconds}\\n' > /etc/systemd/system/webapp.service.d/stop.conf`,
    'systemctl daemon-reload',
    'systemctl enable --now webapp',
    '',
  ].join('\n');
}
