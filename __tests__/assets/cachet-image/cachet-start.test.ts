// The image's entry point (bin/cachet-start) run as the container runs it, against MariaDB with TLS
// required: its database steps use Cachet's own connection; artisan and supervisord, which need the
// whole Cachet install, are stand-ins that record their calls.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHET_IMAGE_DIR, cachetEnv, connectOnce, writeSecretFile } from '../../helpers/cachet-php';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb';

let db: MariaDb;
beforeAll(async () => {
  db = await startMariaDb();
  db.sql(`CREATE DATABASE cachet; CREATE USER 'cachet'@'%' IDENTIFIED BY 'start-pass'; GRANT ALL ON cachet.* TO 'cachet'@'%';`);
}, 120_000);
afterAll(() => db?.stop());

function start(extra: Record<string, string | undefined> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-start-'));
  const calls = join(dir, 'calls');
  const recorder = join(dir, 'record');
  writeFileSync(recorder, `#!/bin/sh\necho "$*" >> ${calls}\n`);
  chmodSync(recorder, 0o755);
  const env: Record<string, string | undefined> = {
    ...cachetEnv({ port: db.port, ca: db.ca, secretFile: writeSecretFile('start-pass') }),
    APP_KEY: 'base64:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    APP_URL: 'https://status.example.com',
    TRUSTED_PROXIES: '10.20.0.0/16',
    CACHET_DB_SCRIPT: join(CACHET_IMAGE_DIR, 'bin', 'db.php'),
    CACHET_ARTISAN: `${recorder} artisan`,
    CACHET_SUPERVISOR: `${recorder} supervisord`,
    ...extra,
  };
  const result = spawnSync(join(CACHET_IMAGE_DIR, 'bin', 'cachet-start'), [], {
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>,
    encoding: 'utf8',
    timeout: 60_000,
  });
  let recorded: string[] = [];
  try {
    recorded = readFileSync(calls, 'utf8').trim().split('\n');
  } catch {
    // nothing was called
  }
  return { ...result, calls: recorded };
}

describe('bin/cachet-start', () => {
  it('installs Cachet on an empty database, then starts supervisord', () => {
    const result = start();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/connected to 127\.0\.0\.1 with TLS/);
    expect(result.calls).toEqual(['artisan app:install', 'supervisord']);
  });

  it('migrates a database Cachet is already installed in', () => {
    db.sql('CREATE TABLE cachet.sessions (id VARCHAR(255) PRIMARY KEY)');
    try {
      expect(start().calls).toEqual(['artisan migrate --force', 'supervisord']);
    } finally {
      db.sql('DROP TABLE cachet.sessions');
    }
  });

  it.each(['APP_KEY', 'APP_URL', 'DB_HOST', 'DB_SECRET_FILE', 'TRUSTED_PROXIES'])('refuses to start without %s', (name) => {
    const result = start({ [name]: undefined });
    expect(result.status).toBe(64);
    expect(result.stderr).toMatch(new RegExp(`${name} is not set`));
    expect(result.calls).toEqual([]);
  });

  it('gives up, naming the error, when the database stays unreachable', () => {
    const result = start({ DB_PORT: '1', DB_WAIT_SECONDS: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cachet-db: no database connection after 1 s \(\d+ attempts\): SQLSTATE\[HY000\] \[2002\]/);
    expect(result.calls).toEqual([]);
  });

  it("leaves no cached config behind app:install's config:cache, so a rotated password reaches the next connection", () => {
    // GIVEN an artisan whose app:install ends as Cachet's does, with config:cache: Laravel writes
    // '<?php return '.var_export(<every config file>, true).';' to bootstrap/cache/config.php
    const dir = mkdtempSync(join(tmpdir(), 'artisan-'));
    const artisan = join(dir, 'artisan');
    const kept = join(dir, 'config-cache-at-install.php');
    writeFileSync(
      artisan,
      `#!/bin/sh
mkdir -p bootstrap/cache
php -r 'function database_path($p = "") { return getenv("CACHET_ROOT")."/database"; } require getenv("CACHET_ROOT")."/vendor/autoload.php"; file_put_contents("bootstrap/cache/config.php", "<?php return ".var_export(["database" => require "config/database.php"], true).";".PHP_EOL);'
cp bootstrap/cache/config.php ${kept}
`,
    );
    chmodSync(artisan, 0o755);
    const secretFile = writeSecretFile('start-pass');
    const root = cachetEnv({ port: db.port, ca: db.ca, secretFile }).CACHET_ROOT;
    // WHEN the entry point installs
    const result = start({ CACHET_ARTISAN: artisan, CACHET_ROOT: root, DB_SECRET_FILE: secretFile });
    expect(result.status, result.stderr).toBe(0);
    // THEN the cache is gone, and says so
    expect(existsSync(join(root, 'bootstrap/cache/config.php'))).toBe(false);
    expect(result.stdout).toMatch(/removed bootstrap\/cache\/config\.php/);
    // AND after a rotation, the config Cachet now builds connects, where the cached one is refused (control)
    db.sql(`ALTER USER 'cachet'@'%' IDENTIFIED BY 'rotated-pass'`);
    writeFileSync(secretFile, `${JSON.stringify({ username: 'cachet', password: 'rotated-pass' })}\n`);
    try {
      const env = cachetEnv({ port: db.port, ca: db.ca, secretFile }, { CACHET_ROOT: root });
      expect(connectOnce(env).status).toBe(0);
      const cached = spawnSync(
        'php',
        [
          '-r',
          'require getenv("CACHET_ROOT")."/vendor/autoload.php"; $c = require $argv[1]; (new Illuminate\\Database\\Connectors\\MySqlConnector())->connect($c["database"]["connections"]["mysql"]);',
          kept,
        ],
        { env, encoding: 'utf8' },
      );
      expect(cached.status).not.toBe(0);
      expect(cached.stderr + cached.stdout).toMatch(/Access denied for user 'cachet'/);
    } finally {
      db.sql(`ALTER USER 'cachet'@'%' IDENTIFIED BY 'start-pass'`);
    }
  });

  it('does not start when artisan fails', () => {
    const failing = join(mkdtempSync(join(tmpdir(), 'artisan-')), 'artisan');
    writeFileSync(failing, '#!/bin/sh\necho "migration failed" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    const result = start({ CACHET_ARTISAN: failing });
    expect(result.status).toBe(3);
    expect(result.calls).toEqual([]);
  });
});
