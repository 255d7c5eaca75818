import { Construct } from 'constructs';
import type { TerraformResource } from 'cdktf';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import type { EncryptionKey } from './encryption-key';
import { policyDocument, type PolicyStatement } from './policy';
import { Grant, type IGrantable } from './grants';

/** S3's limit on a bucket name (63) minus the unique suffix Terraform appends (26). */
export const BUCKET_PREFIX_MAX_LENGTH = 37;

/** `prefix` cut to S3's limit, keeping its start (project and environment) and its end (the role). */
export function bucketPrefix(prefix: string): string {
  return prefix.length <= BUCKET_PREFIX_MAX_LENGTH ? prefix : `${prefix.slice(0, 21)}${prefix.slice(-(BUCKET_PREFIX_MAX_LENGTH - 21))}`;
}

export interface PrivateBucketProps {
  /**
   * Bucket name prefix; Terraform appends a unique 26-character suffix (names are global). A prefix
   * over S3's 37 characters keeps its first 21 and last 16 (the bucket's role, e.g. `-cachet-alb-logs-`).
   * Give this or `bucketName`.
   */
  readonly namePrefix?: string;
  /**
   * The bucket's exact name, for a bucket others find by name (the Terraform state bucket).
   * @default - `namePrefix` and a unique suffix
   */
  readonly bucketName?: string;
  /**
   * Encrypt objects with this customer-managed key (SSE-KMS, with an S3 bucket key).
   * @default - SSE-S3 (AES-256), for buckets that AWS services read with their own credentials
   */
  readonly encryptionKey?: EncryptionKey;
  /**
   * Encrypt objects by default with S3's AWS-managed KMS key (`aws/s3`), for a bucket whose writer
   * chooses each object's encryption itself (Terraform's S3 backend). Not with `encryptionKey`.
   * @default false
   */
  readonly awsManagedKey?: boolean;
  /**
   * Days after which non-current object versions are deleted.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days after which current objects expire (become non-current, then go after
   * `noncurrentVersionExpirationDays`), for buckets of short-lived objects such as build artifacts.
   * @default - current objects never expire
   */
  readonly expirationDays?: number;
  /**
   * Statements added to the bucket policy after the TLS-only deny, e.g. a service's write grant.
   * @default - none
   */
  readonly policyStatements?: (bucket: S3Bucket) => PolicyStatement[];
}

/**
 * An S3 bucket that cannot be made public: public access blocked, ACLs disabled, versioned,
 * encrypted at rest, and a policy refusing any request not made over TLS.
 */
export class PrivateBucket extends Construct {
  public readonly bucket: S3Bucket;
  /** The bucket policy; whatever AWS checks it for at creation (log delivery) depends on it. */
  public readonly policy: S3BucketPolicy;
  /**
   * Everything that configures the bucket (versioning, encryption, ownership, public access block,
   * lifecycle, policy). Objects written at apply time depend on these: an object put before them
   * would have no version history (a "null" version) and the default encryption of S3, not the key's.
   */
  public readonly settings: TerraformResource[];
  private readonly encryptionKey?: EncryptionKey;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    const expiration = props.noncurrentVersionExpirationDays ?? 90;
    const days = { noncurrentVersionExpirationDays: expiration, expirationDays: props.expirationDays };
    for (const [field, value] of Object.entries(days)) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new Error(`PrivateBucket ${id}: ${field} is ${value}; use a whole number of days, 1 or more`);
      }
    }
    if ((props.namePrefix === undefined) === (props.bucketName === undefined)) {
      throw new Error(`PrivateBucket ${id}: give namePrefix or bucketName, one of the two`);
    }
    if (props.awsManagedKey && props.encryptionKey) {
      throw new Error(`PrivateBucket ${id}: awsManagedKey and encryptionKey both given; use one key`);
    }
    this.bucket = new S3Bucket(this, 'bucket', {
      ...(props.bucketName !== undefined ? { bucket: props.bucketName } : { bucketPrefix: bucketPrefix(props.namePrefix!) }),
      // A destroy leaves a bucket with objects in place, unless DestroyWithContents applies.
      forceDestroy: false,
    });
    const bucket = this.bucket.id;

    const publicAccessBlock = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const ownership = new S3BucketOwnershipControls(this, 'ownership', { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    const versioning = new S3BucketVersioningA(this, 'versioning', { bucket, versioningConfiguration: { status: 'Enabled' } });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [
        props.encryptionKey
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.encryptionKey.arn },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: props.awsManagedKey ? 'aws:kms' : 'AES256' } },
      ],
    });
    const lifecycle = new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      rule: [
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: expiration }],
          ...(props.expirationDays ? { expiration: [{ days: props.expirationDays }] } : {}),
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket,
      policy: policyDocument([
        {
          Sid: 'DenyRequestsWithoutTls',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': false } },
        },
        ...(props.policyStatements?.(this.bucket) ?? []),
      ]),
    });
    this.settings = [publicAccessBlock, ownership, versioning, encryption, lifecycle, this.policy];
  }

  /**
   * Grants a principal `actions` on the objects under `prefix` (every object when
   * it is omitted) and, when the bucket has a customer-managed key, that key through S3 (`keySid`):
   * decrypt, and data keys too when an action writes, as aws-s3's grants add the key's.
   */
  public grantObjects(
    grantee: IGrantable,
    sid: string,
    actions: string | string[],
    options: { readonly prefix?: string; readonly keySid?: string } = {},
  ): Grant {
    if (this.encryptionKey && !options.keySid) {
      throw new Error(`PrivateBucket ${this.node.id}: grant ${sid} needs a keySid, the bucket is encrypted with a customer-managed key`);
    }
    const objects = Grant.addToPrincipal(grantee, [{ Sid: sid, Effect: 'Allow', Action: actions, Resource: `${this.bucket.arn}/${options.prefix ?? ''}*` }]);
    if (!this.encryptionKey || !options.keySid) return objects;
    const writes = [actions].flat().some((a) => a === 's3:PutObject');
    return Grant.combine(objects, this.encryptionKey.grantThroughService(grantee, options.keySid, 's3', { encrypt: writes }));
  }
}
