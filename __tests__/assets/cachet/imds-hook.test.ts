// The Beanstalk bundle's hook that takes instance metadata away from the Cachet container, run as the
// platform runs it (bash, as root, from the unzipped bundle's path) with the real AWS CLI against the
// emulator's EC2 and an IMDSv2 stand-in that holds the instance's id and region.
import { DescribeInstancesCommand, EC2Client, ModifyInstanceMetadataOptionsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig, emulatorCliEnv, startEmulator, VENV_BIN, type Emulator } from '../../../harness/emulator';
import { CACHET_BUNDLE_DIR } from '../../../stacks/cachet/cachet-beanstalk';
import { startImds, type Imds } from '../../helpers/imds';
import { runProcess } from '../../helpers/process';

const REGION = 'eu-west-1';
const HOOKS = ['.platform/hooks/prebuild/05-cachet-imds.sh', '.platform/confighooks/prebuild/05-cachet-imds.sh'];

let emulator: Emulator;
let ec2: EC2Client;

beforeAll(async () => {
  emulator = await startEmulator();
  ec2 = new EC2Client(emulatorClientConfig(emulator, REGION));
}, 120_000);

afterAll(async () => {
  await emulator?.stop();
});

/** A new instance launched as AL2023 launches Beanstalk's: IMDSv2 required, hop limit 2. */
async function launch(): Promise<string> {
  const { Instances } = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, InstanceType: 't3.small' }));
  const id = Instances![0].InstanceId!;
  await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpTokens: 'required', HttpPutResponseHopLimit: 2 }));
  return id;
}

async function metadataOptions(id: string) {
  const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return Reservations![0].Instances![0].MetadataOptions!;
}

/** Runs the hook without blocking this process, which serves the IMDS stand-in. */
function runHook(hook: string, imds: string) {
  return runProcess('bash', [join(CACHET_BUNDLE_DIR, hook)], {
    env: { PATH: `${VENV_BIN}:/usr/bin:/bin`, CACHET_IMDS_ENDPOINT: imds, ...emulatorCliEnv(emulator) },
  });
}

describe('.platform/hooks/prebuild/05-cachet-imds.sh', () => {
  it.each(HOOKS)('%s lowers the instance its metadata names to hop limit 1, IMDSv2 only', async (hook) => {
    // GIVEN an instance as it launches (hop limit 2: a container one hop away gets a token)
    const id = await launch();
    expect((await metadataOptions(id)).HttpPutResponseHopLimit).toBe(2);
    const imds: Imds = await startImds({ instanceId: id, region: REGION });
    try {
      // WHEN the platform runs the hook
      const result = await runHook(hook, imds.endpoint);
      // THEN it asked IMDS with a token, and the instance answers its host only
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain(`cachet-imds: ${id} answers instance metadata to this host only`);
      expect(imds.requests).toEqual(['PUT /latest/api/token 200', 'GET /latest/meta-data/instance-id 200', 'GET /latest/meta-data/placement/region 200']);
      expect(await metadataOptions(id)).toMatchObject({ HttpPutResponseHopLimit: 1, HttpTokens: 'required', HttpEndpoint: 'enabled' });
    } finally {
      await imds.close();
    }
  });

  it('fails the deployment when the change is refused, rather than start the container with metadata in reach', async () => {
    const imds = await startImds({ instanceId: 'i-0000000000000dead', region: REGION });
    try {
      const result = await runHook(HOOKS[0], imds.endpoint);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/InvalidInstanceID\.NotFound/);
      expect(result.stdout).not.toContain('answers instance metadata to this host only');
    } finally {
      await imds.close();
    }
  });

  it('fails when instance metadata cannot be read', async () => {
    const result = await runHook(HOOKS[0], 'http://127.0.0.1:1');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/curl: \(7\)/);
  });
});
