import type { EnvironmentConfigInput, EnvironmentName } from './schema';

/**
 * The environments we deploy. Values here are examples for a fresh clone (account ids, zone ids and
 * domains are placeholders): replace them with your own before `cdktf deploy`. The provider refuses
 * to touch any account but `accountId`, so a placeholder can never deploy by accident.
 *
 * Every field is documented, with its default, in the README's configuration reference and in
 * `schema.ts`; only what differs from the defaults is written here.
 */
export const ENVIRONMENTS: Record<EnvironmentName, EnvironmentConfigInput> = {
  dev: {
    name: 'dev',
    project: 'statuspage',
    accountId: '111111111111',
    region: 'eu-west-1',
    forceDestroyBuckets: true,
    network: {
      vpcCidr: '10.10.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetCidrs: ['10.10.0.0/24', '10.10.1.0/24'],
      applicationSubnetCidrs: ['10.10.16.0/20', '10.10.32.0/20'],
      dataSubnetCidrs: ['10.10.64.0/24', '10.10.65.0/24'],
      natGateways: 'single',
      flowLogRetentionDays: 14,
    },
    dns: { domainName: 'status.dev.example.com', hostedZoneId: 'Z0000000000000000DEV' },
    database: {
      engineVersion: '8.0.mysql_aurora.3.08.2',
      instanceClass: 'db.t4g.medium',
      readerCount: 1,
      deletionProtection: false,
      finalSnapshot: false,
      logRetentionDays: 14,
    },
    cachet: {
      solutionStackName: '64bit Amazon Linux 2023 v4.7.2 running Docker',
      instanceType: 't3.small',
      minInstances: 1,
      maxInstances: 2,
      logRetentionDays: 14,
    },
    webapp: {
      network: {
        vpcCidr: '10.11.0.0/16',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        publicSubnetCidrs: ['10.11.0.0/24', '10.11.1.0/24'],
        applicationSubnetCidrs: ['10.11.16.0/20', '10.11.32.0/20'],
        dataSubnetCidrs: ['10.11.64.0/24', '10.11.65.0/24'],
        natGateways: 'single',
        flowLogRetentionDays: 14,
      },
      domainName: 'app.dev.example.com',
      instanceType: 't3.micro',
      minInstances: 1,
      maxInstances: 2,
      deletionProtection: false,
      // Fast checks in dev keep releases (and the drill, which reads these) short.
      healthCheck: { intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2 },
      drainMarginSeconds: 2,
      shutdownTimeoutSeconds: 10,
      delivery: { branch: 'dev', buildLogRetentionDays: 14, artifactRetentionDays: 14 },
    },
  },
  staging: {
    name: 'staging',
    project: 'statuspage',
    accountId: '222222222222',
    region: 'eu-west-1',
    forceDestroyBuckets: true,
    network: {
      vpcCidr: '10.20.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetCidrs: ['10.20.0.0/24', '10.20.1.0/24'],
      applicationSubnetCidrs: ['10.20.16.0/20', '10.20.32.0/20'],
      dataSubnetCidrs: ['10.20.64.0/24', '10.20.65.0/24'],
    },
    dns: { domainName: 'status.staging.example.com', hostedZoneId: 'Z00000000000000STAGE' },
    database: {
      engineVersion: '8.0.mysql_aurora.3.08.2',
      instanceClass: 'db.t4g.medium',
      readerCount: 1,
    },
    cachet: {
      solutionStackName: '64bit Amazon Linux 2023 v4.7.2 running Docker',
      instanceType: 't3.small',
    },
    webapp: {
      network: {
        vpcCidr: '10.21.0.0/16',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        publicSubnetCidrs: ['10.21.0.0/24', '10.21.1.0/24'],
        applicationSubnetCidrs: ['10.21.16.0/20', '10.21.32.0/20'],
        dataSubnetCidrs: ['10.21.64.0/24', '10.21.65.0/24'],
      },
      domainName: 'app.staging.example.com',
      delivery: { branch: 'staging' },
    },
  },
  prod: {
    name: 'prod',
    project: 'statuspage',
    accountId: '333333333333',
    region: 'eu-west-1',
    network: {
      vpcCidr: '10.30.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      publicSubnetCidrs: ['10.30.0.0/24', '10.30.1.0/24', '10.30.2.0/24'],
      applicationSubnetCidrs: ['10.30.16.0/20', '10.30.32.0/20', '10.30.48.0/20'],
      dataSubnetCidrs: ['10.30.64.0/24', '10.30.65.0/24', '10.30.66.0/24'],
      flowLogRetentionDays: 365,
    },
    dns: { domainName: 'status.example.com', hostedZoneId: 'Z000000000000000PROD' },
    database: {
      engineVersion: '8.0.mysql_aurora.3.08.2',
      instanceClass: 'db.r7g.large',
      readerCount: 2,
      backupRetentionDays: 14,
      backtrackWindowHours: 24,
      logRetentionDays: 365,
    },
    cachet: {
      solutionStackName: '64bit Amazon Linux 2023 v4.7.2 running Docker',
      instanceType: 't3.medium',
      minInstances: 2,
      maxInstances: 6,
      deploymentPolicy: 'Immutable',
      logRetentionDays: 365,
    },
    webapp: {
      network: {
        vpcCidr: '10.31.0.0/16',
        availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
        publicSubnetCidrs: ['10.31.0.0/24', '10.31.1.0/24', '10.31.2.0/24'],
        applicationSubnetCidrs: ['10.31.16.0/20', '10.31.32.0/20', '10.31.48.0/20'],
        dataSubnetCidrs: ['10.31.64.0/24', '10.31.65.0/24', '10.31.66.0/24'],
        flowLogRetentionDays: 365,
      },
      domainName: 'app.example.com',
      instanceType: 't3.small',
      minInstances: 3,
      maxInstances: 9,
      delivery: { branch: 'main', buildLogRetentionDays: 365 },
    },
  },
};
