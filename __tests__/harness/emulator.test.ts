import { describe, expect, it } from 'vitest';
import { coverage, emulatorCommand, emulatorOverride, emulatorTargets, formatCoverage } from '../../harness/emulator';

const stackJson = {
  resource: {
    aws_vpc: { vpc: { cidr_block: '10.0.0.0/16' } },
    aws_s3_bucket: { bundles: { bucket_prefix: 'x' } },
    aws_s3_object: { bundle: { bucket: '${aws_s3_bucket.bundles.id}' } },
    aws_elastic_beanstalk_application: { app: { name: 'a' } },
    aws_elastic_beanstalk_environment: { env: { application: '${aws_elastic_beanstalk_application.app.name}' } },
    aws_route53_record: { alias: { alias: { name: '${aws_elastic_beanstalk_environment.env.cname}' } }, other: { name: 'x' } },
  },
};

describe('emulatorTargets', () => {
  it('leaves out the gaps and everything that depends on them, transitively', () => {
    const plan = emulatorTargets(stackJson, [{ address: 'aws_elastic_beanstalk_application.app', defect: 'noServerlessRepo' }]);
    expect(plan.targets).toEqual(['aws_route53_record.other', 'aws_s3_bucket.bundles', 'aws_s3_object.bundle', 'aws_vpc.vpc']);
    expect(plan.excluded.map((e) => e.address)).toEqual([
      'aws_elastic_beanstalk_application.app',
      'aws_elastic_beanstalk_environment.env',
      'aws_route53_record.alias',
    ]);
    expect(plan.excluded.find((e) => e.address === 'aws_route53_record.alias')!.failure).toMatch(/depends on aws_elastic_beanstalk_environment/);
  });
});

describe('coverage', () => {
  it('counts resources per type, applied or not, with the failing call', () => {
    const rows = coverage(stackJson, emulatorTargets(stackJson, [{ address: 'aws_elastic_beanstalk_application.app', defect: 'noServerlessRepo' }]));
    expect(rows.find((r) => r.type === 'aws_route53_record')).toMatchObject({ count: 2, applied: 1 });
    expect(rows.find((r) => r.type === 'aws_elastic_beanstalk_application')!.failure).toMatch(/Serverless Application Repository/);
    expect(formatCoverage('s', rows)).toMatch(/^Emulator coverage for s: 4 of 7 resources applied \(57%\)/);
  });
});

describe('emulatorOverride', () => {
  it("sends every service to the loopback endpoint with dummy keys, keeping the stack's account check, verifying its TLS", () => {
    const provider = emulatorOverride('https://127.0.0.1:4566', '/tmp/ca.pem').provider.aws[0];
    expect(provider).toMatchObject({
      access_key: 'testing',
      s3_use_path_style: true,
      custom_ca_bundle: '/tmp/ca.pem',
    });
    // The provider asks the emulator's STS for the account, and the stack's allowed_account_ids stays in force.
    expect(provider).not.toHaveProperty('skip_credentials_validation');
    expect(provider).not.toHaveProperty('skip_requesting_account_id');
    expect(provider).not.toHaveProperty('allowed_account_ids');
    expect(provider.insecure).toBeUndefined();
    expect(Object.values(provider.endpoints[0]).every((e) => e === 'https://127.0.0.1:4566')).toBe(true);
    expect(Object.keys(provider.endpoints[0])).toEqual(expect.arrayContaining(['ec2', 'rds', 's3', 'iam', 'kms', 'elasticbeanstalk', 'route53', 'acm']));
  });
});

describe('emulatorCommand', () => {
  it("runs the pinned moto through moto_server.py's corrections by default", () => {
    const { python, args } = emulatorCommand({});
    expect(python).toMatch(/\.venv\/bin\/python$/);
    expect(args[0]).toMatch(/harness\/emulator-server\/moto_server\.py$/);
  });

  it("runs another Python's moto without the corrections for a comparison run", () => {
    expect(emulatorCommand({ EMULATOR_MOTO_PYTHON: process.execPath, EMULATOR_MOTO_UNPATCHED: '1' })).toEqual({
      python: process.execPath,
      args: ['-m', 'moto.server'],
    });
  });

  it.each([
    [{ EMULATOR_MOTO_PYTHON: 'python3' }, /EMULATOR_MOTO_PYTHON is "python3": give the absolute path/],
    [{ EMULATOR_MOTO_PYTHON: '/nonexistent/python' }, /EMULATOR_MOTO_PYTHON: \/nonexistent\/python does not exist/],
    [{ EMULATOR_MOTO_UNPATCHED: 'yes' }, /EMULATOR_MOTO_UNPATCHED is "yes": use 1/],
  ])('refuses %j, naming the variable and the fix', (env, error) => {
    expect(() => emulatorCommand(env)).toThrow(error);
  });
});
