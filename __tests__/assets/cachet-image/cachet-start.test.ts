// The image's entry point (bin/cachet-start) run as the container runs it, against MariaDB with TLS
// required: its database steps use Cachet's own connection; artisan and supervisord, which need the
// whole Cachet install, are stand-ins that record their calls.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CACHET_IMAGE_DIR, cachetEnv, connectOnce, writeSecretFile } from '../../helpers/cachet-php';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb';

/**
 * The tables of Cachet 2.3.15's migrations that the entry point reads or writes, as Laravel 5.2's
 * MySQL grammar creates them (database/migrations: CreateSessionsTable, CreateSettingsTable,
 * CreateUsersTable, AlterTableUsersAdd2FA).
 */
const CACHET_TABLES = [
  'CREATE TABLE sessions (id VARCHAR(255) NOT NULL, payload TEXT NOT NULL, last_activity INT NOT NULL, UNIQUE (id))',
  'CREATE TABLE settings (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, value LONGTEXT NOT NULL, created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)',
  "CREATE TABLE users (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, username VARCHAR(255) NOT NULL, password VARCHAR(255) NOT NULL, remember_token VARCHAR(100) NULL, google_2fa_secret VARCHAR(255) NULL, email VARCHAR(255) NOT NULL, api_key VARCHAR(255) NOT NULL, active TINYINT(1) NOT NULL DEFAULT '1', level TINYINT NOT NULL DEFAULT '2', created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL, INDEX (remember_token), INDEX (active), UNIQUE (username), UNIQUE (api_key), UNIQUE (email))",
];

/** The image's bin/connect.php: Cachet's autoloader and database_path(), outside a booted Laravel. */
const CONNECT = join(CACHET_IMAGE_DIR, 'bin', 'connect.php');

/** A shell line that creates CACHET_TABLES through Cachet's own connection, as its migrations would. */
const CREATE_TABLES = `php -r 'require "${CONNECT}"; foreach (json_decode($argv[1]) as $t) cachet_connect()->exec($t);' '${JSON.stringify(CACHET_TABLES)}'`;

const ADMIN = { username: 'operator', email: 'ops@example.com', password: 'c0rrect horse, "battery" & staple' };

let db: MariaDb;
beforeAll(async () => {
  db = await startMariaDb();
  // 'cachet' stands for RDS's master user: every privilege, user management included, with GRANT OPTION.
  db.sql(`CREATE DATABASE cachet; CREATE USER 'cachet'@'%' IDENTIFIED BY 'start-pass'; GRANT ALL ON *.* TO 'cachet'@'%' WITH GRANT OPTION;`);
}, 120_000);
afterAll(() => db?.stop());
// Every test starts from an empty database (the grant is by name and outlives the drop).
beforeEach(() => db.sql("DROP DATABASE cachet; CREATE DATABASE cachet; DROP USER IF EXISTS 'cachet_app'@'%', 'cachet_app_clone'@'%';"));

const installCachet = () => db.sql(CACHET_TABLES.map((t) => `${t.replace('CREATE TABLE ', 'CREATE TABLE cachet.')};`).join(' '));

function start(extra: Record<string, string | undefined> = {}, mode?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-start-'));
  const calls = join(dir, 'calls');
  const recorder = join(dir, 'record');
  // Records each call; artisan's app:install creates Cachet's tables (on Cachet's own connection) and,
  // as any artisan run of Cachet does, leaves its settings cache, here still without settings.
  writeFileSync(
    recorder,
    `#!/bin/sh
echo "$*" >> ${calls}
if [ "$1 $2" = "artisan app:install" ]; then
  ${CREATE_TABLES}
  mkdir -p bootstrap/cachet && echo '<?php return array ();' > bootstrap/cachet/production.php
fi
`,
  );
  chmodSync(recorder, 0o755);
  const env: Record<string, string | undefined> = {
    ...cachetEnv({ port: db.port, ca: db.ca, secretFile: writeSecretFile('start-pass') }),
    APP_KEY: 'base64:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    APP_URL: 'https://status.example.com',
    TRUSTED_PROXIES: '10.20.0.0/16',
    CACHET_ADMIN: JSON.stringify(ADMIN),
    CACHET_SITE_NAME: 'Example status',
    CACHET_DB_SCRIPT: join(CACHET_IMAGE_DIR, 'bin', 'db.php'),
    CACHET_ARTISAN: `${recorder} artisan`,
    CACHET_SUPERVISOR: `${recorder} supervisord`,
    ...extra,
  };
  const result = spawnSync(join(CACHET_IMAGE_DIR, 'bin', 'cachet-start'), mode ? [mode] : [], {
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>,
    encoding: 'utf8',
    timeout: 120_000,
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
    installCachet();
    expect(start().calls).toEqual(['artisan migrate --force', 'supervisord']);
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
${CREATE_TABLES}
mkdir -p bootstrap/cache
php -r 'require "${CONNECT}"; file_put_contents("bootstrap/cache/config.php", "<?php return ".var_export(["database" => require "config/database.php"], true).";".PHP_EOL);'
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
          `require "${CONNECT}"; $c = require $argv[1]; (new Illuminate\\Database\\Connectors\\MySqlConnector())->connect($c["database"]["connections"]["mysql"]);`,
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

  it('sets Cachet up at install, as its /setup would: the settings that close /setup and the admin from CACHET_ADMIN', () => {
    // GIVEN an empty database WHEN the first instance starts
    const root = cachetEnv({ port: db.port, ca: db.ca, secretFile: writeSecretFile('start-pass') }).CACHET_ROOT;
    const result = start({ CACHET_ROOT: root });
    expect(result.status, result.stderr).toBe(0);
    // THEN the settings Cachet's step 2 writes are there (app_name is what its middleware checks)
    expect(db.sql('SELECT name, value FROM cachet.settings ORDER BY name')).toBe(
      'app_domain\thttps://status.example.com\napp_locale\ten\napp_name\tExample status\napp_timezone\tUTC\nshow_support\t0\n',
    );
    // AND the admin, as Cachet's User model writes one: bcrypt, a 20-character API key, level 1
    const [username, email, hash, apiKey, active, level] = db
      .sql('SELECT username, email, password, api_key, active, level FROM cachet.users')
      .trim()
      .split('\t');
    expect([username, email, active, level]).toEqual([ADMIN.username, ADMIN.email, '1', '1']);
    expect(apiKey).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(hash).toMatch(/^\$2y\$10\$/);
    const verify = spawnSync('php', ['-r', 'exit(password_verify($argv[1], $argv[2]) ? 0 : 1);', ADMIN.password, hash]);
    expect(verify.status).toBe(0);
    // AND the settings cache the install left (still without settings) is gone, and no password was printed
    expect(existsSync(join(root, 'bootstrap/cachet/production.php'))).toBe(false);
    expect(result.stdout + result.stderr).not.toContain(ADMIN.password);
  });

  it("keeps an installed Cachet's own settings and users", () => {
    installCachet();
    db.sql(
      "INSERT INTO cachet.settings (name, value) VALUES ('app_name', 'Ours'); INSERT INTO cachet.users (username, password, email, api_key, level) VALUES ('someone', 'x', 'someone@example.com', 'k', 1);",
    );
    expect(start().status).toBe(0);
    expect(db.sql("SELECT value FROM cachet.settings WHERE name = 'app_name'")).toBe('Ours\n');
    expect(db.sql('SELECT username FROM cachet.users')).toBe('someone\n');
  });

  it('seeds once: a second instance finds Cachet set up', () => {
    expect(start().status).toBe(0);
    const result = start();
    expect(result.calls).toEqual(['artisan migrate --force', 'supervisord']);
    expect(db.sql('SELECT COUNT(*) FROM cachet.users')).toBe('1\n');
    expect(db.sql("SELECT COUNT(*) FROM cachet.settings WHERE name = 'app_name'")).toBe('1\n');
  });

  it.each([
    ['missing', undefined],
    ['without a password', JSON.stringify({ username: 'a', email: 'a@example.com' })],
  ])('refuses to set Cachet up with CACHET_ADMIN %s, and does not start', (_case, value) => {
    const result = start({ CACHET_ADMIN: value });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/CACHET_ADMIN must be the admin secret's JSON/);
    expect(result.calls).toEqual(['artisan app:install']);
  });

  describe('as two containers: schema as the master, then serve as the application user', () => {
    const APP_PASSWORD = 'app/pass+word=';
    const appSecret = () => writeSecretFile(APP_PASSWORD, 'cachet_app');
    const asApp = (extra: Record<string, string> = {}) => cachetEnv({ port: db.port, ca: db.ca, secretFile: appSecret() }, extra);

    it('schema makes the application user with what Cachet needs at run time and no more, TLS required, and exits', () => {
      const result = start({ CACHET_APP_SECRET_FILE: appSecret() }, 'schema');
      expect(result.status, result.stderr).toBe(0);
      expect(result.calls).toEqual(['artisan app:install']);
      expect(result.stdout).toMatch(/created the application user cachet_app/);
      expect(db.sql("SHOW GRANTS FOR 'cachet_app'@'%'")).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE ON `cachet`\.\* TO `cachet_app`@`%`/);
      expect(db.sql("SELECT ssl_type FROM mysql.user WHERE User = 'cachet_app'")).toBe('ANY\n');
      // THEN Cachet's connection as that user works, and cannot change the schema
      expect(connectOnce(asApp()).status).toBe(0);
      const ddl = spawnSync(
        'php',
        ['-r', `require "${join(CACHET_IMAGE_DIR, 'bin', 'connect.php')}"; cachet_connect()->exec("CREATE TABLE intruder (id INT)");`],
        {
          env: asApp(),
          encoding: 'utf8',
        },
      );
      expect(ddl.status).not.toBe(0);
      expect(ddl.stderr + ddl.stdout).toMatch(/CREATE command denied to user 'cachet_app'/);
    });

    it('schema keeps an existing user whose secret logs in, and grants the rotation clone what the user has', () => {
      db.sql("CREATE USER 'cachet_app'@'%' IDENTIFIED BY 'rotated-once'; CREATE USER 'cachet_app_clone'@'%' IDENTIFIED BY 'rotated-twice';");
      expect(start({ CACHET_APP_SECRET_FILE: writeSecretFile('rotated-twice', 'cachet_app_clone') }, 'schema').status).toBe(0);
      for (const user of ['cachet_app', 'cachet_app_clone']) {
        expect(db.sql(`SHOW GRANTS FOR '${user}'@'%'`)).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE ON `cachet`\.\*/);
      }
      expect(connectOnce(cachetEnv({ port: db.port, ca: db.ca, secretFile: writeSecretFile('rotated-once', 'cachet_app') })).status).toBe(0);
      expect(connectOnce(cachetEnv({ port: db.port, ca: db.ca, secretFile: writeSecretFile('rotated-twice', 'cachet_app_clone') })).status).toBe(0);
    });

    it("sets the secret's user's password to the secret's when the database holds another (restored from an earlier stack's snapshot)", () => {
      // GIVEN the user as a snapshot of the earlier stack left it, with that stack's password
      db.sql("CREATE USER 'cachet_app'@'%' IDENTIFIED BY 'the-earlier-stack' REQUIRE SSL;");
      // WHEN this stack's schema step runs with its own secret
      const result = start({ CACHET_APP_SECRET_FILE: appSecret() }, 'schema');
      // THEN the secret's password logs in and the earlier one no longer does
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/set cachet_app's password to its secret's: the database holds another \(restored from a snapshot\)/);
      expect(connectOnce(asApp()).status).toBe(0);
      expect(connectOnce(cachetEnv({ port: db.port, ca: db.ca, secretFile: writeSecretFile('the-earlier-stack', 'cachet_app') })).status).not.toBe(0);
    });

    it('serve connects as the application user and starts serving without touching the schema', () => {
      expect(start({ CACHET_APP_SECRET_FILE: appSecret() }, 'schema').status).toBe(0);
      const result = start({ DB_SECRET_FILE: appSecret() }, 'serve');
      expect(result.status, result.stderr).toBe(0);
      expect(result.calls).toEqual(['supervisord']);
    });

    it('refuses a mode it does not know', () => {
      const result = start({}, 'migrate');
      expect(result.status).toBe(64);
      expect(result.stderr).toMatch(/unknown mode "migrate"; use schema, serve or all/);
    });
  });

  it('reads APP_KEY from APP_KEY_FILE at start (where the refresher writes it), and refuses a file without a key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-key-'));
    const good = join(dir, 'good');
    writeFileSync(good, `base64:${Buffer.alloc(32, 1).toString('base64')}\n`);
    expect(start({ APP_KEY: undefined, APP_KEY_FILE: good }).status).toBe(0);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'secret\n');
    const result = start({ APP_KEY: undefined, APP_KEY_FILE: bad });
    expect(result.status).toBe(64);
    expect(result.stderr).toMatch(/APP_KEY_FILE .* does not hold Laravel's base64: key of 32 bytes/);
    expect(result.stderr).not.toContain('secret');
    expect(result.calls).toEqual([]);
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
