// The emulator's corrections (scripts/emulator-server/moto_server.py): a TLS-only bucket policy
// lets requests over TLS through, as in AWS, while a policy that denies TLS requests still denies;
// a record set deleted by a name without the trailing dot is deleted.
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { PutBucketPolicyCommand, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorAgent, startEmulator, type Emulator } from '../../scripts/emulator';

let emulator: Emulator;
let s3: S3Client;

beforeAll(async () => {
  emulator = await startEmulator();
  s3 = new S3Client({ endpoint: emulator.endpoint, region: 'eu-west-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, requestHandler: { httpsAgent: emulatorAgent } });
}, 60_000);

afterAll(async () => emulator?.stop());

async function bucketDenying(name: string, secureTransport: boolean): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Deny', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`], Condition: { Bool: { 'aws:SecureTransport': secureTransport } } }],
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

describe("the emulator's record set deletes", () => {
  it('deletes a record named without the trailing dot, as Route 53 does', async () => {
    const route53 = new Route53Client({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, requestHandler: { httpsAgent: emulatorAgent } });
    const zone = (await route53.send(new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: 'delete-test' }))).HostedZone!.Id!;
    const record = { Name: 'app.example.com', Type: 'CNAME' as const, TTL: 60, ResourceRecords: [{ Value: 'target.example.com' }] };
    await route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: record }] } }));
    await route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: record }] } }));
    const { ResourceRecordSets } = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
    expect(ResourceRecordSets!.filter((r) => r.Type === 'CNAME')).toEqual([]);
  });
});
