// Constructs take their account and region from their stack (LOCATION_CONTEXT, read by locationOf),
// as aws-cdk's read Stack.of(this), instead of a `location` prop threaded through every one.
import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { EncryptionKey } from '../../constructs/encryption-key';
import { LOCATION_CONTEXT, locationOf } from '../../constructs/policy';
import { resourceList, synth } from '../helpers/synth';

const stackIn = (location?: { accountId: string; region: string }) => {
  const stack = new TerraformStack(Testing.app(), 'located');
  if (location) stack.node.setContext(LOCATION_CONTEXT, location);
  return stack;
};

describe('locationOf', () => {
  it("gives a construct nested anywhere in a stack the stack's account and region", () => {
    const stack = stackIn({ accountId: '210987654321', region: 'ap-southeast-2' });
    const deep = new Construct(new Construct(stack, 'a'), 'b');
    expect(locationOf(deep)).toEqual({ accountId: '210987654321', region: 'ap-southeast-2' });
  });

  it("is what a construct's resources are written with", () => {
    // GIVEN a stack in another account WHEN a key is made in it THEN its policy delegates to that account
    const stack = stackIn({ accountId: '210987654321', region: 'ap-southeast-2' });
    new EncryptionKey(stack, 'key', { alias: 'k', description: 'k' });
    expect(resourceList(synth(stack).json, 'aws_kms_key')[0].policy).toContain('"AWS" = "arn:aws:iam::210987654321:root"');
  });

  it('refuses a construct outside any located scope, naming its path and the fix', () => {
    expect(() => new EncryptionKey(stackIn(), 'key', { alias: 'k', description: 'k' })).toThrow(
      /located\/key: no account and region in its scope; build it in an EnvironmentStack, or set the "cdktf-aws-systems:location" context/,
    );
  });
});
