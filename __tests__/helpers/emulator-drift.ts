// "After an apply, a plan shows no changes", on the emulator: what moto reads back differently from
// AWS is listed resource by resource and attribute by attribute (harness/emulator.ts EMULATOR_DRIFT,
// each entry naming the moto defect behind it, each reproduced in
// __tests__/harness/emulator-defects.test.ts); everything else must plan as no change.
import { expect } from 'vitest';
import { MOTO_DEFECTS, type DetailedPlan, type EmulatorDrift, type PlannedChange } from '../../harness/emulator';

/**
 * Fails on any planned change but the listed drift (same address, same attribute), and on a listed
 * drift that no longer occurs (it must leave the list). Prints both, so a failure says what changed.
 */
export function expectNoChangesButDrift({ exitCode, changes }: DetailedPlan, drift: readonly EmulatorDrift[]): void {
  const listed = (c: PlannedChange, attribute: string) => drift.some((d) => d.address === c.address && d.attribute === attribute);
  const unexpected = changes.flatMap((c) =>
    (c.attributes.length ? c.attributes : ['(whole resource)'])
      .filter((a) => !listed(c, a))
      .map((a) => `${c.address} ${c.actions.join('/')}: ${c.details.find((d) => d.startsWith(`${a}:`)) ?? a}`),
  );
  console.log(`known emulator drift:\n  ${changes.flatMap((c) => c.details.map((d) => `${c.address} ${d}`)).join('\n  ')}`);
  if (unexpected.length) console.log(`perpetual diff:\n  ${unexpected.join('\n  ')}`);
  expect(unexpected, 'perpetual diff: resource and attribute').toEqual([]);
  const gone = drift.filter((d) => !changes.some((c) => c.address === d.address && c.attributes.includes(d.attribute)));
  expect(
    gone.map((d) => `${d.address} ${d.attribute}: ${MOTO_DEFECTS[d.defect].what}`),
    'listed drift that no longer occurs',
  ).toEqual([]);
  expect(exitCode).toBe(changes.length ? 2 : 0);
}
