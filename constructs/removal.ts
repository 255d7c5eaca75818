import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';

/**
 * Lets `terraform destroy` delete every bucket with its object versions (S3's `force_destroy`) and
 * every ECR repository with its images (`force_delete`) under the scope it is applied to, as
 * aws-cdk's removal policies are applied to a scope:
 * `Aspects.of(stack).add(new DestroyWithContents())`. Without it, a bucket anything wrote to (a
 * release, a log, an artifact) stops the destroy with BucketNotEmpty, and a repository with images
 * with RepositoryNotEmptyException. For environments whose data may go: never production.
 */
export class DestroyWithContents implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof S3Bucket) node.forceDestroy = true;
    else if (node instanceof EcrRepository) node.forceDelete = true;
  }
}
