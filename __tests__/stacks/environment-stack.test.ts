import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { StateConfig } from '../../config/schema';
import { EnvironmentStack, RETAINED_IN_PRODUCTION } from '../../stacks/environment-stack';
import { buildStacks, plannedStacks } from '../../stacks';
import { config, synth, type Json } from '../helpers/synth';

function build(state: StateConfig) {
  return synth(new EnvironmentStack(Testing.app(), 'cachet-dev', { ...config('dev'), state }));
}

describe('EnvironmentStack state backends', () => {
  it.each<[string, StateConfig, object]>([
    ['local, named with the region', { backend: 'local' }, { backend: { local: { path: '../../../terraform.cachet-dev.eu-west-1.tfstate' } } }],
    [
      's3 with a native lock file, the key carrying the region',
      { backend: 's3', bucket: 'acme-tf-state', region: 'eu-west-1', keyPrefix: 'statuspage' },
      { backend: { s3: { bucket: 'acme-tf-state', key: 'statuspage/eu-west-1/cachet-dev.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true } } },
    ],
    [
      'Terraform Cloud, one workspace per stack',
      { backend: 'cloud', organization: 'acme', workspacePrefix: 'statuspage-', hostname: 'app.terraform.io' },
      { cloud: { organization: 'acme', hostname: 'app.terraform.io', workspaces: { name: 'statuspage-cachet-dev' } } },
    ],
  ])('%s', (_label, state, expected) => {
    const { json } = build(state);
    expect(json.terraform).toMatchObject(expected);
  });

  it.each<[string, StateConfig]>([
    ['local', { backend: 'local' }],
    ['s3', { backend: 's3', bucket: 'acme-tf-state', region: 'eu-west-1', keyPrefix: 'statuspage' }],
  ])('gives the same stack in another region another %s state, so a region change never plans against the old region', (_label, state) => {
    const where = (region: string) => {
      const { json } = synth(new EnvironmentStack(Testing.app(), 'cachet-dev', { ...config('dev'), region, state }));
      return JSON.stringify(json.terraform.backend);
    };
    expect(where('eu-west-1')).not.toBe(where('eu-central-1'));
    expect(where('eu-central-1')).toContain('eu-central-1');
  });

  it('writes exactly one backend or cloud block', () => {
    for (const state of [{ backend: 'local' }, { backend: 's3', bucket: 'b-b-b', region: 'eu-west-1', keyPrefix: 'x' }] as StateConfig[]) {
      const { json } = build(state);
      expect(Object.keys(json.terraform.backend ?? {}).length + (json.terraform.cloud ? 1 : 0)).toBe(1);
    }
  });

  it('does not use DynamoDB locking with S3 state', () => {
    const { json } = build({ backend: 's3', bucket: 'acme-tf-state', region: 'eu-west-1', keyPrefix: 'k' });
    expect(json.terraform.backend.s3.dynamodb_table).toBeUndefined();
  });
});

describe('EnvironmentStack provider', () => {
  it('pins the account and region and tags every resource', () => {
    const { text } = build({ backend: 'local' });
    expect(text).toHaveProviderWithProperties(AwsProvider, {
      region: 'eu-west-1',
      allowed_account_ids: ['111111111111'],
      default_tags: [{ tags: { project: 'statuspage', environment: 'dev', 'managed-by': 'cdktf', stack: 'cachet-dev' } }],
    });
  });

  it('carries no credentials or skip flags (only the test harness adds those)', () => {
    const { json } = build({ backend: 'local' });
    const [provider] = json.provider.aws;
    for (const key of ['access_key', 'secret_key', 'skip_credentials_validation', 'skip_requesting_account_id']) {
      expect(provider[key]).toBeUndefined();
    }
  });

  it('requires the Terraform that has write-only arguments (1.11), so an older one stops at init', () => {
    expect(build({ backend: 'local' }).json.terraform.required_version).toBe('>= 1.11');
  });

  it('pins the provider version the bindings were generated for', () => {
    const { json } = build({ backend: 'local' });
    expect(json.terraform.required_providers.aws.version).toBe('5.100.0');
  });
});

describe('plannedStacks', () => {
  it('names the stacks buildStacks builds, in order, without building them', () => {
    const configs = [config('dev'), config('prod')];
    expect(plannedStacks(configs, ['cachet', 'web']).map((s) => s.name)).toEqual(buildStacks(Testing.app(), configs).map((s) => s.node.id));
  });
});

describe('data a production destroy keeps', () => {
  const lifecycles = (env: string) =>
    buildStacks(Testing.app(), [config(env)]).flatMap((s) => {
      const json = JSON.parse(Testing.synth(s));
      return RETAINED_IN_PRODUCTION.flatMap((type) =>
        Object.entries<Json>(json.resource?.[type] ?? {}).map(([id, r]) => [`${s.node.id}:${type}.${id}`, r.lifecycle]),
      );
    });

  it("prevents destroying every KMS key and the repository in production (the final snapshot's key, the code)", () => {
    const retained = lifecycles('prod');
    expect(retained.map(([address]) => String(address).split(':')[1].split('.')[0]).sort()).toEqual([
      'aws_codecommit_repository',
      'aws_kms_key',
      'aws_kms_key',
    ]);
    for (const [address, lifecycle] of retained) expect(lifecycle, String(address)).toMatchObject({ prevent_destroy: true });
  });

  it.each(['dev', 'staging'])('lets %s be destroyed whole', (env) => {
    for (const [, lifecycle] of lifecycles(env)) expect(lifecycle?.prevent_destroy).toBeUndefined();
  });
});
