// What the synthesized stacks need of an account's service quotas at peak, per account and region,
// against AWS's default quotas (tools/quotas/defaults.json), the quotas an environment file declares
// raised, or the account's applied quotas (Service Quotas API). Every resource type the count needs
// is read from the stack's JSON; vCPUs come from the dated instance type list, and a type outside the
// standard on-demand quota is refused, not guessed.
import { readFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { instanceTypes } from '../../config/instance-types';
import { ConfigError } from '../../config/load';
import { buildStacks } from '../../stacks';
import { QUOTA_KEYS, type EnvironmentConfig, type QuotaKey } from '../../config/schema';
import type { Json } from '../../harness/offline-terraform';
import { projectPath } from '../../project';

export const QUOTA_DEFAULTS_PATH = projectPath('tools', 'quotas', 'defaults.json');

export { QUOTA_KEYS, type QuotaKey };

export interface QuotaDefault {
  readonly name: string;
  readonly serviceCode: string;
  readonly quotaCode: string;
  readonly default: number;
  readonly scope: string;
  readonly source: string;
}

export interface QuotaTable {
  readonly date: string;
  readonly source: string;
  readonly quotas: Record<QuotaKey, QuotaDefault>;
}

export function readQuotaTable(path = QUOTA_DEFAULTS_PATH): QuotaTable {
  const table: QuotaTable = JSON.parse(readFileSync(path, 'utf8'));
  const missing = QUOTA_KEYS.filter((k) => !table.quotas[k]);
  if (missing.length > 0) throw new Error(`${path}: no default for ${missing.join(', ')}`);
  return table;
}

/**
 * The Running On-Demand Standard instances quota counts the A, C, D, H, I, M, R, T and Z families;
 * Inf, HPC, DL, Trn and Mac instances (and F, G, P, VT, X, U) have quotas of their own.
 */
const STANDARD_FAMILY = /^(?!inf|hpc|dl|trn|mac)[acdhimrtz]/;

/** The default vCPUs of a standard instance type, from the dated list (config/instance-types/). */
export function vcpusOf(instanceType: string): number {
  const info = instanceTypes().get(instanceType);
  if (!info) throw new Error(`no vCPU count for instance type "${instanceType}": it is not in config/instance-types/types.tsv`);
  if (!STANDARD_FAMILY.test(instanceType)) {
    throw new Error(`instance type "${instanceType}" counts against another quota than standard on-demand vCPUs: add that quota to tools/quotas/`);
  }
  return info.vcpus;
}

/** One need: the amount and how it was counted. */
export interface Need {
  readonly value: number;
  readonly basis: string[];
}

/** A stack's needs; NAT gateways by Availability Zone. */
interface StackNeeds {
  readonly counts: Record<Exclude<QuotaKey, 'natGatewaysPerAz'>, Need>;
  readonly natGatewaysByAz: Record<string, number>;
}

const resources = (json: Json, type: string): [string, Json][] => Object.entries(json.resource?.[type] ?? {});

/** The resource a `${type.id.attr}` reference names, or undefined. */
function referenced(json: Json, reference: unknown, type: string): Json | undefined {
  const m = new RegExp(`^\\$\\{${type}\\.([^.}]+)\\.`).exec(String(reference ?? ''));
  return m ? json.resource?.[type]?.[m[1]] : undefined;
}

function beanstalkSetting(env: Json, namespace: string, name: string): string | undefined {
  return (env.setting ?? []).find((s: Json) => s.namespace === namespace && s.name === name)?.value;
}

function stackNeeds(stack: string, json: Json): StackNeeds {
  const need = (value: number): Need => ({ value, basis: value ? [`${stack}: ${value}`] : [] });
  const counts = {
    elasticIps: need(resources(json, 'aws_eip').length),
    vpcs: need(resources(json, 'aws_vpc').length),
    onDemandStandardVcpus: need(0),
    lambdaConcurrentExecutions: need(0),
    applicationLoadBalancers: need(resources(json, 'aws_lb').filter(([, lb]) => (lb.load_balancer_type ?? 'application') === 'application').length),
    securityGroups: need(resources(json, 'aws_security_group').length),
    rulesPerSecurityGroup: need(0),
  };
  const add = (key: keyof typeof counts, value: number, basis: string) => {
    counts[key] = { value: counts[key].value + value, basis: [...counts[key].basis, basis] };
  };
  for (const [id, group] of resources(json, 'aws_autoscaling_group')) {
    const template = referenced(json, group.launch_template?.id, 'aws_launch_template');
    if (!template) throw new Error(`${stack}: Auto Scaling group ${id} has no launch template in the stack to read its instance type from`);
    const vcpus = vcpusOf(template.instance_type);
    // An instance refresh launches before it terminates (MaxHealthyPercentage 200): twice the group.
    add(
      'onDemandStandardVcpus',
      group.max_size * vcpus * 2,
      `${stack}: ${group.max_size} x ${template.instance_type} (${vcpus} vCPUs), doubled during an instance refresh`,
    );
  }
  for (const [, env] of resources(json, 'aws_elastic_beanstalk_environment')) {
    const type = beanstalkSetting(env, 'aws:ec2:instances', 'InstanceTypes')?.split(',')[0];
    const max = Number(beanstalkSetting(env, 'aws:autoscaling:asg', 'MaxSize'));
    if (!type || !Number.isInteger(max)) throw new Error(`${stack}: the Beanstalk environment sets no InstanceTypes or MaxSize to count vCPUs from`);
    const vcpus = vcpusOf(type);
    // Immutable and rolling-with-additional-batch deployments run new instances beside the old: up to twice.
    add('onDemandStandardVcpus', max * vcpus * 2, `${stack}: ${max} x ${type} (${vcpus} vCPUs) for Beanstalk, doubled during a deployment`);
    if (beanstalkSetting(env, 'aws:elasticbeanstalk:environment', 'LoadBalancerType') === 'application')
      add('applicationLoadBalancers', 1, `${stack}: Beanstalk's`);
    // Beanstalk makes a security group for its load balancer and one for its instances.
    add('securityGroups', 2, `${stack}: Beanstalk's two`);
  }
  for (const [, instance] of resources(json, 'aws_instance')) {
    const vcpus = vcpusOf(instance.instance_type);
    add('onDemandStandardVcpus', vcpus, `${stack}: 1 x ${instance.instance_type} (${vcpus} vCPUs)`);
  }
  for (const [id, fn] of resources(json, 'aws_lambda_function')) {
    const reserved = Number(fn.reserved_concurrent_executions ?? -1);
    if (reserved > 0) add('lambdaConcurrentExecutions', reserved, `${stack}: ${id} reserves ${reserved}`);
  }
  const rules = new Map<string, number>();
  for (const type of ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule']) {
    for (const [, rule] of resources(json, type)) {
      const key = `${type}:${rule.security_group_id}`;
      rules.set(key, (rules.get(key) ?? 0) + 1);
    }
  }
  const busiest = [...rules.entries()].sort((a, b) => b[1] - a[1])[0];
  if (busiest) {
    const [type, group] = busiest[0].split(':');
    const address = /\$\{(aws_security_group\.[^.}]+)/.exec(group)?.[1] ?? group;
    counts.rulesPerSecurityGroup = { value: busiest[1], basis: [`${stack}: ${address} (${type.includes('ingress') ? 'inbound' : 'outbound'})`] };
  }

  const natGatewaysByAz: Record<string, number> = {};
  for (const [id, nat] of resources(json, 'aws_nat_gateway')) {
    const az = referenced(json, nat.subnet_id, 'aws_subnet')?.availability_zone;
    if (typeof az !== 'string') throw new Error(`${stack}: NAT gateway ${id} is in no subnet of the stack with a literal Availability Zone`);
    natGatewaysByAz[az] = (natGatewaysByAz[az] ?? 0) + 1;
  }
  return { counts, natGatewaysByAz };
}

/** What the environments in one account and region need together. */
export interface AccountRegionNeeds {
  readonly accountId: string;
  readonly region: string;
  readonly environments: string[];
  readonly needs: Record<QuotaKey, Need>;
  /** The raised quotas the environments' files declare (the highest where they differ). */
  readonly declared: Partial<Record<QuotaKey, number>>;
  readonly production: boolean;
}

export interface SynthesizedStack {
  readonly name: string;
  readonly config: EnvironmentConfig;
  readonly json: Json;
}

/** Sums the stacks' needs per account and region (rules per group: the busiest group). */
export function quotaNeeds(stacks: readonly SynthesizedStack[]): AccountRegionNeeds[] {
  const groups = new Map<string, SynthesizedStack[]>();
  for (const s of stacks) {
    const key = `${s.config.accountId} ${s.config.region}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((members) => {
    const { accountId, region } = members[0].config;
    const needs = Object.fromEntries(QUOTA_KEYS.map((k) => [k, { value: 0, basis: [] as string[] }])) as Record<QuotaKey, Need>;
    const nat: Record<string, number> = {};
    for (const s of members) {
      const own = stackNeeds(s.name, s.json);
      for (const [key, n] of Object.entries(own.counts) as [Exclude<QuotaKey, 'natGatewaysPerAz'>, Need][]) {
        needs[key] =
          key === 'rulesPerSecurityGroup'
            ? n.value > needs[key].value
              ? n
              : needs[key]
            : { value: needs[key].value + n.value, basis: [...needs[key].basis, ...n.basis] };
      }
      for (const [az, count] of Object.entries(own.natGatewaysByAz)) nat[az] = (nat[az] ?? 0) + count;
    }
    const [az, most] = Object.entries(nat).sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    needs.natGatewaysPerAz = {
      value: most,
      basis: most
        ? [
            `${az}: ${most} (${Object.entries(nat)
              .map(([z, n]) => `${z} ${n}`)
              .join(', ')})`,
          ]
        : [],
    };
    const declared: Partial<Record<QuotaKey, number>> = {};
    for (const s of members) {
      for (const [key, value] of Object.entries(s.config.quotas) as [QuotaKey, number][]) declared[key] = Math.max(declared[key] ?? 0, value);
    }
    return {
      accountId,
      region,
      environments: [...new Set(members.map((s) => s.config.name))],
      needs,
      declared,
      production: members.some((s) => s.config.production),
    };
  });
}

/** One quota's row: the need, the limit it is held to and where that limit comes from. */
export interface QuotaFinding {
  readonly key: QuotaKey;
  readonly need: Need;
  readonly limit: number;
  readonly limitFrom: 'default' | 'declared' | 'applied';
  readonly over: boolean;
}

/** Each quota against the applied value when given, else the declared one, else AWS's default. */
export function quotaFindings(group: AccountRegionNeeds, table: QuotaTable, applied: Partial<Record<QuotaKey, number>> = {}): QuotaFinding[] {
  return QUOTA_KEYS.map((key) => {
    const [limit, limitFrom] =
      applied[key] !== undefined
        ? [applied[key]!, 'applied' as const]
        : group.declared[key] !== undefined
          ? [group.declared[key]!, 'declared' as const]
          : [table.quotas[key].default, 'default' as const];
    return { key, need: group.needs[key], limit, limitFrom, over: group.needs[key].value > limit };
  });
}

/** The problems that stop a production synth: a need above the default that the files do not declare raised. */
export function productionQuotaProblems(groups: readonly AccountRegionNeeds[], table: QuotaTable): string[] {
  return groups
    .filter((g) => g.production)
    .flatMap((g) =>
      quotaFindings(g, table)
        .filter((f) => f.over)
        .map((f) => {
          const q = table.quotas[f.key];
          const from = f.limitFrom === 'declared' ? `the declared ${f.limit}` : `AWS's default of ${f.limit}`;
          return `quotas.${f.key}: ${g.environments.join(', ')} ${g.environments.length > 1 ? 'need' : 'needs'} ${f.need.value} ${q.name} in ${g.accountId} ${g.region} at peak, above ${from} (${q.quotaCode}); request the raise in Service Quotas, then declare the applied value (quotas: { ${f.key}: <value> }) or need less (npm run quotas shows what counts)`;
        }),
    );
}

/**
 * Synth's check for production environments: their stacks, synthesized in memory (nothing is
 * written) with every system, must fit AWS's default quotas or the quotas their files declare raised. Throws a
 * ConfigError naming each quota, the need and the fix.
 */
export function checkProductionQuotas(configs: readonly EnvironmentConfig[], table: QuotaTable = readQuotaTable()): void {
  // Every system of the environment counts, whichever --system a synth asks for: they share the account.
  const production = configs.filter((c) => c.production);
  if (production.length === 0) return;
  const stacks = buildStacks(Testing.app(), production).map((s) => ({ name: s.node.id, config: s.config, json: JSON.parse(Testing.synth(s)) }));
  const problems = productionQuotaProblems(quotaNeeds(stacks), table);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
}
