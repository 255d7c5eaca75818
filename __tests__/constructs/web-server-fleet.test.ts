import { describe, expect, it } from 'vitest';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { releaseTimings } from '../../config/release-timings';
import { PrivateBucket } from '../../constructs/private-bucket';
import { AL2023_AMI, userData, WebServerFleet, type WebServerFleetProps } from '../../constructs/web-server-fleet';
import { addTestLoadBalancer, config, emptyStack, resourceList, synth, TEST_LOCATION, type Json } from '../helpers/synth';

const timings = releaseTimings(config('staging').webapp);

function build(props: Partial<WebServerFleetProps> = {}) {
  const stack = emptyStack();
  const { key, network, groups, alb } = addTestLoadBalancer(stack, {
    healthCheck: config('staging').webapp.healthCheck,
    deregistrationDelaySeconds: timings.deregistrationDelaySeconds,
  });
  const releases = new PrivateBucket(stack, 'releases', { namePrefix: 'test-releases-', encryptionKey: key });
  new WebServerFleet(stack, 'fleet', {
    name: 'test',
    location: TEST_LOCATION,
    network,
    securityGroup: groups.instances,
    loadBalancer: alb.loadBalancer,
    targetGroup: alb.targetGroup,
    instanceType: 't3.micro',
    minSize: 2,
    maxSize: 4,
    appPort: 8080,
    timings,
    releaseBucket: releases.bucket,
    encryptionKey: key,
    initialReleaseVersion: 'v1',
    scaling: { metric: 'requests-per-target', target: 500 },
    ...props,
  });
  return synth(stack);
}

const group = (json: Json) => resourceList(json, 'aws_autoscaling_group')[0];

describe('WebServerFleet launch template', () => {
  it('requires IMDSv2 with hop limit 1, encrypts a gp3 root volume and gives no public IP', () => {
    expect(build().text).toHaveResourceWithProperties(LaunchTemplate, {
      image_id: AL2023_AMI,
      metadata_options: { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1, instance_metadata_tags: 'disabled' },
      block_device_mappings: [{ device_name: '/dev/xvda', ebs: { volume_size: 8, volume_type: 'gp3', encrypted: 'true', delete_on_termination: 'true' } }],
      network_interfaces: [expect.objectContaining({ associate_public_ip_address: 'false' })],
    });
    expect(AL2023_AMI).toMatch(/^resolve:ssm:\/aws\/service\/ami-amazon-linux-latest\/al2023-/);
  });

  it('installs the release named in the SSM parameter with the drain and stop timeout from the config', () => {
    const script = userData('/test/release', 8080, timings);
    expect(script).toContain("aws ssm get-parameter --with-decryption --name '/test/release'");
    expect(script).toContain(`DRAIN_PERIOD=${timings.drainSeconds}s`);
    expect(script).toContain(`TimeoutStopSec=${timings.stopTimeoutSeconds}`);
    expect(script).toContain('systemctl enable --now webapp');
  });

  it('lets the instances read only their release pointer and archives, plus Session Manager', () => {
    const { json } = build();
    const policy = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'read-release')!.policy as string;
    expect(policy).toMatch(/"Action" = "ssm:GetParameter", "Resource" = aws_ssm_parameter\.fleet_release_\w+\.arn/);
    expect(policy).toMatch(/"Action" = "s3:GetObject", "Resource" = "\$\{aws_s3_bucket\.releases_bucket_\w+\.arn\}\/webapp\/\*"/);
    expect(policy).not.toMatch(/"Resource" = "\*"/);
    expect(resourceList(json, 'aws_iam_role_policy_attachment').map((a) => a.policy_arn)).toEqual(['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore']);
  });

  it('keeps the release pointer encrypted, and leaves it to the pipeline after creation', () => {
    const [parameter] = resourceList(build().json, 'aws_ssm_parameter');
    expect(parameter.value).toMatch(/^s3:\/\/\$\{aws_s3_bucket\.releases_bucket_\w+\.bucket\}\/webapp\/v1\.tar\.gz$/);
    expect(parameter).toMatchObject({ type: 'SecureString', key_id: expect.stringMatching(/aws_kms_key\.key_\w+\.arn/) });
    expect(parameter.lifecycle.ignore_changes).toEqual(['value']);
  });
});

describe('WebServerFleet Auto Scaling group', () => {
  it('spans the private subnets with ELB health checks and the target group', () => {
    const g = group(build().json);
    expect(g.vpc_zone_identifier).toHaveLength(3);
    expect(g.vpc_zone_identifier.every((s: string) => s.includes('aws_subnet.network_application-'))).toBe(true);
    expect(g).toMatchObject({ health_check_type: 'ELB', min_size: 2, max_size: 4, desired_capacity: 2 });
    expect(g.target_group_arns).toEqual([expect.stringMatching(/aws_lb_target_group\.alb_targets_\w+\.arn/)]);
  });

  it('references the launch template by latest_version, never $Latest or $Default', () => {
    const version = group(build().json).launch_template.version;
    expect(version).toMatch(/^\$\{aws_launch_template\.fleet_launch-template_\w+\.latest_version\}$/);
  });

  it('refreshes launch-before-terminate with both percentages explicit, warmup, rollback and the 5xx alarm', () => {
    const g = group(build().json);
    expect(g.instance_refresh.preferences).toMatchObject({ min_healthy_percentage: 100, max_healthy_percentage: 200, auto_rollback: true });
    expect(g.instance_refresh.preferences.max_healthy_percentage).toBeGreaterThan(100);
    expect(g.instance_refresh.preferences.alarm_specification.alarms).toEqual([expect.stringMatching(/aws_cloudwatch_metric_alarm\.fleet_target-5xx_\w+\.alarm_name/)]);
  });

  it('warms up for start-up plus the time to pass the healthy threshold', () => {
    const g = group(build({ startupSeconds: 60 }).json);
    expect(Number(g.instance_refresh.preferences.instance_warmup)).toBe(60 + timings.healthySeconds);
    expect(g.health_check_grace_period).toBe(60 + timings.healthySeconds);
  });

  it('leaves the desired capacity to scaling after creation', () => {
    expect(group(build().json).lifecycle.ignore_changes).toEqual(['desired_capacity']);
  });

  it.each([
    ['requests-per-target', 'ALBRequestCountPerTarget'],
    ['cpu', 'ASGAverageCPUUtilization'],
  ] as const)('tracks %s with %s', (metric, type) => {
    const [policy] = resourceList(build({ scaling: { metric, target: 50 } }).json, 'aws_autoscaling_policy');
    expect(policy.policy_type).toBe('TargetTrackingScaling');
    expect(policy.target_tracking_configuration.predefined_metric_specification.predefined_metric_type).toBe(type);
  });

  it.each([
    [{ minSize: 2, maxSize: 3 }, /maxSize 3 must be at least twice minSize 2/],
    [{ minSize: 0, maxSize: 2 }, /minSize 0/],
    [{ initialReleaseVersion: '../v1' }, /initialReleaseVersion "\.\.\/v1" must be a version such as v1\.0\.0/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});
