// `npm run quotas [-- --env NAMES] [--applied]`: what the synthesized stacks need of the account's
// service quotas at peak, per account and region, against AWS's default quotas (the dated table in
// tools/quotas/defaults.json), the quotas the environment files declare raised, and with --applied
// the account's applied quotas (Service Quotas API, GetServiceQuota; needs credentials of that account).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { environmentNames, loadEnvironments } from '../config/load';
import { synthesizeAll } from '../harness/offline-terraform';
import { parseCommandLine, runMain, selectedEnvironments } from '../cli';
import {
  QUOTA_KEYS,
  quotaFindings,
  quotaNeeds,
  readQuotaTable,
  type AccountRegionNeeds,
  type QuotaFinding,
  type QuotaKey,
  type QuotaTable,
} from './quotas/needs';

const USAGE = `usage: npm run quotas [-- --env NAMES] [--applied]

Prints, per account and region, what the environments' stacks need of each service quota at peak
(instance refreshes and Beanstalk deployments doubling their fleets) against AWS's default quota,
the quota the environment file declares raised (quotas: in environments/<name>.yaml), or the
account's applied quota.
  --env NAMES   environments, comma-separated (default: $DEPLOY_ENV, else every environment)
  --applied     read the applied quotas with the Service Quotas API (credentials of each account;
                exits 1 when a need is above one)
  -h, --help    this text, and nothing else`;

/** What reading applied quotas needs of a Service Quotas client (the SDK's, or a stand-in). */
export interface QuotaClient {
  send(command: GetServiceQuotaCommand): Promise<{ Quota?: { Value?: number; QuotaArn?: string } }>;
}

/** The account's applied value of each quota, from GetServiceQuota, refusing another account's answer. */
export async function appliedQuotas(group: AccountRegionNeeds, table: QuotaTable, client: QuotaClient): Promise<Partial<Record<QuotaKey, number>>> {
  const applied: Partial<Record<QuotaKey, number>> = {};
  for (const key of QUOTA_KEYS) {
    const { serviceCode, quotaCode } = table.quotas[key];
    const answer = await client.send(new GetServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode }));
    const account = answer.Quota?.QuotaArn?.split(':')[4];
    if (account !== group.accountId) {
      throw new Error(
        `Service Quotas answered for account ${account ?? '(none)'}, not ${group.accountId} (${group.environments.join(', ')}): use that account's credentials`,
      );
    }
    if (typeof answer.Quota?.Value !== 'number') throw new Error(`Service Quotas gave no value for ${serviceCode} ${quotaCode}`);
    applied[key] = answer.Quota.Value;
  }
  return applied;
}

/** The report of one account and region, as Markdown. */
export function quotaReport(group: AccountRegionNeeds, findings: readonly QuotaFinding[], table: QuotaTable): string {
  const rows = findings.map((f) => {
    const q = table.quotas[f.key];
    const mark = f.over ? ` **above: ${f.limitFrom === 'default' ? 'request a raise, then declare it' : 'request a raise'}**` : '';
    return `| ${q.name} | ${f.need.value} | ${f.limit} (${f.limitFrom})${mark} | ${q.serviceCode} ${q.quotaCode} | ${f.need.basis.join('; ') || '-'} |`;
  });
  return [
    `## ${group.accountId} ${group.region}: ${group.environments.join(', ')}`,
    '',
    '| quota | need at peak | limit | code | counted from |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseCommandLine(USAGE, { options: { env: { type: 'string' }, applied: { type: 'boolean' } } });
  const names = selectedEnvironments(args);
  const table = readQuotaTable();
  const configs = loadEnvironments(environmentNames()).filter((c) => names.includes(c.name));
  const stacks = synthesizeAll(configs).map((s) => ({ name: s.name, config: s.config, json: JSON.parse(readFileSync(join(s.dir, 'cdk.tf.json'), 'utf8')) }));
  process.stdout.write(`Service quotas at peak; AWS's defaults of ${table.date} (${table.source}).\n\n`);
  let over = false;
  for (const group of quotaNeeds(stacks)) {
    const applied = args.values.applied ? await appliedQuotas(group, table, new ServiceQuotasClient({ region: group.region })) : {};
    const findings = quotaFindings(group, table, applied);
    over ||= args.values.applied === true && findings.some((f) => f.over);
    process.stdout.write(quotaReport(group, findings, table));
  }
  if (over) {
    console.error('a need is above an applied quota: request the raise in Service Quotas before applying');
    process.exit(1);
  }
}

if (require.main === module) runMain('quotas', main);
