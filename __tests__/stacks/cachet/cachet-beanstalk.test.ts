import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  CACHET_BUNDLE_DIR,
  CACHET_IMAGE_DIR,
  CachetBeanstalk,
  cachetVersionLabel,
  DEPLOYMENT_TIMEOUT_SECONDS,
  HEALTH_CONFIG_DOCUMENT,
  type CachetBeanstalkProps,
} from '../../../stacks/cachet/cachet-beanstalk';
import { ContainerImage } from '../../../constructs/container-image';
import { DatabaseApplicationUser } from '../../../constructs/database-application-user';
import { addTestDatabase, emptyStack, policyStatements, resourceList, synth, type Json } from '../../helpers/synth';
import { Grant, type IGrantable } from '../../../constructs/grants';
import type { PolicyStatement } from '../../../constructs/policy';
import { TLS_POLICY } from '../../../constructs/platform';

function build(props: Partial<CachetBeanstalkProps> = {}, after?: (cachet: CachetBeanstalk) => void) {
  const stack = emptyStack();
  const { key, network, database } = addTestDatabase(stack);
  const databaseUser = new DatabaseApplicationUser(stack, 'db-user', { name: 'test-cachet', database, encryptionKey: key });
  const image = new ContainerImage(stack, 'image', { name: 'test-cachet', directory: CACHET_IMAGE_DIR, encryptionKey: key });
  const cachet = new CachetBeanstalk(stack, 'cachet', {
    name: 'test-cachet',
    network,
    certificate: { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/test' },
    database,
    databaseUser,
    encryptionKey: key,
    appUrl: 'https://status.example.com',
    setup: { siteName: 'Example status', adminEmail: 'ops@example.com' },
    image,
    solutionStackName: '64bit Amazon Linux 2023 v4.7.2 running Docker',
    instanceType: 't3.small',
    ...props,
  });
  after?.(cachet);
  return synth(stack).json;
}

function environment(json: Json): Json {
  const [env] = resourceList(json, 'aws_elastic_beanstalk_environment');
  return env;
}

/** The value of one option setting, or undefined. */
function option(json: Json, namespace: string, name: string): string | undefined {
  return environment(json).setting.find((s: Json) => s.namespace === namespace && s.name === name)?.value;
}

describe('CachetBeanstalk option settings', () => {
  const json = build();

  it.each([
    ['aws:ec2:vpc', 'AssociatePublicIpAddress', 'false'],
    ['aws:ec2:vpc', 'ELBScheme', 'public'],
    ['aws:elasticbeanstalk:environment', 'LoadBalancerType', 'application'],
    ['aws:autoscaling:launchconfiguration', 'DisableIMDSv1', 'true'],
    ['aws:autoscaling:launchconfiguration', 'DisableDefaultEC2SecurityGroup', 'true'],
    ['aws:elbv2:listener:443', 'Protocol', 'HTTPS'],
    ['aws:elbv2:listener:443', 'SSLCertificateArns', 'arn:aws:acm:eu-west-1:123456789012:certificate/test'],
    ['aws:elbv2:listener:443', 'SSLPolicy', TLS_POLICY],
    ['aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath', '/readyz'],
    ['aws:elasticbeanstalk:application:environment', 'APP_LOG', 'errorlog'],
    ['aws:elasticbeanstalk:environment:process:default', 'Port', '80'],
    ['aws:elasticbeanstalk:environment:process:default', 'DeregistrationDelay', '30'],
    ['aws:elasticbeanstalk:healthreporting:system', 'SystemType', 'enhanced'],
    ['aws:elasticbeanstalk:cloudwatch:logs', 'StreamLogs', 'true'],
    ['aws:elasticbeanstalk:cloudwatch:logs:health', 'HealthStreamingEnabled', 'true'],
    ['aws:elasticbeanstalk:command', 'DeploymentPolicy', 'RollingWithAdditionalBatch'],
    ['aws:elasticbeanstalk:managedactions', 'ManagedActionsEnabled', 'true'],
    ['aws:elasticbeanstalk:managedactions:platformupdate', 'UpdateLevel', 'minor'],
    ['aws:autoscaling:asg', 'MinSize', '2'],
    ['aws:autoscaling:asg', 'MaxSize', '4'],
    ['aws:autoscaling:trigger', 'MeasureName', 'CPUUtilization'],
    ['aws:elasticbeanstalk:application:environment', 'APP_DEBUG', 'false'],
    ['aws:elasticbeanstalk:command', 'Timeout', String(DEPLOYMENT_TIMEOUT_SECONDS)],
    ['aws:elasticbeanstalk:healthreporting:system', 'ConfigDocument', HEALTH_CONFIG_DOCUMENT],
  ])('sets %s %s = %s', (namespace, name, value) => {
    expect(option(json, namespace, name)).toBe(value);
  });

  it('puts the instances in the application subnets and the load balancer in the public subnets', () => {
    expect(option(json, 'aws:ec2:vpc', 'Subnets')).toMatch(
      /^\$\{join\(",", \[aws_subnet\.network_application-eu-west-1a_\w+\.id, aws_subnet\.network_application-eu-west-1b_\w+\.id, aws_subnet\.network_application-eu-west-1c_\w+\.id\]\)\}$/,
    );
    expect(option(json, 'aws:ec2:vpc', 'ELBSubnets')).toMatch(/^\$\{join\(",", \[aws_subnet\.network_public-eu-west-1a_\w+\.id, .*public-eu-west-1c.*\]\)\}$/);
  });

  it('uses the project security groups for instances and load balancer, not Beanstalk ones', () => {
    expect(option(json, 'aws:autoscaling:launchconfiguration', 'SecurityGroups')).toMatch(/^\$\{aws_security_group\.cachet_instances_\w+\.id\}$/);
    expect(option(json, 'aws:elbv2:loadbalancer', 'SecurityGroups')).toMatch(/^\$\{aws_security_group\.cachet_load-balancer_\w+\.id\}$/);
    expect(option(json, 'aws:elbv2:loadbalancer', 'ManagedSecurityGroup')).toBe(option(json, 'aws:elbv2:loadbalancer', 'SecurityGroups'));
  });

  it('points the database host at the cluster writer endpoint', () => {
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'DB_HOST')).toMatch(/^\$\{aws_rds_cluster\.db_cluster_\w+\.endpoint\}$/);
  });

  it('runs the image built into the ECR repository, under its content tag', () => {
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'CACHET_IMAGE')).toMatch(
      /^\$\{aws_ecr_repository\.image_repository_\w+\.repository_url\}:[0-9a-f]{16}$/,
    );
  });

  it("trusts the VPC's range as proxies, where the load balancer's nodes are", () => {
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'TRUSTED_PROXIES')).toMatch(/^\$\{aws_vpc\.network_vpc_\w+\.cidr_block\}$/);
  });

  it('hands secrets over as Secrets Manager ARNs only', () => {
    // APP_KEY: by ARN to the refresher, which writes the file the containers read at start.
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'APP_KEY_SECRET_ARN')).toMatch(
      /^\$\{aws_secretsmanager_secret\.cachet_app-key_\w+\.arn\}$/,
    );
    expect(option(json, 'aws:elasticbeanstalk:application:environmentsecrets', 'APP_KEY')).toBeUndefined();
    // The database secrets rotate: the instance's refresher reads them by ARN, not Beanstalk at boot.
    // The serving container gets the application user's, the schema container the master's.
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'DB_SECRET_ARN')).toMatch(/^\$\{aws_secretsmanager_secret\.db-user_secret_\w+\.arn\}$/);
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'DB_MASTER_SECRET_ARN')).toMatch(/master_user_secret\[0\]\.secret_arn\}$/);
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'DB_USERNAME')).toBe('cachet_app');
    expect(option(json, 'aws:elasticbeanstalk:application:environmentsecrets', 'DB_MASTER_SECRET')).toBeUndefined();
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'DB_PASSWORD')).toBeUndefined();
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'APP_KEY')).toBeUndefined();
  });

  it('sets no EC2 key pair unless asked to', () => {
    expect(option(json, 'aws:autoscaling:launchconfiguration', 'EC2KeyName')).toBeUndefined();
    expect(option(build({ ssh: { operatorCidr: '203.0.113.7/32', keyName: 'ops' } }), 'aws:autoscaling:launchconfiguration', 'EC2KeyName')).toBe('ops');
  });
});

describe('CachetBeanstalk', () => {
  it.each([
    ['RollingWithAdditionalBatch', 'Health'],
    ['Immutable', 'Immutable'],
  ] as const)('with %s deployments rolls configuration updates as %s', (policy, rollingType) => {
    const json = build({ deploymentPolicy: policy });
    expect(option(json, 'aws:elasticbeanstalk:command', 'DeploymentPolicy')).toBe(policy);
    expect(option(json, 'aws:autoscaling:updatepolicy:rollingupdate', 'RollingUpdateType')).toBe(rollingType);
  });

  it('generates APP_KEY through a write-only argument, never a literal', () => {
    const json = build();
    const version = resourceList(json, 'aws_secretsmanager_secret_version').find((v) => /cachet_app-key_/.test(v.secret_id))!;
    expect(version.secret_string).toBeUndefined();
    expect(version.secret_string_wo).toBe('base64:${base64sha256("${uuid()}${uuid()}")}');
    const secret = resourceList(json, 'aws_secretsmanager_secret').find((r) => /\/app-key-$/.test(r.name_prefix))!;
    expect(secret.kms_key_id).toMatch(/aws_kms_key\.key_\w+\.arn/);
  });

  it('lets the instances read only their four secrets', () => {
    const json = build();
    const policy = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'read-cachet-secrets')!.policy as string;
    expect(policy).toMatch(
      /"Action" = "secretsmanager:GetSecretValue", "Resource" = \[aws_secretsmanager_secret\.cachet_app-key_\w+\.arn, aws_secretsmanager_secret\.cachet_admin_\w+\.arn, aws_secretsmanager_secret\.db-user_secret_\w+\.arn, aws_rds_cluster\.db_cluster_\w+\.master_user_secret\[0\]\.secret_arn\]/,
    );
  });

  it("generates Cachet's first admin at apply time into a KMS-encrypted secret, out of the JSON and the state", () => {
    const json = build();
    const secret = resourceList(json, 'aws_secretsmanager_secret').find((r) => /\/admin-$/.test(r.name_prefix))!;
    expect(secret.kms_key_id).toMatch(/aws_kms_key\.key_\w+\.arn/);
    const value = resourceList(json, 'aws_secretsmanager_secret_version').find((v) => /cachet_admin_/.test(v.secret_id))!;
    expect(value.secret_string).toBeUndefined();
    expect(value.secret_string_wo).toBe(
      '${jsonencode({"username" = "admin", "email" = "ops@example.com", "password" = base64sha256(join("", [uuid(), uuid()]))})}',
    );
    expect(option(json, 'aws:elasticbeanstalk:application:environmentsecrets', 'CACHET_ADMIN')).toMatch(
      /^\$\{aws_secretsmanager_secret\.cachet_admin_\w+\.arn\}$/,
    );
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'CACHET_SITE_NAME')).toBe('Example status');
  });

  it("lets the instances change metadata options only on their own environment's instances", () => {
    const policy = resourceList(build(), 'aws_iam_role_policy').find((p) => p.name === 'read-cachet-secrets')!.policy as string;
    expect(policy).toContain(
      '{"Sid" = "KeepInstanceMetadataFromContainers", "Effect" = "Allow", "Action" = "ec2:ModifyInstanceMetadataOptions", "Resource" = "arn:aws:ec2:eu-west-1:123456789012:instance/*", "Condition" = {"StringEquals" = {"aws:ResourceTag/elasticbeanstalk:environment-name" = "test-cachet"}}}',
    );
    expect(policy.match(/ec2:ModifyInstanceMetadataOptions/g)).toHaveLength(1);
  });

  it('lets the instances pull the image from its repository only', () => {
    const policy = resourceList(build(), 'aws_iam_role_policy').find((p) => p.name === 'read-cachet-secrets')!.policy as string;
    expect(policy).toMatch(/"Sid" = "PullTheImage", .*"ecr:BatchGetImage".*"Resource" = aws_ecr_repository\.image_repository_\w+\.arn/);
    expect(policy).toMatch(/"Action" = "ecr:GetAuthorizationToken", "Resource" = "\*"/);
  });

  it('trusts Beanstalk in its service role with the external ID AWS documents', () => {
    const role = resourceList(build(), 'aws_iam_role').find((r) => r.name === 'test-cachet-beanstalk-service')!;
    expect(role.assume_role_policy).toMatch(/"Condition" = \{"StringEquals" = \{"sts:ExternalId" = "elasticbeanstalk"\}\}/);
    expect(role.assume_role_policy).not.toMatch(/aws:SourceAccount/);
  });

  it('names the APP_KEY secret by prefix, so a re-created stack does not wait out the recovery window', () => {
    const secret = resourceList(build(), 'aws_secretsmanager_secret').find((r) => /app-key/.test(r.name_prefix ?? r.name))!;
    expect(secret.name).toBeUndefined();
    expect(secret.name_prefix).toBe('test-cachet/app-key-');
    expect(secret.recovery_window_in_days).toBe(30);
  });

  it('creates the environment after what its instances need at boot', () => {
    const dependsOn: string[] = environment(build()).depends_on;
    for (const needed of [
      /aws_secretsmanager_secret_version\.cachet_app-key-value_/,
      /aws_iam_role_policy\.cachet_instance-secrets_/,
      /aws_iam_instance_profile\.cachet_instance-profile_/,
      /aws_iam_role_policy_attachment\.cachet_instance-role-AWSElasticBeanstalkWebTier_/,
      /aws_s3_bucket_policy\.cachet_access-logs_policy_/,
    ]) {
      expect(dependsOn.some((d) => needed.test(d))).toBe(true);
    }
  });

  it('leaves the platform version to managed updates after creation', () => {
    expect(environment(build()).lifecycle.ignore_changes).toContain('solution_stack_name');
  });

  it('writes load balancer access logs to a bucket ELB may write to', () => {
    const json = build();
    expect(option(json, 'aws:elasticbeanstalk:customoption', 'AccessLogsBucket')).toMatch(/^\$\{aws_s3_bucket\.cachet_access-logs_bucket_\w+\.id\}$/);
    const policy = resourceList(json, 'aws_s3_bucket_policy').find((p) => /ElbLogDeliveryWritesAccessLogs/.test(p.policy))!;
    expect(policy.policy).toMatch(/logdelivery\.elasticloadbalancing\.amazonaws\.com/);
  });

  it('uploads the source bundle to a private bucket under its content hash', () => {
    const json = build();
    const object = resourceList(json, 'aws_s3_object').find((o) => o.key.startsWith('cachet/'))!;
    expect(object.key).toMatch(/^cachet\/[0-9a-f]{64}\.zip$/);
    expect(resourceList(json, 'aws_s3_bucket_public_access_block')[0]).toMatchObject({ block_public_acls: true, restrict_public_buckets: true });
  });

  it('labels the version with the bundle and the image tag, so an image change alone is an application deployment', () => {
    // GIVEN the synthesized environment WHEN its version label is read
    const json = build();
    const label: string = resourceList(json, 'aws_elastic_beanstalk_application_version')[0].name;
    const imageTag = option(json, 'aws:elasticbeanstalk:application:environment', 'CACHET_IMAGE')!.split(':').pop();
    const bundleKey: string = resourceList(json, 'aws_s3_object').find((o) => o.key.startsWith('cachet/'))!.key;
    // THEN it names both, and the environment deploys it
    expect(label).toBe(cachetVersionLabel(bundleKey.slice('cachet/'.length, -'.zip'.length), imageTag!, 1));
    expect(label).toMatch(/^cachet-[0-9a-f]{16}-[0-9a-f]{16}-k1$/);
    expect(environment(json).version_label).toMatch(/^\$\{aws_elastic_beanstalk_application_version\.cachet_version_\w+\.name\}$/);
  });

  it.each([
    ['a bundle change', 'b'.repeat(64), 'c'.repeat(16), 1],
    ['an image change', 'a'.repeat(64), 'd'.repeat(16), 1],
    ['an APP_KEY rotation', 'a'.repeat(64), 'c'.repeat(16), 2],
  ])('gives %s a new version label', (_change, bundleHash, imageTag, appKeyVersion) => {
    expect(cachetVersionLabel(bundleHash, imageTag, appKeyVersion)).not.toBe(cachetVersionLabel('a'.repeat(64), 'c'.repeat(16), 1));
  });

  it('rotates APP_KEY with appKeyVersion: a new key written, and a new version label that redeploys every instance', () => {
    const json = build({ appKeyVersion: 3 });
    const version = resourceList(json, 'aws_secretsmanager_secret_version').find((v) => /cachet_app-key_/.test(v.secret_id))!;
    expect(version.secret_string_wo_version).toBe(3);
    expect(resourceList(json, 'aws_elastic_beanstalk_application_version')[0].name).toMatch(/-k3$/);
  });

  it('encrypts the bundle bucket with SSE-S3, which Beanstalk reads with its own credentials', () => {
    const json = build();
    const encryption = resourceList(json, 'aws_s3_bucket_server_side_encryption_configuration').find((e) => /cachet_bundles_bucket/.test(e.bucket))!;
    expect(encryption.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe('AES256');
    const policy = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'read-cachet-secrets')!.policy as string;
    expect(policy).toContain('"kms:ViaService" = "secretsmanager.eu-west-1.amazonaws.com"');
  });

  it.each([
    [undefined, 1],
    [false, 0],
    [true, 1],
  ])('with enableWaf=%s puts %i web ACL(s) in front of the load balancer', (enableWaf, count) => {
    const json = build({ enableWaf });
    expect(resourceList(json, 'aws_wafv2_web_acl')).toHaveLength(count);
    const associations = resourceList(json, 'aws_wafv2_web_acl_association');
    expect(associations).toHaveLength(count);
    if (count) expect(associations[0].resource_arn).toMatch(/^\$\{element\(aws_elastic_beanstalk_environment\.cachet_environment_\w+\.load_balancers, 0\)\}$/);
  });

  it('alarms when environment health is Degraded or worse', () => {
    const json = build();
    const alarm = resourceList(json, 'aws_cloudwatch_metric_alarm').find((a) => a.metric_name === 'EnvironmentHealth')!;
    expect(alarm).toMatchObject({ namespace: 'AWS/ElasticBeanstalk', metric_name: 'EnvironmentHealth', threshold: 20 });
  });

  it.each([
    [{ name: 'abc' }, /name "abc" has 3 characters; Beanstalk environment names need 4 to 40/],
    [{ minInstances: 3, maxInstances: 2 }, /minInstances 3 \/ maxInstances 2/],
    [{ scaleInCpuPercent: 80, scaleOutCpuPercent: 70 }, /scaleInCpuPercent 80 must be below scaleOutCpuPercent 70/],
    [{ appKeyVersion: 0 }, /appKeyVersion 0 must be a whole number from 1; raise it by one to rotate APP_KEY/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});

describe('the Cachet source bundle', () => {
  const read = (file: string) => readFileSync(join(CACHET_BUNDLE_DIR, file), 'utf8');

  it('redirects HTTP to HTTPS with a 301 on the load balancer', () => {
    const config = read('.ebextensions/https-redirect.config');
    expect(config).toMatch(/AWSEBV2LoadBalancerListener:/);
    expect(config).toMatch(/Port: 80\n/);
    expect(config).toMatch(/Type: redirect/);
    expect(config).toMatch(/Protocol: HTTPS/);
    expect(config).toMatch(/StatusCode: HTTP_301/);
  });

  it('runs the schema step as the master, then serves as the application user: only the schema container sees the master secret', () => {
    const { services } = parseYaml(read('docker-compose.yml'));
    expect(Object.keys(services)).toEqual(['schema', 'cachet']);
    const { schema, cachet } = services;
    for (const service of [schema, cachet]) expect(service.image).toMatch(/^\$\{CACHET_IMAGE:\?/);
    expect(schema).toMatchObject({
      command: ['/sbin/cachet-start', 'schema'],
      restart: 'no',
      environment: {
        DB_SECRET_FILE: '/run/cachet-secrets/db.json',
        CACHET_APP_SECRET_FILE: '/run/cachet-app-secret/db.json',
        APP_KEY_FILE: '/run/cachet-app-key/app-key',
      },
      volumes: [
        '/opt/cachet-secrets/master:/run/cachet-secrets:ro',
        '/opt/cachet-secrets/app:/run/cachet-app-secret:ro',
        '/opt/cachet-secrets/app-key:/run/cachet-app-key:ro',
      ],
    });
    expect(schema.ports).toBeUndefined();
    expect(cachet).toMatchObject({
      command: ['/sbin/cachet-start', 'serve'],
      restart: 'always',
      depends_on: { schema: { condition: 'service_completed_successfully' } },
      ports: ['80:8000'],
      environment: { DB_SECRET_FILE: '/run/cachet-secrets/db.json', APP_KEY_FILE: '/run/cachet-app-key/app-key' },
      volumes: ['/opt/cachet-secrets/app:/run/cachet-secrets:ro', '/opt/cachet-secrets/app-key:/run/cachet-app-key:ro'],
    });
    expect(JSON.stringify(cachet)).not.toContain('master');
  });

  it('sets the load balancer attributes the web load balancer has, access logs included', () => {
    const config = read('.ebextensions/load-balancer.config');
    expect(config).toMatch(/AWSEBV2LoadBalancer:\n\s+Type: AWS::ElasticLoadBalancingV2::LoadBalancer/);
    expect(config).toMatch(/Key: routing\.http\.drop_invalid_header_fields\.enabled\n\s+Value: "true"/);
    expect(config).toMatch(/Key: routing\.http\.desync_mitigation_mode\n\s+Value: defensive/);
    expect(config).toMatch(/Key: access_logs\.s3\.enabled\n\s+Value: "true"/);
    expect(config).toMatch(/Namespace: aws:elasticbeanstalk:customoption\n\s+OptionName: AccessLogsBucket/);
  });

  it.each([
    '.platform/hooks/prebuild/05-cachet-imds.sh',
    '.platform/hooks/prebuild/10-cachet-db-secret.sh',
    '.platform/hooks/prebuild/20-cachet-image.sh',
    '.platform/confighooks/prebuild/05-cachet-imds.sh',
    '.platform/confighooks/prebuild/10-cachet-db-secret.sh',
    '.platform/confighooks/prebuild/20-cachet-image.sh',
    '.platform/cachet/cachet-db-secret',
  ])('ships %s executable, as Beanstalk runs platform hooks', (file) => {
    expect(statSync(join(CACHET_BUNDLE_DIR, file)).mode & 0o111).toBe(0o111);
  });

  it('runs every prebuild step on configuration deployments too (a confighook for each hook)', () => {
    const names = (dir: string) => readdirSync(join(CACHET_BUNDLE_DIR, dir)).sort();
    expect(names('.platform/confighooks/prebuild')).toEqual(names('.platform/hooks/prebuild'));
  });
});

describe('CachetBeanstalk permissions', () => {
  const extra: PolicyStatement = {
    Sid: 'SendMail',
    Effect: 'Allow',
    Action: 'ses:SendEmail',
    Resource: 'arn:aws:ses:eu-west-1:123456789012:identity/example.com',
  };
  const granted = (json: Json) => resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'granted');

  it('has no granted policy until something is granted to it', () => {
    expect(granted(build())).toBeUndefined();
  });

  it("takes a grant into the instance role's granted policy", () => {
    const policy = granted(build({}, (cachet) => Grant.addToPrincipal(cachet, [extra])))!;
    expect(policy.role).toMatch(/aws_iam_role\.cachet_instance-role_\w+\.id/);
    expect(policyStatements(policy.policy)).toEqual([extra]);
  });
});

describe('CachetBeanstalk image', () => {
  it('runs any IContainerImage: the version label and CACHET_IMAGE name it, and the instances pull it with its grant', () => {
    // GIVEN an image built elsewhere (not a ContainerImage)
    const image = {
      imageUri: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/cachet:feedc0de12345678',
      tag: 'feedc0de12345678',
      grantPull: (grantee: IGrantable) =>
        Grant.addToPrincipal(grantee, [
          { Sid: 'PullTheSharedImage', Effect: 'Allow', Action: 'ecr:BatchGetImage', Resource: 'arn:aws:ecr:eu-west-1:210987654321:repository/cachet' },
        ]),
    };
    // WHEN Cachet runs it
    const json = build({ image });
    // THEN the environment names it and the instance role may pull it
    expect(option(json, 'aws:elasticbeanstalk:application:environment', 'CACHET_IMAGE')).toBe(image.imageUri);
    expect(resourceList(json, 'aws_elastic_beanstalk_application_version')[0].name).toMatch(/-feedc0de12345678-k1$/);
    const secrets = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'read-cachet-secrets')!;
    expect(policyStatements(secrets.policy).map((st) => st.Sid)).toContain('PullTheSharedImage');
  });
});
