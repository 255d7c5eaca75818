// The emulator gate's harness: moto's server (pinned, in the project's .venv; started through
// emulator-server/moto_server.py, which corrects seven moto gaps our stacks meet and stands in for
// Elastic Beanstalk) on loopback with TLS from a throwaway CA, a Terraform override that points the
// AWS provider at it, the set of resources it can take, and a coverage table. The synthesized
// configuration stays real; only the override file and the emulator run differ. Bounded in time
// (per Terraform command) and in requests (a watchdog stops the server past MAX_REQUESTS).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent, request } from 'node:https';
import { join, resolve } from 'node:path';
import { freeLoopbackPort } from './net';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { loadEnvironments } from '../config/load';
import type { SystemName } from '../stacks';
import type { EnvironmentConfig } from '../config/schema';
import { DUMMY_PROVIDER_SETTINGS, offlineTerraformEnv, synthesizeAll, terraform, terraformExit, type Json, type SynthesizedStack } from './offline-terraform';

const ROOT = resolve(__dirname, '..');
export const VENV_BIN = join(ROOT, '.venv', 'bin');
const MOTO_SERVER = join(ROOT, 'harness', 'emulator-server', 'moto_server.py');

/** The account moto answers as; stacks applied to it are configured for it. */
export const EMULATOR_ACCOUNT_ID = '123456789012';

/** The run stops the server after this many requests (a runaway retry loop cannot go on). */
export const MAX_REQUESTS = 20_000;

/** Services the stacks use; each is pointed at the emulator. */
const SERVICES = [
  'acm',
  'autoscaling',
  'cloudwatch',
  'codebuild',
  'codecommit',
  'codeconnections',
  'codepipeline',
  'ec2',
  'ecr',
  'elasticbeanstalk',
  'elbv2',
  'events',
  'iam',
  'kms',
  'lambda',
  'logs',
  'rds',
  'route53',
  's3',
  'secretsmanager',
  'sns',
  'sqs',
  'ssm',
  'sts',
  'wafv2',
];

/**
 * moto 5.2.5's departures from AWS that the dev stacks meet and moto_server.py does not correct:
 * what moto does, where in its source or in AWS's reference, and (in
 * __tests__/harness/emulator-defects.test.ts) a reproduction with a request AWS accepts, which fails
 * once a moto release no longer has the defect.
 */
export const MOTO_DEFECTS = {
  codebuildPipelineSource: {
    what: 'codebuild:CreateProject answers 400 "Project source location is required" for a CODEPIPELINE source, whose location AWS says to leave out',
    source: 'moto/codebuild/responses.py, _validate_required_params_source: a location for every source type',
  },
  codecommitCreationDate: {
    what: 'codecommit:CreateRepository answers creationDate as an ISO string where the API has a number (epoch seconds); the provider cannot decode it',
    source: 'moto/codecommit/models.py, CodeCommit.__init__: iso_8601_datetime_with_milliseconds()',
  },
  codecommitApprovalRuleTemplate: {
    what: 'codecommit:CreateApprovalRuleTemplate is not implemented (HTTP 500; the provider retries until it times out)',
    source: 'moto/codecommit/responses.py has no create_approval_rule_template',
  },
  noServerlessRepo: {
    what: 'moto has no Serverless Application Repository (serverlessrepo is not among its services), so the rotation function cannot be deployed',
    source: 'moto/backend_index.py lists no serverlessrepo',
  },
  groupRuleDescription: {
    what: 'DescribeSecurityGroupRules answers no Description for a rule that references a security group',
    source: 'moto/ec2/models/security_groups.py, SecurityGroupRule.description reads only the IP range',
  },
  asgDefaultInstanceWarmup: {
    what: 'DescribeAutoScalingGroups answers no DefaultInstanceWarmup',
    source: 'moto/autoscaling keeps no DefaultInstanceWarmup (not in models.py)',
  },
  asgCapacityReservation: {
    what: 'DescribeAutoScalingGroups answers no CapacityReservationSpecification, which AWS answers for every group (default)',
    source: 'moto/autoscaling keeps no CapacityReservationSpecification',
  },
  scalingPolicyEnabled: {
    what: 'DescribePolicies answers no Enabled for a scaling policy',
    source: 'moto/autoscaling/models.py, FakeScalingPolicy keeps no enabled flag',
  },
  scalingPolicyPredictive: {
    what: 'DescribePolicies answers no PredictiveScalingConfiguration block for a target tracking policy where the provider expects one',
    source: 'moto/autoscaling/responses.py, put_scaling_policy keeps PredictiveScalingConfiguration only as given',
  },
  rdsPerformanceInsights: {
    what: 'DescribeDBInstances answers Performance Insights off for a cluster instance created with it on (and no key or retention)',
    source: 'moto/rds has no Performance Insights settings (no performance_insights in rds/models.py)',
  },
  rdsScalingConfigurationInfo: {
    what: 'DescribeDBClusters answers an empty ScalingConfigurationInfo for a provisioned cluster, which AWS leaves out',
    source: 'moto/rds/models.py, DBCluster.scaling_configuration',
  },
  codebuildEncryptionKey: {
    what: 'BatchGetProjects answers encryptionKey alias/aws/s3 whatever key the project was created with',
    source: 'moto/codebuild/models.py, CodeBuildProjectMetadata: encryptionKey is always alias/aws/s3',
  },
  s3EventBridge: {
    what: 'GetBucketNotificationConfiguration leaves EventBridgeConfiguration out',
    source: 'moto/s3/responses.py, get_bucket_notification: the result holds topic, queue and Lambda configurations only',
  },
  lambdaDeadLetterConfig: {
    what: 'GetFunction answers no DeadLetterConfig',
    source: 'moto/awslambda/models.py, LambdaFunction.get_configuration has no DeadLetterConfig',
  },
  launchTemplateOwnTags: {
    what: "CreateLaunchTemplate copies the template's own tags (TagSpecifications of type launch-template) into its first version's LaunchTemplateData.TagSpecifications, where AWS keeps only the types tagged at launch",
    source:
      'moto/ec2/responses/launch_templates.py, create_launch_template: parsed_template_data["TagSpecifications"].extend(the request\'s tag specifications)',
  },
  lambdaLoggingConfig: {
    what: 'GetFunction answers no LoggingConfig',
    source: 'moto/awslambda/models.py, LambdaFunction.get_configuration has no LoggingConfig',
  },
} as const satisfies Record<string, { readonly what: string; readonly source: string }>;

export type MotoDefect = keyof typeof MOTO_DEFECTS;

/** A resource of a dev stack that the emulator cannot take, and why. */
export interface EmulatorGap {
  readonly address: string;
  readonly defect: MotoDefect;
}

/**
 * What moto cannot take, found by applying everything (moto 5.2.5, provider 5.100.0), resource by
 * resource. A listed resource is left out of the apply, with every resource that depends on it; a
 * test holds every address to a resource of a dev stack.
 */
export const EMULATOR_GAPS: readonly EmulatorGap[] = [
  { address: 'aws_serverlessapplicationrepository_cloudformation_stack.database-app-user_rotation-application_99F2056A', defect: 'noServerlessRepo' },
  { address: 'aws_codebuild_project.delivery_build_3FDF41AB', defect: 'codebuildPipelineSource' },
  { address: 'aws_codebuild_project.delivery_deploy_E2994298', defect: 'codebuildPipelineSource' },
  { address: 'aws_codecommit_repository.delivery_repository_7F9AE33D', defect: 'codecommitCreationDate' },
  { address: 'aws_codecommit_approval_rule_template.delivery_pull-request-approvals_A9A64279', defect: 'codecommitApprovalRuleTemplate' },
];

/** One attribute of one resource that moto reads back differently from AWS. */
export interface EmulatorDrift {
  /** The resource's address in the dev stack. */
  readonly address: string;
  /** The attribute, as the plan names it. */
  readonly attribute: string;
  readonly defect: MotoDefect;
}

/** The security group rules that reference another group, in both systems' dev stacks (the CIDR rules are not listed). */
const GROUP_RULES = {
  cachet: [
    'aws_vpc_security_group_ingress_rule.security-groups_database-from-instances_EAA3DCF4',
    'aws_vpc_security_group_ingress_rule.security-groups_instances-from-load-balancer_6989A044',
    'aws_vpc_security_group_egress_rule.security-groups_instances-to-database_2ECE6087',
    'aws_vpc_security_group_egress_rule.security-groups_load-balancer-to-instances_4B7AF021',
  ],
  web: [
    'aws_vpc_security_group_ingress_rule.security-groups_instances-from-load-balancer_6989A044',
    'aws_vpc_security_group_egress_rule.security-groups_load-balancer-to-instances_4B7AF021',
  ],
} as const;

const each = (addresses: readonly string[], attribute: string, defect: MotoDefect): EmulatorDrift[] =>
  addresses.map((address) => ({ address, attribute, defect }));

/**
 * What moto reads back differently in each system's dev stack: a plan after an apply may show these
 * changes and no others (__tests__/helpers/emulator-drift.ts).
 */
export const EMULATOR_DRIFT: Readonly<Record<SystemName, readonly EmulatorDrift[]>> = {
  cachet: [
    ...each(GROUP_RULES.cachet, 'description', 'groupRuleDescription'),
    ...(['performance_insights_enabled', 'performance_insights_kms_key_id', 'performance_insights_retention_period'] as const).flatMap((attribute) =>
      each(['aws_rds_cluster_instance.database_writer_36AD03F8', 'aws_rds_cluster_instance.database_reader-1_95006995'], attribute, 'rdsPerformanceInsights'),
    ),
    { address: 'aws_rds_cluster.database_cluster_FAF2FB92', attribute: 'scaling_configuration', defect: 'rdsScalingConfigurationInfo' },
    { address: 'aws_codebuild_project.cachet-image_build_894DC05A', attribute: 'encryption_key', defect: 'codebuildEncryptionKey' },
    { address: 'aws_s3_bucket_notification.cachet-image_source-events_71621C83', attribute: 'eventbridge', defect: 's3EventBridge' },
    { address: 'aws_lambda_function.status-page-updates_function_4310F807', attribute: 'dead_letter_config', defect: 'lambdaDeadLetterConfig' },
    { address: 'aws_lambda_function.status-page-updates_function_4310F807', attribute: 'logging_config', defect: 'lambdaLoggingConfig' },
  ],
  web: [
    ...each(GROUP_RULES.web, 'description', 'groupRuleDescription'),
    { address: 'aws_autoscaling_group.fleet_group_B839149E', attribute: 'default_instance_warmup', defect: 'asgDefaultInstanceWarmup' },
    { address: 'aws_autoscaling_group.fleet_group_B839149E', attribute: 'capacity_reservation_specification', defect: 'asgCapacityReservation' },
    { address: 'aws_autoscaling_policy.fleet_target-tracking_5CA6C698', attribute: 'enabled', defect: 'scalingPolicyEnabled' },
    { address: 'aws_autoscaling_policy.fleet_target-tracking_5CA6C698', attribute: 'predictive_scaling_configuration', defect: 'scalingPolicyPredictive' },
  ],
};

/**
 * What moto also reads back differently in web-dev right after an apply, while the launch template's
 * default version is still its first (a release makes a version of its own, without the copy).
 */
export const EMULATOR_DRIFT_BEFORE_RELEASE: Readonly<Record<Extract<SystemName, 'web'>, readonly EmulatorDrift[]>> = {
  web: [
    ...EMULATOR_DRIFT.web,
    { address: 'aws_launch_template.fleet_launch-template_3FB9E38C', attribute: 'tag_specifications', defect: 'launchTemplateOwnTags' },
  ],
};

export interface EmulatorPlan {
  /** Resource addresses to pass as `-target`. */
  readonly targets: string[];
  /** Left out, with the reason: a gap of its own, or a dependency on one. */
  readonly excluded: { readonly address: string; readonly failure: string }[];
}

/** Splits a synthesized stack's resources into what the emulator can take and what it cannot. */
export function emulatorTargets(stackJson: Json, gaps: readonly EmulatorGap[] = EMULATOR_GAPS): EmulatorPlan {
  const bodies = new Map<string, Json>();
  for (const [type, byName] of Object.entries<Json>(stackJson.resource ?? {})) {
    for (const [name, body] of Object.entries<Json>(byName)) bodies.set(`${type}.${name}`, body);
  }
  const references = new Map<string, Set<string>>();
  for (const [address, body] of bodies) {
    const { '//': _metadata, ...config } = body;
    references.set(address, new Set(JSON.stringify(config).match(/aws_[a-z0-9_]+\.[A-Za-z0-9_-]+/g) ?? []));
  }
  const excluded = new Map<string, string>();
  for (const address of bodies.keys()) {
    const gap = gaps.find((g) => g.address === address);
    if (gap) excluded.set(address, MOTO_DEFECTS[gap.defect].what);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const [address, refs] of references) {
      if (excluded.has(address)) continue;
      const blocked = [...refs].find((r) => excluded.has(r));
      if (blocked) {
        excluded.set(address, `depends on ${blocked.split('.')[0]}, which the emulator cannot take`);
        changed = true;
      }
    }
  }
  return {
    targets: [...bodies.keys()].filter((a) => !excluded.has(a)).sort(),
    excluded: [...excluded].map(([address, failure]) => ({ address, failure })).sort((a, b) => a.address.localeCompare(b.address)),
  };
}

export interface CoverageRow {
  readonly type: string;
  readonly count: number;
  readonly applied: number;
  readonly failure?: string;
}

/** Per resource type: how many the stack has, how many were applied, and why the rest were not. */
export function coverage(stackJson: Json, plan: EmulatorPlan): CoverageRow[] {
  const rows = new Map<string, { count: number; applied: number; failure?: string }>();
  for (const [type, byName] of Object.entries<Json>(stackJson.resource ?? {})) {
    rows.set(type, { count: Object.keys(byName).length, applied: 0 });
  }
  for (const t of plan.targets) rows.get(t.split('.')[0])!.applied++;
  for (const e of plan.excluded) rows.get(e.address.split('.')[0])!.failure ??= e.failure;
  return [...rows].map(([type, r]) => ({ type, ...r })).sort((a, b) => a.type.localeCompare(b.type));
}

export function formatCoverage(stack: string, rows: readonly CoverageRow[]): string {
  const total = rows.reduce((n, r) => n + r.count, 0);
  const applied = rows.reduce((n, r) => n + r.applied, 0);
  const lines = [
    `Emulator coverage for ${stack}: ${applied} of ${total} resources applied (${((100 * applied) / total).toFixed(0)}%)`,
    '',
    '| resource type | count | applied | not supported (failing call) |',
    '|---|---|---|---|',
  ];
  for (const r of rows) lines.push(`| ${r.type} | ${r.count} | ${r.applied} | ${r.count > r.applied ? `${r.count - r.applied}: ${r.failure}` : ''} |`);
  return lines.join('\n');
}

/** The Terraform override that sends the provider to the emulator (test harness only). */
export function emulatorOverride(endpoint: string, caBundle: string): Json {
  return {
    provider: {
      aws: [
        {
          access_key: DUMMY_PROVIDER_SETTINGS.access_key,
          secret_key: DUMMY_PROVIDER_SETTINGS.secret_key,
          skip_metadata_api_check: true,
          // No skip_credentials_validation or skip_requesting_account_id: the provider asks the
          // emulator who it is (sts:GetCallerIdentity), as it asks AWS, holds the answer to the
          // stack's own allowed_account_ids, and compares account ids in what it reads back.
          // moto serves a certificate of the emulator's own CA on loopback.
          custom_ca_bundle: caBundle,
          skip_region_validation: true,
          s3_use_path_style: true,
          endpoints: [Object.fromEntries(SERVICES.map((s) => [s, endpoint]))],
        },
      ],
    },
    terraform: { backend: { local: { path: 'emulator.tfstate' } } },
  };
}

export function writeEmulatorOverride(stackDir: string, emulator: Pick<Emulator, 'endpoint' | 'caBundle'>): void {
  writeFileSync(join(stackDir, 'zz_emulator_override.tf.json'), JSON.stringify(emulatorOverride(emulator.endpoint, emulator.caBundle), null, 2));
}

/**
 * A throwaway CA and a certificate for 127.0.0.1 signed by it, so that clients verify the
 * emulator's TLS (the AWS CLI through AWS_CA_BUNDLE, Terraform through custom_ca_bundle).
 */
export function loopbackCertificate(): { caBundle: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-tls-'));
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (apt-get install -y openssl):\n${r.stderr}${r.error ?? ''}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=emulator test CA');
  openssl('req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  );
  return { caBundle: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/** An HTTPS agent for the SDK clients of the tests, which do not check the emulator's certificate (loopback only). */
export const emulatorAgent = new Agent({ rejectUnauthorized: false });

/** What an AWS SDK v3 client needs to talk to the emulator: its endpoint, dummy keys and its TLS. */
export function emulatorClientConfig(emulator: Pick<Emulator, 'endpoint'>, region: string) {
  return {
    endpoint: emulator.endpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    requestHandler: { httpsAgent: emulatorAgent },
  };
}

/** What the AWS CLI needs to talk to the emulator: its endpoint, dummy keys, and its CA to verify TLS. */
export function emulatorCliEnv(emulator: Pick<Emulator, 'endpoint' | 'caBundle'>): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_CA_BUNDLE: emulator.caBundle,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

function ping(endpoint: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request(`${endpoint}/moto-api/`, { agent: emulatorAgent, timeout: 1000 }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => done(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface Emulator {
  readonly endpoint: string;
  /** Path of the PEM of the CA that signed the emulator's certificate. */
  readonly caBundle: string;
  /** Requests served so far. */
  requests(): number;
  stop(): Promise<void>;
}

/** Starts moto's server on a free loopback port with TLS; resolves once it answers. */
/**
 * Which moto serves: the pinned one with our corrections, unless a comparison run asks for another
 * (EMULATOR_MOTO_PYTHON: a Python whose moto to run; EMULATOR_MOTO_UNPATCHED=1: moto's own server,
 * without moto_server.py's corrections). See "Comparing with a newer moto" in docs/testing.md.
 */
export function emulatorCommand(env: NodeJS.ProcessEnv = process.env): { python: string; args: string[] } {
  const python = env.EMULATOR_MOTO_PYTHON || join(VENV_BIN, 'python');
  if (env.EMULATOR_MOTO_PYTHON !== undefined && !/^\//.test(env.EMULATOR_MOTO_PYTHON)) {
    throw new Error(`EMULATOR_MOTO_PYTHON is "${env.EMULATOR_MOTO_PYTHON}": give the absolute path of a Python with moto[server] installed, or unset it`);
  }
  if (!existsSync(python)) {
    throw new Error(
      env.EMULATOR_MOTO_PYTHON
        ? `EMULATOR_MOTO_PYTHON: ${python} does not exist; give a Python with moto[server] installed, or unset it`
        : `moto is not installed in ${VENV_BIN}; run tools/setup-python.sh (npm test runs it first)`,
    );
  }
  const unpatched = env.EMULATOR_MOTO_UNPATCHED;
  if (unpatched !== undefined && unpatched !== '1' && unpatched !== '0') {
    throw new Error(`EMULATOR_MOTO_UNPATCHED is "${unpatched}": use 1 (moto's own server, without our corrections) or 0, or unset it`);
  }
  return { python, args: unpatched === '1' ? ['-m', 'moto.server'] : [MOTO_SERVER] };
}

export async function startEmulator(startTimeoutMs = 30_000): Promise<Emulator> {
  const command = emulatorCommand();
  const port = await freeLoopbackPort();
  const endpoint = `https://127.0.0.1:${port}`;
  const tls = loopbackCertificate();
  const child: ChildProcess = spawn(command.python, [...command.args, '-H', '127.0.0.1', '-p', String(port), '-c', tls.cert, '-k', tls.key], {
    env: { ...process.env, MOTO_ACM_VALIDATION_WAIT: '0', MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let requests = 0;
  let log = '';
  const onOutput = (chunk: Buffer) => {
    const text = chunk.toString();
    requests += (text.match(/" \d{3} /g) ?? []).length;
    log = (log + text).slice(-20_000);
    if (requests > MAX_REQUESTS) child.kill('SIGTERM');
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const deadline = Date.now() + startTimeoutMs;
  while (!(await ping(endpoint))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not start on ${endpoint}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    endpoint,
    caBundle: tls.caBundle,
    requests: () => requests,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Reads a synthesized stack's JSON. */
export function readStackJson(stackDir: string): Json {
  return JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
}

/** Seconds each Terraform command against the emulator may take. */
export const EMULATOR_COMMAND_TIMEOUT_MS = 8 * 60_000;

/** One resource the plan would change, and which of its attributes. */
export interface PlannedChange {
  readonly address: string;
  readonly actions: readonly string[];
  /** Attributes whose planned value differs from the state (or is unknown until apply). */
  readonly attributes: readonly string[];
  /** `attribute: before -> after` for each of them, for messages. */
  readonly details: readonly string[];
}

/** What `terraform plan -detailed-exitcode` found: exit code 0 means no changes, 2 changes. */
export interface DetailedPlan {
  readonly exitCode: 0 | 2;
  readonly changes: readonly PlannedChange[];
}

/** The resources a plan would change, with the attributes that differ. */
export function plannedChanges(plan: Json): PlannedChange[] {
  return ((plan.resource_changes ?? []) as Json[])
    .filter((c) => !c.change.actions.every((a: string) => a === 'no-op' || a === 'read'))
    .map((c) => {
      const before = c.change.before ?? {};
      const after = c.change.after ?? {};
      const unknown = c.change.after_unknown ?? {};
      const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
      const attributes = [...keys].filter((k) => unknown[k] === true || JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null)).sort();
      const details = attributes.map(
        (k) => `${k}: ${JSON.stringify(before[k] ?? null)} -> ${unknown[k] === true ? '(known after apply)' : JSON.stringify(after[k] ?? null)}`,
      );
      return { address: c.address, actions: c.change.actions, attributes, details };
    });
}

export interface AppliedStack {
  readonly emulator: Emulator;
  readonly stack: SynthesizedStack;
  /** The dev config as applied: the emulator's account, the hosted zone created in it. */
  readonly config: EnvironmentConfig;
  readonly plan: EmulatorPlan;
  readonly json: Json;
  /** Seconds the first apply took. */
  readonly applySeconds: number;
  /** `terraform plan -detailed-exitcode` of what was applied, with the changes it found. */
  planChanges(): Promise<DetailedPlan>;
  /** `terraform output -json`, as name -> value. */
  outputs(): Promise<Json>;
  /** `terraform apply` of the same resources again (after a destroy: re-creation in the same account). */
  apply(): Promise<void>;
  /** `terraform destroy` of what was applied. */
  destroy(): Promise<void>;
}

export interface ApplyOptions {
  /**
   * Outputs added for the test in a file of their own: name -> Terraform expression, evaluated
   * by the apply (e.g. the environment a CodeBuild project the emulator cannot take would get).
   */
  readonly extraOutputs?: (json: Json) => Record<string, unknown>;
}

/**
 * Starts an emulator, creates the hosted zone the dev config names, synthesizes `<system>-dev` for
 * the emulator's account, and applies every resource the emulator can take.
 */
export async function applyDevStack(system: SystemName, options: ApplyOptions = {}): Promise<AppliedStack> {
  const emulator = await startEmulator();
  try {
    const [dev] = loadEnvironments(['dev']);
    const route53 = new Route53Client(emulatorClientConfig(emulator, 'us-east-1'));
    const apex = dev.dns.domainName.split('.').slice(-2).join('.');
    const zone = await route53.send(new CreateHostedZoneCommand({ Name: apex, CallerReference: `emulator-${Date.now()}` }));
    const config: EnvironmentConfig = {
      ...dev,
      accountId: EMULATOR_ACCOUNT_ID,
      dns: { ...dev.dns, hostedZoneId: zone.HostedZone!.Id!.replace('/hostedzone/', '') },
    };

    const [stack] = synthesizeAll([config], [system]);
    const env = offlineTerraformEnv();
    writeEmulatorOverride(stack.dir, emulator);
    const json = readStackJson(stack.dir);
    const extra = options.extraOutputs?.(json) ?? {};
    if (Object.keys(extra).length) {
      writeFileSync(
        join(stack.dir, 'zz_emulator_outputs.tf.json'),
        JSON.stringify({ output: Object.fromEntries(Object.entries(extra).map(([k, value]) => [k, { value }])) }, null, 2),
      );
    }
    const plan = emulatorTargets(json);
    console.log(formatCoverage(stack.name, coverage(json, plan)));

    const targets = plan.targets.map((t) => `-target=${t}`);
    const apply = async () => {
      await terraform(stack.dir, env, ['apply', '-no-color', '-input=false', '-auto-approve', '-parallelism=10', ...targets], EMULATOR_COMMAND_TIMEOUT_MS);
    };
    await terraform(stack.dir, env, ['init', '-no-color', '-input=false']);
    const started = Date.now();
    await apply();
    const applySeconds = (Date.now() - started) / 1000;
    console.log(`${stack.name}: applied ${plan.targets.length} resources in ${applySeconds.toFixed(1)} s with ${emulator.requests()} emulator requests`);
    return {
      emulator,
      stack,
      config,
      plan,
      json,
      applySeconds,
      planChanges: async () => {
        const args = ['plan', '-detailed-exitcode', '-no-color', '-input=false', '-lock=false', '-out=emulator.tfplan', ...targets];
        const exitCode = (await terraformExit(stack.dir, env, args, EMULATOR_COMMAND_TIMEOUT_MS, [2])).code as 0 | 2;
        const changes = plannedChanges(JSON.parse(await terraform(stack.dir, env, ['show', '-json', 'emulator.tfplan'])));
        return { exitCode, changes };
      },
      outputs: async () => {
        const raw = JSON.parse(await terraform(stack.dir, env, ['output', '-json']));
        return Object.fromEntries(Object.entries<Json>(raw).map(([k, v]) => [k, v.value]));
      },
      apply,
      destroy: async () => {
        await terraform(stack.dir, env, ['destroy', '-no-color', '-input=false', '-auto-approve'], EMULATOR_COMMAND_TIMEOUT_MS);
      },
    };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}
