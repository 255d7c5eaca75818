// A region change of an environment with local state is refused while the old region's state still
// holds resources; a state file from before the name carried the region is named for renaming.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StateConfig } from '../../config/schema';
import { checkLocalStateRegions } from '../../tools/state-region';
import { config } from '../helpers/synth';

/** A state file holding resources whose ARNs are in `region` (none when `resources` is 0). */
function stateFile(dir: string, name: string, region: string, resources = 2): void {
  const resource = (i: number) => ({
    mode: 'managed',
    type: 'aws_kms_key',
    name: `key${i}`,
    instances: [{ attributes: { arn: `arn:aws:kms:${region}:111111111111:key/${i}` } }],
  });
  writeFileSync(join(dir, name), JSON.stringify({ version: 4, resources: Array.from({ length: resources }, (_, i) => resource(i)) }));
}

function check(dir: string, region = 'eu-west-1', state: StateConfig = { backend: 'local' }) {
  return () => checkLocalStateRegions(dir, [{ name: 'cachet-dev', config: { ...config('dev'), region, state } }]);
}

const project = () => mkdtempSync(join(tmpdir(), 'state-region-'));

describe('checkLocalStateRegions', () => {
  it("accepts the stack's own region's state, and no state at all", () => {
    const dir = project();
    expect(check(dir)).not.toThrow();
    stateFile(dir, 'terraform.cachet-dev.eu-west-1.tfstate', 'eu-west-1');
    expect(check(dir)).not.toThrow();
  });

  it("refuses a region change while another region's state holds resources, naming both regions and the way out", () => {
    // GIVEN cachet-dev applied in eu-west-1
    const dir = project();
    stateFile(dir, 'terraform.cachet-dev.eu-west-1.tfstate', 'eu-west-1');
    // WHEN its file says eu-central-1 THEN synth refuses
    expect(check(dir, 'eu-central-1')).toThrow(
      /^region: environments\/dev\.yaml says eu-central-1, but terraform\.cachet-dev\.eu-west-1\.tfstate still holds 2 resources of cachet-dev in eu-west-1; .* Destroy them first with region: eu-west-1 \(npx cdktf destroy cachet-dev\)/,
    );
  });

  it("accepts the move once the old region's state is empty (destroyed)", () => {
    const dir = project();
    stateFile(dir, 'terraform.cachet-dev.eu-west-1.tfstate', 'eu-west-1', 0);
    expect(check(dir, 'eu-central-1')).not.toThrow();
  });

  it('names the rename for a state file from before the name carried the region', () => {
    const dir = project();
    stateFile(dir, 'terraform.cachet-dev.tfstate', 'eu-west-1');
    expect(check(dir)).toThrow(
      /region: terraform\.cachet-dev\.tfstate holds cachet-dev's 2 resources .*: mv terraform\.cachet-dev\.tfstate terraform\.cachet-dev\.eu-west-1\.tfstate$/,
    );
    expect(check(dir, 'eu-central-1')).toThrow(
      /mv terraform\.cachet-dev\.tfstate terraform\.cachet-dev\.eu-west-1\.tfstate \(its resources are in eu-west-1, not eu-central-1/,
    );
  });

  it("leaves other stacks' state alone (web-dev is not cachet-dev)", () => {
    const dir = project();
    stateFile(dir, 'terraform.web-dev.us-east-1.tfstate', 'us-east-1');
    stateFile(dir, 'terraform.cachet-dev-old.us-east-1.tfstate', 'us-east-1');
    expect(check(dir)).not.toThrow();
  });

  it('does not look at local files for a remote backend', () => {
    const dir = project();
    stateFile(dir, 'terraform.cachet-dev.us-east-1.tfstate', 'us-east-1');
    expect(check(dir, 'eu-west-1', { backend: 's3', bucket: 'acme-tf-state', region: 'eu-west-1', keyPrefix: 'k' })).not.toThrow();
  });

  it('refuses a state file it cannot read, naming its backup', () => {
    const dir = project();
    writeFileSync(join(dir, 'terraform.cachet-dev.us-east-1.tfstate'), '{not json');
    expect(check(dir)).toThrow(/terraform\.cachet-dev\.us-east-1\.tfstate is not a Terraform state file .*restore it from its backup/);
  });
});
