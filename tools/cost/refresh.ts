// `npm run cost -- --refresh`: each price in the table is asked of the AWS Price List API (its
// service code and TERM_MATCH filters, in the table's region) and replaced by the on-demand price
// of the first tier. Every price must be found, or nothing is written.
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import type { PriceTable } from './estimate';

/** What refreshing needs of a Pricing client (the SDK's, or a stand-in). */
export interface PriceListClient {
  send(command: GetProductsCommand): Promise<{ PriceList?: string[] }>;
}

/** The on-demand USD price of the first tier of a Price List product (a JSON string as the API returns it). */
export function onDemandUsd(product: string): number | undefined {
  const parsed = JSON.parse(product);
  const dimensions = Object.values<{ priceDimensions: Record<string, { beginRange?: string; pricePerUnit: { USD?: string } }> }>(
    parsed.terms?.OnDemand ?? {},
  ).flatMap((term) => Object.values(term.priceDimensions));
  const first = dimensions.find((d) => (d.beginRange ?? '0') === '0') ?? dimensions[0];
  const usd = first ? Number(first.pricePerUnit.USD) : NaN;
  return Number.isFinite(usd) ? usd : undefined;
}

export async function refreshPrices(
  table: PriceTable,
  client: PriceListClient = new PricingClient({ region: 'us-east-1' }),
  now = new Date(),
): Promise<PriceTable> {
  const problems: string[] = [];
  const prices: PriceTable['prices'] = {};
  for (const [key, entry] of Object.entries(table.prices)) {
    const filters = Object.entries({ regionCode: table.region, ...entry.query.filters }).map(([Field, Value]) => ({
      Type: 'TERM_MATCH' as const,
      Field,
      Value,
    }));
    const answer = await client.send(
      new GetProductsCommand({ ServiceCode: entry.query.serviceCode, Filters: filters, FormatVersion: 'aws_v1', MaxResults: 10 }),
    );
    const usd = (answer.PriceList ?? []).map(onDemandUsd).find((p) => p !== undefined);
    if (usd === undefined)
      problems.push(`${key}: the Price List API has no on-demand price for ${entry.query.serviceCode} ${JSON.stringify(entry.query.filters)}; fix its query`);
    else prices[key] = { ...entry, usd };
  }
  if (problems.length > 0) throw new Error(`the price table was not refreshed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return {
    ...table,
    date: now.toISOString().slice(0, 10),
    source: `AWS Price List API (GetProducts, on-demand, ${table.region}), refreshed by npm run cost -- --refresh`,
    prices,
  };
}
