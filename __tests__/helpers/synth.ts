// Shared test fixtures: a bare stack to put one construct in, the example environments' config
// with overrides, and small readers over synthesized JSON (keys are snake_case, as in the JSON).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { environmentNames, parseEnvironmentConfig, readEnvironmentFile } from '../../config/load';
import type { EnvironmentConfig, EnvironmentConfigInput } from '../../config/schema';

/** What an environment file holds: the config without its name, which is the file's. */
export type EnvironmentFileContent = Omit<EnvironmentConfigInput, 'name'>;
import { AuroraMysqlCluster } from '../../constructs/aurora-mysql-cluster';
import { EncryptionKey } from '../../constructs/encryption-key';
import type { IGrantable } from '../../constructs/grants';
import { LOCATION_CONTEXT, type PolicyStatement } from '../../constructs/policy';
import { Network, type NetworkProps } from '../../constructs/network';
import { PrivateBucket } from '../../constructs/private-bucket';
import { PublicLoadBalancer, type PublicLoadBalancerProps } from '../../constructs/public-load-balancer';
import { SourceBundle } from '../../constructs/source-bundle';
import { WebServerFleet, type WebServerFleetProps } from '../../stacks/web/web-server-fleet';
import { releaseTimings } from '../../stacks/web/release-timings';
import { buildStacks } from '../../stacks';

export type { Json } from '../../harness/offline-terraform';
import type { Json } from '../../harness/offline-terraform';
import { JENKINS_EXAMPLE } from '../../harness/policy';
import { evaluateTemplate, type Traversal } from '../../harness/hcl-expression';

export interface Synthesized {
  /** The JSON text, for cdktf's matchers. */
  readonly text: string;
  readonly json: Json;
}

export function synth(stack: TerraformStack): Synthesized {
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text) };
}

/** Resource bodies of one type, keyed by logical id. */
export function resources(json: Json, type: string): Record<string, Json> {
  return json.resource?.[type] ?? {};
}

/** Resource bodies of one type, as a list. */
export function resourceList(json: Json, type: string): Json[] {
  return Object.values(resources(json, type));
}

/** A stack with nothing in it but what a test adds, in TEST_LOCATION's account and region. */
export function emptyStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), 'test');
  stack.node.setContext(LOCATION_CONTEXT, TEST_LOCATION);
  return stack;
}

export const TEST_LOCATION = { accountId: '123456789012', region: 'eu-west-1' } as const;
export const TEST_AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] as const;

/** A key and a three-AZ network in `stack`, for constructs that need one. */
export function addTestNetwork(stack: TerraformStack, natGateways: 'one-per-az' | 'single' = 'one-per-az', props: Partial<NetworkProps> = {}) {
  const key = new EncryptionKey(stack, 'key', {
    alias: 'test',
    description: 'test',
    allowCloudWatchLogs: true,
  });
  const network = new Network(stack, 'network', {
    name: 'test',
    vpcCidr: '10.0.0.0/16',
    availabilityZones: TEST_AZS,
    publicSubnetCidrs: ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24'],
    applicationSubnetCidrs: ['10.0.16.0/20', '10.0.32.0/20', '10.0.48.0/20'],
    dataSubnetCidrs: ['10.0.64.0/24', '10.0.65.0/24', '10.0.66.0/24'],
    natGateways,
    flowLogEncryptionKey: key,
    ...props,
  });
  return { key, network };
}

/** The test network and a small Aurora cluster (`test-db`, one reader) in `stack`, for constructs that use a database. */
export function addTestDatabase(stack: TerraformStack) {
  const { key, network } = addTestNetwork(stack);
  const database = new AuroraMysqlCluster(stack, 'db', {
    name: 'test-db',
    network,
    encryptionKey: key,
    engineVersion: '8.0.mysql_aurora.3.08.2',
    instanceClass: 'db.t4g.medium',
  });
  return { key, network, database };
}

/** A three-AZ network and a load balancer (with its own security group) in `stack`, for web tier constructs. */
export function addTestLoadBalancer(stack: TerraformStack, props: Partial<PublicLoadBalancerProps> = {}) {
  const { key, network } = addTestNetwork(stack);
  const alb = new PublicLoadBalancer(stack, 'alb', {
    name: 'test-web',
    network,
    certificate: { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/test' },
    targetPort: 8080,
    healthCheck: { path: '/api/v1/health/ready', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
    deregistrationDelaySeconds: 40,
    encryptionKey: key,
    ...props,
  });
  return { key, network, alb };
}

type Patch<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? Patch<T[K]> : T[K] };

function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(base) || !isObject(patch)) return patch;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(base[k], v);
  return out;
}

/** An example environment's file content (environments/<name>.yaml) with a deep patch applied (arrays are replaced). */
export function configInput(name: string, patch: Patch<EnvironmentFileContent> = {}): EnvironmentFileContent {
  return merge(readEnvironmentFile(name), patch) as EnvironmentFileContent;
}

/** `<tier> <az> <cidr>` for every subnet the config asks for, sorted. */
export function expectedSubnets(config: EnvironmentConfig): string[] {
  const n = config.network;
  return n.availabilityZones
    .flatMap((az, i) => [`public ${az} ${n.publicSubnetCidrs[i]}`, `application ${az} ${n.applicationSubnetCidrs[i]}`, `data ${az} ${n.dataSubnetCidrs[i]}`])
    .sort();
}

/** A stand-in release (bin/webapp and webapp.service) for fleets in construct tests; no Go needed. */
export const TEST_RELEASE_DIR = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'test-release-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'webapp'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'webapp.service'), '[Service]\nExecStart=/opt/webapp/bin/webapp\n');
  return dir;
})();

/** The version tests build the real web app under (initialReleaseDirectory caches one build per architecture for all of them). */
export const TEST_BUILD_VERSION = 'v-test-build';

/** A load balancer (as above), a releases bucket and a fleet of 2-4 instances in `stack`. */
export function addTestFleet(stack: TerraformStack, props: Partial<WebServerFleetProps> = {}, loadBalancer: Partial<PublicLoadBalancerProps> = {}) {
  const timings = releaseTimings(config('staging').webapp);
  const parts = addTestLoadBalancer(stack, {
    healthCheck: config('staging').webapp.healthCheck,
    deregistrationDelaySeconds: timings.deregistrationDelaySeconds,
    ...loadBalancer,
  });
  const { key, network, alb } = parts;
  const releases = new PrivateBucket(stack, 'releases', { namePrefix: 'test-releases-', encryptionKey: key });
  const fleet = new WebServerFleet(stack, 'fleet', {
    name: 'test',
    network,
    loadBalancer: alb,
    instanceType: 't3.micro',
    minInstances: 2,
    maxInstances: 4,
    appPort: 8080,
    timings,
    releaseBucket: releases,
    encryptionKey: key,
    initialReleaseVersion: 'v1',
    initialRelease: new SourceBundle(stack, 'initial-release', { directory: TEST_RELEASE_DIR, format: 'tar.gz' }),
    scaling: { metric: 'requests-per-target', target: 500 },
    ...props,
  });
  return { ...parts, timings, fleet };
}

/** Jenkins settings for tests: the policy gate's (one GitHub webhook block, a documentation block for the office). */
export const JENKINS_SETTINGS = { ...JENKINS_EXAMPLE, webhookCidrs: [...JENKINS_EXAMPLE.webhookCidrs] };

/** A config patch that turns the optional Jenkins server on. */
export const WITH_JENKINS = { webapp: { delivery: { enableJenkins: true, jenkins: JENKINS_SETTINGS } } };

/** An example environment's validated config with a deep patch applied. */
export function config(name: string, patch: Patch<EnvironmentFileContent> = {}): EnvironmentConfig {
  return parseEnvironmentConfig(configInput(name, patch), name);
}

const shipped = new Map<string, readonly (readonly [id: string, text: string])[]>();

/** Lets the event loop run: vitest's worker answers its RPC there (see shippedStacks). */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Every stack of a shipped environment as its id and JSON text, synthesized once per worker: the
 * synth tests share one (vitest.unit.config.ts), so the files that check every stack of every
 * environment do not each synthesize them again. Text, so no caller can change another's copy.
 * It yields to the event loop between stacks: vitest's worker fails the run ("Timeout calling
 * onTaskUpdate") when its thread computes for 60 s without one, as six syntheses in a row did beside
 * 15 CPU-bound processes.
 */
export async function shippedStacks(env: string): Promise<readonly (readonly [id: string, text: string])[]> {
  let stacks = shipped.get(env);
  if (!stacks) {
    const built: (readonly [string, string])[] = [];
    for (const stack of buildStacks(Testing.app(), [config(env)])) {
      await yieldToEventLoop();
      built.push([stack.node.id, Testing.synth(stack)]);
    }
    stacks = built;
    shipped.set(env, stacks);
  }
  return stacks;
}

/** `shippedStacks` of every environment, parsed: `[stack id, JSON]`. */
export async function everyShippedStack(): Promise<[string, Json][]> {
  const all: [string, Json][] = [];
  for (const env of environmentNames()) for (const [id, text] of await shippedStacks(env)) all.push([id, JSON.parse(text)]);
  return all;
}

/**
 * The statements of a policy written by `policyDocument` (a `jsonencode({...})` expression), with
 * each reference written as the reference (`${aws_iam_role.x.arn}`), so tests can read them as data.
 */
export function policyStatements(policy: string): Json[] {
  const reference = (t: Traversal) =>
    `\${${t
      .map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`))
      .join('')
      .slice(1)}}`;
  return JSON.parse(String(evaluateTemplate(policy, reference))).Statement;
}

/** A grantee that records the statements granted to it, in order. */
export function recordingGrantee(): IGrantable & { readonly statements: PolicyStatement[] } {
  const statements: PolicyStatement[] = [];
  return {
    statements,
    grantPrincipal: {
      addToPrincipalPolicy: (added) => {
        statements.push(...added);
        return [];
      },
    },
  };
}
