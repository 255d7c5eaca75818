// The AWS API calls a script or function makes, read from its text, and the IAM action each needs,
// from the AWS SDK's own service models (botocore's, as the pinned AWS CLI in .venv ships them). A
// test then asks that every call has a row in the authorization table, so a new `aws ...` line or a
// new SDK command cannot go unevaluated.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface AwsCall {
  /** `secretsmanager get-secret-value`, or `secrets-manager GetSecretValueCommand` for the SDK. */
  readonly call: string;
  /** The IAM action it needs (`secretsmanager:GetSecretValue`). */
  readonly action: string;
}

const SITE_PACKAGES_PARENT = resolve(__dirname, '..', '.venv', 'lib');

function botocoreData(): string {
  const pythons = existsSync(SITE_PACKAGES_PARENT) ? readdirSync(SITE_PACKAGES_PARENT).filter((d) => d.startsWith('python')) : [];
  if (pythons.length !== 1) throw new Error(`No single .venv/lib/python*/ (found ${pythons.length}): run tools/setup-python.sh to install the AWS CLI`);
  return join(SITE_PACKAGES_PARENT, pythons[0], 'site-packages', 'botocore', 'data');
}

interface ServiceModel {
  readonly prefix: string;
  readonly operations: readonly string[];
}

const models = new Map<string, ServiceModel | undefined>();

/**
 * Services whose IAM action prefix is not the name their API signs with: CloudWatch's API signs as
 * `monitoring`, its actions are `cloudwatch:*` (Service Authorization Reference, Amazon CloudWatch).
 */
const IAM_PREFIXES: Record<string, string> = { monitoring: 'cloudwatch' };

/** botocore's model of a service (`ec2`), or undefined when the CLI has no such service. */
function serviceModel(service: string): ServiceModel | undefined {
  if (!models.has(service)) {
    const dir = join(botocoreData(), service);
    let model: ServiceModel | undefined;
    if (/^[a-z0-9-]+$/.test(service) && existsSync(dir)) {
      const version = readdirSync(dir)
        .filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))
        .sort()
        .at(-1);
      if (!version) throw new Error(`${dir}: no API version directory`);
      const file = join(dir, version, 'service-2.json.gz');
      const json = JSON.parse((existsSync(file) ? gunzipSync(readFileSync(file)) : readFileSync(join(dir, version, 'service-2.json'))).toString('utf8'));
      const signingName: string = json.metadata.signingName ?? json.metadata.endpointPrefix;
      model = { prefix: IAM_PREFIXES[signingName] ?? signingName, operations: Object.keys(json.operations) };
    }
    models.set(service, model);
  }
  return models.get(service);
}

const kebab = (operation: string) =>
  operation
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();

/**
 * The CLI's own commands that are not one API operation: what each calls. `s3 cp` reads or writes
 * depending on which side is `s3://`; the two directions are told apart by `cp-download`/`cp-upload`.
 */
const CLI_CUSTOMIZATIONS: Record<string, string> = {
  'ecr get-login-password': 'ecr:GetAuthorizationToken',
  's3 cp-download': 's3:GetObject',
  's3 cp-upload': 's3:PutObject',
};

/** Options of `aws s3 cp` that take a value. */
const VALUE_OPTIONS = new Set(['--region', '--profile', '--endpoint-url', '--sse', '--sse-kms-key-id', '--content-type', '--storage-class']);

/** Every `aws <service> <command>` in a shell script or buildspec (comments and words that name no service left out). */
export function cliCalls(script: string): AwsCall[] {
  // Variables the script sets to an S3 URI (release='s3://...'), to tell `s3 cp`'s direction.
  const s3Variables = new Set([...script.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)=["']?s3:\/\//gm)].map((m) => m[1]));
  const isS3 = (arg: string) => {
    const bare = arg.replace(/^["']|["']$/g, '');
    return bare.startsWith('s3://') || s3Variables.has(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(bare)?.[1] ?? '');
  };
  const calls: AwsCall[] = [];
  for (const line of script.split('\n')) {
    const code = line.replace(/^\s*#.*$/, '');
    for (const m of code.matchAll(/(?:^|[\s;|&($`'"])aws\s+([a-z0-9-]+)\s+([a-z0-9-]+)([^|;&)]*)/g)) {
      const [, service, command, rest] = m;
      if (service === 's3' && command === 'cp') {
        const words = rest.trim().split(/\s+/);
        const paths = words.filter((w, i) => !w.startsWith('--') && !VALUE_OPTIONS.has(words[i - 1]));
        if (paths.length !== 2 || isS3(paths[0]) === isS3(paths[1])) {
          throw new Error(`aws s3 cp${rest}: cannot tell which side is S3 (write s3://... or set the variable to an s3:// URI in the script)`);
        }
        const key = `s3 cp-${isS3(paths[0]) ? 'download' : 'upload'}`;
        calls.push({ call: key, action: CLI_CUSTOMIZATIONS[key] });
        continue;
      }
      const custom = CLI_CUSTOMIZATIONS[`${service} ${command}`];
      if (custom) {
        calls.push({ call: `${service} ${command}`, action: custom });
        continue;
      }
      const model = serviceModel(service);
      if (!model) continue; // `aws jq base64` in a list of tools is not a call
      const operation = model.operations.find((o) => kebab(o) === command);
      if (!operation) throw new Error(`aws ${service} ${command}: the AWS CLI's ${service} model has no such operation`);
      calls.push({ call: `${service} ${command}`, action: `${model.prefix}:${operation}` });
    }
  }
  return calls;
}

/** Every AWS SDK v3 command a JavaScript module sends (`new GetSecretValueCommand(` from `@aws-sdk/client-secrets-manager`). */
export function sdkCalls(source: string): AwsCall[] {
  const clients = new Map<string, string>();
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
    for (const name of m[1].split(',').map((n) => n.trim())) clients.set(name, m[2]);
  }
  return [...source.matchAll(/new\s+([A-Za-z]+)Command\s*\(/g)].map(([, operation]) => {
    const pkg = clients.get(`${operation}Command`);
    if (!pkg) throw new Error(`${operation}Command is not imported from an @aws-sdk/client-* package`);
    const model = serviceModel(pkg.replace(/-/g, ''));
    if (!model?.operations.includes(operation)) throw new Error(`@aws-sdk/client-${pkg}: no operation ${operation} in the service model`);
    return { call: `${pkg} ${operation}Command`, action: `${model.prefix}:${operation}` };
  });
}
