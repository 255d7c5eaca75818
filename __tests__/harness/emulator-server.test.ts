// The emulator's corrections (harness/emulator-server/moto_server.py): a TLS-only bucket policy
// lets requests over TLS through, as in AWS, while a policy that denies TLS requests still denies;
// a record set deleted and created again is created, whatever else the zone holds; a CodeBuild
// project deleted by ARN is gone; a rotation leaves the new version pending for its function, as
// AWS's does, and a secret rotated once can be rotated again; CloudWatch answers the JSON protocol
// the AWS SDK for JavaScript speaks, on the same alarms the Query protocol (the AWS CLI) sees; an
// input transformer reads an event's time as the ISO string AWS writes.
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { PutBucketPolicyCommand, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig, emulatorCliEnv, startEmulator, VENV_BIN, type Emulator } from '../../harness/emulator';

let emulator: Emulator;
let s3: S3Client;

beforeAll(async () => {
  emulator = await startEmulator();
  s3 = new S3Client({ ...emulatorClientConfig(emulator, 'eu-west-1'), forcePathStyle: true });
}, 120_000);

afterAll(async () => emulator?.stop());

async function bucketDenying(name: string, secureTransport: boolean): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Deny',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
        Condition: { Bool: { 'aws:SecureTransport': secureTransport } },
      },
    ],
  };
  await s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: JSON.stringify(policy) }));
  return name;
}

describe("the emulator's policy conditions", () => {
  it('lets a request over TLS through a deny of requests without TLS', async () => {
    const bucket = await bucketDenying('tls-only-bucket', false);
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }))).resolves.toBeDefined();
  });

  it('still denies a request over TLS where the policy denies TLS requests', async () => {
    const bucket = await bucketDenying('deny-tls-bucket', true);
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }))).rejects.toThrow();
  });
});

describe("the emulator's record sets", () => {
  it('creates a record again after its delete, with another record sorting after it (as after a destroy)', async () => {
    const route53 = new Route53Client(emulatorClientConfig(emulator, 'us-east-1'));
    const zone = (await route53.send(new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: 'recreate-test' }))).HostedZone!.Id!;
    const change = (Action: 'CREATE' | 'DELETE', ResourceRecordSet: ResourceRecordSet) =>
      route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: [{ Action, ResourceRecordSet }] } }));
    const app: ResourceRecordSet = { Name: 'app.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] };
    await change('CREATE', { Name: '_validation.app.example.com', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.acm-validations.aws' }] });
    await change('CREATE', app);
    await change('DELETE', app);
    await expect(change('CREATE', app)).resolves.toBeDefined();
    const { ResourceRecordSets } = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
    expect(ResourceRecordSets!.filter((r) => r.Type === 'A').map((r) => r.Name)).toEqual(['app.example.com.']);
  });

  it('still refuses to create a record that exists', async () => {
    const route53 = new Route53Client(emulatorClientConfig(emulator, 'us-east-1'));
    const zone = (await route53.send(new CreateHostedZoneCommand({ Name: 'example.org', CallerReference: 'exists-test' }))).HostedZone!.Id!;
    const record: ResourceRecordSet = { Name: 'app.example.org', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] };
    const create = () =>
      route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: record }] } }));
    await create();
    await expect(create()).rejects.toThrow(/already exists/);
  });
});

describe("the emulator's CodeBuild projects", () => {
  const aws = (...args: string[]) =>
    execFileSync(join(VENV_BIN, 'aws'), ['--region', 'eu-west-1', '--output', 'json', ...args], {
      env: { PATH: process.env.PATH!, ...emulatorCliEnv(emulator) },
      encoding: 'utf8',
    });
  const create = (name: string) =>
    JSON.parse(
      aws(
        'codebuild',
        'create-project',
        '--name',
        name,
        '--source',
        'type=S3,location=bucket/key.zip',
        '--artifacts',
        'type=NO_ARTIFACTS',
        '--environment',
        'type=LINUX_CONTAINER,image=aws/codebuild/amazonlinux-x86_64-standard:5.0,computeType=BUILD_GENERAL1_SMALL',
        '--service-role',
        'arn:aws:iam::123456789012:role/r',
      ),
    ).project;

  it.each(['name', 'ARN'])('deletes a project named by its %s (the provider sends the ARN), so it can be created again', (by) => {
    const project = create(`image-${by.toLowerCase()}`);
    aws('codebuild', 'delete-project', '--name', by === 'ARN' ? project.arn : project.name);
    expect(JSON.parse(aws('codebuild', 'list-projects')).projects).not.toContain(project.name);
    expect(create(project.name).name).toBe(project.name);
  });
});

describe("the emulator's secret rotation", () => {
  // A rotation function moto does not hold: the test acts as the function, as the harness does with AWS's code.
  const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:rotation';

  it('leaves the new version pending without a value, AWSCURRENT where it was, as AWS does before it invokes the function', async () => {
    const { ARN } = await secrets().send(new CreateSecretCommand({ Name: 'pending', SecretString: 'first' }));
    const token = '00000000-0000-4000-8000-000000000005';
    await secrets().send(
      new RotateSecretCommand({ SecretId: ARN, ClientRequestToken: token, RotationLambdaARN: FUNCTION, RotationRules: { AutomaticallyAfterDays: 30 } }),
    );
    const stages = await stagesOf(ARN!);
    expect(stages[token]).toEqual(['AWSPENDING']);
    expect(Object.values(stages).filter((s) => s.includes('AWSCURRENT'))).toHaveLength(1);
    await expect(secrets().send(new GetSecretValueCommand({ SecretId: ARN, VersionId: token, VersionStage: 'AWSPENDING' }))).rejects.toThrow(
      /can't find the specified secret value/,
    );
    expect((await secrets().send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe('first');
  });

  const secrets = () => new SecretsManagerClient(emulatorClientConfig(emulator, 'eu-west-1'));
  const stagesOf = async (id: string) => (await secrets().send(new DescribeSecretCommand({ SecretId: id }))).VersionIdsToStages!;

  /** A rotation as a function completes it: the pending value, then AWSCURRENT moved onto it. */
  async function rotateOnce(id: string, token: string) {
    await secrets().send(
      new RotateSecretCommand({ SecretId: id, ClientRequestToken: token, RotationLambdaARN: FUNCTION, RotationRules: { AutomaticallyAfterDays: 30 } }),
    );
    await secrets().send(new PutSecretValueCommand({ SecretId: id, ClientRequestToken: token, SecretString: token, VersionStages: ['AWSPENDING'] }));
    const current = Object.entries(await stagesOf(id)).find(([, stages]) => stages.includes('AWSCURRENT'))![0];
    await secrets().send(
      new UpdateSecretVersionStageCommand({ SecretId: id, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }),
    );
  }

  it('starts a second rotation when AWSPENDING stayed on the AWSCURRENT version (AWS: a successful rotation may leave it so)', async () => {
    const { ARN } = await secrets().send(new CreateSecretCommand({ Name: 'rotated-twice', SecretString: 'first' }));
    await rotateOnce(ARN!, '00000000-0000-4000-8000-000000000001');
    expect((await stagesOf(ARN!))['00000000-0000-4000-8000-000000000001']).toEqual(expect.arrayContaining(['AWSCURRENT', 'AWSPENDING']));
    // GetSecretValue without a version answers AWSCURRENT, the value the function put
    expect((await secrets().send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe('00000000-0000-4000-8000-000000000001');
    await expect(rotateOnce(ARN!, '00000000-0000-4000-8000-000000000002')).resolves.toBeUndefined();
  });

  it('refuses a rotation while another is in progress (AWSPENDING on a version that is not AWSCURRENT)', async () => {
    const { ARN } = await secrets().send(new CreateSecretCommand({ Name: 'rotating', SecretString: 'first' }));
    await secrets().send(
      new RotateSecretCommand({
        SecretId: ARN,
        ClientRequestToken: '00000000-0000-4000-8000-000000000003',
        RotationLambdaARN: FUNCTION,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    await secrets().send(
      new PutSecretValueCommand({
        SecretId: ARN,
        ClientRequestToken: '00000000-0000-4000-8000-000000000003',
        SecretString: 'pending',
        VersionStages: ['AWSPENDING'],
      }),
    );
    await expect(
      secrets().send(
        new RotateSecretCommand({ SecretId: ARN, ClientRequestToken: '00000000-0000-4000-8000-000000000004', RotationRules: { AutomaticallyAfterDays: 30 } }),
      ),
    ).rejects.toThrow(/Previous rotation request is still in progress/);
  });
});

describe("the emulator's CloudWatch", () => {
  const cloudwatch = () => new CloudWatchClient(emulatorClientConfig(emulator, 'eu-west-1'));
  const cli = (...args: string[]) =>
    JSON.parse(
      execFileSync(join(VENV_BIN, 'aws'), [...args, '--region', 'eu-west-1', '--output', 'json'], {
        env: { PATH: process.env.PATH!, ...emulatorCliEnv(emulator) },
        encoding: 'utf8',
      }),
    );

  it('answers the JSON protocol of the JavaScript SDK, on the alarms the Query protocol of the CLI sees', async () => {
    // GIVEN an alarm created and moved to ALARM through the SDK (AWS JSON 1.0)
    await cloudwatch().send(
      new PutMetricAlarmCommand({
        AlarmName: 'json-protocol',
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HTTPCode_ELB_5XX_Count',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await cloudwatch().send(new SetAlarmStateCommand({ AlarmName: 'json-protocol', StateValue: 'ALARM', StateReason: 'test' }));
    // THEN the SDK reads it back with its state and time, and the CLI (Query) sees the same alarm
    const [alarm] = (await cloudwatch().send(new DescribeAlarmsCommand({ AlarmNames: ['json-protocol'] }))).MetricAlarms!;
    expect(alarm).toMatchObject({ AlarmName: 'json-protocol', StateValue: 'ALARM', Threshold: 10 });
    expect(alarm.StateUpdatedTimestamp).toBeInstanceOf(Date);
    expect(cli('cloudwatch', 'describe-alarms', '--alarm-names', 'json-protocol').MetricAlarms[0].StateValue).toBe('ALARM');
  });

  it("answers an unknown alarm with CloudWatch's error name over JSON", async () => {
    await expect(cloudwatch().send(new SetAlarmStateCommand({ AlarmName: 'no-such-alarm', StateValue: 'ALARM', StateReason: 'test' }))).rejects.toMatchObject({
      name: 'ResourceNotFound',
    });
  });
});

describe("the emulator's EventBridge", () => {
  const cli = (...args: string[]) => {
    const out = execFileSync(join(VENV_BIN, 'aws'), [...args, '--region', 'eu-west-1', '--output', 'json', '--endpoint-url', emulator.endpoint], {
      env: { PATH: process.env.PATH!, ...emulatorCliEnv(emulator) },
      encoding: 'utf8',
    });
    return out.trim() ? JSON.parse(out) : {};
  };

  /** A rule on a custom source delivering to a new queue, with the given targets' extra settings; the bodies it delivers for one event. */
  function deliver(name: string, target: Record<string, unknown>): string[] {
    const queueUrl = cli('sqs', 'create-queue', '--queue-name', name).QueueUrl;
    const arn = cli('sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'QueueArn').Attributes.QueueArn;
    cli('events', 'put-rule', '--name', name, '--event-pattern', JSON.stringify({ source: [`test.${name}`] }));
    cli('events', 'put-targets', '--rule', name, '--targets', JSON.stringify([{ Id: 'q', Arn: arn, ...target }]));
    cli('events', 'put-events', '--entries', JSON.stringify([{ Source: `test.${name}`, DetailType: 't', Detail: '{"x":1}', Time: '2026-12-06T03:14:15Z' }]));
    return (cli('sqs', 'receive-message', '--queue-url', queueUrl).Messages ?? []).map((m: { Body: string }) => m.Body);
  }

  it("gives an input transformer the event's time as the ISO 8601 string AWS writes", () => {
    const transformer = { InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '"at <time>"' } };
    expect(deliver('transformed', transformer)).toEqual(['"at 2026-12-06T03:14:15Z"']);
  });

  it('still delivers a whole event with its time as that string', () => {
    const [body] = deliver('whole', {});
    expect(JSON.parse(body)).toMatchObject({ source: 'test.whole', time: '2026-12-06T03:14:15Z', detail: { x: 1 } });
  });
});
