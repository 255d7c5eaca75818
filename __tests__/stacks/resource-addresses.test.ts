// Construct ids are a contract: a resource's Terraform address is built from its construct path, so
// renaming a construct id or moving a construct to another parent makes Terraform destroy and
// recreate the resource. This test holds every stack's addresses (each shipped example environment,
// and the web stack with Jenkins on) to the recorded list; an environment added by a file builds the
// same construct paths, so it needs no list of its own. A new resource is added to the list on purpose:
// UPDATE_ADDRESSES=1 npx vitest run __tests__/stacks/resource-addresses.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../project';
import { buildStacks } from '../../stacks';
import { config, shippedStacks, WITH_JENKINS, type Json } from '../helpers/synth';
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

async function currentAddresses(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const present = environmentNames();
  for (const env of RECORDED_ENVIRONMENTS.filter((e) => present.includes(e))) {
    for (const [id, text] of await shippedStacks(env)) out[id] = addresses(JSON.parse(text));
  }
  for (const stack of buildStacks(Testing.app(), [config('dev', WITH_JENKINS)]).filter((s) => s.node.id.startsWith('web-'))) {
    out[`${stack.node.id}+jenkins`] = addresses(JSON.parse(Testing.synth(stack)));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

const current = await currentAddresses();

describe('resource addresses', () => {
  if (process.env.UPDATE_ADDRESSES === '1') writeFileSync(FIXTURE, `${JSON.stringify(current, null, 2)}\n`);
  const recorded: Record<string, string[]> = JSON.parse(readFileSync(FIXTURE, 'utf8'));

  it('covers the same stacks as the recorded list', () => {
    expect(Object.keys(current)).toEqual(Object.keys(recorded));
  });

  it.each(Object.keys(recorded))('%s: no recorded address is gone (a rename or a move replaces the resource)', (stack) => {
    const gone = recorded[stack].filter((a) => !current[stack]?.includes(a));
    expect(gone, `these addresses no longer exist; keep the construct ids or add a moved block`).toEqual([]);
  });

  it.each(Object.keys(recorded))('%s: every address is recorded (add new ones with UPDATE_ADDRESSES=1)', (stack) => {
    const unrecorded = (current[stack] ?? []).filter((a) => !recorded[stack].includes(a));
    expect(unrecorded).toEqual([]);
  });
});
