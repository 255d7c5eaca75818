// DestroyWithContents: what `forceDestroyBuckets` applies to a whole stack, as aws-cdk applies removal
// policies to a scope, instead of a prop threaded through every construct with a bucket.
import { Aspects } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { PrivateBucket } from '../../constructs/private-bucket';
import { DestroyWithContents } from '../../constructs/removal';
import { emptyStack, resourceList, synth } from '../helpers/synth';

function build(withAspect: boolean) {
  const stack = emptyStack();
  if (withAspect) Aspects.of(stack).add(new DestroyWithContents());
  new PrivateBucket(stack, 'a', { namePrefix: 'a-' });
  new PrivateBucket(stack, 'b', { namePrefix: 'b-' });
  new EcrRepository(stack, 'images', { name: 'images', forceDelete: false });
  new SqsQueue(stack, 'queue', { name: 'q' });
  return synth(stack).json;
}

describe('DestroyWithContents', () => {
  it.each([
    [false, false],
    [true, true],
  ])('applied %s: every bucket and repository may be destroyed with its contents: %s', (applied, expected) => {
    const json = build(applied);
    expect(resourceList(json, 'aws_s3_bucket').map((b) => b.force_destroy)).toEqual([expected, expected]);
    expect(resourceList(json, 'aws_ecr_repository')[0].force_delete).toBe(expected);
  });

  it('changes nothing else', () => {
    expect(resourceList(build(true), 'aws_sqs_queue')).toEqual(resourceList(build(false), 'aws_sqs_queue'));
  });
});
