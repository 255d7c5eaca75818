import { describe, expect, it } from 'vitest';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { EncryptionKey, type EncryptionKeyProps } from '../../constructs/encryption-key';
import { emptyStack, resourceList, synth, recordingGrantee } from '../helpers/synth';

function build(props: Partial<EncryptionKeyProps> = {}) {
  const stack = emptyStack();
  new EncryptionKey(stack, 'key', { alias: 'test', description: 'test', ...props });
  return synth(stack);
}

describe('EncryptionKey', () => {
  it('rotates the key and waits 30 days before deletion', () => {
    expect(build().text).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
  });

  it('delegates use to the account IAM', () => {
    const [key] = resourceList(build().json, 'aws_kms_key');
    expect(key.policy).toContain('"AWS" = "arn:aws:iam::123456789012:root"');
  });

  it.each([
    [false, 0],
    [true, 1],
  ])('with allowCloudWatchLogs=%s has %i CloudWatch Logs statement(s), limited to this account', (allow, count) => {
    const [key] = resourceList(build({ allowCloudWatchLogs: allow }).json, 'aws_kms_key');
    expect(key.policy.match(/"Service" = "logs\.eu-west-1\.amazonaws\.com"/g) ?? []).toHaveLength(count);
    if (allow) expect(key.policy).toContain('arn:aws:logs:eu-west-1:123456789012:log-group:*');
  });

  it('names the alias', () => {
    expect(resourceList(build().json, 'aws_kms_alias')[0].name).toBe('alias/test');
  });

  it.each([6, 31, 7.5])('refuses deletionWindowDays %s', (days) => {
    expect(() => build({ deletionWindowDays: days })).toThrow(/deletionWindowDays is .*; KMS accepts a whole number from 7 to 30/);
  });
});

describe('EncryptionKey.grantThroughService', () => {
  const key = new EncryptionKey(emptyStack(), 'key', { alias: 'test', description: 'test' });

  it.each([
    [{}, 'kms:Decrypt'],
    [{ encrypt: true }, ['kms:GenerateDataKey', 'kms:Decrypt']],
  ])('with %j allows %j on this key only, through the service in its region', (options, actions) => {
    // GIVEN a grantee
    const grantee = recordingGrantee();
    // WHEN
    const grant = key.grantThroughService(grantee, 'UseIt', 's3', options);
    // THEN the grantee's policy holds the statement, and the grant says so
    const expected = {
      Sid: 'UseIt',
      Effect: 'Allow',
      Action: actions,
      Resource: key.arn,
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    };
    expect(grantee.statements).toEqual([expected]);
    expect(grant.statements).toEqual([expected]);
  });
});
