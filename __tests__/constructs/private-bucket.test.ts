import { Aspects } from 'cdktf';
import { DestroyWithContents } from '../../constructs/removal';
import { describe, expect, it } from 'vitest';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { EncryptionKey } from '../../constructs/encryption-key';
import { bucketPrefix, PrivateBucket } from '../../constructs/private-bucket';
import { emptyStack, resourceList, synth, recordingGrantee } from '../helpers/synth';

function build(withKey: boolean, noncurrentVersionExpirationDays?: number) {
  const stack = emptyStack();
  const encryptionKey = withKey ? new EncryptionKey(stack, 'key', { alias: 't', description: 't' }) : undefined;
  new PrivateBucket(stack, 'bucket', { namePrefix: 'test-', encryptionKey, noncurrentVersionExpirationDays });
  return synth(stack);
}

describe('bucketPrefix', () => {
  it.each([
    ['statuspage-staging-cachet-alb-logs-', 'statuspage-staging-cachet-alb-logs-'],
    ['abcdefghijklmnopqrst-staging-cachet-alb-logs-', 'abcdefghijklmnopqrst-cachet-alb-logs-'],
  ])("keeps %s within S3's 37 characters", (prefix, expected) => {
    expect(bucketPrefix(prefix).length).toBeLessThanOrEqual(37);
    expect(bucketPrefix(prefix)).toBe(expected);
  });
});

describe('PrivateBucket', () => {
  it('blocks every kind of public access', () => {
    expect(build(false).text).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it('is versioned', () => {
    expect(build(false).text).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: 'Enabled' } });
  });

  it.each([
    [false, { sse_algorithm: 'AES256' }],
    [true, { sse_algorithm: 'aws:kms', kms_master_key_id: expect.stringMatching(/aws_kms_key\.key_\w+\.arn/) }],
  ])('with a key=%s encrypts with %j', (withKey, expected) => {
    const [config] = resourceList(build(withKey).json, 'aws_s3_bucket_server_side_encryption_configuration');
    expect(config.rule[0].apply_server_side_encryption_by_default).toEqual(expected);
  });

  it('denies any request made without TLS', () => {
    const [policy] = resourceList(build(false).json, 'aws_s3_bucket_policy');
    expect(policy.policy).toMatch(/"Effect" = "Deny".*"Action" = "s3:\*".*"Bool" = \{"aws:SecureTransport" = false\}/);
  });

  it('refuses a non-positive expiry', () => {
    expect(() => build(false, 0)).toThrow(/noncurrentVersionExpirationDays is 0/);
  });

  it('takes an exact name instead of a prefix, for a bucket others find by name', () => {
    const stack = emptyStack();
    new PrivateBucket(stack, 'state', { bucketName: 'example-state' });
    const [bucket] = resourceList(synth(stack).json, 'aws_s3_bucket');
    expect(bucket.bucket).toBe('example-state');
    expect(bucket.bucket_prefix).toBeUndefined();
  });

  it('encrypts with the AWS-managed key when asked', () => {
    const stack = emptyStack();
    new PrivateBucket(stack, 'state', { bucketName: 'example-state', awsManagedKey: true });
    const [encryption] = resourceList(synth(stack).json, 'aws_s3_bucket_server_side_encryption_configuration');
    expect(encryption.rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: 'aws:kms' });
  });

  it.each([
    [{}, /give namePrefix or bucketName, one of the two/],
    [{ namePrefix: 'a-', bucketName: 'a' }, /give namePrefix or bucketName, one of the two/],
  ])('refuses names %j', (names, message) => {
    expect(() => new PrivateBucket(emptyStack(), 'bucket', names)).toThrow(message);
  });

  it('refuses the AWS-managed key beside a customer-managed one', () => {
    const stack = emptyStack();
    const encryptionKey = new EncryptionKey(stack, 'key', { alias: 't', description: 't' });
    expect(() => new PrivateBucket(stack, 'bucket', { namePrefix: 'a-', encryptionKey, awsManagedKey: true })).toThrow(
      /awsManagedKey and encryptionKey both given/,
    );
  });

  it.each([
    ['without', false],
    ['with', true],
  ])('%s DestroyWithContents on its stack, lets a destroy delete what it holds: %s', (aspect, expected) => {
    const stack = emptyStack();
    if (aspect === 'with') Aspects.of(stack).add(new DestroyWithContents());
    new PrivateBucket(stack, 'bucket', { namePrefix: 'test-' });
    expect(resourceList(synth(stack).json, 'aws_s3_bucket')[0].force_destroy).toBe(expected);
  });
});

describe('PrivateBucket.grantObjects', () => {
  const stack = emptyStack();
  const key = new EncryptionKey(stack, 'key', { alias: 'test', description: 'test' });
  const plain = new PrivateBucket(stack, 'plain', { namePrefix: 'plain-' });
  const encrypted = new PrivateBucket(stack, 'encrypted', { namePrefix: 'encrypted-', encryptionKey: key });

  it('grants the actions on the objects under the prefix, and nothing of a key the bucket does not use', () => {
    // (A token for the bucket's ARN, then the prefix: cdktf hands out a new token per read of `arn`.)
    const grantee = recordingGrantee();
    plain.grantObjects(grantee, 'Read', 's3:GetObject', { prefix: 'web/' });
    expect(grantee.statements).toEqual([
      { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: expect.stringMatching(/^\$\{TfToken\[TOKEN\.\d+\]\}\/web\/\*$/) },
    ]);
  });

  it.each([
    ['s3:GetObject', 'kms:Decrypt'],
    [
      ['s3:GetObject', 's3:PutObject'],
      ['kms:GenerateDataKey', 'kms:Decrypt'],
    ],
  ])('adds the bucket key through S3 for %j: %j', (actions, keyActions) => {
    const grantee = recordingGrantee();
    const grant = encrypted.grantObjects(grantee, 'Use', actions, { keySid: 'UseTheKey' });
    const [, keyStatement] = grantee.statements;
    expect(grant.statements).toEqual(grantee.statements);
    expect(keyStatement).toMatchObject({
      Sid: 'UseTheKey',
      Action: keyActions,
      Resource: key.arn,
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    });
  });

  it('asks for the key statement id when the bucket has a key', () => {
    const grantee = recordingGrantee();
    expect(() => encrypted.grantObjects(grantee, 'Read', 's3:GetObject')).toThrow(/grant Read needs a keySid/);
    expect(grantee.statements).toEqual([]);
  });
});
