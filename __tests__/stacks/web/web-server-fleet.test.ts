import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { releaseTimings } from '../../../stacks/web/release-timings';
import { userData, type WebServerFleetProps } from '../../../stacks/web/web-server-fleet';
import { initialReleaseDirectory } from '../../../stacks/web/webapp-release';
import { addTestFleet, config, emptyStack, policyStatements, resourceList, synth, TEST_BUILD_VERSION, type Json } from '../../helpers/synth';
import { Grant } from '../../../constructs/grants';
import type { PolicyStatement } from '../../../constructs/policy';
import { AL2023_AMI } from '../../../constructs/platform';

const timings = releaseTimings(config('staging').webapp);

function buildFleet(props: Partial<WebServerFleetProps> = {}) {
  const stack = emptyStack();
  const { fleet } = addTestFleet(stack, props);
  return { fleet, ...synth(stack) };
}

const group = (json: Json) => resourceList(json, 'aws_autoscaling_group')[0];

describe('WebServerFleet launch template', () => {
  it('requires IMDSv2 with hop limit 1, encrypts a gp3 root volume and gives no public IP', () => {
    expect(buildFleet().text).toHaveResourceWithProperties(LaunchTemplate, {
      image_id: AL2023_AMI,
      metadata_options: { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1, instance_metadata_tags: 'disabled' },
      block_device_mappings: [{ device_name: '/dev/xvda', ebs: { volume_size: 8, volume_type: 'gp3', encrypted: 'true', delete_on_termination: 'true' } }],
      network_interfaces: [expect.objectContaining({ associate_public_ip_address: 'false' })],
    });
    expect(AL2023_AMI).toMatch(/^resolve:ssm:\/aws\/service\/ami-amazon-linux-latest\/al2023-/);
  });

  it('installs the release named in its user data, with the drain and stop timeout from the config', () => {
    const script = userData({ releaseUri: 's3://bucket/webapp/v1.tar.gz', region: 'eu-west-1', port: 8080, timings, trustedProxies: ['10.0.0.0/24'] });
    expect(script).toMatch(/^release='s3:\/\/bucket\/webapp\/v1\.tar\.gz'$/m);
    expect(script).toContain(`aws s3 cp --only-show-errors --region 'eu-west-1' "$release"`);
    expect(script).toContain(`DRAIN_PERIOD=${timings.drainSeconds}s`);
    expect(script).toContain(`TimeoutStopSec=${timings.stopTimeoutSeconds}`);
    expect(script).toContain('systemctl enable --now webapp');
  });

  it.each([
    ['x86_64', 'x86_64', 0],
    ['x86_64', 'arm64', 1],
    ['arm64', 'arm64', 0],
    ['arm64', 'x86_64', 1],
  ] as const)(
    'on %s instances, installs a release built for %s only if they match (exit %i), before anything is installed',
    (instances, built, exit) => {
      // GIVEN the user data's architecture check, as it runs, and a release built for `built`
      const script = userData({ releaseUri: 's3://b/webapp/v1.tar.gz', region: 'eu-west-1', port: 8080, timings, trustedProxies: [], architecture: instances });
      const check = script.split('\n').filter((l) => /\belf\b/.test(l));
      const staging = mkdtempSync(join(tmpdir(), 'staging-'));
      symlinkSync(initialReleaseDirectory(TEST_BUILD_VERSION, built), join(staging, 'root'));
      // WHEN it runs against that binary, where the user data unpacked it
      const run = spawnSync('bash', ['-c', ['set -euo pipefail', `staging=${staging} release=s3://b/webapp/v1.tar.gz`, ...check].join('\n')], {
        encoding: 'utf8',
      });
      // THEN it passes only the matching one, naming the architecture it wanted
      expect(check).toHaveLength(2);
      expect(run.status).toBe(exit);
      if (exit) expect(run.stderr).toMatch(new RegExp(`webapp-install: FAILED: bin/webapp in .* is not a Linux ${instances} executable`));
    },
    180_000,
  );

  it("trusts X-Forwarded-For only from the load balancer's subnets, the network's public ones", () => {
    // GIVEN a fleet in the test network (public subnets 10.0.0-2.0/24)
    // WHEN it is synthesized
    const [template] = resourceList(buildFleet().json, 'aws_launch_template');
    // THEN the service's environment names exactly those blocks
    expect(template.user_data).toContain('TRUSTED_PROXIES=10.0.0.0/24,10.0.1.0/24,10.0.2.0/24\\n');
  });

  it('puts the initial release from its own bucket in the default version, with Terraform filling in the bucket name', () => {
    const [template] = resourceList(buildFleet().json, 'aws_launch_template');
    expect(template.user_data).toMatch(
      /^\$\{base64encode\(replace\(".*release='s3:\/\/@release-bucket@\/webapp\/v1\.tar\.gz'.*", "@release-bucket@", aws_s3_bucket\.releases_bucket_\w+\.bucket\)\)\}$/,
    );
  });

  it("leaves the AMI and user data of later versions to releases, which carry Terraform's user data forward", () => {
    const [template] = resourceList(buildFleet().json, 'aws_launch_template');
    expect(template.lifecycle.ignore_changes).toEqual(['image_id', 'user_data', 'description']);
  });

  it('lets the instances read only the release archives, plus Session Manager', () => {
    const { json } = buildFleet();
    const policy = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'read-release')!.policy as string;
    expect(policy).toMatch(/"Action" = "s3:GetObject", "Resource" = "\$\{aws_s3_bucket\.releases_bucket_\w+\.arn\}\/webapp\/\*"/);
    expect(policy).toContain('"kms:ViaService" = "s3.eu-west-1.amazonaws.com"');
    expect(policy).not.toMatch(/"Resource" = "\*"/);
    expect(resourceList(json, 'aws_iam_role_policy_attachment').map((a) => a.policy_arn)).toEqual(['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore']);
  });
});

describe('WebServerFleet initial release', () => {
  it('uploads the initial release where the default version looks for it, replaced when its content changes', () => {
    const { json } = buildFleet();
    const [object] = resourceList(json, 'aws_s3_object');
    expect(object).toMatchObject({
      key: 'webapp/v1.tar.gz',
      content_type: 'application/gzip',
      source: expect.stringMatching(/^assets\/initial-release_asset_\w+\/[0-9a-f]{64}\/[0-9a-f]{64}\.tar\.gz$/),
    });
    expect(object.bucket).toMatch(/aws_s3_bucket\.releases_bucket_\w+\.id/);
    expect(object.source_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('puts the release only once its bucket keeps versions and encrypts with the key', () => {
    // (Without it the object raced the bucket's settings: a "null" version, S3's default encryption.)
    const [object] = resourceList(buildFleet().json, 'aws_s3_object');
    expect(object.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_s3_bucket_versioning\.releases_versioning_\w+$/),
        expect.stringMatching(/^aws_s3_bucket_server_side_encryption_configuration\.releases_encryption_\w+$/),
      ]),
    );
  });

  it('creates the group only once the release is uploaded, so no first instance boots without it', () => {
    expect(group(buildFleet().json).depends_on).toEqual([expect.stringMatching(/^aws_s3_object\.fleet_initial-release_\w+$/)]);
  });
});

describe('WebServerFleet Auto Scaling group', () => {
  it('spans the private subnets with ELB health checks and the target group', () => {
    const g = group(buildFleet().json);
    expect(g.vpc_zone_identifier).toHaveLength(3);
    expect(g.vpc_zone_identifier.every((s: string) => s.includes('aws_subnet.network_application-'))).toBe(true);
    expect(g).toMatchObject({ health_check_type: 'ELB', min_size: 2, max_size: 4, desired_capacity: 2 });
    expect(g.target_group_arns).toEqual([expect.stringMatching(/aws_lb_target_group\.alb_targets_\w+\.arn/)]);
  });

  it('starts on the launch template by latest_version, never $Latest or $Default (which cannot roll back)', () => {
    const version = group(buildFleet().json).launch_template.version;
    expect(version).toMatch(/^\$\{aws_launch_template\.fleet_launch-template_\w+\.latest_version\}$/);
  });

  it('starts no instance refresh of its own: releases refresh through the pipeline, which can roll back', () => {
    expect(group(buildFleet().json).instance_refresh).toBeUndefined();
  });

  it('gives releases launch-before-terminate preferences with both percentages explicit, rollback and the 5xx alarm', () => {
    const { fleet } = buildFleet();
    expect(fleet.refreshPreferences).toMatchObject({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200, AutoRollback: true, SkipMatching: false });
    expect(fleet.refreshPreferences.AlarmSpecification.Alarms).toHaveLength(1);
  });

  it('warms up for start-up plus the time to pass the healthy threshold', () => {
    const { fleet, json } = buildFleet({ startupSeconds: 60 });
    expect(fleet.refreshPreferences.InstanceWarmup).toBe(60 + timings.healthySeconds);
    expect(group(json).health_check_grace_period).toBe(60 + timings.healthySeconds);
    expect(group(json).default_instance_warmup).toBe(60 + timings.healthySeconds);
  });

  it('leaves the desired capacity to scaling and the running template version to the pipeline', () => {
    expect(group(buildFleet().json).lifecycle.ignore_changes).toEqual(['desired_capacity', 'launch_template[0].version']);
  });

  it.each([
    ['requests-per-target', 'ALBRequestCountPerTarget'],
    ['cpu', 'ASGAverageCPUUtilization'],
  ] as const)('tracks %s with %s', (metric, type) => {
    const [policy] = resourceList(buildFleet({ scaling: { metric, target: 50 } }).json, 'aws_autoscaling_policy');
    expect(policy.policy_type).toBe('TargetTrackingScaling');
    expect(policy.target_tracking_configuration.predefined_metric_specification.predefined_metric_type).toBe(type);
  });

  it('scales on request count only once the target group is attached, through the HTTPS listener', () => {
    const [policy] = resourceList(buildFleet().json, 'aws_autoscaling_policy');
    expect(policy.depends_on).toEqual([expect.stringMatching(/^aws_lb_listener\.alb_https_\w+$/)]);
  });

  it('waits for the routing rules instead when rules forward to the target group', () => {
    const stack = emptyStack();
    addTestFleet(
      stack,
      {},
      {
        routingRules: [
          { priority: 7, pathPatterns: ['/api/*'] },
          { priority: 9, hostHeaders: ['app.example.com'] },
        ],
      },
    );
    const [policy] = resourceList(synth(stack).json, 'aws_autoscaling_policy');
    expect(policy.depends_on).toEqual([
      expect.stringMatching(/^aws_lb_listener_rule\.alb_rule-7_\w+$/),
      expect.stringMatching(/^aws_lb_listener_rule\.alb_rule-9_\w+$/),
    ]);
  });

  it.each([
    [{ minInstances: 2, maxInstances: 3 }, /maxInstances 3 must be at least twice minInstances 2/],
    [{ minInstances: 0, maxInstances: 2 }, /minInstances 0/],
    [{ initialReleaseVersion: '../v1' }, /initialReleaseVersion "\.\.\/v1" must be a version such as v1\.0\.0/],
  ])('refuses %j', (props, error) => {
    expect(() => buildFleet(props)).toThrow(error);
  });
});

describe('WebServerFleet permissions', () => {
  const extra: PolicyStatement = { Sid: 'ReadTheJobQueue', Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: 'arn:aws:sqs:eu-west-1:123456789012:jobs' };
  const policies = (granted: boolean) => {
    const stack = emptyStack();
    const { fleet } = addTestFleet(stack);
    if (granted) Grant.addToPrincipal(fleet, [extra]);
    return resourceList(synth(stack).json, 'aws_iam_role_policy');
  };

  it('has no granted policy until something is granted to it', () => {
    expect(policies(false).map((p) => p.name)).not.toContain('granted');
  });

  it("takes a grant into the instance role's granted policy", () => {
    const granted = policies(true).find((p) => p.name === 'granted')!;
    expect(granted.role).toMatch(/aws_iam_role\.fleet_instance-role_\w+\.id/);
    expect(policyStatements(granted.policy)).toEqual([extra]);
  });
});
