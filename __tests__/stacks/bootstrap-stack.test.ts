// BootstrapStack: the state bucket an environment with S3 state needs before its first deploy.
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { BootstrapStack, STATE_VERSION_DAYS } from '../../stacks/bootstrap-stack';
import { config, policyStatements, resourceList, type Json } from '../helpers/synth';

const S3_STATE = { backend: 's3', bucket: 'example-terraform-state-111111111111', region: 'eu-central-1' } as const;

function build(state: object = S3_STATE) {
  const app = Testing.app();
  const stack = new BootstrapStack(app, config('dev', { state } as never));
  return JSON.parse(Testing.synth(stack)) as Json;
}

const json = build();
const one = (type: string) => resourceList(json, type)[0];

describe('BootstrapStack', () => {
  it('creates the bucket state.bucket names, in state.region, in the environment account only, never emptied by a destroy (dev has forceDestroyBuckets)', () => {
    expect(one('aws_s3_bucket')).toMatchObject({ bucket: S3_STATE.bucket, force_destroy: false });
    expect(json.provider.aws[0]).toMatchObject({ region: 'eu-central-1', allowed_account_ids: [config('dev').accountId] });
  });

  it('keeps the bucket when the stack is destroyed', () => {
    expect(one('aws_s3_bucket').lifecycle).toEqual({ prevent_destroy: true });
  });

  it('versions the state and keeps a replaced state for the rollback window', () => {
    expect(one('aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(one('aws_s3_bucket_lifecycle_configuration').rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: STATE_VERSION_DAYS }]);
  });

  it('encrypts at rest, blocks public access and refuses requests without TLS', () => {
    expect(one('aws_s3_bucket_server_side_encryption_configuration').rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: 'aws:kms' });
    expect(one('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(policyStatements(one('aws_s3_bucket_policy').policy)).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': false } } }),
    ]);
  });

  it('keeps its own state in a local file of the project root, named for the stack and the region', () => {
    expect(json.terraform.backend).toEqual({ local: { path: '../../../terraform.bootstrap-dev.eu-central-1.tfstate' } });
  });

  it.each([[{ backend: 'local' }], [{ backend: 'cloud', organization: 'example' }]])('refuses state %j, naming state.backend', (state) => {
    expect(() => build(state)).toThrow(/state\.backend is (local|cloud); the bootstrap stack creates an S3 state bucket/);
  });
});
