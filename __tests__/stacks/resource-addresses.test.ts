// Construct ids are a contract: a resource's Terraform address is built from its construct path, so
// renaming a construct id or moving a construct to another parent makes Terraform destroy and
// recreate the resource. This test holds every stack's addresses (each shipped example environment,
// the web stack with Jenkins on, and production's bootstrap and pipeline stacks) to the recorded list; an environment added by a file builds the
// same construct paths, so it needs no list of its own. A new resource is added to the list on purpose:
// UPDATE_ADDRESSES=1 npx vitest run __tests__/stacks/resource-addresses.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../project';
import { buildStacks } from '../../stacks';
import { BootstrapStack } from '../../stacks/bootstrap-stack';
import { PipelineStack } from '../../stacks/pipeline/pipeline-stack';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { config, emptyStack, shippedStacks, WITH_JENKINS, type Json } from '../helpers/synth';
import { environmentNames } from '../../config/load';

/** The shipped example environments: the recorded list's. */
const RECORDED_ENVIRONMENTS = ['dev', 'prod', 'staging'];

const FIXTURE = projectPath('__tests__/fixtures/resource-addresses.json');

/** `type.name` (and `data.type.name`) of everything a synthesized stack declares, sorted. */
function addresses(json: Json): string[] {
  const found: string[] = [];
  for (const [kind, prefix] of [
    ['resource', ''],
    ['data', 'data.'],
  ] as const) {
    for (const [type, byName] of Object.entries<Json>(json[kind] ?? {})) {
      for (const name of Object.keys(byName)) found.push(`${prefix}${type}.${name}`);
    }
  }
  return found.sort();
}

/** The addresses `moved` blocks carry state from (cdktf's `moveFromId`; docs/operations.md, "Renaming a construct id"). */
const movedFrom = (json: Json): string[] => (json.moved ?? []).map((m: Json) => m.from);

/** The recorded addresses a stack no longer declares and no `moved` block carries to another. */
function goneAddresses(recorded: readonly string[], current: readonly string[], moved: readonly string[]): string[] {
  return recorded.filter((a) => !current.includes(a) && !moved.includes(a));
}

async function synthesizedStacks(): Promise<Record<string, Json>> {
  const out: Record<string, Json> = {};
  const present = environmentNames();
  for (const env of RECORDED_ENVIRONMENTS.filter((e) => present.includes(e))) {
    for (const [id, text] of await shippedStacks(env)) out[id] = JSON.parse(text);
  }
  for (const stack of buildStacks(Testing.app(), [config('dev', WITH_JENKINS)]).filter((s) => s.node.id.startsWith('web-'))) {
    out[`${stack.node.id}+jenkins`] = JSON.parse(Testing.synth(stack));
  }
  // What npm run bootstrap applies: the state bucket and the infrastructure pipeline.
  const app = Testing.app();
  for (const stack of [new BootstrapStack(app, config('prod')), new PipelineStack(app, config('prod'))]) out[stack.node.id] = JSON.parse(Testing.synth(stack));
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

const stacks = await synthesizedStacks();
const current = Object.fromEntries(Object.entries(stacks).map(([id, json]) => [id, addresses(json)]));

describe('resource addresses', () => {
  if (process.env.UPDATE_ADDRESSES === '1') writeFileSync(FIXTURE, `${JSON.stringify(current, null, 2)}\n`);
  const recorded: Record<string, string[]> = JSON.parse(readFileSync(FIXTURE, 'utf8'));

  it('covers the same stacks as the recorded list', () => {
    expect(Object.keys(current)).toEqual(Object.keys(recorded));
  });

  it.each(Object.keys(recorded))('%s: no recorded address is gone (a rename or a move replaces the resource)', (stack) => {
    const gone = goneAddresses(recorded[stack], current[stack] ?? [], movedFrom(stacks[stack] ?? {}));
    expect(gone, `these addresses no longer exist; keep the construct ids or move them (docs/operations.md, "Renaming a construct id")`).toEqual([]);
  });

  it('takes an address a moved block carries to the renamed resource as kept', () => {
    // GIVEN a bucket renamed from `old` to `new`, with cdktf's moveFromId on the new one
    const stack = emptyStack();
    new S3Bucket(stack, 'new', { bucketPrefix: 'x' }).moveFromId('aws_s3_bucket.old');
    const json = JSON.parse(Testing.synth(stack));
    // THEN the old address is carried, not gone; without the moved block it would be
    expect(goneAddresses(['aws_s3_bucket.old'], addresses(json), movedFrom(json))).toEqual([]);
    expect(goneAddresses(['aws_s3_bucket.old'], addresses(json), [])).toEqual(['aws_s3_bucket.old']);
  });

  it.each(Object.keys(recorded))('%s: every address is recorded (add new ones with UPDATE_ADDRESSES=1)', (stack) => {
    const unrecorded = (current[stack] ?? []).filter((a) => !recorded[stack].includes(a));
    expect(unrecorded).toEqual([]);
  });
});
