// What the stacks need of each account's service quotas at peak (tools/quotas/needs.ts), the
// production refusal synth makes from it, and `npm run quotas -- --applied` through the real SDK
// against a local endpoint speaking the Service Quotas API's JSON protocol.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/load';
import type { EnvironmentConfig } from '../../config/schema';
import { projectPath } from '../../project';
import { buildStacks } from '../../stacks';
import { appliedQuotas, type QuotaClient } from '../../tools/quotas';
import {
  checkProductionQuotas,
  productionQuotaProblems,
  QUOTA_KEYS,
  quotaFindings,
  quotaNeeds,
  readQuotaTable,
  vcpusOf,
  type AccountRegionNeeds,
} from '../../tools/quotas/needs';
import { config, WITH_JENKINS } from '../helpers/synth';

const table = readQuotaTable();
const synthesized = (...configs: EnvironmentConfig[]) =>
  buildStacks(Testing.app(), configs).map((s) => ({ name: s.node.id, config: s.config, json: JSON.parse(Testing.synth(s)) }));
const needsOf = (...configs: EnvironmentConfig[]) => quotaNeeds(synthesized(...configs));
const prod = config('prod');
const [prodNeeds] = needsOf(prod);

describe('the default quota table', () => {
  it('is dated, names its source, and has a code, a default and a source page for every quota counted', () => {
    expect(table.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const key of QUOTA_KEYS) {
      expect(table.quotas[key]).toMatchObject({
        quotaCode: expect.stringMatching(/^L-[0-9A-F]{8}$/),
        default: expect.any(Number),
        source: expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\//),
      });
    }
  });
});

describe('peak needs from the synthesized stacks', () => {
  it.each([
    ['elasticIps', 6, /cachet-prod: 3; web-prod: 3/],
    ['natGatewaysPerAz', 2, /eu-west-1a 2, eu-west-1b 2, eu-west-1c 2/],
    ['vpcs', 2, /cachet-prod: 1; web-prod: 1/],
    [
      'onDemandStandardVcpus',
      6 * 2 * 2 + 9 * 2 * 2,
      /6 x t3\.medium .* doubled during a deployment; web-prod: 9 x t3\.small .* doubled during an instance refresh/,
    ],
    ['applicationLoadBalancers', 2, /Beanstalk's; web-prod: 1/],
    ['lambdaConcurrentExecutions', 0, /^$/],
  ] as const)('prod needs %s: %i', (key, value, basis) => {
    expect(prodNeeds.needs[key].value).toBe(value);
    expect(prodNeeds.needs[key].basis.join('; ')).toMatch(basis);
  });

  it('counts the Jenkins server when it is on', () => {
    const jenkinsDev = config('dev', WITH_JENKINS);
    const [withJenkins] = needsOf(jenkinsDev);
    const [without] = needsOf(config('dev'));
    expect(withJenkins.needs.onDemandStandardVcpus.value - without.needs.onDemandStandardVcpus.value).toBe(
      vcpusOf(jenkinsDev.webapp.delivery.jenkins!.instanceType),
    );
  });

  it('adds up two environments in one account and region, and keeps accounts apart', () => {
    const dev = config('dev');
    const together = needsOf(dev, config('staging', { accountId: dev.accountId }));
    expect(together).toHaveLength(1);
    expect(together[0].environments).toEqual(['dev', 'staging']);
    const [devAlone] = needsOf(dev);
    const [stagingAlone] = needsOf(config('staging'));
    expect(together[0].needs.elasticIps.value).toBe(devAlone.needs.elasticIps.value + stagingAlone.needs.elasticIps.value);
    expect(needsOf(dev, config('staging'))).toHaveLength(2);
  });

  it.each([
    ['t3.micro', 2],
    ['t3.medium', 2],
    ['m6i.xlarge', 4],
    ['c7i.2xlarge', 8],
    ['m5.24xlarge', 96],
  ])('counts %s as %i vCPUs (the dated instance type list)', (type, vcpus) => {
    expect(vcpusOf(type)).toBe(vcpus);
  });

  it.each(['t3.mega', 'x9.large', 'm6i.micro'])('refuses to guess the vCPUs of %s, which the list does not have', (type) => {
    expect(() => vcpusOf(type)).toThrow(
      new RegExp(`no vCPU count for instance type "${type.replace('.', '\\.')}": it is not in config/instance-types/types\\.tsv`),
    );
  });

  it.each(['g5.xlarge', 'p4d.24xlarge', 'inf2.xlarge', 'x2idn.16xlarge', 'hpc7a.12xlarge', 'trn1.2xlarge', 'dl2q.24xlarge', 'mac-m4.metal'])(
    'refuses to count %s against the standard on-demand vCPU quota, which it is not under',
    (type) => {
      expect(() => vcpusOf(type)).toThrow(/counts against another quota than standard on-demand vCPUs/);
    },
  );
});

describe('which limit a need is held to', () => {
  const group = (declared: AccountRegionNeeds['declared']): AccountRegionNeeds => ({ ...prodNeeds, declared });

  it("uses AWS's default when nothing is declared", () => {
    const eips = quotaFindings(group({}), table).find((f) => f.key === 'elasticIps')!;
    expect(eips).toMatchObject({ limit: 5, limitFrom: 'default', over: true });
  });

  it('uses the declared quota over the default, and the applied one over both', () => {
    const declared = quotaFindings(group({ elasticIps: 10 }), table).find((f) => f.key === 'elasticIps')!;
    expect(declared).toMatchObject({ limit: 10, limitFrom: 'declared', over: false });
    const applied = quotaFindings(group({ elasticIps: 10 }), table, { elasticIps: 5 }).find((f) => f.key === 'elasticIps')!;
    expect(applied).toMatchObject({ limit: 5, limitFrom: 'applied', over: true });
  });
});

describe('synth of a production environment', () => {
  it('refuses needs above the defaults that the file does not declare raised, naming the quota, the need and the fix', () => {
    // GIVEN prod without its declared quotas
    const undeclared: EnvironmentConfig = { ...prod, quotas: {} };
    // WHEN synth checks it THEN it names both quotas
    expect(() => checkProductionQuotas([undeclared])).toThrow(ConfigError);
    const problems = productionQuotaProblems(needsOf(undeclared), table);
    expect(problems).toEqual([
      expect.stringMatching(
        /^quotas\.elasticIps: prod needs 6 EC2-VPC Elastic IPs in 333333333333 eu-west-1 at peak, above AWS's default of 5 \(L-0263D0A3\); request the raise in Service Quotas, then declare the applied value/,
      ),
      expect.stringMatching(/^quotas\.onDemandStandardVcpus: prod needs 60 .* above AWS's default of 5 \(L-1216C47A\)/),
    ]);
  });

  it('accepts prod as shipped: its file declares the raised quotas', () => {
    expect(prod.quotas).toEqual({ elasticIps: 10, onDemandStandardVcpus: 64 });
    expect(() => checkProductionQuotas([prod])).not.toThrow();
  });

  it('refuses a declared quota below the need', () => {
    expect(productionQuotaProblems(needsOf(config('prod', { quotas: { onDemandStandardVcpus: 32 } })), table)).toEqual([
      expect.stringMatching(/^quotas\.onDemandStandardVcpus: prod needs 60 .* above the declared 32/),
    ]);
  });

  it('does not refuse an environment that is not production (dev needs 16 vCPUs, above the default 5)', () => {
    const [dev] = needsOf(config('dev'));
    expect(quotaFindings(dev, table).find((f) => f.key === 'onDemandStandardVcpus')!.over).toBe(true);
    expect(() => checkProductionQuotas([config('dev')])).not.toThrow();
  });
});

/** A local endpoint speaking the Service Quotas API (AWS JSON 1.1): each GetServiceQuota answers `value(code)` for `account`. */
async function serviceQuotas(account: string, value: (code: string) => number) {
  const calls: { target: string; body: { ServiceCode: string; QuotaCode: string } }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      calls.push({ target: String(req.headers['x-amz-target']), body });
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          Quota: {
            ServiceCode: body.ServiceCode,
            QuotaCode: body.QuotaCode,
            QuotaArn: `arn:aws:servicequotas:eu-west-1:${account}:${body.ServiceCode}/${body.QuotaCode}`,
            Value: value(body.QuotaCode),
            Adjustable: true,
            GlobalQuota: false,
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => server.close() };
}

function quotasCli(args: string[], endpoint: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DEPLOY_ENV: _ignored, ...env } = process.env;
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', 'tools/quotas.ts', ...args],
      {
        cwd: projectPath(),
        timeout: 120_000,
        env: { ...env, AWS_ENDPOINT_URL_SERVICE_QUOTAS: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('the applied quotas (Service Quotas API)', () => {
  it("asks GetServiceQuota for each quota by service and quota code, and refuses another account's answer", async () => {
    const endpoint = await serviceQuotas('999999999999', () => 100);
    try {
      const { ServiceQuotasClient } = await import('@aws-sdk/client-service-quotas');
      const client = new ServiceQuotasClient({ region: 'eu-west-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
      await expect(appliedQuotas(prodNeeds, table, client as QuotaClient)).rejects.toThrow(
        /Service Quotas answered for account 999999999999, not 333333333333 \(prod\): use that account's credentials/,
      );
      expect(endpoint.calls[0]).toEqual({ target: 'ServiceQuotasV20190624.GetServiceQuota', body: { ServiceCode: 'ec2', QuotaCode: 'L-0263D0A3' } });
    } finally {
      endpoint.close();
    }
  });

  it('npm run quotas -- --applied exits 1 when a need is above the applied quota, naming the row', async () => {
    // GIVEN an account that has 32 vCPUs, where prod needs 60
    const endpoint = await serviceQuotas('333333333333', (code) => (code === 'L-1216C47A' ? 32 : 100));
    try {
      const result = await quotasCli(['--env', 'prod', '--applied'], endpoint.url);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toMatch(/\| Running On-Demand Standard .* \| 60 \| 32 \(applied\) \*\*above: request a raise\*\* \|/);
      expect(result.stdout).toMatch(/\| EC2-VPC Elastic IPs \| 6 \| 100 \(applied\) \|/);
      expect(result.stderr).toMatch(/a need is above an applied quota/);
      expect(endpoint.calls.map((c) => c.body.QuotaCode).sort()).toEqual(QUOTA_KEYS.map((k) => table.quotas[k].quotaCode).sort());
    } finally {
      endpoint.close();
    }
  }, 150_000);

  it('npm run quotas -- --applied exits 0 when every need fits', async () => {
    const endpoint = await serviceQuotas('333333333333', () => 1000);
    try {
      const result = await quotasCli(['--env', 'prod', '--applied'], endpoint.url);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(/above/);
    } finally {
      endpoint.close();
    }
  }, 150_000);
});
