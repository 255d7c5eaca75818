// The emulator's Elastic Beanstalk (harness/emulator-server/beanstalk.py), held to what AWS refuses
// and does: an undocumented option or a value outside its documented set refused as AWS refuses it
// (ConfigurationValidationException), a version whose bundle is not in S3 refused, an unknown
// platform branch refused; a launch that fails on what the settings name, or on the bundle, reported
// as an ERROR event (as the provider reads them); a launch that succeeds gives the environment an
// application load balancer with the listeners, target group and attributes the settings and
// .ebextensions ask for; a version in use cannot be deleted; termination removes the load balancer.
import {
  CreateApplicationCommand,
  CreateApplicationVersionCommand,
  CreateEnvironmentCommand,
  DeleteApplicationVersionCommand,
  DescribeEnvironmentResourcesCommand,
  DescribeEnvironmentsCommand,
  DescribeEventsCommand,
  ElasticBeanstalkClient,
  TerminateEnvironmentCommand,
  UpdateEnvironmentCommand,
  type ConfigurationOptionSetting,
} from '@aws-sdk/client-elastic-beanstalk';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipDirectory } from '../../constructs/zip';
import { emulatorClientConfig, startEmulator, type Emulator } from '../../harness/emulator';

const REGION = 'eu-west-1';
const STACK = '64bit Amazon Linux 2023 v4.7.2 running Docker';
const BUCKET = 'beanstalk-bundles';
/** Beanstalk's own pace: the stand-in moves a status on after two seconds. */
const SETTLE_MS = 2_500;

let emulator: Emulator;
let eb: ElasticBeanstalkClient;
let elbv2: ElasticLoadBalancingV2Client;
let s3: S3Client;
let network: { vpc: string; subnets: string[]; group: string };
let count = 0;

beforeAll(async () => {
  emulator = await startEmulator();
  const config = emulatorClientConfig(emulator, REGION);
  eb = new ElasticBeanstalkClient(config);
  elbv2 = new ElasticLoadBalancingV2Client(config);
  s3 = new S3Client({ ...config, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  const ec2 = new EC2Client(config);
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnets = [];
  for (const [i, zone] of ['a', 'b'].entries()) {
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: `${REGION}${zone}` }));
    subnets.push(Subnet!.SubnetId!);
  }
  const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'lb', Description: 'load balancer', VpcId: Vpc!.VpcId }));
  network = { vpc: Vpc!.VpcId!, subnets, group: GroupId! };
}, 120_000);

afterAll(async () => emulator?.stop());

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function options(settings: Record<string, Record<string, string>>): ConfigurationOptionSetting[] {
  return Object.entries(settings).flatMap(([Namespace, byName]) => Object.entries(byName).map(([OptionName, Value]) => ({ Namespace, OptionName, Value })));
}

/** The settings of a load-balanced environment in the test network. */
function baseSettings(): Record<string, Record<string, string>> {
  return {
    'aws:ec2:vpc': { VPCId: network.vpc, Subnets: network.subnets.join(','), ELBSubnets: network.subnets.join(',') },
    'aws:elasticbeanstalk:environment': { EnvironmentType: 'LoadBalanced', LoadBalancerType: 'application' },
    'aws:elbv2:loadbalancer': { SecurityGroups: network.group, ManagedSecurityGroup: network.group },
  };
}

/** An application with one version, its bundle made of the given files. */
async function application(files: Record<string, string> = { 'docker-compose.yml': 'services: {}\n' }): Promise<{ app: string; version: string }> {
  const app = `app-${++count}`;
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${app}.zip`, Body: zipDirectory(dir) }));
  await eb.send(new CreateApplicationCommand({ ApplicationName: app }));
  await eb.send(new CreateApplicationVersionCommand({ ApplicationName: app, VersionLabel: 'v1', SourceBundle: { S3Bucket: BUCKET, S3Key: `${app}.zip` } }));
  return { app, version: 'v1' };
}

async function launch(settings = baseSettings(), files?: Record<string, string>) {
  const { app, version } = await application(files);
  const start = new Date();
  const created = await eb.send(
    new CreateEnvironmentCommand({
      ApplicationName: app,
      EnvironmentName: `${app}-env`,
      SolutionStackName: STACK,
      VersionLabel: version,
      OptionSettings: options(settings),
    }),
  );
  await sleep(SETTLE_MS);
  const errors = await eb.send(new DescribeEventsCommand({ EnvironmentId: created.EnvironmentId, Severity: 'ERROR', StartTime: start }));
  return { app, id: created.EnvironmentId!, created, errors: errors.Events!.map((e) => e.Message) };
}

async function refusal(settings: Record<string, Record<string, string>>, stack = STACK): Promise<string> {
  const { app, version } = await application();
  const creating = eb.send(
    new CreateEnvironmentCommand({
      ApplicationName: app,
      EnvironmentName: `${app}-env`,
      SolutionStackName: stack,
      VersionLabel: version,
      OptionSettings: options(settings),
    }),
  );
  const error = await creating.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error, 'the environment was created').toBeDefined();
  return `${error!.name}: ${error!.message}`;
}

async function loadBalancerOf(id: string): Promise<string> {
  const { EnvironmentResources } = await eb.send(new DescribeEnvironmentResourcesCommand({ EnvironmentId: id }));
  return EnvironmentResources!.LoadBalancers![0].Name!;
}

describe("the emulator's Beanstalk refuses what AWS refuses", () => {
  it('refuses an option its namespace does not document (the deregistration delay once set as DeregistrationTimeout)', async () => {
    const settings = { ...baseSettings(), 'aws:elasticbeanstalk:environment:process:default': { DeregistrationTimeout: '30' } };
    expect(await refusal(settings)).toBe(
      "ConfigurationValidationException: Configuration validation exception: Invalid option specification (Namespace: 'aws:elasticbeanstalk:environment:process:default', OptionName: 'DeregistrationTimeout'): Unknown configuration setting.",
    );
  });

  it('refuses a value outside the set the option documents', async () => {
    const settings = { ...baseSettings(), 'aws:elasticbeanstalk:cloudwatch:logs': { RetentionInDays: '15' } };
    expect(await refusal(settings)).toMatch(
      /^ConfigurationValidationException: .*Invalid option value: '15' .*RetentionInDays.*allowed values: \[1, 3, 5, 7, 14, 30,/,
    );
  });

  it('refuses a platform branch Beanstalk does not have (a newer version of one it has launches below)', async () => {
    expect(await refusal(baseSettings(), '64bit Amazon Linux 2023 v4.7.2 running Dockr')).toMatch(
      /^InvalidParameterValue: No Solution Stack named '.*Dockr' found\.$/,
    );
  });

  it('refuses a version whose source bundle is not in S3, as Beanstalk downloads it at once', async () => {
    await eb.send(new CreateApplicationCommand({ ApplicationName: 'no-bundle' }));
    const creating = eb.send(
      new CreateApplicationVersionCommand({ ApplicationName: 'no-bundle', VersionLabel: 'v1', SourceBundle: { S3Bucket: BUCKET, S3Key: 'missing.zip' } }),
    );
    await expect(creating).rejects.toThrow(`Unable to download from S3 location (Bucket: ${BUCKET}  Key: missing.zip). Reason: Not Found`);
  });
});

describe("the emulator's Beanstalk launches as AWS does", () => {
  it('reports a subnet that does not exist as an ERROR event, the way the provider reads launch failures', async () => {
    const settings = baseSettings();
    settings['aws:ec2:vpc'].Subnets = 'subnet-0123456789abcdef0';
    const { errors } = await launch(settings);
    expect(errors).toEqual(["The subnet ID 'subnet-0123456789abcdef0' (Subnets) does not exist"]);
  });

  it("reports a managed security group left out of the load balancer's groups (AWS: SecurityGroups must include it)", async () => {
    const settings = baseSettings();
    settings['aws:elbv2:loadbalancer'].SecurityGroups = '';
    const { errors } = await launch(settings);
    expect(errors).toEqual([`ManagedSecurityGroup ${network.group} is not among the load balancer's SecurityGroups`]);
  });

  it('reads an option .ebextensions set itself where a template names it', async () => {
    const config = [
      'option_settings:',
      '  - namespace: aws:elasticbeanstalk:customoption',
      '    option_name: AccessLogsBucket',
      '    value: bundle-logs',
      'Resources:',
      '  AWSEBV2LoadBalancer:',
      '    Properties:',
      '      LoadBalancerAttributes:',
      '        - Key: access_logs.s3.bucket',
      '          Value: { "Fn::GetOptionSetting": { Namespace: aws:elasticbeanstalk:customoption, OptionName: AccessLogsBucket } }',
      '',
    ].join('\n');
    const { id, errors } = await launch(baseSettings(), { 'docker-compose.yml': 'services: {}\n', '.ebextensions/lb.config': config });
    expect(errors).toEqual([]);
    const { Attributes } = await elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: await loadBalancerOf(id) }));
    expect(Attributes).toContainEqual({ Key: 'access_logs.s3.bucket', Value: 'bundle-logs' });
  });

  it('reports a bundle the Docker platform cannot run', async () => {
    const { errors } = await launch(baseSettings(), { 'index.php': '<?php' });
    expect(errors).toEqual([expect.stringMatching(/Both 'Dockerfile' and 'Dockerrun.aws.json' are missing in your source bundle/)]);
  });

  it('reports an option .ebextensions sets that its namespace does not document', async () => {
    const config = 'option_settings:\n  aws:elasticbeanstalk:command:\n    DeploymentPolicyy: Rolling\n';
    const { errors } = await launch(baseSettings(), { 'docker-compose.yml': 'services: {}\n', '.ebextensions/deploy.config': config });
    expect(errors).toEqual([expect.stringMatching(/^\.ebextensions\/deploy\.config: .*OptionName: 'DeploymentPolicyy'\): Unknown configuration setting\.$/)]);
  });

  it('moves the environment from Launching to Ready', async () => {
    const { created, id, errors } = await launch();
    expect(created.Status).toBe('Launching');
    expect(errors).toEqual([]);
    const { Environments } = await eb.send(new DescribeEnvironmentsCommand({ EnvironmentIds: [id] }));
    expect(Environments![0]).toMatchObject({ Status: 'Ready', Health: 'Green' });
  });

  it('gives the environment a load balancer with the listeners and the default process the settings ask for', async () => {
    const settings = {
      ...baseSettings(),
      'aws:elasticbeanstalk:environment:process:default': { HealthCheckPath: '/readyz', DeregistrationDelay: '30', UnhealthyThresholdCount: '3' },
    };
    const { id } = await launch(settings);
    const arn = await loadBalancerOf(id);
    const { LoadBalancers } = await elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
    expect(LoadBalancers![0]).toMatchObject({ Type: 'application', Scheme: 'internet-facing', SecurityGroups: [network.group] });
    const { Listeners } = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: arn }));
    expect(Listeners!.map((l) => `${l.Protocol}:${l.Port}`)).toEqual(['HTTP:80']);
    const { TargetGroups } = await elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: arn }));
    expect(TargetGroups![0]).toMatchObject({ HealthCheckPath: '/readyz', UnhealthyThresholdCount: 3 });
    const { Attributes } = await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: TargetGroups![0].TargetGroupArn }));
    expect(Attributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '30' });
  });

  it('sets the load balancer attributes .ebextensions gives, with the options they name resolved', async () => {
    const config = [
      'Resources:',
      '  AWSEBV2LoadBalancer:',
      '    Type: AWS::ElasticLoadBalancingV2::LoadBalancer',
      '    Properties:',
      '      LoadBalancerAttributes:',
      '        - Key: access_logs.s3.bucket',
      '          Value:',
      '            Fn::GetOptionSetting:',
      '              Namespace: aws:elasticbeanstalk:customoption',
      '              OptionName: AccessLogsBucket',
      '',
    ].join('\n');
    const settings = { ...baseSettings(), 'aws:elasticbeanstalk:customoption': { AccessLogsBucket: 'the-logs' } };
    const { id } = await launch(settings, { 'docker-compose.yml': 'services: {}\n', '.ebextensions/lb.config': config });
    const { Attributes } = await elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: await loadBalancerOf(id) }));
    expect(Attributes).toContainEqual({ Key: 'access_logs.s3.bucket', Value: 'the-logs' });
  });

  it('deploys a new version: Updating, then Ready on it', async () => {
    const { app, id } = await launch();
    await eb.send(new CreateApplicationVersionCommand({ ApplicationName: app, VersionLabel: 'v2', SourceBundle: { S3Bucket: BUCKET, S3Key: `${app}.zip` } }));
    const { Status } = await eb.send(new UpdateEnvironmentCommand({ EnvironmentId: id, VersionLabel: 'v2' }));
    expect(Status).toBe('Updating');
    await sleep(SETTLE_MS);
    const { Environments } = await eb.send(new DescribeEnvironmentsCommand({ EnvironmentIds: [id] }));
    expect(Environments![0]).toMatchObject({ Status: 'Ready', VersionLabel: 'v2' });
  });

  it('refuses an update that sets an option its namespace does not document', async () => {
    const { id } = await launch();
    const updating = eb.send(
      new UpdateEnvironmentCommand({ EnvironmentId: id, OptionSettings: options({ 'aws:elasticbeanstalk:command': { DeploymentPolicyy: 'Rolling' } }) }),
    );
    await expect(updating).rejects.toThrow(/OptionName: 'DeploymentPolicyy'\): Unknown configuration setting/);
  });

  it('refuses to delete the version an environment runs', async () => {
    const { app } = await launch();
    await expect(eb.send(new DeleteApplicationVersionCommand({ ApplicationName: app, VersionLabel: 'v1' }))).rejects.toThrow(/is being used by environment/);
  });

  it('terminates: Terminating, then Terminated and still listed, its load balancer gone', async () => {
    const { id } = await launch();
    const arn = await loadBalancerOf(id);
    const { Status } = await eb.send(new TerminateEnvironmentCommand({ EnvironmentId: id, TerminateResources: true }));
    expect(Status).toBe('Terminating');
    await sleep(SETTLE_MS);
    const { Environments } = await eb.send(new DescribeEnvironmentsCommand({ EnvironmentIds: [id] }));
    expect(Environments![0].Status).toBe('Terminated');
    await expect(elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).rejects.toThrow('The specified load balancer does not exist.');
  });
});
