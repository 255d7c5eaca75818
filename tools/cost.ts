// `npm run cost [-- --env NAMES] [--refresh]`: a monthly cost estimate per environment, stack and
// resource, from the synthesized stacks and the dated price table (tools/cost/prices.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentNames, loadEnvironments } from '../config/load';
import { synthesizeAll, synthesizeBootstraps } from '../harness/offline-terraform';
import { parseCommandLine, runMain, selectedEnvironments, stringValue } from '../cli';
import { estimateStack, money, PRICES_PATH, readPriceTable, total, type CostLine, type PriceTable } from './cost/estimate';
import { refreshPrices } from './cost/refresh';
import { projectPath } from '../project';

export const COST_PAGE = projectPath('docs', 'cost.md');

const USAGE = `usage: npm run cost [-- --env NAMES] [--refresh] [--prices FILE] [--write]

Prints a monthly estimate per environment, stack and resource (on-demand prices, 730 hours).
  --env NAMES     environments, comma-separated (default: $DEPLOY_ENV, else every environment)
  --refresh       first update the price table from the AWS Price List API (needs AWS credentials)
  --prices FILE   the price table (default: tools/cost/prices.json)
  --write         also write the report of every environment to docs/cost.md
  -h, --help      this text, and nothing else`;

const range = (min: number, max: number) => (min === max ? money(min) : `${money(min)} - ${money(max)}`);

/** The report of the selected environments, as text. */
export function costReport(names: readonly string[], table: PriceTable): string {
  const configs = loadEnvironments(environmentNames()).filter((c) => names.includes(c.name));
  const out = [`Monthly estimate, on-demand ${table.currency} in ${table.region}; prices of ${table.date} (${table.source}).`];
  // The systems' stacks, and what npm run bootstrap applies (the state bucket, the infrastructure pipeline).
  const stacks = [...synthesizeAll(configs), ...synthesizeBootstraps(configs)];
  for (const config of configs) {
    const lines: CostLine[] = [];
    out.push(
      '',
      `## ${config.name}`,
      '',
      `Assumed usage: ${Object.entries(config.cost)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    );
    if (config.region !== table.region) out.push(`Note: ${config.name} runs in ${config.region}; the prices are ${table.region}'s.`);
    for (const stack of stacks.filter((s) => s.config.name === config.name)) {
      const json = JSON.parse(readFileSync(join(stack.dir, 'cdk.tf.json'), 'utf8'));
      const estimate = estimateStack(json, config, table);
      if (estimate.unpriced.length > 0) throw new Error(`${stack.name}: no price for ${estimate.unpriced.join(', ')}; add them to tools/cost/estimate.ts`);
      const sum = total(estimate.lines);
      out.push('', `### ${stack.name}: ${range(sum.min, sum.max)} a month`, '', '| item | count | month | basis |', '|---|---|---|---|');
      for (const l of estimate.lines) out.push(`| ${l.item} | ${l.count} | ${range(l.min, l.max)} | ${l.basis} |`);
      lines.push(...estimate.lines);
    }
    const sum = total(lines);
    out.push('', `**${config.name} total: ${range(sum.min, sum.max)} a month** (from the minimum to the maximum instance counts)`);
  }
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = parseCommandLine(USAGE, {
    options: { env: { type: 'string' }, refresh: { type: 'boolean' }, prices: { type: 'string' }, write: { type: 'boolean' } },
  });
  const pricesPath = stringValue(args, 'prices') ?? PRICES_PATH;
  const names = selectedEnvironments(args);
  let table = readPriceTable(pricesPath);
  if (args.values.refresh) {
    table = await refreshPrices(table);
    writeFileSync(pricesPath, `${JSON.stringify(table, null, 2)}\n`);
    console.error(`refreshed ${pricesPath} (${Object.keys(table.prices).length} prices, ${table.date})`);
  }
  const report = costReport(names, table);
  process.stdout.write(report);
  if (args.values.write) {
    // The page holds every environment: the report just made, unless --env narrowed it.
    const all = environmentNames();
    const page = names.length === all.length ? report : costReport(all, table);
    writeFileSync(
      COST_PAGE,
      `# Cost estimate\n\nWritten by \`npm run cost -- --write\`; a test fails when it drifts from the stacks, the config or the price table.\n\n${page}`,
    );
    console.error(`wrote ${COST_PAGE}`);
  }
}

if (require.main === module) runMain('cost', main);
