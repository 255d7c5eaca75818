// `npm run versions [-- --env NAMES]`: asks AWS, in each environment's region, whether the versions
// the environment pins still exist for a new apply: the Aurora MySQL engine version
// (DescribeDBEngineVersions: present and "available", and the newest minor version it can move to)
// and the Elastic Beanstalk Docker platform (ListAvailableSolutionStacks: offered, and the newest
// Amazon Linux 2023 Docker stack). Exit 1 when a pinned version is gone or deprecated, naming the
// field and the replacement. Needs AWS credentials; offline plans never call it.
import { DescribeDBEngineVersionsCommand, RDSClient } from '@aws-sdk/client-rds';
import { ElasticBeanstalkClient, ListAvailableSolutionStacksCommand } from '@aws-sdk/client-elastic-beanstalk';
import { environmentNames, loadEnvironments } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';
import { parseCommandLine, runMain, selectedEnvironments } from '../cli';

const USAGE = `usage: npm run versions [-- --env NAMES]

Asks AWS, in each environment's region, whether its pinned Aurora MySQL engine version
(database.engineVersion) and Beanstalk Docker platform (cachet.solutionStackName) are still
offered for a new apply, and names the newest of each. Exit 1 when one is gone or deprecated.
  --env NAMES   environments, comma-separated (default: $DEPLOY_ENV, else every environment)
  -h, --help    this text, and nothing else`;

/** What the check needs of the two clients (the SDK's, or stand-ins). */
export interface VersionClients {
  readonly rds: {
    send(command: DescribeDBEngineVersionsCommand): Promise<{
      DBEngineVersions?: { EngineVersion?: string; Status?: string; ValidUpgradeTarget?: { EngineVersion?: string; IsMajorVersionUpgrade?: boolean }[] }[];
    }>;
  };
  readonly beanstalk: { send(command: ListAvailableSolutionStacksCommand): Promise<{ SolutionStacks?: string[] }> };
}

export interface VersionFinding {
  readonly field: string;
  readonly pinned: string;
  readonly ok: boolean;
  readonly newest?: string;
  readonly detail: string;
}

/** Orders dotted version numbers numerically (3.10.0 after 3.9.2). */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const auroraMinor = (v: string) => /^8\.0\.mysql_aurora\.(3\.\d+\.\d+)$/.exec(v)?.[1];
const dockerStack = (s: string) => /^64bit Amazon Linux 2023 v(\d+\.\d+\.\d+) running Docker$/.exec(s)?.[1];

/** The two pinned versions of one environment, against what AWS offers in its region. */
export async function checkVersions(config: EnvironmentConfig, clients: VersionClients): Promise<VersionFinding[]> {
  const engine = config.database.engineVersion;
  const answer = await clients.rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'aurora-mysql', EngineVersion: engine }));
  const found = answer.DBEngineVersions?.[0];
  const targets = (found?.ValidUpgradeTarget ?? [])
    .filter((t) => !t.IsMajorVersionUpgrade && t.EngineVersion && auroraMinor(t.EngineVersion))
    .map((t) => t.EngineVersion!)
    .sort((a, b) => compareVersions(auroraMinor(a)!, auroraMinor(b)!));
  const newestEngine = targets.at(-1) ?? (found ? engine : undefined);
  const engineOk = found?.Status === 'available';
  const database: VersionFinding = {
    field: 'database.engineVersion',
    pinned: engine,
    ok: engineOk,
    newest: newestEngine,
    detail: !found
      ? `AWS no longer offers ${engine} in ${config.region}: a new cluster cannot be created; pin a current version (aws rds describe-db-engine-versions --engine aurora-mysql)`
      : engineOk
        ? `available${newestEngine !== engine ? `; the newest minor version it upgrades to is ${newestEngine}` : ''}`
        : `${found.Status}: a new cluster cannot be created with it; pin ${newestEngine ?? 'a current version'}`,
  };

  const stacks = (await clients.beanstalk.send(new ListAvailableSolutionStacksCommand({}))).SolutionStacks ?? [];
  const docker = stacks.filter((s) => dockerStack(s)).sort((a, b) => compareVersions(dockerStack(a)!, dockerStack(b)!));
  const newestStack = docker.at(-1);
  const pinnedStack = config.cachet.solutionStackName;
  const stackOk = stacks.includes(pinnedStack);
  const platform: VersionFinding = {
    field: 'cachet.solutionStackName',
    pinned: pinnedStack,
    ok: stackOk,
    newest: newestStack,
    detail: stackOk
      ? `offered${newestStack && newestStack !== pinnedStack ? `; the newest is "${newestStack}"` : ''}`
      : `no longer offered in ${config.region}: a new environment cannot start on it; pin "${newestStack ?? 'a current Amazon Linux 2023 Docker stack'}"`,
  };
  return [database, platform];
}

async function main(): Promise<void> {
  const args = parseCommandLine(USAGE, { options: { env: { type: 'string' } } });
  const names = selectedEnvironments(args);
  const configs = loadEnvironments(environmentNames()).filter((c) => names.includes(c.name));
  let stale = false;
  for (const config of configs) {
    const clients = { rds: new RDSClient({ region: config.region }), beanstalk: new ElasticBeanstalkClient({ region: config.region }) };
    for (const f of await checkVersions(config, clients)) {
      stale ||= !f.ok;
      console.log(`${config.name} ${f.field} ${f.pinned}: ${f.detail}`);
    }
  }
  if (stale) process.exit(1);
}

if (require.main === module) runMain('versions', main);
