import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../config/environments';
import { ConfigError, loadEnvironments, parseEnvironmentConfig, selectEnvironments } from '../../config/load';
import { ENVIRONMENT_NAMES } from '../../config/schema';
import { config, configInput, JENKINS_SETTINGS } from '../helpers/synth';

describe('the example environments', () => {
  it.each(ENVIRONMENT_NAMES)('%s is valid', (name) => {
    expect(() => parseEnvironmentConfig(ENVIRONMENTS[name], name)).not.toThrow();
  });

  it('fills defaults: local state, one NAT per AZ, deletion protection', () => {
    const staging = parseEnvironmentConfig(ENVIRONMENTS.staging, 'staging');
    expect(staging.state).toEqual({ backend: 'local' });
    expect(staging.network.natGateways).toBe('one-per-az');
    expect(staging.database.deletionProtection).toBe(true);
  });
});

describe('bad configuration is refused with the field and the fix', () => {
  it.each([
    {
      bad: 'a malformed VPC CIDR',
      input: configInput('dev', { network: { vpcCidr: '10.10.0.0/33' } }),
      error: /network\.vpcCidr: "10\.10\.0\.0\/33" has a prefix length above 32/,
    },
    {
      bad: 'a subnet CIDR with host bits set',
      input: configInput('dev', { network: { publicSubnetCidrs: ['10.10.0.5/24', '10.10.1.0/24'] } }),
      error: /network\.publicSubnetCidrs\.0: .*host bits set; the block starts at 10\.10\.0\.0\/24/,
    },
    {
      bad: 'overlapping subnets',
      input: configInput('dev', { network: { dataSubnetCidrs: ['10.10.64.0/24', '10.10.16.0/24'] } }),
      error: /network\.dataSubnetCidrs\.1: "10\.10\.16\.0\/24" overlaps network\.applicationSubnetCidrs\.0 .*must not overlap/,
    },
    {
      bad: 'a subnet outside the VPC',
      input: configInput('dev', { network: { publicSubnetCidrs: ['10.10.0.0/24', '10.99.1.0/24'] } }),
      error: /network\.publicSubnetCidrs\.1: "10\.99\.1\.0\/24" does not fit inside the VPC 10\.10\.0\.0\/16; pick a block inside it/,
    },
    {
      bad: 'fewer than two AZs',
      input: configInput('dev', {
        network: {
          availabilityZones: ['eu-west-1a'],
          publicSubnetCidrs: ['10.10.0.0/24'],
          applicationSubnetCidrs: ['10.10.16.0/20'],
          dataSubnetCidrs: ['10.10.64.0/24'],
        },
        database: { readerCount: 0 },
      }),
      error: /network\.availabilityZones: needs at least two availability zones/,
    },
    {
      bad: 'an AZ outside the region',
      input: configInput('dev', { network: { availabilityZones: ['eu-west-1a', 'us-east-1b'] } }),
      error: /network\.availabilityZones\.1: "us-east-1b" is not an availability zone of region eu-west-1; use names such as eu-west-1a/,
    },
    {
      bad: 'a subnet count that does not match the AZs',
      input: configInput('dev', { network: { applicationSubnetCidrs: ['10.10.16.0/20'] } }),
      error: /network\.applicationSubnetCidrs: has 1 subnets but there are 2 availability zones; give exactly one subnet per AZ/,
    },
    {
      bad: 'SSH open to the world',
      input: configInput('dev', { cachet: { ssh: { operatorCidr: '0.0.0.0/0' } } }),
      error: /cachet\.ssh\.operatorCidr: "0\.0\.0\.0\/0" opens SSH to the whole internet; give the operator's own address as a \/32/,
    },
    {
      bad: 'SSH from a block wider than /24',
      input: configInput('dev', { cachet: { ssh: { operatorCidr: '198.51.0.0/16' } } }),
      error: /cachet\.ssh\.operatorCidr: "198\.51\.0\.0\/16" opens SSH to 65536 addresses/,
    },
    {
      bad: 'a malformed domain',
      input: configInput('dev', { dns: { domainName: 'https://Status.example.com/' } }),
      error: /dns\.domainName: must be a lower-case DNS name such as status\.example\.com/,
    },
    {
      bad: 'no reader in prod',
      input: configInput('prod', { database: { readerCount: 0 } }),
      error: /database\.readerCount: must be at least 1 in prod/,
    },
    {
      bad: 'more instances than AZs',
      input: configInput('dev', { database: { readerCount: 2 } }),
      error: /database\.readerCount: 2 readers plus the writer need 3 availability zones .* lower readerCount or add AZs/,
    },
    {
      bad: 'deletion protection off in prod',
      input: configInput('prod', { database: { deletionProtection: false } }),
      error: /database\.deletionProtection: must be true in prod/,
    },
    {
      bad: 'fewer than 7 days of backups',
      input: configInput('dev', { database: { backupRetentionDays: 1 } }),
      error: /database\.backupRetentionDays: must be at least 7 days: Aurora backup storage up to the cluster size costs nothing/,
    },
    {
      bad: 'minInstances above maxInstances',
      input: configInput('dev', { cachet: { minInstances: 3, maxInstances: 2 } }),
      error: /cachet\.maxInstances: 2 is below minInstances \(3\)/,
    },
    {
      bad: 'a log retention CloudWatch does not accept',
      input: configInput('dev', { network: { flowLogRetentionDays: 10 } }),
      error: /network\.flowLogRetentionDays: must be one of the retention periods CloudWatch Logs accepts/,
    },
    {
      bad: 'a misspelt field',
      input: { ...configInput('dev'), regoin: 'eu-west-1' },
      error: /\(root\): unknown field\(s\) "regoin"; remove them or fix their spelling/,
    },
    {
      bad: 'a region that does not exist (the shape is right)',
      input: configInput('dev', { region: 'eu-west-9', network: { availabilityZones: ['eu-west-9a', 'eu-west-9b'] } }),
      error: /region: must be a region of the aws partition such as eu-west-1/,
    },
    {
      bad: 'two routing rules with one priority',
      input: configInput('dev', {
        webapp: {
          routingRules: [
            { priority: 10, pathPatterns: ['/api/*'] },
            { priority: 10, pathPatterns: ['/admin/*'] },
          ],
        },
      }),
      error: /webapp\.routingRules\.1\.priority: 10 is also the priority of rule 0; listener rules need distinct priorities/,
    },
    {
      bad: 'a routing rule that matches nothing',
      input: configInput('dev', { webapp: { routingRules: [{ priority: 10 }] } }),
      error: /webapp\.routingRules\.0: has neither hostHeaders nor pathPatterns; give at least one/,
    },
    {
      bad: 'a missing account id',
      input: { ...configInput('dev'), accountId: undefined },
      error: /accountId: is required \(string\); add it/,
    },
  ])('refuses $bad', ({ input, error }) => {
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(ConfigError);
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(error);
  });

  it('names the environment in the message', () => {
    const input = configInput('dev', { region: 'nowhere' });
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(/^Invalid configuration for environment "dev":/);
  });

  it('reports every problem of every environment at once', () => {
    const sources = { ...ENVIRONMENTS, dev: configInput('dev', { region: 'nowhere' }), prod: configInput('prod', { accountId: 'x' }) };
    let message = '';
    try {
      loadEnvironments(['dev', 'staging', 'prod'], sources);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/environment "dev":\n {2}- region:/);
    expect(message).toMatch(/environment "prod":\n {2}- accountId:/);
    expect(message).not.toMatch(/environment "staging"/);
  });

  it('refuses an entry whose name differs from its key', () => {
    const sources = { ...ENVIRONMENTS, staging: ENVIRONMENTS.dev };
    expect(() => loadEnvironments(['staging'], sources)).toThrow(/name: is "dev" but the entry is "staging"/);
  });
});

describe('selectEnvironments', () => {
  it('selects every environment by default', () => {
    expect(selectEnvironments(undefined, {})).toEqual(['dev', 'staging', 'prod']);
  });

  it.each([
    ['dev', {}, ['dev']],
    ['dev,prod', {}, ['dev', 'prod']],
    [undefined, { DEPLOY_ENV: 'staging' }, ['staging']],
    ['prod', { DEPLOY_ENV: 'dev' }, ['prod']],
  ])('--env %j with env %j selects %j', (flag, env, expected) => {
    expect(selectEnvironments(flag, env)).toEqual(expected);
  });

  it.each([
    ['qa', {}, /--env: unknown environment "qa"; use one or more of: dev, staging, prod/],
    [undefined, { DEPLOY_ENV: 'dev,qa' }, /DEPLOY_ENV: unknown environment "qa"/],
    [undefined, { DEPLOY_ENV: ' , ' }, /DEPLOY_ENV is empty/],
    ['', {}, /--env is empty/],
  ])('refuses --env %j with env %j', (flag, env, error) => {
    expect(() => selectEnvironments(flag, env)).toThrow(error);
  });
});

describe('bad web app configuration is refused with the field and the fix', () => {
  it.each([
    [configInput('dev', { webapp: { minInstances: 2, maxInstances: 3 } }), /webapp\.maxInstances: 3 must be at least twice minInstances \(2\)/],
    [
      configInput('dev', {
        webapp: {
          network: {
            ...configInput('dev').webapp.network,
            vpcCidr: '10.10.0.0/16',
            publicSubnetCidrs: ['10.10.100.0/24', '10.10.101.0/24'],
            applicationSubnetCidrs: ['10.10.112.0/20', '10.10.128.0/20'],
            dataSubnetCidrs: ['10.10.200.0/24', '10.10.201.0/24'],
          },
        },
      }),
      /webapp\.network\.vpcCidr: "10\.10\.0\.0\/16" overlaps network\.vpcCidr/,
    ],
    [configInput('dev', { webapp: { domainName: 'status.dev.example.com' } }), /webapp\.domainName: is the status page's name too/],
    [
      configInput('dev', { webapp: { network: { ...configInput('dev').webapp.network, availabilityZones: ['eu-west-1a', 'eu-central-1b'] } } }),
      /webapp\.network\.availabilityZones\.1: "eu-central-1b" is not an availability zone of region eu-west-1/,
    ],
    [
      configInput('dev', { webapp: { network: { ...configInput('dev').webapp.network, publicSubnetCidrs: ['10.11.0.0/24', '10.99.0.0/24'] } } }),
      /webapp\.network\.publicSubnetCidrs\.1: "10\.99\.0\.0\/24" does not fit inside the VPC 10\.11\.0\.0\/16/,
    ],
    [configInput('dev', { webapp: { initialReleaseVersion: 'v1/../../x' } }), /webapp\.initialReleaseVersion: must be a version such as v1\.0\.0/],
  ])('refuses %#', (input, error) => {
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(error);
  });

  it('refuses buckets a destroy may empty in prod', () => {
    expect(() => parseEnvironmentConfig(configInput('prod', { forceDestroyBuckets: true }), 'prod')).toThrow(/forceDestroyBuckets: must be false in prod/);
  });
});

describe('bad delivery configuration is refused with the field and the fix', () => {
  it.each([
    [{ branch: 'feature..x' }, /webapp\.delivery\.branch: must be a git branch name such as dev, staging or main/],
    [{ enableJenkins: true }, /webapp\.delivery\.jenkins: is required when enableJenkins is true: give webhookCidrs and officeCidr/],
    [
      { enableJenkins: true, jenkins: { ...JENKINS_SETTINGS, officeCidr: '0.0.0.0/0' } },
      /webapp\.delivery\.jenkins\.officeCidr: "0\.0\.0\.0\/0" opens Jenkins to the whole internet/,
    ],
    [
      { enableJenkins: true, jenkins: { ...JENKINS_SETTINGS, webhookCidrs: ['192.30.252.0/22', '10.0.0.0/8'] } },
      /webapp\.delivery\.jenkins\.webhookCidrs\.1: "10\.0\.0\.0\/8" opens Jenkins to 16777216 addresses/,
    ],
    [{ enableJenkins: true, jenkins: { ...JENKINS_SETTINGS, webhookCidrs: [] } }, /webapp\.delivery\.jenkins\.webhookCidrs: needs at least one block/],
    [{ source: { provider: 'github', fullRepositoryId: 'webapp' } }, /webapp\.delivery\.source\.fullRepositoryId: must be owner\/repository/],
    [{ pullRequestApprovals: 0 }, /webapp\.delivery\.pullRequestApprovals/],
  ] as const)('refuses %j', (delivery, error) => {
    expect(() => parseEnvironmentConfig(configInput('dev', { webapp: { delivery } as never }), 'dev')).toThrow(error);
  });

  it('keeps Jenkins off unless asked, even with its settings present', () => {
    expect(config('dev').webapp.delivery.enableJenkins).toBe(false);
    expect(parseEnvironmentConfig(configInput('dev', { webapp: { delivery: { jenkins: JENKINS_SETTINGS } } }), 'dev').webapp.delivery.enableJenkins).toBe(
      false,
    );
  });
});
