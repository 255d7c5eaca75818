import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { GetProductsCommand } from '@aws-sdk/client-pricing';
import { environmentNames } from '../../config/load';
import { projectPath } from '../../project';
import { buildStacks } from '../../stacks';
import { estimateStack, HOURS_PER_MONTH, PRICES_PATH, readPriceTable, total, type PriceTable } from '../../tools/cost/estimate';
import { onDemandUsd, refreshPrices, type PriceListClient } from '../../tools/cost/refresh';
import { COST_PAGE, costReport } from '../../tools/cost';
import { config, WITH_JENKINS, type Json } from '../helpers/synth';

const table = readPriceTable();
const p = (key: string) => table.prices[key].usd;
const stacksOf = (c: ReturnType<typeof config>): [string, Json][] => buildStacks(Testing.app(), [c]).map((s) => [s.node.id, JSON.parse(Testing.synth(s))]);
const estimate = (c: ReturnType<typeof config>) => stacksOf(c).map(([name, json]) => ({ name, ...estimateStack(json, c, table) }));

/** The example environments' stacks, synthesized once for all the tests here. */
const examples = new Map(environmentNames().map((env) => [env, stacksOf(config(env))]));
const exampleEstimate = (env: string) => examples.get(env)!.map(([name, json]) => ({ name, ...estimateStack(json, config(env), table) }));

/** A Price List product as the API returns it: a JSON string with tiered on-demand price dimensions. */
function product(usdByTier: [string, string][]): string {
  const priceDimensions = Object.fromEntries(usdByTier.map(([begin, usd], i) => [`d${i}`, { beginRange: begin, pricePerUnit: { USD: usd } }]));
  return JSON.stringify({ product: { sku: 'X' }, terms: { OnDemand: { 'X.JRTCKXETXF': { priceDimensions } } } });
}

describe('the price table', () => {
  it('is dated, names its source and region, and says how to refresh each price', () => {
    expect(table.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(table.source).not.toBe('');
    expect(table.region).toBe('eu-west-1');
    for (const entry of Object.values(table.prices)) expect(Object.keys(entry.query.filters).length).toBeGreaterThan(0);
  });
});

describe('the estimate', () => {
  it.each(environmentNames())('prices every resource type of the %s stacks (or says why it costs nothing)', (env) => {
    for (const stack of exampleEstimate(env)) expect(stack.unpriced).toEqual([]);
  });

  it('prices Jenkins too, when it is on', () => {
    const web = estimate(config('dev', WITH_JENKINS)).find((s) => s.name === 'web-dev')!;
    expect(web.unpriced).toEqual([]);
    expect(web.lines.find((l) => l.item === 'Jenkins server')!.min).toBeCloseTo(HOURS_PER_MONTH * p('ec2.t3.medium') + 30 * p('ebsGp3GigabyteMonth'), 2);
  });

  it("prices the WAF's set-up rule and its IP set, when an address may open Cachet's set-up", () => {
    const cachet = estimate(config('dev', { cachet: { setupCidr: '203.0.113.7/32' } })).find((s) => s.name === 'cachet-dev')!;
    expect(cachet.unpriced).toEqual([]);
    const rules = 5; // the set-up rule and four managed rule groups
    expect(cachet.lines.find((l) => l.item === 'WAF web ACL')!.min).toBeCloseTo(p('wafWebAclMonth') + rules * p('wafRuleMonth') + p('wafMillionRequests'), 2);
  });

  it('reckons each NAT gateway from the table: its hours, the assumed traffic and its public address', () => {
    const c = config('prod');
    const cachet = exampleEstimate('prod').find((s) => s.name === 'cachet-prod')!;
    const nat = cachet.lines.find((l) => l.item === 'NAT gateways')!;
    const each = HOURS_PER_MONTH * p('natGatewayHour') + c.cost.natGigabytesPerMonth * p('natGatewayGigabyte') + HOURS_PER_MONTH * p('publicIpv4Hour');
    expect(nat.count).toBe(3);
    expect(nat.min).toBeCloseTo(3 * each, 2);
  });

  it('spans the instance counts from the minimum to the maximum', () => {
    const c = config('prod');
    const web = exampleEstimate('prod')
      .find((s) => s.name === 'web-prod')!
      .lines.find((l) => l.item.startsWith('Web instances'))!;
    const each = HOURS_PER_MONTH * p(`ec2.${c.webapp.instanceType}`) + 8 * p('ebsGp3GigabyteMonth');
    expect([web.min, web.max]).toEqual([Number((c.webapp.minInstances * each).toFixed(2)), Number((c.webapp.maxInstances * each).toFixed(2))]);
  });

  it('costs more in prod than in staging, and in staging than in dev', () => {
    const sum = (env: string) => total(exampleEstimate(env).flatMap((s) => s.lines)).min;
    expect(sum('prod')).toBeGreaterThan(sum('staging'));
    expect(sum('staging')).toBeGreaterThan(sum('dev'));
  });

  it('refuses a size the table has no price for, naming the price to add', () => {
    expect(() => estimate(config('dev', { webapp: { instanceType: 'm7i.large' } }))).toThrow(/price table .* has no "ec2\.m7i\.large"; add it with its query/);
  });
});

describe('refreshing from the Price List API', () => {
  it('takes the first tier of the on-demand price', () => {
    expect(
      onDemandUsd(
        product([
          ['10240', '0.085'],
          ['0', '0.09'],
        ]),
      ),
    ).toBe(0.09);
  });

  it("asks for each price in the table's region and stamps the date and source", async () => {
    const asked: GetProductsCommand['input'][] = [];
    const client: PriceListClient = {
      send: async (command) => {
        asked.push(command.input);
        return { PriceList: [product([['0', '1.5']])] };
      },
    };
    const refreshed = await refreshPrices(table, client, new Date('2027-01-02T00:00:00Z'));
    expect(asked).toHaveLength(Object.keys(table.prices).length);
    expect(asked[0].Filters).toContainEqual({ Type: 'TERM_MATCH', Field: 'regionCode', Value: 'eu-west-1' });
    expect(Object.values(refreshed.prices).every((e) => e.usd === 1.5)).toBe(true);
    expect(refreshed).toMatchObject({ date: '2027-01-02', source: expect.stringMatching(/AWS Price List API/) });
  });

  it('refuses to refresh when a price is not found, naming it', async () => {
    const client: PriceListClient = { send: async (command) => ({ PriceList: command.input.ServiceCode === 'AWSLambda' ? [] : [product([['0', '1']])] }) };
    await expect(refreshPrices(table, client)).rejects.toThrow(/lambdaMillionRequests: the Price List API has no on-demand price for AWSLambda/);
  });

  it('npm run cost -- --refresh updates the table through the real SDK against a Price List endpoint, then estimates with it', async () => {
    // GIVEN a local endpoint speaking the Price List API's JSON protocol
    const targets: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        targets.push(`${req.headers['x-amz-target']} ${JSON.parse(body).ServiceCode}`);
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FormatVersion: 'aws_v1', PriceList: [product([['0', '0.01']])] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const prices = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.json');
    copyFileSync(PRICES_PATH, prices);
    // WHEN
    const { DEPLOY_ENV: _ignored, ...env } = process.env;
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'tools/cost.ts', '--env', 'dev', '--refresh', '--prices', prices],
        {
          cwd: projectPath(),
          timeout: 120_000,
          env: {
            ...env,
            AWS_ENDPOINT_URL_PRICING: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            AWS_ACCESS_KEY_ID: 'testing',
            AWS_SECRET_ACCESS_KEY: 'testing',
            AWS_REGION: 'us-east-1',
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    server.close();
    // THEN every price was asked for, written with today's date, and used
    expect(result.code, result.stderr).toBe(0);
    expect(targets).toHaveLength(Object.keys(table.prices).length);
    expect(targets[0]).toMatch(/^AWSPriceListService\.GetProducts /);
    const written: PriceTable = JSON.parse(readFileSync(prices, 'utf8'));
    expect(written.date).toBe(new Date().toISOString().slice(0, 10));
    expect(Object.values(written.prices).every((e) => e.usd === 0.01)).toBe(true);
    expect(result.stdout).toMatch(/### cachet-dev: \$[\d.]+/);
    expect(result.stdout).toMatch(/AWS Price List API/);
  }, 150_000);
});

describe('secrets in the estimate', () => {
  it("count the RDS-managed master secret beside the stack's own", () => {
    const c = config('dev');
    const [name, json] = examples.get('dev')!.find(([n]) => n === 'cachet-dev')!;
    const own = Object.keys(json.resource.aws_secretsmanager_secret).length;
    const line = estimateStack(json, c, table).lines.find((l) => l.item === 'Secrets')!;
    expect([name, line.count]).toEqual(['cachet-dev', own + 1]);
  });
});

describe('docs/cost.md', () => {
  it('is the report of every environment with the current price table (npm run cost -- --write)', () => {
    const page = readFileSync(COST_PAGE, 'utf8');
    expect(page).toContain(costReport(environmentNames(), table));
  });
});
