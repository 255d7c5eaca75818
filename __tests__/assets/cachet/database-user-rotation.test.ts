// Cachet's database user rotated by alternating users, end to end, with the real pieces: the
// emulator's Secrets Manager holding the application user's secret (the stack's JSON) and the master
// secret; the instance's refresher (the bundle's script, the real AWS CLI); the image's schema step
// making the user as the master; AWS's own rotation function (fixtures, unchanged: the code of the
// Serverless Application Repository application the stack deploys), invoked step by step as Secrets
// Manager invokes it; MariaDB with TLS required; and Cachet's connection (bin/connect.php,
// config/database.php) opened every 20 ms throughout two rotations. It runs in the boot test's
// isolated root, where the CA the function trusts is put at the path it names.
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig, startEmulator, VENV_BIN, type Emulator } from '../../../harness/emulator';
import { bootInstance, type BootedInstance } from '../../../harness/instance-boot';
import { CACHET_BUNDLE_DIR } from '../../../stacks/cachet/cachet-beanstalk';
import { CACHET_IMAGE_DIR, cachetEnv, connectOnce } from '../../helpers/cachet-php';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb';

const REFRESHER = join(CACHET_BUNDLE_DIR, '.platform/cachet/cachet-db-secret');
const ROTATE = resolve(__dirname, '../../helpers/rotate-secret.py');
const LOOP = resolve(__dirname, '../../helpers/connect-loop.php');
const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:statuspage-dev-cachet-db-rotation';
const MASTER = { username: 'master', password: 'master-pass' };

let db: MariaDb;
let emulator: Emulator;
let secrets: SecretsManagerClient;
let appSecretArn: string;
let instance: BootedInstance;

interface Connections {
  readonly byUser: Record<string, number>;
  readonly failures: string[];
}

beforeAll(async () => {
  [db, emulator] = await Promise.all([startMariaDb(), startEmulator()]);
  // RDS's master user, and Cachet installed and set up (the schema step then only migrates and makes the user).
  db.sql(
    `CREATE USER 'master'@'%' IDENTIFIED BY '${MASTER.password}' REQUIRE SSL; GRANT ALL ON *.* TO 'master'@'%' WITH GRANT OPTION;` +
      'CREATE DATABASE cachet; CREATE TABLE cachet.sessions (id VARCHAR(255) PRIMARY KEY); CREATE TABLE cachet.settings (name VARCHAR(255), value LONGTEXT);' +
      "INSERT INTO cachet.settings VALUES ('app_name', 'Status');",
  );
  secrets = new SecretsManagerClient(emulatorClientConfig(emulator, 'eu-west-1'));
  const connection = { engine: 'mysql', host: '127.0.0.1', port: db.port, dbname: 'cachet' };
  const master = await secrets.send(new CreateSecretCommand({ Name: 'rds!cluster-rotation', SecretString: JSON.stringify({ ...connection, ...MASTER }) }));
  const app = await secrets.send(
    new CreateSecretCommand({
      Name: 'statuspage-dev-cachet/database-app-user-test',
      // The form the stack writes (constructs/database-application-user.ts).
      SecretString: JSON.stringify({ ...connection, username: 'cachet_app', password: 'first-app-pass', masterarn: master.ARN }),
    }),
  );
  appSecretArn = app.ARN!;

  const cachet = cachetEnv({ port: db.port, ca: db.ca, secretFile: '/opt/cachet-secrets/app/db.json' });
  const env = {
    ...cachet,
    PATH: `${VENV_BIN}:/usr/local/sbin:/usr/bin:/bin`,
    AWS_ENDPOINT_URL: emulator.endpoint,
    SECRETS_MANAGER_ENDPOINT: emulator.endpoint,
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    DB_SECRET_ARN: appSecretArn,
    DB_MASTER_SECRET_ARN: master.ARN!,
    CACHET_CONNECT: join(CACHET_IMAGE_DIR, 'bin/connect.php'),
    APP_KEY: 'base64:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    APP_URL: 'https://status.example.com',
    TRUSTED_PROXIES: '10.20.0.0/16',
    DB_USERNAME: 'cachet_app',
  };
  const userData = `#!/bin/bash
set -euo pipefail
# The CA AWS's rotation function trusts: it names its runtime's bundle, /etc/pki/tls/cert.pem.
mkdir -p /etc/pki/tls && cp ${db.ca} /etc/pki/tls/cert.pem
${REFRESHER}
# The schema container: as the master, makes the application user.
DB_SECRET_FILE=/opt/cachet-secrets/master/db.json CACHET_APP_SECRET_FILE=/opt/cachet-secrets/app/db.json \\
  CACHET_DB_SCRIPT=${join(CACHET_IMAGE_DIR, 'bin/db.php')} CACHET_ARTISAN=true ${join(CACHET_IMAGE_DIR, 'bin/cachet-start')} schema
# The serving container's connections, throughout two rotations and the refreshes after them.
php ${LOOP} 14 > /var/log/connections.json &
loop=$!
sleep 2
python3 ${ROTATE} "$DB_SECRET_ARN" ${FUNCTION}
sleep 2   # the instances still hold the previous user's credentials
${REFRESHER}
sleep 2
python3 ${ROTATE} "$DB_SECRET_ARN" ${FUNCTION}
sleep 2
${REFRESHER}
wait $loop
`;
  instance = await bootInstance({ userData, awsCli: join(VENV_BIN, 'aws'), env, caBundle: emulator.caBundle, timeoutMs: 120_000 });
}, 240_000);

afterAll(async () => {
  instance?.terminate();
  await Promise.all([db?.stop(), emulator?.stop()]);
});

const connections = (): Connections => JSON.parse(readFileSync(instance.file('/var/log/connections.json'), 'utf8'));
const current = async () => JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: appSecretArn }))).SecretString!);

describe('the application user, rotated by alternating users', () => {
  it('runs the schema step, two rotations of AWS code and the refreshes to their end', () => {
    expect(instance.exitCode, instance.console).toBe(0);
    expect(instance.console).toMatch(/created the application user cachet_app/);
    expect(instance.console.match(/rotate-secret: finishSecret done/g)).toHaveLength(2);
  });

  it('refuses no connection while the secret moves from user to user', () => {
    const { byUser, failures } = connections();
    expect(failures).toEqual([]);
    // THEN the connections went over from cachet_app to the clone and back
    expect(Object.keys(byUser).sort()).toEqual(['cachet_app', 'cachet_app_clone']);
    expect(Object.values(byUser).reduce((a, b) => a + b, 0)).toBeGreaterThan(200);
  });

  it('ends with cachet_app current again under a new password, and the clone holding the same grants', async () => {
    const secret = await current();
    expect(secret.username).toBe('cachet_app');
    expect(secret.password).not.toBe('first-app-pass');
    for (const user of ['cachet_app', 'cachet_app_clone']) {
      expect(db.sql(`SHOW GRANTS FOR '${user}'@'%'`)).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE ON `cachet`\.\* TO/);
      expect(db.sql(`SELECT ssl_type FROM mysql.user WHERE User = '${user}'`)).toBe('ANY\n');
    }
  });

  it('a rotation of one user, as a single-user scheme does it, refuses the next connection until the refresh (control)', () => {
    const secretFile = instance.file('/opt/cachet-secrets/app/db.json');
    const { username } = JSON.parse(readFileSync(secretFile, 'utf8'));
    db.sql(`ALTER USER '${username}'@'%' IDENTIFIED BY 'changed-under-its-feet'`);
    const refused = connectOnce(cachetEnv({ port: db.port, ca: db.ca, secretFile }));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`Access denied for user '${username}'`));
  });
});
