// "After an apply, a plan shows no changes", on the emulator: what moto reads back differently from
// AWS is listed per test with the reason, and everything else must plan as no change.
import { expect } from 'vitest';
import type { DetailedPlan, PlannedChange } from '../../harness/emulator';

/** One attribute moto reads back differently from AWS, for every resource of a type. */
export interface EmulatorDrift {
  readonly type: string;
  readonly attribute: string;
  readonly why: string;
}

/** What moto reads back differently for security group rules that reference another group (both systems have them). */
export const SECURITY_GROUP_RULE_DRIFT: readonly EmulatorDrift[] = [
  {
    type: 'aws_vpc_security_group_egress_rule',
    attribute: 'description',
    why: 'moto drops the description of a rule that references a security group (DescribeSecurityGroupRules answers none)',
  },
  { type: 'aws_vpc_security_group_ingress_rule', attribute: 'description', why: 'moto drops the description of a rule that references a security group' },
  {
    type: 'aws_vpc_security_group_egress_rule',
    attribute: 'referenced_security_group_id',
    why: 'moto answers the referenced group with an owner the provider, which skips the account id lookup here, reads as another account ("<owner>/<group>")',
  },
  { type: 'aws_vpc_security_group_ingress_rule', attribute: 'referenced_security_group_id', why: 'as for the egress rule' },
];

/**
 * Fails on any planned change but the listed drift, and on a listed drift that no longer occurs
 * (it must leave the list). Prints both, so a failure says what changed.
 */
export function expectNoChangesButDrift({ exitCode, changes }: DetailedPlan, drift: readonly EmulatorDrift[]): void {
  const known = (c: PlannedChange, attribute: string) => drift.some((d) => c.address.startsWith(`${d.type}.`) && d.attribute === attribute);
  const unexpected = changes.flatMap((c) =>
    (c.attributes.length ? c.attributes : ['(whole resource)'])
      .filter((a) => !known(c, a))
      .map((a) => `${c.address} ${c.actions.join('/')}: ${c.details.find((d) => d.startsWith(`${a}:`)) ?? a}`),
  );
  console.log(`known emulator drift:\n  ${changes.flatMap((c) => c.details.map((d) => `${c.address} ${d}`)).join('\n  ')}`);
  if (unexpected.length) console.log(`perpetual diff:\n  ${unexpected.join('\n  ')}`);
  expect(unexpected, 'perpetual diff: resource and attribute').toEqual([]);
  for (const d of drift)
    expect(
      changes.some((c) => known(c, d.attribute) && c.address.startsWith(`${d.type}.`)),
      `${d.type}.${d.attribute}: ${d.why}`,
    ).toBe(true);
  expect(exitCode).toBe(changes.length ? 2 : 0);
}
