// The pieces under the authorization table: the reader of cdktf's Terraform expressions, the reader
// of AWS calls in scripts, the account model, and the evaluation engine's two known gaps, each shown
// with a value AWS accepts so that an engine upgrade that closes one is noticed.
import { readFileSync } from 'node:fs';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { AccountPolicies, isAwsOwned } from '../../harness/authorization';
import { cliCalls, sdkCalls } from '../../harness/aws-calls';
import { evaluateTemplate, type Traversal } from '../../harness/hcl-expression';
import { projectPath } from '../../project';

const refs = (t: Traversal) => `<${t.join('.')}>`;

describe('evaluateTemplate', () => {
  it.each([
    ['plain text', 'arn:aws:s3:::b', 'arn:aws:s3:::b'],
    ['a lone reference keeps its type', '${x.y.z}', '<x.y.z>'],
    ['a template joins its parts', '${aws_s3_bucket.b.arn}/webapp/*', '<aws_s3_bucket.b.arn>/webapp/*'],
    ['an escaped ${ stays literal', 'a $${b} c', 'a ${b} c'],
    ['an index step', '${aws_rds_cluster.c.master_user_secret[0].secret_arn}', '<aws_rds_cluster.c.master_user_secret.0.secret_arn>'],
    ['jsonencode of an object', '${jsonencode({"A" = [1, true, null], "B" = "q\\"${x.y}"})}', '{"A":[1,true,null],"B":"q\\"<x.y>"}'],
    ['join', '${join(",", ["a", x.y])}', 'a,<x.y>'],
    ['replace and base64encode', '${base64encode(replace("r=@b@", "@b@", x.y))}', Buffer.from('r=<x.y>').toString('base64')],
  ])('reads %s', (_, text, expected) => {
    expect(evaluateTemplate(text, refs)).toEqual(expected);
  });

  it.each([
    ['an unknown function', '${lookup(x, "k")}', /a known function, not lookup\(\)/],
    ['a regular expression in replace()', '${replace("a", "/a/", "b")}', /regular expression/],
    ['an unclosed object', '${jsonencode({"A" = 1)}', /expected ',' or '}'/],
  ])('refuses %s by name', (_, text, error) => {
    expect(() => evaluateTemplate(text, refs)).toThrow(error);
  });
});

describe('cliCalls and sdkCalls', () => {
  it('reads each aws call as the IAM action of its API operation, from the CLI’s service models', () => {
    const script = [
      '# aws s3 rm s3://b/x (a comment is not a call)',
      'for cmd in aws jq base64; do :; done',
      "release='s3://bucket/webapp/v1.tar.gz'",
      'aws s3 cp --only-show-errors --region eu-west-1 "$release" /tmp/r.tar.gz',
      'aws s3 cp ./a.tar.gz "s3://bucket/webapp/a.tar.gz"',
      'id=$(aws ec2 create-launch-template-version --launch-template-id lt-1)',
      'aws ecr get-login-password --region eu-west-1 | docker login --password-stdin x',
    ].join('\n');
    expect(cliCalls(script).map((c) => c.action)).toEqual(['s3:GetObject', 's3:PutObject', 'ec2:CreateLaunchTemplateVersion', 'ecr:GetAuthorizationToken']);
  });

  it('refuses an operation the service does not have, and an s3 cp whose S3 side it cannot tell', () => {
    expect(() => cliCalls('aws secretsmanager get-secret-values --secret-id x')).toThrow(/no such operation/);
    expect(() => cliCalls('aws s3 cp "$a" "$b"')).toThrow(/cannot tell which side is S3/);
  });

  it('reads the SDK commands a function sends, with the IAM prefix where it differs from the signing name (CloudWatch signs as monitoring)', () => {
    expect(sdkCalls(readFileSync(projectPath('assets/status-page-function/index.mjs'), 'utf8')).map((c) => c.action)).toEqual([
      'secretsmanager:GetSecretValue',
      'cloudwatch:DescribeAlarms',
    ]);
    expect(() => sdkCalls('const c = new GetThingCommand({});')).toThrow(/not imported from an @aws-sdk\/client-\* package/);
  });
});

const ACCOUNT = '123456789012';
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

describe('the evaluation engine’s gaps (each with a request AWS accepts)', () => {
  const simulation = (resource: string, action: string, context: Record<string, string>, resourcePolicy?: unknown): Simulation => ({
    request: { principal: 'logs.eu-west-1.amazonaws.com', action, resource: { resource, accountId: ACCOUNT }, contextVariables: context },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy,
  });

  it('refuses the ARN of an AWS public parameter, which GetParameter answers with no account', async () => {
    // AWS answers GetParameter for /aws/service/... with arn:aws:ssm:<region>::parameter/aws/service/...
    const arn = 'arn:aws:ssm:eu-west-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
    const answer = await runSimulation(simulation(arn, 'ssm:GetParameter', {}), {});
    expect(answer.resultType === 'error' && answer.errors.message).toBe('no.resource.types');
    expect(isAwsOwned(arn)).toBe(true);
  });

  it('drops a kms:EncryptionContext:<key> context key, which KMS documents for its cryptographic operations', async () => {
    // CloudWatch Logs' documented key policy condition (kms:EncryptionContext:aws:logs:arn)
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
          Action: 'kms:GenerateDataKey*',
          Resource: '*',
          Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:*` } },
        },
      ],
    };
    const answer = await runSimulation(
      simulation(KEY, 'kms:GenerateDataKey', { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:x` }, policy),
      {},
    );
    expect(answer.resultType === 'single' && answer.result.ignoredContextKeys).toEqual(['kms:EncryptionContext:aws:logs:arn']);
    expect(answer.resultType === 'single' && answer.overallResult).toBe('ImplicitlyDenied');
  });
});

/** A stack of one role with one inline policy, a key, and a bucket policy, as cdktf writes them. */
function stack(account = ACCOUNT) {
  return {
    provider: { aws: [{ allowed_account_ids: [account], region: 'eu-west-1' }] },
    data: {},
    resource: {
      aws_iam_role: {
        reader_role_AAAA0000: {
          name: 'reader',
          assume_role_policy:
            '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Principal" = {"Service" = "ec2.amazonaws.com"}, "Action" = "sts:AssumeRole"}]})}',
        },
      },
      aws_s3_bucket: { data_bucket_BBBB0000: { bucket_prefix: 'data-' } },
      aws_kms_key: {
        key_CCCC0000: {
          policy: `\${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Principal" = {"AWS" = "arn:aws:iam::${account}:root"}, "Action" = "kms:*", "Resource" = "*"}]})}`,
        },
      },
      aws_iam_role_policy: {
        reader_policy_DDDD0000: {
          role: '${aws_iam_role.reader_role_AAAA0000.id}',
          policy:
            '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Sid" = "Read", "Effect" = "Allow", "Action" = "s3:GetObject", "Resource" = "${aws_s3_bucket.data_bucket_BBBB0000.arn}/in/*"}, {"Sid" = "Decrypt", "Effect" = "Allow", "Action" = "kms:Decrypt", "Resource" = aws_kms_key.key_CCCC0000.arn, "Condition" = {"StringEquals" = {"kms:ViaService" = "s3.eu-west-1.amazonaws.com"}}}]})}',
        },
      },
      aws_s3_bucket_policy: {
        data_policy_EEEE0000: {
          bucket: '${aws_s3_bucket.data_bucket_BBBB0000.id}',
          policy:
            '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Sid" = "DenyRequestsWithoutTls", "Effect" = "Deny", "Principal" = {"AWS" = "*"}, "Action" = "s3:*", "Resource" = ["${aws_s3_bucket.data_bucket_BBBB0000.arn}/*"], "Condition" = {"Bool" = {"aws:SecureTransport" = false}}}]})}',
        },
      },
    },
  };
}

describe('AccountPolicies', () => {
  const policies = new AccountPolicies({ s: stack() }, new Map());
  const role = `arn:aws:iam::${ACCOUNT}:role/reader`;
  const object = () => `${policies.arn('s', 'aws_s3_bucket', 'data_bucket')}/in/a.txt`;

  it.each([
    ['reads under its prefix over TLS', { action: 's3:GetObject', resource: 'in', context: { 'aws:SecureTransport': 'true' } }, 'Allowed'],
    ['not outside its prefix', { action: 's3:GetObject', resource: 'out', context: { 'aws:SecureTransport': 'true' } }, 'ImplicitlyDenied'],
    [
      'not over plain HTTP (the bucket policy denies)',
      { action: 's3:GetObject', resource: 'in', context: { 'aws:SecureTransport': 'false' } },
      'ExplicitlyDenied',
    ],
  ] as const)('decides as IAM does: the role %s', async (_, r, decision) => {
    const resource = r.resource === 'in' ? object() : object().replace('/in/', '/out/');
    expect(await policies.decide({ principal: role, action: r.action, resource, context: r.context })).toBe(decision);
  });

  it('decides a key use through the key policy and the role policy together', async () => {
    const key = policies.arn('s', 'aws_kms_key', 'key');
    expect(await policies.decide({ principal: role, action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } })).toBe(
      'Allowed',
    );
    expect(await policies.decide({ principal: role, action: 'kms:Decrypt', resource: key, context: {} })).toBe('ImplicitlyDenied');
  });

  it('evaluates without one statement, named by its policy and index', async () => {
    const read = policies.statements().find((s) => s.sid === 'Read')!;
    expect(read.policy).toBe('s:aws_iam_role_policy.reader_policy_DDDD0000');
    expect(await policies.decide({ principal: role, action: 's3:GetObject', resource: object(), context: { 'aws:SecureTransport': 'true' } }, read)).toBe(
      'ImplicitlyDenied',
    );
  });

  it('reads a trust policy as the role’s resource policy', async () => {
    expect(await policies.decide({ principal: 'ec2.amazonaws.com', action: 'sts:AssumeRole', resource: role })).toBe('Allowed');
    expect(await policies.decide({ principal: 'lambda.amazonaws.com', action: 'sts:AssumeRole', resource: role })).toBe('ImplicitlyDenied');
  });

  it('refuses a context key the action does not take, and a role the stacks do not have', async () => {
    await expect(policies.decide({ principal: role, action: 's3:GetObject', resource: object(), context: { 'ec2:LaunchTemplate': 'x' } })).rejects.toThrow(
      /ec2:LaunchTemplate do not apply/,
    );
    await expect(policies.decide({ principal: `arn:aws:iam::${ACCOUNT}:role/nobody`, action: 's3:GetObject', resource: object() })).rejects.toThrow(
      /no role of that name/,
    );
  });

  it('refuses stacks of two accounts, and names the resources when a lookup matches none', () => {
    expect(() => new AccountPolicies({ a: stack(), b: stack('210987654321') }, new Map())).toThrow(/one account and region/);
    expect(() => policies.arn('s', 'aws_s3_bucket', 'nothing')).toThrow(/there are s:aws_s3_bucket.data_bucket_BBBB0000/);
  });

  it('refuses an attached managed policy that is not in AWS’s catalogue', () => {
    const s = stack();
    (s.resource as Record<string, unknown>).aws_iam_role_policy_attachment = {
      a_attach_FFFF0000: { role: '${aws_iam_role.reader_role_AAAA0000.name}', policy_arn: 'arn:aws:iam::aws:policy/AWSElasticBeanstalkEnhancedHealth' },
    };
    expect(() => new AccountPolicies({ s }, new Map())).toThrow(/AWSElasticBeanstalkEnhancedHealth is not in AWS's managed policy catalogue/);
  });
});

describe('the engine as a development dependency', () => {
  it('is a devDependency pinned exactly (AGPL-3.0-or-later: used unmodified at test time, never shipped)', () => {
    const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8'));
    expect(pkg.dependencies?.['@cloud-copilot/iam-simulate']).toBeUndefined();
    expect(pkg.devDependencies['@cloud-copilot/iam-simulate']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
