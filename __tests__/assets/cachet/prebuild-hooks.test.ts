// The Beanstalk bundle's prebuild hook that installs the database secret refresher, run as the
// platform runs it (then its confighooks twin, as a configuration deployment runs it from the deployed bundle): the bundle unzipped into /var/app/staging, as root, in the boot test's isolated
// root (harness/instance-boot.ts), with the real AWS CLI against the emulator's Secrets Manager and
// the systemctl stand-in; then one tick of its timer (the service, as systemd starts it).
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFileSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHET_BUNDLE_DIR } from '../../../stacks/cachet/cachet-beanstalk';
import { zipDirectory } from '../../../constructs/zip';
import { emulatorClientConfig, startEmulator, VENV_BIN, type Emulator } from '../../../harness/emulator';
import { bootInstance, type BootedInstance } from '../../../harness/instance-boot';

let emulator: Emulator;
let instance: BootedInstance;
const SECRET = { username: 'cachet_app', password: 'p,&\\$`"{{x}}' };
const MASTER = { username: 'admin_user', password: 'master-pass' };
/** The systemctl stand-in's clock: a minute of the timer's takes 1.2 s. */
const TIME_SCALE = 0.02;
const APP_KEY = `base64:${Buffer.alloc(32, 9).toString('base64')}`;

beforeAll(async () => {
  emulator = await startEmulator();
  const secrets = new SecretsManagerClient(emulatorClientConfig(emulator, 'eu-west-1'));
  const { ARN } = await secrets.send(new CreateSecretCommand({ Name: 'cachet/database-app-user-hook', SecretString: JSON.stringify(SECRET) }));
  const master = await secrets.send(new CreateSecretCommand({ Name: 'rds!cluster-hook', SecretString: JSON.stringify(MASTER) }));
  const appKey = await secrets.send(new CreateSecretCommand({ Name: 'cachet/app-key-hook', SecretString: APP_KEY }));
  const bundle = join(mkdtempSync(join(tmpdir(), 'cachet-bundle-')), 'bundle.zip');
  writeFileSync(bundle, zipDirectory(CACHET_BUNDLE_DIR));
  const endpoint = { AWS_ENDPOINT_URL: emulator.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
  const userData = `#!/bin/bash
set -euo pipefail
# What the platform provides: the environment's properties through get-config, the bundle unzipped.
mkdir -p /opt/elasticbeanstalk/bin /var/app/staging
cat > /opt/elasticbeanstalk/bin/get-config <<'GETCONFIG'
#!/bin/bash
[ "$1 $2 $3" = "environment -k DB_SECRET_ARN" ] && { echo '${ARN}'; exit 0; }
[ "$1 $2 $3" = "environment -k DB_MASTER_SECRET_ARN" ] && { echo '${master.ARN}'; exit 0; }
[ "$1 $2 $3" = "environment -k APP_KEY_SECRET_ARN" ] && { echo '${appKey.ARN}'; exit 0; }
echo "get-config stand-in: $* is not known" >&2; exit 1
GETCONFIG
chmod +x /opt/elasticbeanstalk/bin/get-config
unzip -q ${bundle} -d /var/app/staging
# The instance's credentials for every service, as the instance profile gives them from boot (here a
# drop-in pointing at the emulator).
mkdir -p /etc/systemd/system/cachet-db-secret.service.d
printf '[Service]\\nEnvironment=${Object.entries({ ...endpoint, AWS_CA_BUNDLE: '/etc/pki/aws-endpoint-ca.pem' })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}\\n' > /etc/systemd/system/cachet-db-secret.service.d/emulator.conf
cd /var/app/staging
.platform/hooks/prebuild/10-cachet-db-secret.sh
# A configuration deployment later runs .platform/confighooks of the deployed bundle: it installs again.
mv /var/app/staging /var/app/current
rm /etc/cachet-db-secret.env /etc/systemd/system/cachet-db-secret.timer
cd /var/app/current
.platform/confighooks/prebuild/10-cachet-db-secret.sh
# The files go; the timer (its minutes scaled to ${TIME_SCALE * 60} s) must write them again by itself.
rm /opt/cachet-secrets/app/db.json /opt/cachet-secrets/master/db.json /opt/cachet-secrets/app-key/app-key
for _ in $(seq 1 150); do
  [ -f /opt/cachet-secrets/app/db.json ] && [ -f /opt/cachet-secrets/master/db.json ] && [ -f /opt/cachet-secrets/app-key/app-key ] && break
  sleep 0.2
done
sleep ${TIME_SCALE * 60 * 1.5}
systemctl is-active cachet-db-secret.timer
`;
  instance = await bootInstance({
    userData,
    awsCli: join(VENV_BIN, 'aws'),
    env: { ...endpoint, STANDIN_TIME_SCALE: String(TIME_SCALE) },
    caBundle: emulator.caBundle,
  });
}, 180_000);

afterAll(async () => {
  instance?.terminate();
  await emulator?.stop();
});

describe('.platform/hooks/prebuild/10-cachet-db-secret.sh, and its confighooks twin', () => {
  it('runs to its end as the platform runs it', () => {
    expect(instance.exitCode, instance.console).toBe(0);
  });

  it('installs the refresher with the ARN from the environment, and enables its timer', () => {
    expect(readFileSync(instance.file('/etc/cachet-db-secret.env'), 'utf8')).toMatch(
      /^DB_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:\d{12}:secret:cachet\/database-app-user-hook-\w+\nDB_MASTER_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:\d{12}:secret:rds!cluster-hook-\w+\nAPP_KEY_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:\d{12}:secret:cachet\/app-key-hook-\w+\n$/,
    );
    expect(statSync(instance.file('/etc/systemd/system/cachet-db-secret.timer')).isFile()).toBe(true);
    expect(instance.systemctlCalls()).toEqual([
      'daemon-reload',
      'enable --now cachet-db-secret.timer',
      'daemon-reload',
      'enable --now cachet-db-secret.timer',
      'is-active cachet-db-secret.timer',
    ]);
    expect(instance.console).toMatch(/^active$/m);
  });

  it('fires its timer by itself, first OnActiveSec after the start and then every OnUnitActiveSec', () => {
    const fired = instance.journal('cachet-db-secret.timer').match(/fires cachet-db-secret\.service/g) ?? [];
    expect(fired.length).toBeGreaterThanOrEqual(2);
  });

  it("writes the secret where the container reads it, and the timer's service writes it again", () => {
    const file = instance.file('/opt/cachet-secrets/app/db.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(SECRET);
    expect(statSync(file).mode & 0o777).toBe(0o440);
    expect(JSON.parse(readFileSync(instance.file('/opt/cachet-secrets/master/db.json'), 'utf8'))).toEqual(MASTER);
    expect(readFileSync(instance.file('/opt/cachet-secrets/app-key/app-key'), 'utf8').trim()).toBe(APP_KEY);
    expect(instance.journal('cachet-db-secret')).toMatch(/db\.json updated from arn:aws:secretsmanager:/);
  });
});
