// Every moto defect the emulator gate works around (a resource left out of the apply, an attribute
// the no-change plan tolerates) reproduced on its own with a request AWS accepts, through the AWS CLI
// as our scripts call AWS. Each test asserts the defect as moto 5.2.5 shows it, so a moto release that
// fixes one fails its test, and the gap or drift entry must go. The entries themselves are held to
// the dev stacks: every address exists, and the drift tolerated for group rules names no CIDR rule.
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EMULATOR_ACCOUNT_ID,
  EMULATOR_DRIFT,
  EMULATOR_DRIFT_BEFORE_RELEASE,
  EMULATOR_GAPS,
  emulatorCliEnv,
  MOTO_DEFECTS,
  startEmulator,
  VENV_BIN,
  type Emulator,
  type MotoDefect,
} from '../../harness/emulator';
import { MYSQL_MULTI_USER_ROTATION } from '../../constructs/database-application-user';
import { CachetStack } from '../../stacks/cachet/cachet-stack';
import { WebStack } from '../../stacks/web/web-stack';
import { expectNoChangesButDrift } from '../helpers/emulator-drift';
import { config, type Json } from '../helpers/synth';

const REGION = 'eu-west-1';
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  aws('iam', 'create-role', '--role-name', 'defects', '--assume-role-policy-document', JSON.stringify(trust));
}, 120_000);

afterAll(async () => emulator?.stop());

/** The AWS CLI against the emulator: the parsed JSON answer, or the CLI's error text thrown. */
function aws(...args: string[]): Json {
  try {
    const out = execFileSync(join(VENV_BIN, 'aws'), [...args, '--region', REGION, '--output', 'json', '--cli-read-timeout', '10'], {
      env: { PATH: process.env.PATH!, ...emulatorCliEnv(emulator), AWS_MAX_ATTEMPTS: '1' },
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return out.trim() ? JSON.parse(out) : {};
  } catch (e) {
    const { stderr, message } = e as { stderr?: string; message: string };
    throw new Error(`aws ${args.slice(0, 2).join(' ')}: ${stderr || message}`, { cause: e });
  }
}

/** A JSON 1.1 call as the wire carries it, for an answer the CLI would parse leniently. */
function rawJson(target: string, body: object): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(emulator.endpoint);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        ca: readFileSync(emulator.caBundle),
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': target,
          Authorization: `AWS4-HMAC-SHA256 Credential=testing/20261206/${REGION}/codecommit/aws4_request, SignedHeaders=host, Signature=0`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const ROLE = `arn:aws:iam::${EMULATOR_ACCOUNT_ID}:role/defects`;
let unique = 0;
const name = (prefix: string) => `${prefix}-${++unique}`;

function launchTemplateAndGroup(): string {
  const template = name('lt');
  aws('ec2', 'create-launch-template', '--launch-template-name', template, '--launch-template-data', '{"ImageId":"ami-12c6146b","InstanceType":"t3.micro"}');
  const group = name('asg');
  aws(
    'autoscaling',
    'create-auto-scaling-group',
    '--auto-scaling-group-name',
    group,
    '--launch-template',
    `LaunchTemplateName=${template},Version=$Default`,
    '--min-size',
    '0',
    '--max-size',
    '1',
    '--availability-zones',
    `${REGION}a`,
    '--default-instance-warmup',
    '100',
  );
  return group;
}

/** A new group, as DescribeAutoScalingGroups answers it. */
function describedGroup(): Json {
  return aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', launchTemplateAndGroup()).AutoScalingGroups[0];
}

/** A target tracking policy on a new group, as DescribePolicies answers it. */
function targetTrackingPolicy(...extra: string[]): Json {
  const group = launchTemplateAndGroup();
  const tracking = { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50 };
  const policy = ['--policy-name', 'p', '--policy-type', 'TargetTrackingScaling', '--target-tracking-configuration', JSON.stringify(tracking)];
  aws('autoscaling', 'put-scaling-policy', '--auto-scaling-group-name', group, ...policy, ...extra);
  return aws('autoscaling', 'describe-policies', '--auto-scaling-group-name', group).ScalingPolicies[0];
}

function lambdaFunction(...extra: string[]): Json {
  const dir = mkdtempSync(join(tmpdir(), 'defect-fn-'));
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({});\n');
  execFileSync('zip', ['-q', '-j', join(dir, 'fn.zip'), join(dir, 'index.mjs')]);
  const fn = name('fn');
  aws(
    'lambda',
    'create-function',
    '--function-name',
    fn,
    '--runtime',
    'nodejs22.x',
    '--handler',
    'index.handler',
    '--role',
    ROLE,
    '--zip-file',
    `fileb://${join(dir, 'fn.zip')}`,
    ...extra,
  );
  return aws('lambda', 'get-function-configuration', '--function-name', fn);
}

function auroraCluster(): { cluster: string; instance: string } {
  const cluster = name('aurora');
  aws(
    'rds',
    'create-db-cluster',
    '--db-cluster-identifier',
    cluster,
    '--engine',
    'aurora-mysql',
    '--engine-version',
    '8.0.mysql_aurora.3.08.2',
    '--master-username',
    'admin',
    '--manage-master-user-password',
  );
  const instance = name('aurora-writer');
  aws(
    'rds',
    'create-db-instance',
    '--db-instance-identifier',
    instance,
    '--db-cluster-identifier',
    cluster,
    '--engine',
    'aurora-mysql',
    '--db-instance-class',
    'db.r6g.large',
    '--enable-performance-insights',
    '--performance-insights-retention-period',
    '7',
  );
  return { cluster, instance };
}

/** One reproduction per defect; the Record type makes a new defect without one a compile error. */
const REPRODUCTIONS: Record<MotoDefect, () => void | Promise<void>> = {
  codebuildPipelineSource: () => {
    // AWS: "If type is CODEPIPELINE, ... do not specify this property" (ProjectSource.location).
    const environment = 'type=LINUX_CONTAINER,image=aws/codebuild/amazonlinux-x86_64-standard:5.0,computeType=BUILD_GENERAL1_SMALL';
    expect(() =>
      aws(
        'codebuild',
        'create-project',
        '--name',
        name('p'),
        '--source',
        'type=CODEPIPELINE',
        '--artifacts',
        'type=CODEPIPELINE',
        '--environment',
        environment,
        '--service-role',
        ROLE,
      ),
    ).toThrow(/Project source location is required/);
  },
  codecommitCreationDate: async () => {
    // The API's creationDate is a timestamp, which JSON 1.1 carries as epoch seconds (a number).
    const answer = JSON.parse(await rawJson('CodeCommit_20150413.CreateRepository', { repositoryName: name('repo') }));
    expect(typeof answer.repositoryMetadata.creationDate).toBe('string');
  },
  codecommitApprovalRuleTemplate: () => {
    const content = { Version: '2018-11-08', Statements: [{ Type: 'Approvers', NumberOfApprovalsNeeded: 1 }] };
    expect(() =>
      aws(
        'codecommit',
        'create-approval-rule-template',
        '--approval-rule-template-name',
        name('t'),
        '--approval-rule-template-content',
        JSON.stringify(content),
      ),
    ).toThrow(/500 Internal Server Error/);
  },
  noServerlessRepo: () => {
    // The application and version the Cachet stack deploys, which AWS serves.
    const call = () =>
      aws(
        'serverlessrepo',
        'create-cloud-formation-change-set',
        '--application-id',
        MYSQL_MULTI_USER_ROTATION.applicationId,
        '--semantic-version',
        MYSQL_MULTI_USER_ROTATION.semanticVersion,
        '--stack-name',
        'rotation',
      );
    expect(call).toThrow(/\(500\) when calling the CreateCloudFormationChangeSet operation/);
  },
  groupRuleDescription: () => {
    const vpc = aws('ec2', 'create-vpc', '--cidr-block', '10.9.0.0/16').Vpc.VpcId;
    const group = (n: string) => aws('ec2', 'create-security-group', '--group-name', name(n), '--description', n, '--vpc-id', vpc).GroupId;
    const [db, web] = [group('db'), group('web')];
    const permissions = [
      { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, UserIdGroupPairs: [{ GroupId: web, Description: 'from web' }] },
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32', Description: 'operator' }] },
    ];
    aws('ec2', 'authorize-security-group-ingress', '--group-id', db, '--ip-permissions', JSON.stringify(permissions));
    const rules = aws('ec2', 'describe-security-group-rules', '--filters', `Name=group-id,Values=${db}`).SecurityGroupRules.filter((r: Json) => !r.IsEgress);
    // THEN the CIDR rule keeps its description (the control) and the group rule loses it
    expect(rules.find((r: Json) => r.CidrIpv4)?.Description).toBe('operator');
    expect(rules.find((r: Json) => r.ReferencedGroupInfo)?.Description).toBeUndefined();
  },
  asgDefaultInstanceWarmup: () => {
    expect(describedGroup().DefaultInstanceWarmup).toBeUndefined();
  },
  asgCapacityReservation: () => {
    expect(describedGroup().CapacityReservationSpecification).toBeUndefined();
  },
  scalingPolicyEnabled: () => {
    expect(targetTrackingPolicy('--enabled').Enabled).toBeUndefined();
  },
  scalingPolicyPredictive: () => {
    expect(targetTrackingPolicy().PredictiveScalingConfiguration ?? {}).toEqual({});
  },
  rdsPerformanceInsights: () => {
    const { instance } = auroraCluster();
    const [db] = aws('rds', 'describe-db-instances', '--db-instance-identifier', instance).DBInstances;
    expect(db.PerformanceInsightsEnabled ?? false).toBe(false);
    expect(db.PerformanceInsightsRetentionPeriod).toBeUndefined();
  },
  rdsScalingConfigurationInfo: () => {
    const { cluster } = auroraCluster();
    const [c] = aws('rds', 'describe-db-clusters', '--db-cluster-identifier', cluster).DBClusters;
    expect(c.EngineMode).toBe('provisioned');
    expect(c).toHaveProperty('ScalingConfigurationInfo');
  },
  codebuildEncryptionKey: () => {
    const key = `arn:aws:kms:${REGION}:${EMULATOR_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const project = name('p');
    const environment = 'type=LINUX_CONTAINER,image=aws/codebuild/amazonlinux-x86_64-standard:5.0,computeType=BUILD_GENERAL1_SMALL';
    aws(
      'codebuild',
      'create-project',
      '--name',
      project,
      '--source',
      'type=S3,location=bucket/source.zip',
      '--artifacts',
      'type=NO_ARTIFACTS',
      '--environment',
      environment,
      '--service-role',
      ROLE,
      '--encryption-key',
      key,
    );
    const [answer] = aws('codebuild', 'batch-get-projects', '--names', project).projects;
    expect(answer.encryptionKey).toMatch(/:alias\/aws\/s3$/);
  },
  s3EventBridge: () => {
    const bucket = name('events-bucket');
    aws('s3api', 'create-bucket', '--bucket', bucket, '--create-bucket-configuration', `LocationConstraint=${REGION}`);
    aws('s3api', 'put-bucket-notification-configuration', '--bucket', bucket, '--notification-configuration', '{"EventBridgeConfiguration":{}}');
    expect(aws('s3api', 'get-bucket-notification-configuration', '--bucket', bucket)).not.toHaveProperty('EventBridgeConfiguration');
  },
  lambdaDeadLetterConfig: () => {
    const queue = `arn:aws:sqs:${REGION}:${EMULATOR_ACCOUNT_ID}:dead-letters`;
    expect(lambdaFunction('--dead-letter-config', `TargetArn=${queue}`)).not.toHaveProperty('DeadLetterConfig');
  },
  launchTemplateOwnTags: () => {
    // WHEN a launch template is created with tags of its own and tags for its instances
    const template = name('lt');
    const data = { InstanceType: 't3.micro', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }] }] };
    aws(
      'ec2',
      'create-launch-template',
      '--launch-template-name',
      template,
      '--launch-template-data',
      JSON.stringify(data),
      '--tag-specifications',
      'ResourceType=launch-template,Tags=[{Key=stack,Value=web-dev}]',
    );
    // THEN its version's data holds the template's own tags too
    const [version] = aws('ec2', 'describe-launch-template-versions', '--launch-template-name', template).LaunchTemplateVersions;
    expect(version.LaunchTemplateData.TagSpecifications.map((t: Json) => t.ResourceType)).toEqual(['instance', 'launch-template']);
  },
  lambdaLoggingConfig: () => {
    expect(lambdaFunction('--logging-config', 'LogFormat=JSON')).not.toHaveProperty('LoggingConfig');
  },
};

describe('moto defects the emulator gate works around (each with a request AWS accepts)', () => {
  it.each(Object.keys(MOTO_DEFECTS) as MotoDefect[])('%s', async (defect) => {
    await REPRODUCTIONS[defect]();
  });
});

describe('the gap and drift lists, held to the dev stacks', () => {
  const synthesized = {
    cachet: JSON.parse(Testing.synth(new CachetStack(Testing.app(), config('dev', { accountId: EMULATOR_ACCOUNT_ID })))),
    web: JSON.parse(Testing.synth(new WebStack(Testing.app(), config('dev', { accountId: EMULATOR_ACCOUNT_ID })))),
  };
  const addresses = (json: Json) => Object.entries<Json>(json.resource).flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`));
  const body = (json: Json, address: string) => {
    const [type, id] = address.split('.');
    return json.resource[type]?.[id];
  };

  it('names, for every gap, a resource of a dev stack', () => {
    const all = [...addresses(synthesized.cachet), ...addresses(synthesized.web)];
    expect(EMULATOR_GAPS.map((g) => g.address).filter((a) => !all.includes(a))).toEqual([]);
  });

  it.each(['cachet', 'web'] as const)(
    'names, for every %s drift entry, a resource of its dev stack, and for group-rule descriptions only rules that reference a group',
    (system) => {
      const json = synthesized[system];
      const drift = system === 'web' ? EMULATOR_DRIFT_BEFORE_RELEASE.web : EMULATOR_DRIFT[system];
      expect(drift.map((d) => d.address).filter((a) => !body(json, a))).toEqual([]);
      const notGroupRules = drift.filter((d) => d.defect === 'groupRuleDescription' && !body(json, d.address)?.referenced_security_group_id);
      expect(notGroupRules).toEqual([]);
    },
  );
});

describe('the no-change check', () => {
  const change = (address: string, attribute: string) => ({ address, actions: ['update'], attributes: [attribute], details: [`${attribute}: "a" -> "b"`] });
  const groupRule = 'aws_vpc_security_group_ingress_rule.security-groups_instances-from-load-balancer_6989A044';
  const cidrRule = 'aws_vpc_security_group_ingress_rule.security-groups_load-balancer-443-ipv4_D87A679A';
  const drift = [{ address: groupRule, attribute: 'description', defect: 'groupRuleDescription' as const }];

  it('tolerates a listed drift on its own resource', () => {
    expect(() => expectNoChangesButDrift({ exitCode: 2, changes: [change(groupRule, 'description')] }, drift)).not.toThrow();
  });

  it('fails on the same attribute drifting on another resource of the type (a CIDR rule’s description)', () => {
    expect(() => expectNoChangesButDrift({ exitCode: 2, changes: [change(groupRule, 'description'), change(cidrRule, 'description')] }, drift)).toThrow(
      /perpetual diff/,
    );
  });

  it('fails when a listed drift no longer occurs', () => {
    expect(() => expectNoChangesButDrift({ exitCode: 0, changes: [] }, drift)).toThrow(/listed drift that no longer occurs/);
  });
});
