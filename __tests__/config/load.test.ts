import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ConfigError,
  ENVIRONMENTS_DIR,
  environmentNames,
  loadEnvironments,
  parseEnvironmentConfig,
  readEnvironmentFile,
  selectEnvironments,
} from '../../config/load';
import { AWS_REGIONS } from '../../config/aws-regions';
import { instanceTypes, regionOfferings } from '../../config/instance-types';
import { config, configInput, JENKINS_SETTINGS } from '../helpers/synth';

/** The environments the repository ships; any other file in environments/ is someone's own. */
const EXAMPLES = ['dev', 'prod', 'staging'];
/** Every environment environments/ holds, sorted, and a valid name that is none of them. */
const PRESENT = readdirSync(ENVIRONMENTS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();
const ABSENT = ['qa', 'uat', 'zz9'].find((n) => !PRESENT.includes(n))!;
/** An x86_64 instance type the dated list has but does not offer in a region of the list (found in the list, not hard-coded). */
const NOT_OFFERED = (() => {
  for (const region of AWS_REGIONS) {
    const offered = regionOfferings(region);
    const type = offered && [...instanceTypes()].find(([t, info]) => !offered.has(t) && info.architectures.includes('x86_64') && !t.includes('metal'))?.[0];
    if (type) return { region, type };
  }
  throw new Error('every region of config/instance-types/ offers every x86_64 type');
})();
/** Both networks' zones moved to `region` (a and b). */
const zonesOf = (region: string) => {
  const network = { availabilityZones: [`${region}a`, `${region}b`] };
  return { network, webapp: { network } };
};
const contentsOf = (names: readonly string[], dir?: string) => Object.fromEntries(names.map((n) => [n, readEnvironmentFile(n, dir)]));

/** A directory of environment files: name -> content. */
function environmentsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'environments-'));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

describe('the example environments', () => {
  it('are among the files in environments/, read by name', () => {
    expect(environmentNames()).toEqual(PRESENT);
    expect(PRESENT).toEqual(expect.arrayContaining(EXAMPLES));
  });

  it.each(EXAMPLES)('%s is valid', (name) => {
    expect(() => parseEnvironmentConfig(readEnvironmentFile(name), name)).not.toThrow();
  });

  it('fills defaults: local state, one NAT per AZ, deletion protection, not production', () => {
    const staging = parseEnvironmentConfig(readEnvironmentFile('staging'), 'staging');
    expect(staging.production).toBe(false);
    expect(staging.state).toEqual({ backend: 'local' });
    expect(staging.network.natGateways).toBe('one-per-az');
    expect(staging.database.deletionProtection).toBe(true);
  });

  it.each([
    ['an HTTPS endpoint only', { emailAddresses: [], httpsEndpoints: ['https://hooks.example.com/alarms'] }],
    ['Terraform Cloud state', { emailAddresses: ['ops@example.com'] }, { backend: 'cloud', organization: 'acme' }],
  ])('accepts production with %s', (_label, alarms, state?) => {
    const input = { ...configInput('prod'), alarms, ...(state ? { state } : {}) };
    expect(() => parseEnvironmentConfig(input as never, 'prod')).not.toThrow();
  });
});

describe('bad configuration is refused with the field and the fix', () => {
  it.each([
    {
      bad: 'a Graviton (arm64) web instance type, which the x86_64 AMI cannot run',
      input: configInput('dev', { webapp: { instanceType: 't4g.small' } }),
      error: /webapp\.instanceType: "t4g\.small" is arm64, but the instances run x86_64 images .*; use an x86_64 type such as t3\.small/,
    },
    {
      bad: 'a Graviton Cachet instance type, which the x86_64 Cachet image cannot run',
      input: configInput('dev', { cachet: { instanceType: 'm7g.large' } }),
      error: /cachet\.instanceType: "m7g\.large" is arm64, but the instances run x86_64 images/,
    },
    {
      bad: 'an instance type EC2 does not have',
      input: configInput('dev', { cachet: { instanceType: 't3.mega' } }),
      error:
        /cachet\.instanceType: "t3\.mega" is not an EC2 instance type \(config\/instance-types\/, moto [\d.]+'s EC2 data .*generated \d{4}-\d{2}-\d{2}.*\); t3 comes as t3\.2xlarge, .*t3\.small/,
    },
    {
      bad: "an instance type the region does not offer (from the region's dated list)",
      input: configInput('dev', { region: NOT_OFFERED.region, ...zonesOf(NOT_OFFERED.region), webapp: { instanceType: NOT_OFFERED.type } }),
      error: new RegExp(
        `webapp\\.instanceType: "${NOT_OFFERED.type.replace('.', '\\.')}" is not offered in ${NOT_OFFERED.region} \\(config/instance-types/, moto .*\\); .*If AWS offers it there now \\(aws ec2 describe-instance-type-offerings --region ${NOT_OFFERED.region} .*npx tsx tools/instance-types\\.ts --write`,
      ),
    },
    {
      bad: 'a malformed VPC CIDR',
      input: configInput('dev', { network: { vpcCidr: '10.10.0.0/33' } }),
      error: /network\.vpcCidr: "10\.10\.0\.0\/33" has a prefix length above 32/,
    },
    {
      bad: 'a subnet CIDR with host bits set',
      input: configInput('dev', { network: { publicSubnetCidrs: ['10.10.0.5/24', '10.10.1.0/24'] } }),
      error: /network\.publicSubnetCidrs\.0: .*host bits set; the block starts at 10\.10\.0\.0\/24/,
    },
    {
      bad: 'overlapping subnets',
      input: configInput('dev', { network: { dataSubnetCidrs: ['10.10.64.0/24', '10.10.16.0/24'] } }),
      error: /network\.dataSubnetCidrs\.1: "10\.10\.16\.0\/24" overlaps network\.applicationSubnetCidrs\.0 .*must not overlap/,
    },
    {
      bad: 'a subnet outside the VPC',
      input: configInput('dev', { network: { publicSubnetCidrs: ['10.10.0.0/24', '10.99.1.0/24'] } }),
      error: /network\.publicSubnetCidrs\.1: "10\.99\.1\.0\/24" does not fit inside the VPC 10\.10\.0\.0\/16; pick a block inside it/,
    },
    {
      bad: 'fewer than two AZs',
      input: configInput('dev', {
        network: {
          availabilityZones: ['eu-west-1a'],
          publicSubnetCidrs: ['10.10.0.0/24'],
          applicationSubnetCidrs: ['10.10.16.0/20'],
          dataSubnetCidrs: ['10.10.64.0/24'],
        },
        database: { readerCount: 0 },
      }),
      error: /network\.availabilityZones: needs at least two availability zones/,
    },
    {
      bad: 'an AZ outside the region',
      input: configInput('dev', { network: { availabilityZones: ['eu-west-1a', 'us-east-1b'] } }),
      error: /network\.availabilityZones\.1: "us-east-1b" is not an availability zone of region eu-west-1; use names such as eu-west-1a/,
    },
    {
      bad: 'a subnet count that does not match the AZs',
      input: configInput('dev', { network: { applicationSubnetCidrs: ['10.10.16.0/20'] } }),
      error: /network\.applicationSubnetCidrs: has 1 subnets but there are 2 availability zones; give exactly one subnet per AZ/,
    },
    {
      bad: 'SSH open to the world',
      input: configInput('dev', { cachet: { ssh: { operatorCidr: '0.0.0.0/0' } } }),
      error: /cachet\.ssh\.operatorCidr: "0\.0\.0\.0\/0" opens SSH to the whole internet; give the operator's own address as a \/32/,
    },
    {
      bad: 'SSH from a block wider than /24',
      input: configInput('dev', { cachet: { ssh: { operatorCidr: '198.51.0.0/16' } } }),
      error: /cachet\.ssh\.operatorCidr: "198\.51\.0\.0\/16" opens SSH to 65536 addresses/,
    },
    {
      bad: "Cachet's set-up open to a block wider than /24",
      input: configInput('dev', { cachet: { setupCidr: '198.51.0.0/16' } }),
      error: /cachet\.setupCidr: "198\.51\.0\.0\/16" lets 65536 addresses open Cachet's set-up; give the operator's own address as a \/32/,
    },
    {
      bad: "Cachet's WAF off in prod",
      input: configInput('prod', { cachet: { enableWaf: false } }),
      error: /cachet\.enableWaf: must be true in production: the load balancer faces the internet/,
    },
    {
      bad: "the web app's WAF off in prod",
      input: configInput('prod', { webapp: { enableWaf: false } }),
      error: /webapp\.enableWaf: must be true in production/,
    },
    {
      bad: 'an APP_KEY version of 0',
      input: configInput('dev', { cachet: { appKeyVersion: 0 } }),
      error: /cachet\.appKeyVersion/,
    },
    {
      bad: 'a malformed domain',
      input: configInput('dev', { dns: { domainName: 'https://Status.example.com/' } }),
      error: /dns\.domainName: must be a lower-case DNS name such as status\.example\.com/,
    },
    {
      bad: 'no reader in prod',
      input: configInput('prod', { database: { readerCount: 0 } }),
      error: /database\.readerCount: must be at least 1 in production/,
    },
    {
      bad: 'more instances than AZs',
      input: configInput('dev', { database: { readerCount: 2 } }),
      error: /database\.readerCount: 2 readers plus the writer need 3 availability zones .* lower readerCount or add AZs/,
    },
    {
      bad: 'a web fleet of a billion instances',
      input: configInput('dev', { webapp: { maxInstances: 1_000_000_000 } }),
      error: /webapp\.maxInstances: must be at most 100; a larger fleet is a typo here/,
    },
    {
      bad: 'a Cachet fleet of a billion instances',
      input: configInput('dev', { cachet: { maxInstances: 1_000_000_000 } }),
      error: /cachet\.maxInstances: must be at most 100/,
    },
    {
      bad: 'a component id of 1e30',
      input: { ...configInput('dev'), statusPage: { components: [{ alarm: 'elb-5xx', componentId: 1e30, status: 'major-outage' }] } },
      error: /statusPage\.components\.0\.componentId: must be at most 2147483647/,
    },
    {
      bad: 'local state in prod',
      input: configInput('prod', { state: { backend: 'local' } }),
      error: /state\.backend: must be s3 or cloud in production: local state lives on one machine, unlocked and unversioned; set state: \{ backend: s3/,
    },
    {
      bad: 'prod alarms that notify nobody',
      input: { ...configInput('prod'), alarms: {} },
      error: /alarms\.emailAddresses: production alarms must reach someone: set alarms\.emailAddresses \(or alarms\.httpsEndpoints/,
    },
    {
      bad: 'deletion protection off in prod',
      input: configInput('prod', { database: { deletionProtection: false } }),
      error: /database\.deletionProtection: must be true in production/,
    },
    {
      bad: 'fewer than 7 days of backups',
      input: configInput('dev', { database: { backupRetentionDays: 1 } }),
      error: /database\.backupRetentionDays: must be at least 7 days: Aurora backup storage up to the cluster size costs nothing/,
    },
    {
      bad: 'minInstances above maxInstances',
      input: configInput('dev', { cachet: { minInstances: 3, maxInstances: 2 } }),
      error: /cachet\.maxInstances: 2 is below minInstances \(3\)/,
    },
    {
      bad: 'a log retention CloudWatch does not accept',
      input: configInput('dev', { network: { flowLogRetentionDays: 10 } }),
      error: /network\.flowLogRetentionDays: must be one of the retention periods CloudWatch Logs accepts/,
    },
    {
      bad: 'a misspelt field',
      input: { ...configInput('dev'), regoin: 'eu-west-1' },
      error: /\(root\): unknown field\(s\) "regoin"; remove them or fix their spelling/,
    },
    {
      bad: 'a region that does not exist (the shape is right), naming the regions it is near',
      input: configInput('dev', { region: 'eu-west-9', network: { availabilityZones: ['eu-west-9a', 'eu-west-9b'] } }),
      error: /region: "eu-west-9" is not a region of the aws partition; did you mean eu-west-1 or eu-west-2 or eu-west-3\?/,
    },
    {
      bad: 'a region like no other, naming an example',
      input: configInput('dev', { region: 'mars-north-1' }),
      error: /region: "mars-north-1" is not a region of the aws partition; use one such as eu-west-1 \(the \d+ in config\/aws-regions\.ts/,
    },
    {
      bad: 'two routing rules with one priority',
      input: configInput('dev', {
        webapp: {
          routingRules: [
            { priority: 10, pathPatterns: ['/api/*'] },
            { priority: 10, pathPatterns: ['/admin/*'] },
          ],
        },
      }),
      error: /webapp\.routingRules\.1\.priority: 10 is also the priority of rule 0; listener rules need distinct priorities/,
    },
    {
      bad: 'a routing rule that matches nothing',
      input: configInput('dev', { webapp: { routingRules: [{ priority: 10 }] } }),
      error: /webapp\.routingRules\.0: has neither hostHeaders nor pathPatterns; give at least one/,
    },
    {
      bad: 'a database instance class the alarms do not know',
      input: configInput('dev', { database: { instanceClass: 'db.x9.huge' } }),
      error: /database\.instanceClass: must be an instance class the alarms know .*db\.t4g\.medium.*add another in constructs\/aurora-mysql-cluster\.ts/,
    },
    {
      bad: 'an alarm e-mail that is not one',
      input: configInput('dev', { alarms: { emailAddresses: ['ops.example.com'] } }),
      error: /alarms\.emailAddresses\.0: must be an e-mail address/,
    },
    {
      bad: 'an alarm endpoint over plain HTTP',
      input: configInput('dev', { alarms: { httpsEndpoints: ['http://hooks.example.com/x'] } }),
      error: /alarms\.httpsEndpoints\.0: must be an https:\/\/ URL/,
    },
    {
      bad: 'a status page component for an alarm the web stack does not have',
      input: configInput('dev', { statusPage: { components: [{ alarm: 'cpu' as never, componentId: 1, status: 'major-outage' }] } }),
      error: /statusPage\.components\.0\.alarm: Invalid enum value\. Expected 'elb-5xx' \| 'target-5xx'/,
    },
    {
      bad: 'a missing account id',
      input: { ...configInput('dev'), accountId: undefined },
      error: /accountId: is required \(string\); add it/,
    },
  ])('refuses $bad', ({ input, error }) => {
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(ConfigError);
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(error);
  });

  it('reports a region that does not exist once, not the zones it makes foreign', () => {
    // GIVEN a typo in the region and zones of the region meant
    const input = configInput('dev', { region: 'eu-west-9' });
    // WHEN / THEN only the region is named: asking to rename valid zones to eu-west-9a would mislead
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(/region: "eu-west-9"/);
    expect(() => parseEnvironmentConfig(input, 'dev')).not.toThrow(/availabilityZones/);
  });

  it.each([
    ['a quoted number', { cachet: { minInstances: '1' } }, /cachet\.minInstances: "1" is text \(quoted\); write the number without quotes: 1$/m],
    ['text that is no number', { cachet: { minInstances: 'two' } }, /cachet\.minInstances: "two" is text; write a number$/m],
    ['yes for true', { forceDestroyBuckets: 'yes' }, /forceDestroyBuckets: "yes" is text: YAML 1\.2 reads only true and false as booleans; write true$/m],
    ['off for false', { database: { deletionProtection: 'off' } }, /database\.deletionProtection: "off" is text: .*; write false$/m],
    ['a word for a boolean', { forceDestroyBuckets: 'sure' }, /forceDestroyBuckets: "sure" is text; write true or false$/m],
    [
      'an unquoted account id',
      { accountId: 11111111111 },
      /accountId: is the number 11111111111 \(YAML reads it unquoted as a number, dropping any leading zeros\); write it in quotes/,
    ],
    [
      'a field with no value',
      { cachet: { minInstances: null } },
      /cachet\.minInstances: has no value \(nothing after the colon\); write a number, or delete the line/,
    ],
    ['a fraction for a whole number', { cachet: { minInstances: 1.5 } }, /cachet\.minInstances: 1\.5 must be a whole number$/m],
    ['text for a list', { network: { availabilityZones: 'eu-west-1a' } }, /network\.availabilityZones: must be a list \(one "- item" per line\), not a text$/m],
    ['a list for a mapping', { dns: ['status.example.com'] }, /dns: must be a mapping \(indented "key: value" lines\), not a list$/m],
  ])('says how to write %s in YAML', (_, patch, error) => {
    expect(() => parseEnvironmentConfig(configInput('dev', patch as never), 'dev')).toThrow(error);
  });

  it('names the environment in the message', () => {
    const input = configInput('dev', { region: 'nowhere' });
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(/^Invalid configuration for environment "dev" \(environments\/dev\.yaml\):/);
  });

  it('reports every problem of every environment at once', () => {
    const sources = { ...contentsOf(EXAMPLES), dev: configInput('dev', { region: 'nowhere' }), prod: configInput('prod', { accountId: 'x' }) };
    let message = '';
    try {
      loadEnvironments(['dev', 'staging', 'prod'], sources);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/environment "dev" \(environments\/dev\.yaml\):\n {2}- region:/);
    expect(message).toMatch(/environment "prod" \(environments\/prod\.yaml\):\n {2}- accountId:/);
    expect(message).not.toMatch(/environment "staging"/);
  });

  it('refuses a name field: the name is the file name', () => {
    expect(() => loadEnvironments(['staging'], { staging: { ...configInput('staging'), name: 'dev' } })).toThrow(
      /name: comes from the file name; remove the field/,
    );
  });
});

describe('environments as files', () => {
  it('takes any number of environments with any names, one file each', () => {
    // GIVEN a qa and a second-region environment beside dev
    const dev = stringify(configInput('dev'));
    const dir = environmentsDir({ 'dev.yaml': dev, 'qa.yaml': dev, 'euc1.yaml': dev.replace(/eu-west-1/g, 'eu-central-1'), 'notes.txt': 'not an environment' });
    // WHEN
    const names = environmentNames(dir);
    const configs = loadEnvironments(names, contentsOf(names, dir));
    // THEN
    expect(names).toEqual(['dev', 'euc1', 'qa']);
    expect(configs.map((c) => [c.name, c.region])).toEqual([
      ['dev', 'eu-west-1'],
      ['euc1', 'eu-central-1'],
      ['qa', 'eu-west-1'],
    ]);
  });

  it.each([
    ['a key written twice', 'project: a\nproject: b\n', /bad\.yaml is not valid YAML:\n {2}- Map keys must be unique at line 2, column 1/],
    ['broken syntax', 'project: [a\n', /bad\.yaml is not valid YAML:\n {2}- .*line/],
  ])('names the file, line and column of %s', (_, text, error) => {
    const dir = environmentsDir({ 'bad.yaml': text });
    expect(() => readEnvironmentFile('bad', dir)).toThrow(error);
  });

  it('refuses a .yml file rather than passing over it, naming the rename', () => {
    const dir = environmentsDir({ 'dev.yaml': stringify(configInput('dev')), 'qa.yml': 'project: x\n' });
    expect(() => environmentNames(dir)).toThrow(/qa\.yml: environment files end in \.yaml; rename it \(git mv qa\.yml qa\.yaml\)/);
  });

  it('refuses a folder named like an environment file, without a stack trace', () => {
    const dir = environmentsDir({ 'dev.yaml': stringify(configInput('dev')) });
    mkdirSync(join(dir, 'x.yaml'));
    expect(() => environmentNames(dir)).toThrow(ConfigError);
    expect(() => environmentNames(dir)).toThrow(/x\.yaml is not a file; an environment is a file <name>\.yaml: move the folder away/);
  });

  it.each([
    ['empty', ''],
    ['only comments', '# to do\n'],
  ])('refuses a file that is %s, saying where to start', (_, text) => {
    const dir = environmentsDir({ 'empty.yaml': text });
    expect(() => loadEnvironments(['empty'], contentsOf(['empty'], dir))).toThrow(
      /environment "empty" .*\n {2}- \(root\): the file is empty; start from a copy of another environment file/,
    );
  });

  it('refuses a file that is a list, not a mapping', () => {
    const dir = environmentsDir({ 'list.yaml': '- project: a\n' });
    expect(() => loadEnvironments(['list'], contentsOf(['list'], dir))).toThrow(/\(root\): the file holds a list; it must be a mapping of fields/);
  });

  it('shows the line a YAML mistake is on, and counts the errors that follow from it', () => {
    // GIVEN a tab for indentation, which YAML forbids and which cascades into more errors
    const dir = environmentsDir({ 'tab.yaml': 'project: a\nnetwork:\n\tvpcCidr: 10.0.0.0/16\n  natGateways: single\n' });
    // WHEN / THEN the first error with its line, a caret, and how many follow
    expect(() => readEnvironmentFile('tab', dir)).toThrow(
      /- Tabs are not allowed as indentation at line 3, column 1:\n(.*\n)*? {4}\tvpcCidr: 10\.0\.0\.0\/16\n {4}\^/,
    );
    expect(() => readEnvironmentFile('tab', dir)).toThrow(/\(\d+ more errors? after it, often caused by this one: fix it first\)$/);
  });

  it('refuses an alias to no anchor as YAML, not with a stack trace', () => {
    const dir = environmentsDir({ 'alias.yaml': 'project: *nope\n' });
    expect(() => readEnvironmentFile('alias', dir)).toThrow(ConfigError);
    expect(() => readEnvironmentFile('alias', dir)).toThrow(/alias\.yaml is not valid YAML: Unresolved alias .*nope/);
  });

  it.each([
    ['a Latin-1 byte', Buffer.from('project: a\nstatusPage:\n  incident: caf\u00e9\n', 'latin1'), 'line 3, column 16'],
    ['a stray byte at the start', Buffer.concat([Buffer.from([0xff]), Buffer.from('project: a\n')]), 'line 1, column 1'],
  ])('refuses %s, which would be written as U+FFFD, at its line and column', (_, bytes, where) => {
    const dir = mkdtempSync(join(tmpdir(), 'environments-'));
    writeFileSync(join(dir, 'latin.yaml'), bytes);
    expect(() => readEnvironmentFile('latin', dir)).toThrow(new RegExp(`latin\\.yaml: ${where} holds bytes that are not UTF-8 .*; save it as UTF-8`));
  });

  it('reads UTF-8 text, a byte order mark included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'environments-'));
    writeFileSync(join(dir, 'utf8.yaml'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('project: caf\u00e9\n')]));
    expect(readEnvironmentFile('utf8', dir)).toEqual({ project: 'caf\u00e9' });
  });

  it.each(['Prod', 'p', 'my_env', 'averyveryverylongname'])('refuses the file name %j as an environment name', (name) => {
    expect(() => parseEnvironmentConfig(configInput('dev'), name)).toThrow(/name: must be 2-16 lower-case letters or digits/);
  });

  it('refuses a project and name whose resource names AWS would refuse', () => {
    // GIVEN the longest project with a 16-letter environment name: "<project>-<name>-web" > 32
    expect(() => parseEnvironmentConfig(configInput('dev', { project: 'abcdefghijklmnopqrst' }), 'abcdefghijklmnop')).toThrow(
      /project: "abcdefghijklmnopqrst-abcdefghijklmnop" \(project-name\) is 37 characters; at most 28/,
    );
  });

  it('applies the production rules by the production flag, whatever the name', () => {
    expect(() => parseEnvironmentConfig(configInput('dev', { production: true }), 'live')).toThrow(/forceDestroyBuckets: must be false in production/);
    expect(() => parseEnvironmentConfig(configInput('prod', { production: false, forceDestroyBuckets: true }), 'prod')).not.toThrow();
  });
});

describe('selectEnvironments', () => {
  it('selects every environment there is by default', () => {
    expect(selectEnvironments(undefined, {})).toEqual(PRESENT);
  });

  it.each([
    ['dev', {}, ['dev']],
    ['dev,prod', {}, ['dev', 'prod']],
    [undefined, { DEPLOY_ENV: 'staging' }, ['staging']],
    ['prod', { DEPLOY_ENV: 'dev' }, ['prod']],
  ])('--env %j with env %j selects %j', (flag, env, expected) => {
    expect(selectEnvironments(flag, env)).toEqual(expected);
  });

  it.each([
    [
      ABSENT,
      {},
      new RegExp(
        `--env: unknown environment "${ABSENT}"; add environments/${ABSENT}\\.yaml or use one or more of: ${PRESENT.join(', ')} \\(comma-separated\\)$`,
      ),
    ],
    ['Q A', {}, /--env: unknown environment "Q A"; use one or more of/],
    [undefined, { DEPLOY_ENV: `dev,${ABSENT}` }, new RegExp(`DEPLOY_ENV: unknown environment "${ABSENT}"`)],
    [undefined, { DEPLOY_ENV: ' , ' }, /DEPLOY_ENV is empty/],
    ['', {}, /--env is empty/],
  ])('refuses --env %j with env %j', (flag, env, error) => {
    expect(() => selectEnvironments(flag, env)).toThrow(error);
  });
});

describe('bad web app configuration is refused with the field and the fix', () => {
  it.each([
    [configInput('dev', { webapp: { minInstances: 2, maxInstances: 3 } }), /webapp\.maxInstances: 3 must be at least twice minInstances \(2\)/],
    [
      configInput('dev', {
        webapp: {
          network: {
            ...configInput('dev').webapp.network,
            vpcCidr: '10.10.0.0/16',
            publicSubnetCidrs: ['10.10.100.0/24', '10.10.101.0/24'],
            applicationSubnetCidrs: ['10.10.112.0/20', '10.10.128.0/20'],
            dataSubnetCidrs: ['10.10.200.0/24', '10.10.201.0/24'],
          },
        },
      }),
      /webapp\.network\.vpcCidr: "10\.10\.0\.0\/16" overlaps network\.vpcCidr/,
    ],
    [configInput('dev', { webapp: { domainName: 'status.dev.example.com' } }), /webapp\.domainName: is the status page's name too/],
    [
      configInput('dev', { webapp: { network: { ...configInput('dev').webapp.network, availabilityZones: ['eu-west-1a', 'eu-central-1b'] } } }),
      /webapp\.network\.availabilityZones\.1: "eu-central-1b" is not an availability zone of region eu-west-1/,
    ],
    [
      configInput('dev', { webapp: { network: { ...configInput('dev').webapp.network, publicSubnetCidrs: ['10.11.0.0/24', '10.99.0.0/24'] } } }),
      /webapp\.network\.publicSubnetCidrs\.1: "10\.99\.0\.0\/24" does not fit inside the VPC 10\.11\.0\.0\/16/,
    ],
    [configInput('dev', { webapp: { initialReleaseVersion: 'v1/../../x' } }), /webapp\.initialReleaseVersion: must be a version such as v1\.0\.0/],
  ])('refuses %#', (input, error) => {
    expect(() => parseEnvironmentConfig(input, 'dev')).toThrow(error);
  });

  it('refuses buckets a destroy may empty in prod', () => {
    expect(() => parseEnvironmentConfig(configInput('prod', { forceDestroyBuckets: true }), 'prod')).toThrow(
      /forceDestroyBuckets: must be false in production/,
    );
  });
});

describe('bad delivery configuration is refused with the field and the fix', () => {
  it.each([
    [{ branch: 'feature..x' }, /webapp\.delivery\.branch: must be a git branch name such as dev, staging or main/],
    [{ enableJenkins: true }, /webapp\.delivery\.jenkins: is required when enableJenkins is true: give webhookCidrs, officeCidr and domainName/],
    [
      { enableJenkins: true, jenkins: { ...JENKINS_SETTINGS, officeCidr: '0.0.0.0/0' } },
      /webapp\.delivery\.jenkins\.officeCidr: "0\.0\.0\.0\/0" opens Jenkins to the whole internet/,
    ],
    [
      { enableJenkins: true, jenkins: { ...JENKINS_SETTINGS, webhookCidrs: ['192.30.252.0/22', '10.0.0.0/8'] } },
      /webapp\.delivery\.jenkins\.webhookCidrs\.1: "10\.0\.0\.0\/8" opens Jenkins to 16777216 addresses/,
    ],
    [{ enableJenkins: true, jenkins: { ...JENKINS_SETTINGS, webhookCidrs: [] } }, /webapp\.delivery\.jenkins\.webhookCidrs: needs at least one block/],
    [{ source: { provider: 'github', fullRepositoryId: 'webapp' } }, /webapp\.delivery\.source\.fullRepositoryId: must be owner\/repository/],
    [{ pullRequestApprovals: 0 }, /webapp\.delivery\.pullRequestApprovals/],
    [
      { source: { provider: 'github', fullRepositoryId: 'example/webapp' }, enablePullRequestReports: true },
      /webapp\.delivery\.source\.pullRequestAuthors: is required with enablePullRequestReports and a GitHub source: a report's build runs the pull request's code/,
    ],
    [
      { source: { provider: 'github', fullRepositoryId: 'example/webapp', pullRequestAuthors: [] } },
      /webapp\.delivery\.source\.pullRequestAuthors: .*at least one/,
    ],
    [
      { source: { provider: 'github', fullRepositoryId: 'example/webapp', pullRequestAuthors: ['octocat'] } },
      /webapp\.delivery\.source\.pullRequestAuthors\.0: .*number/,
    ],
    [{ source: { provider: 'github', fullRepositoryId: 'example/webapp', pullRequestAuthors: [-1] } }, /pullRequestAuthors\.0: must be a GitHub user id/],
  ] as const)('refuses %j', (delivery, error) => {
    expect(() => parseEnvironmentConfig(configInput('dev', { webapp: { delivery } as never }), 'dev')).toThrow(error);
  });

  it('takes pull request reports with a GitHub source when it names the authors trusted with them', () => {
    const source = { provider: 'github', fullRepositoryId: 'example/webapp', pullRequestAuthors: [583231] };
    const delivery = parseEnvironmentConfig(configInput('dev', { webapp: { delivery: { source, enablePullRequestReports: true } } as never }), 'dev').webapp
      .delivery;
    expect(delivery).toMatchObject({ enablePullRequestReports: true, source });
  });

  it('keeps Jenkins off unless asked, even with its settings present', () => {
    expect(config('dev').webapp.delivery.enableJenkins).toBe(false);
    expect(parseEnvironmentConfig(configInput('dev', { webapp: { delivery: { jenkins: JENKINS_SETTINGS } } }), 'dev').webapp.delivery.enableJenkins).toBe(
      false,
    );
  });
});
