// The systems' descriptors (stacks/system.ts) held to what each system's stack really synthesizes:
// a descriptor that names an output, a page or a health path its stack does not have fails here,
// system by system, environment by environment.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentNames } from '../../config/load';
import { projectPath } from '../../project';
import { SYSTEMS, type SystemName } from '../../stacks';
import { config, resourceList, shippedStacks, type Json } from '../helpers/synth';

const systems = Object.entries(SYSTEMS) as [SystemName, (typeof SYSTEMS)[SystemName]][];
const cases = environmentNames().flatMap((env) => systems.map(([name, system]) => [env, name, system] as const));

/** The synthesized stack of `system` in `env`. */
async function stackOf(env: string, name: string): Promise<Json> {
  const found = (await shippedStacks(env)).find(([id]) => id === SYSTEMS[name as SystemName].stackName(config(env)));
  if (!found) throw new Error(`${name} has no stack in ${env}`);
  return JSON.parse(found[1]);
}

describe.each(cases)('in %s, the %s system', (env, name, system) => {
  it('names its stack <system>-<env>', () => {
    expect(system.stackName(config(env))).toBe(`${name}-${env}`);
  });

  it('has every output its verify profile reads', async () => {
    const { urlOutput, frontOutput, info, closedDatabase } = system.verify;
    const read = [urlOutput, frontOutput, info?.desiredOutput, closedDatabase?.endpointOutput, closedDatabase?.portOutput].filter(Boolean);
    expect(Object.keys((await stackOf(env, name)).output ?? {})).toEqual(expect.arrayContaining(read));
  });

  it("checks the health path its load balancer's health check uses", async () => {
    const json = await stackOf(env, name);
    const paths = [
      ...resourceList(json, 'aws_lb_target_group').map((g) => g.health_check?.path),
      ...resourceList(json, 'aws_elastic_beanstalk_environment').flatMap((e) =>
        (e.setting as Json[])
          .filter((s) => s.namespace === 'aws:elasticbeanstalk:environment:process:default' && s.name === 'HealthCheckPath')
          .map((s) => s.value),
      ),
    ];
    expect(paths).toContain(system.verify.health.path);
  });
});

describe.each(systems)('the %s system', (_, system) => {
  it('has its docs page, linked from the README', () => {
    expect(existsSync(projectPath(system.docs))).toBe(true);
    expect(readFileSync(projectPath('README.md'), 'utf8')).toContain(`](${system.docs})`);
  });
});
