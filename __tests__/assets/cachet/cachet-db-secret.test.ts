// The database password's whole path on an instance, run for real: RDS's secret in Secrets Manager
// (the emulator), the instance's refresher (assets/cachet/.platform/cachet/cachet-db-secret, with
// the real AWS CLI), the file it writes, and Cachet's connection (the image's config/database.php on
// Laravel 5.2.39's connector) to MariaDB with TLS required.
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig, emulatorCliEnv, startEmulator, VENV_BIN, type Emulator } from '../../../harness/emulator';
import { cachetEnv, connectOnce } from '../../helpers/cachet-php';
import { startMariaDb, sqlString, type MariaDb } from '../../helpers/mariadb';
import { runProcess } from '../../helpers/process';

const REFRESHER = resolve(__dirname, '../../../assets/cachet/.platform/cachet/cachet-db-secret');
const UPSTREAM = resolve(__dirname, '../../fixtures/cachethq-docker-2.3.15');

let db: MariaDb;
let emulator: Emulator;
let secrets: SecretsManagerClient;
let secretArn: string;
let secretDir: string;

beforeAll(async () => {
  [db, emulator] = await Promise.all([startMariaDb(), startEmulator()]);
  db.sql(`CREATE DATABASE cachet; CREATE USER 'cachet'@'%' IDENTIFIED BY 'first-password'; GRANT ALL ON cachet.* TO 'cachet'@'%';`);
  secrets = new SecretsManagerClient(emulatorClientConfig(emulator, 'eu-west-1'));
  const created = await secrets.send(
    new CreateSecretCommand({ Name: 'rds!cluster-test', SecretString: JSON.stringify({ username: 'cachet', password: 'first-password' }) }),
  );
  secretArn = created.ARN!;
  secretDir = mkdtempSync(join(tmpdir(), 'cachet-secrets-'));
}, 120_000);
afterAll(async () => {
  await Promise.all([db?.stop(), emulator?.stop()]);
});

/** The refresher, as its systemd service runs it (root, the AWS CLI on PATH), the emulator as AWS. */
function refresh(arn = secretArn, masterArn?: string, appKeyArn?: string) {
  return spawnSync(REFRESHER, [], {
    env: {
      PATH: `${VENV_BIN}:/usr/sbin:/usr/bin:/sbin:/bin`,
      DB_SECRET_ARN: arn,
      ...(masterArn ? { DB_MASTER_SECRET_ARN: masterArn } : {}),
      ...(appKeyArn ? { APP_KEY_SECRET_ARN: appKeyArn } : {}),
      CACHET_SECRET_DIR: secretDir,
      ...emulatorCliEnv(emulator),
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** What RDS does when it rotates the master secret: new password on the server and in the secret. */
async function rotate(password: string) {
  db.sql(`ALTER USER 'cachet'@'%' IDENTIFIED BY ${sqlString(password)}`);
  await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify({ username: 'cachet', password }) }));
}

const cachet = () => connectOnce(cachetEnv({ port: db.port, ca: db.ca, secretFile: join(secretDir, 'app', 'db.json') }));

describe('the database secret refresher', () => {
  it("writes the secret where Cachet reads it, readable by root and the container user's group only", () => {
    const result = refresh();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(join(secretDir, 'app', 'db.json'), 'utf8'))).toEqual({ username: 'cachet', password: 'first-password' });
    expect(statSync(join(secretDir, 'app', 'db.json')).mode & 0o777).toBe(0o440);
    expect(statSync(secretDir).mode & 0o777).toBe(0o750);
    expect(cachet().status).toBe(0);
  });

  it('keeps the current file when the secret is not the RDS JSON', async () => {
    // GIVEN a good file  WHEN the secret holds something else
    refresh();
    const other = await secrets.send(new CreateSecretCommand({ Name: 'not-rds', SecretString: 'plain text' }));
    const result = refresh(other.ARN!);
    // THEN the refresher fails loudly and Cachet keeps its working password
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/does not hold a database secret JSON \(string username and password\); kept the current file/);
    expect(cachet().status).toBe(0);
  });

  it("writes the master's secret beside the application user's, each in its own directory (each container mounts one)", async () => {
    const master = await secrets.send(
      new CreateSecretCommand({ Name: 'rds!cluster-master', SecretString: JSON.stringify({ username: 'admin_user', password: 'm' }) }),
    );
    const result = refresh(secretArn, master.ARN!);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(secretDir, 'master', 'db.json'), 'utf8'))).toEqual({ username: 'admin_user', password: 'm' });
    expect(JSON.parse(readFileSync(join(secretDir, 'app', 'db.json'), 'utf8')).username).toBe('cachet');
    expect(statSync(join(secretDir, 'master')).mode & 0o777).toBe(0o750);
  });

  it('writes APP_KEY where the containers read it at start, and keeps a good key over a bad one', async () => {
    const key = `base64:${Buffer.alloc(32, 7).toString('base64')}`;
    const appKey = await secrets.send(new CreateSecretCommand({ Name: 'cachet/app-key-test', SecretString: key }));
    expect(refresh(secretArn, undefined, appKey.ARN!).status).toBe(0);
    const file = join(secretDir, 'app-key', 'app-key');
    expect(readFileSync(file, 'utf8').trim()).toBe(key);
    expect(statSync(file).mode & 0o777).toBe(0o440);
    await secrets.send(new PutSecretValueCommand({ SecretId: appKey.ARN, SecretString: 'not a key' }));
    const result = refresh(secretArn, undefined, appKey.ARN!);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/does not hold Laravel's base64: key of 32 bytes; kept the current file/);
    expect(readFileSync(file, 'utf8').trim()).toBe(key);
  });

  it('refuses a DB_SECRET_ARN that is not a secret ARN', () => {
    const result = refresh('rds!cluster-test; rm -rf /');
    expect(result.status).toBe(64);
    expect(result.stderr).toMatch(/"rds!cluster-test; rm -rf \/" is not a Secrets Manager secret ARN/);
  });
});

describe('credentials across a rotation', () => {
  it('fails the next connection after a rotation when nothing refreshes the file (control)', async () => {
    // GIVEN Cachet connects with the current secret
    expect(refresh().status).toBe(0);
    expect(cachet().status).toBe(0);
    // WHEN RDS rotates the password and the refresh path does not run
    await rotate('second-password');
    // THEN the next connection is refused
    const result = cachet();
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/\[1045\] Access denied/);
  });

  it('succeeds on the next connection once the refresher has run', async () => {
    // GIVEN a rotation
    await rotate('third-password');
    // WHEN the refresher runs (its timer does, every minute)
    const result = refresh();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/db\.json updated/);
    // THEN the next connection, reading the file again as every request and job does, succeeds
    expect(cachet().stdout).toMatch(/connected to 127\.0\.0\.1 with TLS/);
  });
});

// Passwords: every printable ASCII character (RDS generates from most of them; the rest are the ones
// shells, sed and .env files treat specially), at lengths up to RDS's 41.
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const SPECIAL = [
  ',',
  '&',
  '\\',
  '\\1',
  '$HOME',
  '${APP_KEY}',
  '"',
  "'",
  '`id`',
  '#',
  ' a b ',
  '=',
  '{{DB_PASSWORD}}',
  '%s',
  '!!',
  '*',
  ';',
  '|',
  '\\n',
  '$(id)',
];
function passwords(seed: number, count: number): string[] {
  let state = seed;
  const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) / 0x1000000;
  const random = Array.from({ length: count }, () => {
    const length = 8 + Math.floor(next() * 34);
    return Array.from({ length }, () => PRINTABLE[Math.floor(next() * PRINTABLE.length)]).join('');
  });
  return [PRINTABLE.slice(0, 41), PRINTABLE.slice(41), ...SPECIAL.map((s) => `pw${s}pw`), ...random];
}
const SEED = 20261123;
const CASES = passwords(SEED, 24);

/** cachethq/Docker 2.3.15's own line, read from its entry point, run on its .env template as upstream does. */
async function upstreamEnvLine(password: string): Promise<string | Error> {
  const entrypoint = readFileSync(join(UPSTREAM, 'entrypoint.sh'), 'utf8');
  const line = entrypoint
    .split('\n')
    .find((l) => l.includes('{{DB_PASSWORD}}'))!
    .trim();
  const env = join(mkdtempSync(join(tmpdir(), 'upstream-env-')), '.env');
  writeFileSync(env, readFileSync(join(UPSTREAM, 'env.docker')));
  const result = await runProcess('bash', ['-c', `set -o errexit -o nounset -o pipefail\n${line.replace('/var/www/html/.env', '"$ENV_FILE"')}`], {
    env: { PATH: process.env.PATH!, DB_PASSWORD: password, ENV_FILE: env },
    cwd: dirname(env), // sed's "w" flag, which some passwords spell, writes files here
  });
  if (result.status !== 0) return new Error(result.stderr.trim());
  return readFileSync(env, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('DB_PASSWORD='))!;
}

describe('every password RDS may generate', () => {
  it(`reaches Cachet's connection unchanged, for ${CASES.length} passwords (seed ${SEED})`, async () => {
    const failures: string[] = [];
    for (const password of CASES) {
      await rotate(password);
      const refreshed = refresh();
      const connected = cachet();
      if (refreshed.status !== 0 || connected.status !== 0) failures.push(`${JSON.stringify(password)}: ${refreshed.stderr}${connected.stderr}`);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it("breaks on upstream's sed path for some of the same passwords (control)", async () => {
    // The upstream entry point writes DB_PASSWORD into .env with sed: after a "," the rest is read as
    // sed flags (an unknown one aborts the container under errexit; "p", "w" and "g" cut the password
    // short), "&" and "\" come out changed.
    const lines = await Promise.all(CASES.map(upstreamEnvLine));
    const broken = CASES.filter((password, i) => lines[i] !== `DB_PASSWORD="${password}"`);
    expect(await upstreamEnvLine('ab,cd')).toBeInstanceOf(Error);
    expect(await upstreamEnvLine('pw,pw')).toBe('DB_PASSWORD="pw"');
    expect(await upstreamEnvLine('pw&pw')).toBe('DB_PASSWORD="pw{{DB_PASSWORD}}pw"');
    expect(await upstreamEnvLine('plain-password')).toBe('DB_PASSWORD="plain-password"');
    expect(broken.length).toBeGreaterThan(CASES.length / 4);
  });
});
