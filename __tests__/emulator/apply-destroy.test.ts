// The emulator gate for the Cachet system: apply the dev stack to moto's server on loopback, read
// back what was created with the AWS SDK for JavaScript v3, plan again (no change but the known
// emulator drift), destroy it and check that nothing of ours is left, then apply and destroy again
// (re-creation in the same account must not collide with what the first life left: snapshots,
// secrets in their recovery window, bucket names).
import { ACMClient, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeFlowLogsCommand,
  DescribeNatGatewaysCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { DescribeEnvironmentResourcesCommand, DescribeEnvironmentsCommand, ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeKeyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetBucketEncryptionCommand, GetBucketVersioningCommand, GetPublicAccessBlockCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentConfig } from '../../config/schema';
import {
  applyDevStack,
  EMULATOR_DRIFT,
  EMULATOR_COMMAND_TIMEOUT_MS,
  emulatorClientConfig,
  MAX_REQUESTS,
  type AppliedStack,
  type Emulator,
  type EmulatorPlan,
} from '../../harness/emulator';
import { TLS_POLICY } from '../../constructs/platform';
import { expectNoChangesButDrift } from '../helpers/emulator-drift';
import { expectedSubnets, type Json } from '../helpers/synth';

let applied: AppliedStack;
let config: EnvironmentConfig;
let plan: EmulatorPlan;
let emulator: Emulator;
let destroyed = false;

function clients(endpoint: string, region: string) {
  const common = emulatorClientConfig({ endpoint }, region);
  const global = { ...common, region: 'us-east-1' };
  return {
    ec2: new EC2Client(common),
    rds: new RDSClient(common),
    kms: new KMSClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    secrets: new SecretsManagerClient(common),
    logs: new CloudWatchLogsClient(common),
    acm: new ACMClient(common),
    beanstalk: new ElasticBeanstalkClient(common),
    elbv2: new ElasticLoadBalancingV2Client(common),
    iam: new IAMClient(global),
    route53: new Route53Client(global),
  };
}
let aws: ReturnType<typeof clients>;

beforeAll(async () => {
  applied = await applyDevStack('cachet');
  ({ config, plan, emulator } = applied);
  aws = clients(emulator.endpoint, config.region);
});

afterAll(async () => {
  if (applied && !destroyed) await applied.destroy().catch(() => undefined);
  await emulator?.stop();
});

const name = () => `${config.project}-${config.name}`;

async function beanstalkLoadBalancer(): Promise<string> {
  const { EnvironmentResources } = await aws.beanstalk.send(new DescribeEnvironmentResourcesCommand({ EnvironmentName: `${name()}-cachet` }));
  return EnvironmentResources!.LoadBalancers![0].Name!;
}

describe('the Cachet dev stack applied to the emulator', () => {
  it('applies the whole stack but the rotation function (moto has no Serverless Application Repository) and its rotation', () => {
    expect(plan.excluded.map((e) => e.address.split('.')[0])).toEqual([
      'aws_secretsmanager_secret_rotation',
      'aws_serverlessapplicationrepository_cloudformation_stack',
    ]);
  });

  it('creates the VPC with one subnet per tier and AZ, as configured', async () => {
    const { Vpcs } = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: [config.network.vpcCidr] }] }));
    expect(Vpcs).toHaveLength(1);
    const { Subnets } = await aws.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [Vpcs![0].VpcId!] }] }));
    const actual = Subnets!.map((s) => `${s.Tags?.find((t) => t.Key === 'Tier')?.Value} ${s.AvailabilityZone} ${s.CidrBlock}`).sort();
    expect(actual).toEqual(expectedSubnets(config));
    expect(Subnets!.every((s) => s.MapPublicIpOnLaunch === false)).toBe(true);
  });

  it('creates one NAT gateway for dev and flow logs for all traffic', async () => {
    const { Vpcs } = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: [config.network.vpcCidr] }] }));
    const vpcId = Vpcs![0].VpcId!;
    const { NatGateways } = await aws.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    expect(NatGateways!.filter((n) => n.State !== 'deleted')).toHaveLength(1);
    const { FlowLogs } = await aws.ec2.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [vpcId] }] }));
    expect(FlowLogs!.map((f) => f.TrafficType)).toEqual(['ALL']);
  });

  it('creates exactly the designed security group rules', async () => {
    const { SecurityGroups } = await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:Name', Values: [`${name()}-*`] }] }));
    const byId = new Map(SecurityGroups!.map((g) => [g.GroupId!, g.Tags!.find((t) => t.Key === 'Name')!.Value!.replace(`${name()}-`, '')]));
    const { SecurityGroupRules } = await aws.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [...byId.keys()] }] }));
    const rules = SecurityGroupRules!.map(
      (r) =>
        `${r.IsEgress ? 'egress' : 'ingress'} ${byId.get(r.GroupId!)} ${r.FromPort} ${r.CidrIpv4 ?? r.CidrIpv6 ?? byId.get(r.ReferencedGroupInfo?.GroupId ?? '')}`,
    );
    expect(rules.sort()).toEqual(
      [
        'ingress load-balancer 80 0.0.0.0/0',
        'ingress load-balancer 80 ::/0',
        'ingress load-balancer 443 0.0.0.0/0',
        'ingress load-balancer 443 ::/0',
        'egress load-balancer 80 instances',
        'ingress instances 80 load-balancer',
        'egress instances 443 0.0.0.0/0',
        'egress instances 80 0.0.0.0/0',
        'egress instances 3306 database',
        'ingress database 3306 instances',
      ].sort(),
    );
  });

  it('strips the default security group of every rule', async () => {
    const { Vpcs } = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: [config.network.vpcCidr] }] }));
    const { SecurityGroups } = await aws.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [Vpcs![0].VpcId!] },
          { Name: 'group-name', Values: ['default'] },
        ],
      }),
    );
    expect(SecurityGroups![0].IpPermissions).toEqual([]);
    expect(SecurityGroups![0].IpPermissionsEgress).toEqual([]);
  });

  it('creates an encrypted Aurora MySQL cluster with its instances in distinct AZs, none public', async () => {
    const { DBClusters } = await aws.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: `${name()}-cachet` }));
    const cluster = DBClusters![0];
    expect(cluster).toMatchObject({ Engine: 'aurora-mysql', StorageEncrypted: true, DeletionProtection: false });
    expect(cluster.KmsKeyId).toMatch(/^arn:aws:kms:/);
    const { DBInstances } = await aws.rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: [`${name()}-cachet`] }] }));
    const azs = DBInstances!.map((i) => i.AvailabilityZone);
    expect(azs).toHaveLength(config.database.readerCount + 1);
    expect(new Set(azs).size).toBe(azs.length);
    expect(DBInstances!.every((i) => i.PubliclyAccessible === false)).toBe(true);
  });

  it('creates a rotating customer-managed key under the stack alias', async () => {
    const { KeyMetadata } = await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${name()}` }));
    const { KeyRotationEnabled } = await aws.kms.send(new GetKeyRotationStatusCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(KeyRotationEnabled).toBe(true);
  });

  it('creates the bundle bucket private, versioned and SSE-S3-encrypted (Beanstalk reads bundles with its own credentials)', async () => {
    const { Buckets } = await aws.s3.send(new ListBucketsCommand({}));
    const bucket = Buckets!.find((b) => b.Name!.startsWith(`${name()}-cachet-bundles-`))!.Name!;
    const block = await aws.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    expect(block.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const encryption = await aws.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    expect(encryption.ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm).toBe('AES256');
    expect((await aws.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
  });

  it('generates a Laravel APP_KEY of 32 random bytes in a KMS-encrypted secret', async () => {
    const { SecretList } = await aws.secrets.send(new ListSecretsCommand({}));
    const id = SecretList!.find((s) => s.Name!.startsWith(`${name()}-cachet/app-key-`))!.ARN!;
    const described = await aws.secrets.send(new DescribeSecretCommand({ SecretId: id }));
    expect(described.KmsKeyId).toBeDefined();
    const { SecretString } = await aws.secrets.send(new GetSecretValueCommand({ SecretId: id }));
    expect(SecretString).toMatch(/^base64:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(SecretString!.slice('base64:'.length), 'base64')).toHaveLength(32);
  });

  it("generates Cachet's first admin into a KMS-encrypted secret, for the entry point to set Cachet up with", async () => {
    const { SecretList } = await aws.secrets.send(new ListSecretsCommand({}));
    const id = SecretList!.find((s) => s.Name!.startsWith(`${name()}-cachet/admin-`))!.ARN!;
    expect((await aws.secrets.send(new DescribeSecretCommand({ SecretId: id }))).KmsKeyId).toBeDefined();
    const admin = JSON.parse((await aws.secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString!);
    expect(admin).toEqual({ username: 'admin', email: `admin@${config.dns.domainName}`, password: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/) });
  });

  it('issues the certificate after writing its validation record into the zone', async () => {
    const { CertificateSummaryList } = await aws.acm.send(new ListCertificatesCommand({}));
    const cert = CertificateSummaryList!.find((c) => c.DomainName === config.dns.domainName)!;
    expect(cert.Status).toBe('ISSUED');
    const { ResourceRecordSets } = await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: config.dns.hostedZoneId }));
    expect(ResourceRecordSets!.filter((r) => r.Type === 'CNAME' && r.Name!.includes(config.dns.domainName))).toHaveLength(1);
  });

  it('creates encrypted log groups with the configured retention', async () => {
    const { logGroups } = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/vpc/${name()}` }));
    expect(logGroups!.map((g) => [g.retentionInDays, !!g.kmsKeyId])).toEqual([[config.network.flowLogRetentionDays, true]]);
  });

  it('lets the instance role read only its four secrets (APP_KEY, the admin, the application user, the master)', async () => {
    const { PolicyDocument } = await aws.iam.send(
      new GetRolePolicyCommand({ RoleName: `${name()}-cachet-beanstalk-instance`, PolicyName: 'read-cachet-secrets' }),
    );
    const document = JSON.parse(decodeURIComponent(PolicyDocument!));
    const read = document.Statement.find((s: { Sid: string }) => s.Sid === 'ReadCachetSecrets');
    expect(read.Resource).toHaveLength(4);
    expect(read.Resource.every((arn: string) => arn.startsWith('arn:aws:secretsmanager:'))).toBe(true);
  });

  it("attaches the Beanstalk service role's managed policies (at the paths AWS publishes them under)", async () => {
    const { AttachedPolicies } = await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: `${name()}-cachet-beanstalk-service` }));
    expect(AttachedPolicies!.map((p) => p.PolicyArn).sort()).toEqual([
      'arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy',
      'arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth',
    ]);
  });

  it('launches the Beanstalk environment on the configured platform, Ready and running the synthesized version', async () => {
    const { Environments } = await aws.beanstalk.send(new DescribeEnvironmentsCommand({ EnvironmentNames: [`${name()}-cachet`], IncludeDeleted: false }));
    const version = Object.values<Json>(applied.json.resource.aws_elastic_beanstalk_application_version)[0].name;
    expect(Environments![0]).toMatchObject({ Status: 'Ready', SolutionStackName: config.cachet.solutionStackName, VersionLabel: version });
  });

  it("redirects HTTP on Beanstalk's load balancer to HTTPS, served with the certificate under the project's TLS policy", async () => {
    const listeners = (await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: await beanstalkLoadBalancer() }))).Listeners!;
    const http = listeners.find((l) => l.Port === 80)!;
    expect(http.DefaultActions![0]).toMatchObject({ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } });
    const https = listeners.find((l) => l.Port === 443)!;
    const { CertificateSummaryList } = await aws.acm.send(new ListCertificatesCommand({}));
    expect(https).toMatchObject({
      Protocol: 'HTTPS',
      SslPolicy: TLS_POLICY,
      Certificates: [{ CertificateArn: CertificateSummaryList!.find((c) => c.DomainName === config.dns.domainName)!.CertificateArn }],
    });
  });

  it("checks Cachet's readiness path and drains for 30 s before an instance leaves", async () => {
    const { TargetGroups } = await aws.elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: await beanstalkLoadBalancer() }));
    expect(TargetGroups![0]).toMatchObject({ HealthCheckPath: '/readyz', Port: 80 });
    const { Attributes } = await aws.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: TargetGroups![0].TargetGroupArn }));
    expect(Attributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '30' });
  });

  it("sets the load balancer attributes .ebextensions gives: invalid headers dropped, access logs to the stack's log bucket", async () => {
    const { Attributes } = await aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: await beanstalkLoadBalancer() }));
    const attributes = Object.fromEntries(Attributes!.map((a) => [a.Key, a.Value]));
    expect(attributes).toMatchObject({ 'routing.http.drop_invalid_header_fields.enabled': 'true', 'access_logs.s3.enabled': 'true' });
    const { Buckets } = await aws.s3.send(new ListBucketsCommand({}));
    expect(Buckets!.map((b) => b.Name)).toContain(attributes['access_logs.s3.bucket']);
    expect(attributes['access_logs.s3.bucket']).toMatch(new RegExp(`^${name()}-cachet-alb-logs-`));
  });

  it("points the status page's name at the Beanstalk environment", async () => {
    const { Environments } = await aws.beanstalk.send(new DescribeEnvironmentsCommand({ EnvironmentNames: [`${name()}-cachet`], IncludeDeleted: false }));
    const { ResourceRecordSets } = await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: config.dns.hostedZoneId }));
    const alias = ResourceRecordSets!.find((r) => r.Type === 'A' && r.Name === `${config.dns.domainName}.`)!;
    // Route 53 answers the name with its final dot, moto without.
    expect(alias.AliasTarget!.DNSName!.replace(/\.$/, '')).toBe(Environments![0].CNAME);
  });

  it('stayed within the request bound', () => {
    expect(emulator.requests()).toBeGreaterThan(0);
    expect(emulator.requests()).toBeLessThan(MAX_REQUESTS);
  });
});

describe('after the apply, Terraform wants nothing', () => {
  it(
    'plan -detailed-exitcode reports no changes (but the known emulator drift)',
    async () => {
      expectNoChangesButDrift(await applied.planChanges(), EMULATOR_DRIFT.cachet);
    },
    EMULATOR_COMMAND_TIMEOUT_MS,
  );
});

describe('destroying the Cachet dev stack on the emulator', () => {
  it(
    'leaves nothing of ours behind',
    async () => {
      const keyId = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${name()}` }))).KeyMetadata!.KeyId!;
      await applied.destroy();
      destroyed = true;

      const vpcs = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: [config.network.vpcCidr] }] }));
      expect(vpcs.Vpcs).toEqual([]);
      expect((await aws.rds.send(new DescribeDBClustersCommand({}))).DBClusters).toEqual([]);
      expect((await aws.rds.send(new DescribeDBInstancesCommand({}))).DBInstances).toEqual([]);
      const buckets = (await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? [];
      expect(buckets.filter((b) => b.Name!.startsWith(name()))).toEqual([]);
      const roles = (await aws.iam.send(new ListRolesCommand({}))).Roles ?? [];
      expect(roles.filter((r) => r.RoleName!.startsWith(name()))).toEqual([]);
      expect((await aws.secrets.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
      const groups = (await aws.logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
      expect(groups.filter((g) => g.logGroupName!.includes(name()))).toEqual([]);
      expect((await aws.acm.send(new ListCertificatesCommand({}))).CertificateSummaryList).toEqual([]);
      // KMS keys cannot vanish at once: destroy schedules their deletion.
      const { KeyMetadata } = await aws.kms.send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(KeyMetadata!.KeyState).toBe('PendingDeletion');
    },
    EMULATOR_COMMAND_TIMEOUT_MS + 60_000,
  );
});

describe('the Cachet dev stack after a destroy', () => {
  it(
    'applies again in the same account, and destroys again',
    async () => {
      await applied.apply();
      destroyed = false;
      const { SecretList } = await aws.secrets.send(new ListSecretsCommand({}));
      expect(SecretList!.filter((s) => s.Name!.startsWith(`${name()}-cachet/app-key-`))).toHaveLength(1);
      await applied.destroy();
      destroyed = true;
      expect((await aws.rds.send(new DescribeDBClustersCommand({}))).DBClusters).toEqual([]);
    },
    2 * EMULATOR_COMMAND_TIMEOUT_MS,
  );
});
