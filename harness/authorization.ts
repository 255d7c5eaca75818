// IAM authorization over synthesized stacks, evaluated by a field-made engine (@cloud-copilot/iam-simulate,
// AGPL-3.0-or-later, a development dependency used unmodified at test time and never shipped: see
// docs/testing.md). The stacks of one account are read as AWS would hold them after an apply: every
// reference gets a value of the shape AWS gives it (ARNs from the resources' own names), the role
// policies and AWS managed policies (moto's copy of AWS's catalogue) are the principal's identity
// policies, and bucket, key, topic, queue, function and trust policies are the resources' policies.
// A request is then allowed or denied as IAM decides it, conditions and context keys included.
import { createHash } from 'node:crypto';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { awsManagedPolicies } from './aws-managed-policies';
import { evaluateTemplate, type Traversal } from './hcl-expression';
import type { Json } from './offline-terraform';

/** One request AWS authorizes: who asks, for what, on what, with which request context. */
export interface AuthorizationRequest {
  /** A role ARN, a service principal (`events.amazonaws.com`) or another account's principal ARN. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Request context keys (`aws:SecureTransport`, `kms:ViaService`, `aws:SourceArn`, ...). */
  readonly context?: Readonly<Record<string, string | string[]>>;
  /** Identity policies of a principal outside the stacks (another account's role). @default - none */
  readonly identityPolicies?: readonly unknown[];
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** A statement of one of the stacks' policies, for evaluating without it. */
export interface StatementRef {
  /** `<stack>:<resource address>` of the policy's owner (`web-dev:aws_iam_role_policy.fleet_read-release_D8B771FE`). */
  readonly policy: string;
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: string;
}

interface PolicyDoc {
  Version?: string;
  Statement: Record<string, unknown>[];
}

interface OwnedPolicy {
  readonly address: string;
  readonly doc: PolicyDoc;
}

/** The policies of the stacks of one account and region, resolved. */
export class AccountPolicies {
  /** Identity policies by role name. */
  private readonly identity = new Map<string, OwnedPolicy[]>();
  /** Resource policies by the ARN of the resource they govern (a bucket, key, topic, queue, function, role). */
  private readonly resourcePolicies = new Map<string, OwnedPolicy[]>();
  private readonly arns = new Map<string, string>();
  private readonly readers = new Map<string, StackReader>();
  readonly accountId: string;
  readonly region: string;

  /** `stacks`: synthesized stacks by name, all of one account and region. */
  constructor(stacks: Readonly<Record<string, Json>>, managed: Map<string, unknown> = awsManagedPolicies()) {
    const provider = Object.values(stacks)[0]?.provider?.aws?.[0];
    this.accountId = provider?.allowed_account_ids?.[0];
    this.region = provider?.region;
    if (!/^\d{12}$/.test(this.accountId ?? '') || !this.region)
      throw new Error('stacks: the first stack has no aws provider with allowed_account_ids and region');
    for (const [name, stack] of Object.entries(stacks)) {
      const p = stack.provider?.aws?.[0];
      if (p?.allowed_account_ids?.[0] !== this.accountId || p?.region !== this.region) {
        throw new Error(`stacks: all stacks must share one account and region (${this.accountId}, ${this.region}); build one AccountPolicies per account`);
      }
      const reader = new StackReader(name, stack, this);
      reader.read(managed);
      this.readers.set(name, reader);
    }
  }

  /** Whether `stack` has a resource of `type` whose logical id starts with `idPrefix` (an optional feature is on). */
  has(stack: string, type: string, idPrefix: string): boolean {
    return this.matching(stack, type, idPrefix).length > 0;
  }

  /** The ARN of the one resource of `type` in `stack` whose logical id starts with `idPrefix` (`releases_bucket`). */
  arn(stack: string, type: string, idPrefix: string): string {
    const found = this.matching(stack, type, idPrefix);
    if (found.length !== 1) {
      const candidates = [...this.arns.keys()].filter((a) => a.startsWith(`${stack}:${type}.`));
      throw new Error(`arn(${stack}, ${type}, ${idPrefix}): ${found.length} resources match; there are ${candidates.join(', ') || 'none'}`);
    }
    return found[0];
  }

  private matching(stack: string, type: string, idPrefix: string): string[] {
    return [...this.arns.entries()].filter(([address]) => address.startsWith(`${stack}:${type}.${idPrefix}_`)).map(([, arn]) => arn);
  }

  /**
   * An attribute (`user_data`, `master_user_secret[0].secret_arn`) of the one resource of `type` in
   * `stack` whose logical id starts with `idPrefix`: as configured, references resolved, or as AWS
   * would compute it.
   */
  attribute(stack: string, type: string, idPrefix: string, path: string): unknown {
    const reader = this.readers.get(stack);
    if (!reader) throw new Error(`attribute(${stack}, ...): no such stack; there are ${[...this.readers.keys()].join(', ')}`);
    return reader.reference(type, idPrefix, path);
  }

  /** Every statement of the stacks' own policies (AWS managed policies are not ours to change). */
  statements(): StatementRef[] {
    const all = [...[...this.identity.values()].flat(), ...[...this.resourcePolicies.values()].flat()];
    const unique = [...new Map(all.map((p) => [p.address, p])).values()];
    return unique
      .filter((p) => !p.address.startsWith('arn:aws:iam::aws:policy/'))
      .flatMap((p) => p.doc.Statement.map((s, index) => ({ policy: p.address, index, sid: s.Sid as string | undefined, effect: String(s.Effect) })));
  }

  /** The policies IAM consults for `request`: the principal's identity policies and the resource's policy. */
  private consultedPolicies(request: AuthorizationRequest): { identity: OwnedPolicy[]; resource: OwnedPolicy[] } {
    const roleName = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(request.principal);
    const ownRole = roleName?.[1] === this.accountId ? roleName[2] : undefined;
    if (ownRole !== undefined && !this.identity.has(ownRole) && !this.isRole(request.principal)) {
      throw new Error(`principal ${request.principal}: no role of that name in the stacks`);
    }
    return { identity: ownRole ? (this.identity.get(ownRole) ?? []) : [], resource: this.resourcePolicies.get(this.governedBy(request)) ?? [] };
  }

  /** Whether `statement` is in a policy IAM consults for `request` (only then can removing it change the decision). */
  consults(request: AuthorizationRequest, statement: StatementRef): boolean {
    const { identity, resource } = this.consultedPolicies(request);
    return [...identity, ...resource].some((p) => p.address === statement.policy);
  }

  /** IAM's decision on `request`, optionally as if `without` were removed from its policy. */
  async decide(request: AuthorizationRequest, without?: StatementRef): Promise<Decision> {
    const strip = (p: OwnedPolicy): PolicyDoc =>
      without && p.address === without.policy ? { ...p.doc, Statement: p.doc.Statement.filter((_, i) => i !== without.index) } : p.doc;
    const consulted = this.consultedPolicies(request);
    const identityPolicies = [
      ...consulted.identity.map((p) => ({ name: p.address, policy: strip(p) })),
      ...(request.identityPolicies ?? []).map((policy, i) => ({ name: `given-${i}`, policy })),
    ];
    const governing = consulted.resource;
    const resourcePolicy = governing.length ? { Version: '2012-10-17', Statement: governing.flatMap((p) => strip(p).Statement) } : undefined;
    const simulation: Simulation = {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: this.resourceAccount(request.resource) },
        contextVariables: { ...request.context },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    };
    const answer = isAwsOwned(request.resource) ? undefined : await runSimulation(simulation, {});
    if (answer?.resultType === 'error') throw new Error(`${request.action} on ${request.resource}: ${answer.errors.message}: ${JSON.stringify(answer.errors)}`);
    const ignored = !answer
      ? []
      : answer.resultType === 'single'
        ? (answer.result.ignoredContextKeys ?? [])
        : answer.results.flatMap((r) => r.ignoredContextKeys ?? []);
    const wrong = ignored.filter((k) => !ENCRYPTION_CONTEXT_KEY.test(k));
    if (wrong.length) throw new Error(`${request.action} on ${request.resource}: context keys ${wrong.join(', ')} do not apply to this action and resource`);
    if (answer && ignored.length === 0) return answer.overallResult as Decision;
    // The engine's two gaps (each shown by a test in __tests__/harness/authorization.test.ts): it
    // refuses AWS-owned ARNs without an account, and drops kms:EncryptionContext:<key> keys. The
    // request was validated as far as the engine can; the decision is then taken by the same
    // evaluator with the context as given.
    const named = (policy: PolicyDoc | undefined) => policy && { __validated: true, policyDocument: policy, metadata: { name: 'resource-policy' }, errors: [] };
    return runUnsafeSimulation({ ...simulation, resourcePolicy: named(resourcePolicy) }, {}) as Decision;
  }

  private isRole(arn: string): boolean {
    return this.resourcePolicies.has(arn);
  }

  /** The ARN whose resource policy governs a request: a bucket for its objects, else the resource. */
  private governedBy(request: AuthorizationRequest): string {
    const s3 = /^arn:aws:s3:::([^/]+)/.exec(request.resource);
    return s3 ? `arn:aws:s3:::${s3[1]}` : request.resource;
  }

  private resourceAccount(arn: string): string {
    if (arn.startsWith('arn:aws:s3:::')) return this.accountId;
    return arn.split(':')[4] || this.accountId;
  }

  /** @internal for StackReader */
  addIdentity(roleName: string, policy: OwnedPolicy): void {
    this.identity.set(roleName, [...(this.identity.get(roleName) ?? []), policy]);
  }

  /** @internal for StackReader */
  addResourcePolicy(arn: string, policy: OwnedPolicy): void {
    this.resourcePolicies.set(arn, [...(this.resourcePolicies.get(arn) ?? []), policy]);
  }

  /** @internal for StackReader */
  addArn(address: string, arn: string): void {
    this.arns.set(address, arn);
  }
}

/** A KMS encryption context key (`kms:EncryptionContext:aws:logs:arn`), which AWS documents for KMS's cryptographic operations. */
const ENCRYPTION_CONTEXT_KEY = /^kms:EncryptionContext:.+/i;

/** An SSM parameter AWS publishes for every account (`arn:aws:ssm:<region>::parameter/aws/service/...`). */
export const isAwsOwned = (arn: string) => /^arn:aws[a-z-]*:ssm:[a-z0-9-]+::parameter\/aws\/service\//.test(arn);

/** A made-up but well-formed id, stable per address: what AWS would assign at apply. */
const stableHex = (address: string, length: number) => createHash('sha256').update(address).digest('hex').slice(0, length);
const uuid = (address: string) => {
  const h = stableHex(address, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** AWS's Elastic Load Balancing account per region (the aws provider's table, data-source aws_elb_service_account). */
export const ELB_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-1': '027434742980',
  'us-west-2': '797873946194',
  'eu-west-1': '156460612806',
  'eu-west-2': '652711504416',
  'eu-west-3': '009996457667',
  'eu-central-1': '054676820928',
  'eu-north-1': '897822967062',
};

class StackReader {
  private readonly attributes = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly name: string,
    private readonly stack: Json,
    private readonly account: AccountPolicies,
  ) {}

  read(managed: Map<string, unknown>): void {
    const resources: Record<string, Record<string, Json>> = this.stack.resource ?? {};
    for (const [type, byId] of Object.entries(resources)) {
      for (const id of Object.keys(byId)) {
        const arn = this.computed(type, id).arn;
        if (typeof arn === 'string') this.account.addArn(`${this.name}:${type}.${id}`, arn);
      }
    }
    const each = (type: string, fn: (address: string, body: Json) => void) =>
      Object.entries(resources[type] ?? {}).forEach(([id, body]) => fn(`${type}.${id}`, body));
    const owned = (address: string, d: PolicyDoc): OwnedPolicy => ({ address: `${this.name}:${address}`, doc: d });
    const doc = (text: string): PolicyDoc => {
      const value = this.value(text);
      const parsed = typeof value === 'string' ? JSON.parse(value) : value;
      if (!Array.isArray(parsed?.Statement)) throw new Error(`not a policy document: ${text.slice(0, 120)}`);
      return parsed;
    };
    each('aws_iam_role', (address, body) =>
      this.account.addResourcePolicy(this.str(this.value(`\${${address}.arn}`)), owned(address, doc(body.assume_role_policy))),
    );
    each('aws_iam_role_policy', (address, body) => this.account.addIdentity(this.str(this.value(body.role)), owned(address, doc(body.policy))));
    each('aws_iam_role_policy_attachment', (address, body) => {
      const arn = this.str(this.value(body.policy_arn));
      const document = managed.get(arn);
      if (!document) throw new Error(`${address}: ${arn} is not in AWS's managed policy catalogue`);
      this.account.addIdentity(this.str(this.value(body.role)), { address: arn, doc: document as PolicyDoc });
    });
    each('aws_kms_key', (address, body) => this.account.addResourcePolicy(this.str(this.value(`\${${address}.arn}`)), owned(address, doc(body.policy))));
    each('aws_s3_bucket_policy', (address, body) =>
      this.account.addResourcePolicy(`arn:aws:s3:::${this.str(this.value(body.bucket))}`, owned(address, doc(body.policy))),
    );
    each('aws_sns_topic_policy', (address, body) => this.account.addResourcePolicy(this.str(this.value(body.arn)), owned(address, doc(body.policy))));
    each('aws_sqs_queue_policy', (address, body) => {
      const url = this.str(this.value(body.queue_url));
      const [, , host, account, name] = url.split('/');
      const region = host.split('.')[1];
      this.account.addResourcePolicy(`arn:aws:sqs:${region}:${account}:${name}`, owned(address, doc(body.policy)));
    });
    each('aws_secretsmanager_secret_policy', (address, body) =>
      this.account.addResourcePolicy(this.str(this.value(body.secret_arn)), owned(address, doc(body.policy))),
    );
    each('aws_ecr_repository_policy', (address, body) => {
      const name = this.str(this.value(body.repository));
      this.account.addResourcePolicy(`arn:aws:ecr:${this.account.region}:${this.account.accountId}:repository/${name}`, owned(address, doc(body.policy)));
    });
    each('aws_lambda_permission', (address, body) => {
      // Lambda writes a permission as this statement into the function's policy (AddPermission).
      const fn = this.str(this.value(body.function_name));
      const arn = fn.startsWith('arn:') ? fn : `arn:aws:lambda:${this.account.region}:${this.account.accountId}:function:${fn}`;
      const condition: Record<string, unknown> = {};
      if (body.source_arn) condition.ArnLike = { 'AWS:SourceArn': this.value(body.source_arn) };
      if (body.source_account) condition.StringEquals = { 'AWS:SourceAccount': this.value(body.source_account) };
      const principal = this.str(this.value(body.principal));
      const statement = {
        Sid: body.statement_id,
        Effect: 'Allow',
        Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
        Action: this.value(body.action),
        Resource: arn,
        ...(Object.keys(condition).length ? { Condition: condition } : {}),
      };
      this.account.addResourcePolicy(arn, owned(address, { Version: '2012-10-17', Statement: [statement] }));
    });
  }

  /** `path` (`user_data`, `master_user_secret[0].secret_arn`) of the one resource of `type` whose logical id starts with `idPrefix`. */
  reference(type: string, idPrefix: string, path: string): unknown {
    const ids = Object.keys(this.stack.resource?.[type] ?? {}).filter((id) => id.startsWith(`${idPrefix}_`));
    if (ids.length !== 1) throw new Error(`${this.name}: ${ids.length} resources of ${type} start with ${idPrefix}_`);
    return this.value(`\${${type}.${ids[0]}.${path}}`);
  }

  private value(text: unknown): unknown {
    return typeof text === 'string' ? evaluateTemplate(text, (t) => this.resolve(t)) : text;
  }

  private str(value: unknown): string {
    if (typeof value !== 'string') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
    return value;
  }

  private resolve(traversal: Traversal): unknown {
    if (traversal[0] === 'data') {
      const [, type, id, attr] = traversal;
      if (type === 'aws_elb_service_account' && attr === 'arn') {
        const body = this.stack.data?.[type]?.[id as string];
        const region = (body?.region as string | undefined) ?? this.account.region;
        const elb = ELB_ACCOUNTS[region];
        if (!elb) throw new Error(`data.${type}.${id}: no ELB account known for ${region}; add it from the aws provider's table`);
        return `arn:aws:iam::${elb}:root`;
      }
      throw new Error(`data.${type}.${id}.${attr}: this reader resolves no such data source`);
    }
    let value: unknown = this.attribute(traversal.slice(0, 3) as [string, string, string]);
    for (const step of traversal.slice(3)) value = (value as Record<string | number, unknown>)?.[step];
    if (value === undefined) throw new Error(`${traversal.join('.')}: cannot be resolved from the synthesized stack`);
    return value;
  }

  /** The value AWS would give an attribute of a resource, from the resource's own configuration. */
  private attribute([type, id, attr]: readonly (string | number)[]): unknown {
    const attrs = this.computed(type as string, id as string);
    if (attr in attrs) return attrs[attr as string];
    return this.configuredValue(this.stack.resource[type as string][id as string][attr as string]);
  }

  /** The attributes AWS computes for a resource (its ARN, id, name), from its configuration. */
  private computed(type: string, id: string): Record<string, unknown> {
    const address = `${type}.${id}`;
    let attrs = this.attributes.get(address);
    if (!attrs) {
      attrs = this.computeAttributes(type, id);
      this.attributes.set(address, attrs);
    }
    return attrs;
  }

  /** A configured value, every string in it evaluated. */
  private configuredValue(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.configuredValue(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.configuredValue(x)]));
    return this.value(v);
  }

  private computeAttributes(type: string, id: string): Record<string, unknown> {
    const body: Json | undefined = this.stack.resource?.[type]?.[id];
    if (!body) throw new Error(`${type}.${id}: not in stack ${this.name}`);
    const address = `${this.name}:${type}.${id}`;
    const { region, accountId: account } = this.account;
    const named = (key: string, prefixKey?: string): string => {
      if (body[key] !== undefined) return this.str(this.value(body[key]));
      if (prefixKey && body[prefixKey] !== undefined) return `${this.str(this.value(body[prefixKey]))}${stableHex(address, 26)}`;
      throw new Error(`${address}: has no ${key}${prefixKey ? ` or ${prefixKey}` : ''}`);
    };
    switch (type) {
      case 'aws_s3_bucket': {
        const bucket = named('bucket', 'bucket_prefix');
        return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}` };
      }
      case 'aws_kms_key': {
        const key = uuid(address);
        return { id: key, key_id: key, arn: `arn:aws:kms:${region}:${account}:key/${key}` };
      }
      case 'aws_iam_role': {
        const name = named('name', 'name_prefix');
        return { id: name, name, arn: `arn:aws:iam::${account}:role${body.path ?? '/'}${name}` };
      }
      case 'aws_sns_topic': {
        const name = named('name', 'name_prefix');
        return { id: `arn:aws:sns:${region}:${account}:${name}`, name, arn: `arn:aws:sns:${region}:${account}:${name}` };
      }
      case 'aws_sqs_queue': {
        const name = named('name', 'name_prefix');
        return { name, arn: `arn:aws:sqs:${region}:${account}:${name}`, url: `https://sqs.${region}.amazonaws.com/${account}/${name}` };
      }
      case 'aws_cloudwatch_log_group': {
        const name = named('name', 'name_prefix');
        return { id: name, name, arn: `arn:aws:logs:${region}:${account}:log-group:${name}` };
      }
      case 'aws_codebuild_project': {
        const name = named('name');
        return { id: name, name, arn: `arn:aws:codebuild:${region}:${account}:project/${name}` };
      }
      case 'aws_codepipeline': {
        const name = named('name');
        return { id: name, name, arn: `arn:aws:codepipeline:${region}:${account}:${name}` };
      }
      case 'aws_codeconnections_connection': {
        // arn:aws:codeconnections:region:account:connection/<uuid> (the CodeConnections API reference).
        const arn = `arn:aws:codeconnections:${region}:${account}:connection/${uuid(address)}`;
        return { id: arn, arn };
      }
      case 'aws_codecommit_repository': {
        const name = named('repository_name');
        return { id: name, repository_name: name, arn: `arn:aws:codecommit:${region}:${account}:${name}` };
      }
      case 'aws_ecr_repository': {
        const name = named('name');
        return {
          id: name,
          name,
          arn: `arn:aws:ecr:${region}:${account}:repository/${name}`,
          repository_url: `${account}.dkr.ecr.${region}.amazonaws.com/${name}`,
        };
      }
      case 'aws_secretsmanager_secret': {
        const name = named('name', 'name_prefix');
        const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${stableHex(address, 6)}`;
        return { id: arn, name, arn };
      }
      case 'aws_cloudwatch_event_rule': {
        const name = named('name', 'name_prefix');
        return { id: name, name, arn: `arn:aws:events:${region}:${account}:rule/${name}` };
      }
      case 'aws_lambda_function': {
        const name = named('function_name');
        return { id: name, function_name: name, arn: `arn:aws:lambda:${region}:${account}:function:${name}` };
      }
      case 'aws_autoscaling_group': {
        const name = named('name', 'name_prefix');
        return { id: name, name, arn: `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:${uuid(address)}:autoScalingGroupName/${name}` };
      }
      case 'aws_launch_template': {
        const lt = `lt-${stableHex(address, 17)}`;
        return { id: lt, arn: `arn:aws:ec2:${region}:${account}:launch-template/${lt}` };
      }
      case 'aws_cloudwatch_metric_alarm': {
        const name = named('alarm_name');
        return { id: name, alarm_name: name, arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${name}` };
      }
      case 'aws_rds_cluster': {
        const name = named('cluster_identifier', 'cluster_identifier_prefix');
        const secret = `arn:aws:secretsmanager:${region}:${account}:secret:rds!cluster-${uuid(address)}-${stableHex(address, 6)}`;
        return {
          id: name,
          arn: `arn:aws:rds:${region}:${account}:cluster:${name}`,
          endpoint: `${name}.cluster-${stableHex(address, 12)}.${region}.rds.amazonaws.com`,
          master_user_secret: [{ secret_arn: secret }],
        };
      }
      default:
        return {};
    }
  }
}
