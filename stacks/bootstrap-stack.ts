import type { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import type { EnvironmentConfig } from '../config/schema';
import { PrivateBucket } from '../constructs/private-bucket';
import { EnvironmentStack } from './environment-stack';

/** The bootstrap stack of an environment: `bootstrap-<env>`. */
export function bootstrapStackName(config: EnvironmentConfig): string {
  return `bootstrap-${config.name}`;
}

/** Days a replaced or deleted state version is kept: the window to roll a state back in. */
export const STATE_VERSION_DAYS = 90;

/**
 * What an environment needs before its first deploy with `state.backend: s3` (`npm run bootstrap`):
 * the state bucket, named by `state.bucket`, in `state.region`. Private, versioned (every state
 * kept STATE_VERSION_DAYS days after it is replaced), encrypted at rest, TLS only, and kept by
 * `terraform destroy` (prevent_destroy). Locking needs nothing more: the stacks' S3 backend locks with
 * a lock file beside the state (`use_lockfile`, Terraform >= 1.10), no DynamoDB table.
 *
 * The stack's own state is local (`terraform.bootstrap-<env>.<region>.tfstate` in the project
 * root): it cannot live in the bucket it creates, and it holds one bucket that `terraform import`
 * brings back if the file is lost.
 */
export class BootstrapStack extends EnvironmentStack {
  public readonly stateBucket: PrivateBucket;

  constructor(scope: Construct, config: EnvironmentConfig) {
    const { state } = config;
    if (state.backend !== 's3') {
      throw new Error(
        `BootstrapStack ${config.name}: state.backend is ${state.backend}; the bootstrap stack creates an S3 state bucket, for state.backend s3 only`,
      );
    }
    // The provider in the bucket's region; the stack's own state local; and never emptied by a
    // destroy, whatever the environment's forceDestroyBuckets.
    super(scope, bootstrapStackName(config), { ...config, region: state.region, state: { backend: 'local' }, forceDestroyBuckets: false });
    this.stateBucket = new PrivateBucket(this, 'state', {
      bucketName: state.bucket,
      // Terraform's S3 backend sets each state object's encryption itself (state.kmsKeyId, else SSE-S3).
      awsManagedKey: true,
      noncurrentVersionExpirationDays: STATE_VERSION_DAYS,
    });
    this.stateBucket.bucket.lifecycle = { preventDestroy: true };
    new TerraformOutput(this, 'state_bucket', { value: this.stateBucket.bucket.bucket, description: 'The state bucket' });
    new TerraformOutput(this, 'state_bucket_arn', { value: this.stateBucket.bucket.arn });
  }
}
