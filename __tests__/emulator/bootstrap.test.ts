// `npm run bootstrap`'s stack on the emulator, then used as the other stacks use it: the state
// bucket applied and read back, a second plan with no change, and a stack's S3 backend against it,
// planning and refused while another holds the state's lock file (use_lockfile, no DynamoDB).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { App, TerraformStack } from 'cdktf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironments } from '../../config/load';
import type { EnvironmentConfig } from '../../config/schema';
import {
  EMULATOR_ACCOUNT_ID,
  EMULATOR_COMMAND_TIMEOUT_MS,
  emulatorClientConfig,
  startEmulator,
  writeEmulatorOverride,
  type Emulator,
} from '../../harness/emulator';
import { offlineTerraformEnv, synthesizeBootstraps, terraform, terraformExit, type SynthesizedStack } from '../../harness/offline-terraform';
import { STATE_VERSION_DAYS } from '../../stacks/bootstrap-stack';
import { configureStateBackend } from '../../stacks/environment-stack';

const STEP_TIMEOUT = EMULATOR_COMMAND_TIMEOUT_MS + 60_000;
const env = offlineTerraformEnv();

let emulator: Emulator;
let config: EnvironmentConfig & { state: { backend: 's3' } };
let bootstrap: SynthesizedStack;
let s3: S3Client;

beforeAll(async () => {
  emulator = await startEmulator();
  // GIVEN production's config (S3 state) in the emulator's account
  const [prod] = loadEnvironments(['prod']);
  if (prod.state.backend !== 's3') throw new Error('the example prod environment keeps its state in S3');
  config = { ...prod, accountId: EMULATOR_ACCOUNT_ID, state: prod.state };
  s3 = new S3Client({ ...emulatorClientConfig(emulator, config.state.region), forcePathStyle: true });
  // WHEN its bootstrap stack is applied
  [bootstrap] = synthesizeBootstraps([config]);
  writeEmulatorOverride(bootstrap.dir, emulator);
  await terraform(bootstrap.dir, env, ['init', '-no-color', '-input=false']);
  await terraform(bootstrap.dir, env, ['apply', '-no-color', '-input=false', '-auto-approve'], EMULATOR_COMMAND_TIMEOUT_MS);
}, STEP_TIMEOUT);

afterAll(async () => {
  await emulator?.stop();
});

describe('the bootstrap stack on the emulator', () => {
  const Bucket = () => config.state.bucket;

  it('creates the state bucket, versioned', async () => {
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: Bucket() }))).Status).toBe('Enabled');
  });

  it('encrypts it at rest and blocks public access', async () => {
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: Bucket() }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0].ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('aws:kms');
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: Bucket() }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
  });

  it('refuses requests without TLS and keeps replaced states for the rollback window', async () => {
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: Bucket() }))).Policy!);
    // (AWS gives the condition's value back as the string "false", moto as written)
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({ Effect: 'Deny', Action: 's3:*' });
    expect(String(policy.Statement[0].Condition.Bool['aws:SecureTransport'])).toBe('false');
    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: Bucket() }));
    expect(lifecycle.Rules?.[0].NoncurrentVersionExpiration?.NoncurrentDays).toBe(STATE_VERSION_DAYS);
  });

  it('plans no change after the apply', async () => {
    const { code } = await terraformExit(bootstrap.dir, env, ['plan', '-detailed-exitcode', '-no-color', '-input=false'], EMULATOR_COMMAND_TIMEOUT_MS, [2]);
    expect(code).toBe(0);
  });
});

describe("a stack's S3 backend in the bootstrapped bucket", () => {
  let dir: string;
  let lockKey: string;

  beforeAll(async () => {
    // GIVEN a stack with the backend every stack of that config gets (configureStateBackend: bucket,
    // key, use_lockfile), pointed at the emulator; it holds no resource, so the plan needs no provider
    const outdir = mkdtempSync(join(tmpdir(), 'bootstrap-backend-'));
    const app = new App({ outdir });
    configureStateBackend(new TerraformStack(app, 'cachet-prod'), 'cachet-prod', config.state, config.region);
    app.synth();
    dir = join(outdir, 'stacks', 'cachet-prod');
    const backend = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')).terraform.backend.s3;
    expect(backend).toMatchObject({ bucket: config.state.bucket, key: `cdktf/${config.region}/cachet-prod.tfstate`, use_lockfile: true, encrypt: true });
    lockKey = `${backend.key}.tflock`;
    writeFileSync(
      join(dir, 'zz_emulator_backend_override.tf.json'),
      JSON.stringify({
        terraform: {
          backend: {
            // An override backend block replaces the synthesized one whole: the synthesized settings first.
            s3: {
              ...backend,
              endpoints: { s3: emulator.endpoint },
              use_path_style: true,
              custom_ca_bundle: emulator.caBundle,
              access_key: 'testing',
              secret_key: 'testing',
              skip_credentials_validation: true,
              skip_requesting_account_id: true,
              skip_metadata_api_check: true,
              skip_region_validation: true,
            },
          },
        },
      }),
    );
    await terraform(dir, env, ['init', '-no-color', '-input=false'], EMULATOR_COMMAND_TIMEOUT_MS);
  }, STEP_TIMEOUT);

  const plan = () => terraformExit(dir, env, ['plan', '-no-color', '-input=false', '-lock-timeout=0s', '-out=s3.tfplan'], EMULATOR_COMMAND_TIMEOUT_MS, [1]);

  it(
    'plans, taking and releasing the lock file beside the state',
    async () => {
      const { code, stderr } = await plan();
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const keys = (await s3.send(new ListObjectsV2Command({ Bucket: config.state.bucket }))).Contents ?? [];
      expect(keys.map((k) => k.Key)).not.toContain(lockKey);
    },
    STEP_TIMEOUT,
  );

  it(
    'refuses to plan while another run holds the lock, and plans once it is released',
    async () => {
      // GIVEN another run's lock file, as Terraform writes it
      const lock = {
        ID: '6f1c0a4e-0000-4000-8000-000000000001',
        Operation: 'OperationTypeApply',
        Info: '',
        Who: 'someone@elsewhere',
        Version: '1.11.4',
        Created: new Date().toISOString(),
        Path: `${config.state.bucket}/${lockKey.replace(/\.tflock$/, '')}`,
      };
      await s3.send(new PutObjectCommand({ Bucket: config.state.bucket, Key: lockKey, Body: JSON.stringify(lock) }));
      // THEN a plan stops at the lock, naming who holds it
      const locked = await plan();
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/Error acquiring the state lock[\s\S]*someone@elsewhere/);
      // AND once it is released, plans again
      await s3.send(new DeleteObjectCommand({ Bucket: config.state.bucket, Key: lockKey }));
      expect((await plan()).code).toBe(0);
    },
    STEP_TIMEOUT * 2,
  );
});
