// The emulator gate for the web stack: apply web-dev to moto on loopback, read back the load
// balancer, target group, launch template and Auto Scaling group with the AWS SDK v3, destroy.
// (moto cannot take the pipeline's CodeBuild projects and repository: scripts/emulator.ts.)
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseTimings } from '../../config/release-timings';
import type { EnvironmentConfig } from '../../config/schema';
import { AL2023_AMI } from '../../constructs/web-server-fleet';
import { applyDevStack, EMULATOR_COMMAND_TIMEOUT_MS, emulatorAgent, MAX_REQUESTS, type AppliedStack } from '../../scripts/emulator';

let applied: AppliedStack;
let config: EnvironmentConfig;
let destroyed = false;
let aws: { elb: ElasticLoadBalancingV2Client; asg: AutoScalingClient; ec2: EC2Client };

beforeAll(async () => {
  applied = await applyDevStack('web');
  config = applied.config;
  const common = {
    endpoint: applied.emulator.endpoint,
    region: config.region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    requestHandler: { httpsAgent: emulatorAgent },
  };
  aws = { elb: new ElasticLoadBalancingV2Client(common), asg: new AutoScalingClient(common), ec2: new EC2Client(common) };
});

afterAll(async () => {
  if (applied && !destroyed) await applied.destroy().catch(() => undefined);
  await applied?.emulator.stop();
});

const name = () => `${config.project}-${config.name}-web`;

async function loadBalancer() {
  const { LoadBalancers } = await aws.elb.send(new DescribeLoadBalancersCommand({ Names: [name()] }));
  return LoadBalancers![0];
}

describe('the web dev stack applied to the emulator', () => {
  it('applies most of the stack', () => {
    expect(applied.plan.excluded.length).toBeLessThan(applied.plan.targets.length / 5);
  });

  it('creates an application load balancer that drops invalid headers', async () => {
    // (moto leaves Scheme out of DescribeLoadBalancers; `internal = false` is asserted at synth.)
    const lb = await loadBalancer();
    expect(lb.Type).toBe('application');
    const { Attributes } = await aws.elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    expect(Attributes).toContainEqual({ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' });
  });

  it('redirects 80 to HTTPS and terminates TLS on 443 with the modern policy', async () => {
    const { Listeners } = await aws.elb.send(new DescribeListenersCommand({ LoadBalancerArn: (await loadBalancer()).LoadBalancerArn }));
    const http = Listeners!.find((l) => l.Port === 80)!;
    expect(http.DefaultActions![0]).toMatchObject({ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } });
    const https = Listeners!.find((l) => l.Port === 443)!;
    expect(https).toMatchObject({ Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    expect(https.DefaultActions![0].Type).toBe('forward');
  });

  it('health-checks targets on the readiness path with the configured timings', async () => {
    const { TargetGroups } = await aws.elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: (await loadBalancer()).LoadBalancerArn }));
    const hc = config.webapp.healthCheck;
    expect(TargetGroups![0]).toMatchObject({
      Port: config.webapp.appPort,
      HealthCheckPath: hc.path,
      HealthCheckIntervalSeconds: hc.intervalSeconds,
      HealthCheckTimeoutSeconds: hc.timeoutSeconds,
      HealthyThresholdCount: hc.healthyThreshold,
      UnhealthyThresholdCount: hc.unhealthyThreshold,
    });
  });

  it('launches instances with IMDSv2 only, hop limit 1, an encrypted root volume and no public IP', async () => {
    const { LaunchTemplateVersions } = await aws.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: (await group()).LaunchTemplate!.LaunchTemplateId, Versions: ['$Latest'] }));
    const data = LaunchTemplateVersions![0].LaunchTemplateData!;
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.BlockDeviceMappings![0].Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
    expect(data.NetworkInterfaces![0].AssociatePublicIpAddress).toBe(false);
    expect(data.ImageId).toBe(AL2023_AMI);
  });

  it('runs the group across the private subnets with ELB health checks, the warmup and the target group', async () => {
    const g = await group();
    expect(g).toMatchObject({ HealthCheckType: 'ELB', MinSize: config.webapp.minInstances, MaxSize: config.webapp.maxInstances });
    expect(g.VPCZoneIdentifier!.split(',')).toHaveLength(config.webapp.network.availabilityZones.length);
    expect(g.HealthCheckGracePeriod).toBe(config.webapp.startupSeconds + releaseTimings(config.webapp).healthySeconds);
    expect(g.TargetGroupARNs).toHaveLength(1);
  });

  it('installs the initial release from the releases bucket, its name filled in by Terraform', async () => {
    const { LaunchTemplateVersions } = await aws.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: (await group()).LaunchTemplate!.LaunchTemplateId, Versions: ['$Default'] }));
    const script = Buffer.from(LaunchTemplateVersions![0].LaunchTemplateData!.UserData!, 'base64').toString('utf8');
    expect(script).toMatch(new RegExp(`^release='s3://${name()}-releases-\\w+/webapp/${config.webapp.initialReleaseVersion}\\.tar\\.gz'$`, 'm'));
    expect(script).toContain(`DRAIN_PERIOD=${releaseTimings(config.webapp).drainSeconds}s`);
  });

  it('leaves out only the pipeline parts moto cannot take, and what depends on them', () => {
    const excluded = applied.plan.excluded.map((e) => e.address.split('.')[0]);
    expect(new Set(excluded)).toEqual(
      new Set([
        'aws_codebuild_project',
        'aws_codecommit_repository',
        'aws_codecommit_approval_rule_template',
        'aws_codecommit_approval_rule_template_association',
        'aws_codepipeline',
        'aws_cloudwatch_event_rule',
        'aws_cloudwatch_event_target',
        'aws_iam_role_policy',
      ]),
    );
    // The roles and the artifact bucket go in; only policies naming a project or the pipeline wait.
    expect(applied.plan.targets.filter((t) => /delivery_(artifacts|logs|build-role|deploy-role|pipeline-role|events-role)/.test(t)).length).toBeGreaterThan(10);
  });

  it('stayed within the request bound', () => {
    expect(applied.emulator.requests()).toBeLessThan(MAX_REQUESTS);
  });
});

async function group() {
  const { AutoScalingGroups } = await aws.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${name()}-web`] }));
  return AutoScalingGroups![0];
}

describe('a release on the emulator', () => {
  it('is not undone by Terraform: after a new template version runs, the plan leaves the template and the group\'s version alone', async () => {
    // What app/deploy/release.sh does (moto has no instance refresh: a successful one ends with the
    // group on the new version, which UpdateAutoScalingGroup stands in for).
    const g = await group();
    const templateId = g.LaunchTemplate!.LaunchTemplateId!;
    const userData = Buffer.from(`#!/bin/bash\nrelease='s3://${name()}-releases/webapp/v2.tar.gz'\n`).toString('base64');
    // moto ignores SourceVersion, so the test copies the default version's data as AWS would
    // (without the template's own tags, which moto lists among the version's tag specifications).
    const { LaunchTemplateVersions } = await aws.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Default'] }));
    const base = LaunchTemplateVersions![0].LaunchTemplateData!;
    base.TagSpecifications = base.TagSpecifications?.filter((t) => t.ResourceType !== 'launch-template');
    const { LaunchTemplateVersion } = await aws.ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: templateId,
        SourceVersion: '$Default',
        LaunchTemplateData: { ...(base as object), ImageId: 'ami-0123456789abcdef0', UserData: userData },
      }),
    );
    const released = String(LaunchTemplateVersion!.VersionNumber);
    await aws.asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: g.AutoScalingGroupName, LaunchTemplate: { LaunchTemplateId: templateId, Version: released } }));

    const plan = await applied.planAgain();
    const change = (type: string) => (plan.resource_changes as any[]).find((c) => c.type === type)!.change;
    expect(change('aws_launch_template').actions).toEqual(['no-op']);
    // (moto does not keep the group's default_instance_warmup, so the group may show that change.)
    expect(change('aws_autoscaling_group').after.launch_template).toEqual(change('aws_autoscaling_group').before.launch_template);
    expect((await group()).LaunchTemplate!.Version).toBe(released);
  }, EMULATOR_COMMAND_TIMEOUT_MS + 60_000);
});

describe('destroying the web dev stack on the emulator', () => {
  it('leaves no load balancer, group or launch template behind', async () => {
    const templateId = (await group()).LaunchTemplate!.LaunchTemplateId!;
    await applied.destroy();
    destroyed = true;
    expect((await aws.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).toEqual([]);
    expect((await aws.asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []).toEqual([]);
    await expect(aws.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId }))).rejects.toThrow();
  }, EMULATOR_COMMAND_TIMEOUT_MS + 60_000);
});
