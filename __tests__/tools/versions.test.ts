// `npm run versions`: the pinned Aurora engine and Beanstalk platform against what AWS offers, through
// the real SDK clients against a local endpoint speaking the RDS and Elastic Beanstalk Query APIs.
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RDSClient } from '@aws-sdk/client-rds';
import { ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { projectPath } from '../../project';
import { checkVersions } from '../../tools/versions';
import { config } from '../helpers/synth';

const dev = config('dev');
const PINNED_ENGINE = dev.database.engineVersion;
const PINNED_STACK = dev.cachet.solutionStackName;

interface Offer {
  /** The pinned engine's status; undefined: AWS does not list it. */
  readonly status?: string;
  readonly upgradeTargets?: string[];
  readonly stacks?: string[];
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A local endpoint answering DescribeDBEngineVersions and ListAvailableSolutionStacks as AWS's Query APIs do. */
async function awsQuery(offer: Offer) {
  const requests: Record<string, string>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      requests.push(params);
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      if (params.Action === 'DescribeDBEngineVersions') {
        const targets = (offer.upgradeTargets ?? [])
          .map(
            (v) =>
              `<UpgradeTarget><Engine>aurora-mysql</Engine><EngineVersion>${v}</EngineVersion><IsMajorVersionUpgrade>false</IsMajorVersionUpgrade></UpgradeTarget>`,
          )
          .join('');
        const version =
          offer.status === undefined
            ? ''
            : `<DBEngineVersion><Engine>aurora-mysql</Engine><EngineVersion>${params.EngineVersion}</EngineVersion><Status>${offer.status}</Status><ValidUpgradeTarget>${targets}<UpgradeTarget><EngineVersion>9.0.mysql_aurora.4.01.0</EngineVersion><IsMajorVersionUpgrade>true</IsMajorVersionUpgrade></UpgradeTarget></ValidUpgradeTarget></DBEngineVersion>`;
        res.end(
          `<DescribeDBEngineVersionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBEngineVersionsResult><DBEngineVersions>${version}</DBEngineVersions></DescribeDBEngineVersionsResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeDBEngineVersionsResponse>`,
        );
      } else if (params.Action === 'ListAvailableSolutionStacks') {
        const members = (offer.stacks ?? []).map((s) => `<member>${xml(s)}</member>`).join('');
        res.end(
          `<ListAvailableSolutionStacksResponse xmlns="http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/"><ListAvailableSolutionStacksResult><SolutionStacks>${members}</SolutionStacks></ListAvailableSolutionStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListAvailableSolutionStacksResponse>`,
        );
      } else {
        res.writeHead(400);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const credentials = { accessKeyId: 't', secretAccessKey: 't' };
  return {
    url,
    requests,
    clients: {
      rds: new RDSClient({ region: dev.region, endpoint: url, credentials }),
      beanstalk: new ElasticBeanstalkClient({ region: dev.region, endpoint: url, credentials }),
    },
    close: () => server.close(),
  };
}

const CURRENT_STACKS = [
  '64bit Amazon Linux 2023 v4.7.2 running Docker',
  '64bit Amazon Linux 2023 v4.10.0 running Docker',
  '64bit Amazon Linux 2023 v4.9.1 running Docker',
  '64bit Amazon Linux 2023 v6.1.0 running Node.js 22',
  '64bit Amazon Linux 2 v3.9.0 running Docker',
];

describe('npm run versions', () => {
  it('finds both pins offered, names the newest of each, and asks for the pinned engine of aurora-mysql', async () => {
    const aws = await awsQuery({ status: 'available', upgradeTargets: ['8.0.mysql_aurora.3.10.1', '8.0.mysql_aurora.3.09.0'], stacks: CURRENT_STACKS });
    try {
      const [database, platform] = await checkVersions(dev, aws.clients);
      expect(database).toMatchObject({
        ok: true,
        newest: '8.0.mysql_aurora.3.10.1',
        detail: 'available; the newest minor version it upgrades to is 8.0.mysql_aurora.3.10.1',
      });
      expect(platform).toMatchObject({ ok: true, newest: '64bit Amazon Linux 2023 v4.10.0 running Docker' });
      expect(aws.requests[0]).toMatchObject({ Action: 'DescribeDBEngineVersions', Engine: 'aurora-mysql', EngineVersion: PINNED_ENGINE });
    } finally {
      aws.close();
    }
  });

  it.each([
    [
      'deprecated',
      { status: 'deprecated', upgradeTargets: ['8.0.mysql_aurora.3.10.1'] },
      /^deprecated: a new cluster cannot be created with it; pin 8\.0\.mysql_aurora\.3\.10\.1$/,
    ],
    ['no longer listed', {}, /AWS no longer offers .* in eu-west-1: a new cluster cannot be created; pin a current version/],
  ])('refuses a pinned engine that is %s', async (_label, offer, detail) => {
    const aws = await awsQuery({ ...offer, stacks: CURRENT_STACKS });
    try {
      const [database] = await checkVersions(dev, aws.clients);
      expect(database.ok).toBe(false);
      expect(database.detail).toMatch(detail);
    } finally {
      aws.close();
    }
  });

  it('refuses a pinned platform AWS no longer offers, naming the newest Amazon Linux 2023 Docker stack', async () => {
    const aws = await awsQuery({ status: 'available', stacks: CURRENT_STACKS.filter((s) => s !== PINNED_STACK) });
    try {
      const [, platform] = await checkVersions(dev, aws.clients);
      expect(platform).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/no longer offered in eu-west-1: .* pin "64bit Amazon Linux 2023 v4\.10\.0 running Docker"/),
      });
    } finally {
      aws.close();
    }
  });

  it.each([
    ['current', { status: 'available', stacks: CURRENT_STACKS }, 0],
    ['stale', { status: 'deprecated', stacks: CURRENT_STACKS }, 1],
  ])(
    'exits 0 when the pins are %s, 1 when not (through the AWS SDK against the endpoint)',
    async (_label, offer, code) => {
      const aws = await awsQuery(offer);
      try {
        const { DEPLOY_ENV: _ignored, ...env } = process.env;
        const result = await new Promise<{ code: number; stdout: string }>((resolve) =>
          execFile(
            process.execPath,
            ['--import', 'tsx', 'tools/versions.ts', '--env', 'dev'],
            {
              cwd: projectPath(),
              timeout: 120_000,
              env: { ...env, AWS_ENDPOINT_URL_RDS: aws.url, AWS_ENDPOINT_URL_ELASTIC_BEANSTALK: aws.url, AWS_ACCESS_KEY_ID: 't', AWS_SECRET_ACCESS_KEY: 't' },
            },
            (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
          ),
        );
        expect(result.code).toBe(code);
        expect(result.stdout).toMatch(new RegExp(`dev database\\.engineVersion ${PINNED_ENGINE.replace(/\./g, '\\.')}: `));
        expect(result.stdout).toMatch(/dev cachet\.solutionStackName 64bit Amazon Linux 2023 v4\.7\.2 running Docker: offered; the newest is/);
      } finally {
        aws.close();
      }
    },
    90_000,
  );
});
