// The image's web server, run: this machine's nginx with our main and site configs, PHP-FPM with
// the image's pool, the image's bin/ready.php on Laravel 5.2.39's connector (fixtures) and config/
// database.php, against MariaDB with TLS required. In front of the same PHP-FPM, upstream's
// cachethq/docker 2.3.15 configs run as the negative control. Cachet's own front controller is a
// stand-in (fixtures/cachet-front-controller) that answers as Cachet does on the paths used here.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHET_IMAGE_DIR, cachetEnv, writeSecretFile } from '../../helpers/cachet-php';
import { startMariaDb, sqlString, type MariaDb } from '../../helpers/mariadb';
import { servedCopy, startNginx, startPhpFpm, type Nginx, type PhpFpm } from '../../helpers/web-server';

const UPSTREAM = resolve(__dirname, '../../fixtures/cachethq-docker-2.3.15/conf');
const FRONT_CONTROLLER = resolve(__dirname, '../../fixtures/cachet-front-controller/index.php');
const PASSWORD = 'first-password';

let db: MariaDb;
let php: PhpFpm;
let ours: Nginx;
let upstream: Nginx;
let secretFile: string;

beforeAll(async () => {
  db = await startMariaDb();
  db.sql(
    `CREATE DATABASE cachet; CREATE USER 'cachet'@'%' IDENTIFIED BY ${sqlString(PASSWORD)}; GRANT ALL ON cachet.* TO 'cachet'@'%';` +
      // The table Cachet's install creates, which readiness reads.
      'CREATE TABLE cachet.settings (id INT PRIMARY KEY, name VARCHAR(191), value TEXT); INSERT INTO cachet.settings VALUES (1, "app_name", "Status");',
  );
  secretFile = writeSecretFile(PASSWORD);
  php = await startPhpFpm(join(CACHET_IMAGE_DIR, 'conf/php-fpm-pool.conf'), cachetEnv({ port: db.port, ca: db.ca, secretFile }));
  const publicDir = servedCopy({ 'index.php': FRONT_CONTROLLER });
  ours = await startNginx({
    main: join(CACHET_IMAGE_DIR, 'conf/nginx.conf'),
    site: join(CACHET_IMAGE_DIR, 'conf/nginx-site.conf'),
    siteRewrites: (port) => [
      ['listen 8000 default_server;', `listen 127.0.0.1:${port} default_server;`, 1],
      ['root /var/www/html/public;', `root ${publicDir};`, 1],
      ['fastcgi_pass 127.0.0.1:9000;', `fastcgi_pass 127.0.0.1:${php.port};`, 2],
      ['/opt/cachet-eb/ready.php', join(CACHET_IMAGE_DIR, 'bin/ready.php'), 1],
    ],
  });
  upstream = await startNginx({
    main: join(UPSTREAM, 'nginx.conf'),
    mainRewrites: [
      ['error_log  /var/log/nginx/error.log warn;', 'error_log stderr warn;', 1],
      ['access_log  /var/log/nginx/access.log  main;', 'access_log /dev/stdout main;', 1],
      ['fastcgi_cache_path /usr/share/nginx/cache/fcgi', `fastcgi_cache_path ${servedCopy({})}/fcgi`, 1],
    ],
    site: join(UPSTREAM, 'nginx-site.conf'),
    siteRewrites: (port) => [
      ['listen 8000 default;', `listen 127.0.0.1:${port} default;`, 1],
      ['root /var/www/html/public;', `root ${publicDir};`, 1],
      ['fastcgi_pass 127.0.0.1:9000;', `fastcgi_pass 127.0.0.1:${php.port};`, 1],
    ],
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([ours?.stop(), upstream?.stop(), php?.stop()]);
  await db?.stop();
});

const get = async (server: Nginx, path: string) => {
  const started = Date.now();
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, headers: response.headers, body: await response.text(), seconds: (Date.now() - started) / 1000 };
};

describe('/readyz on our site', () => {
  it('answers 200 when a connection as Cachet makes it can query its settings', async () => {
    const answer = await get(ours, '/readyz');
    expect(answer.status, php.log()).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 503 on the next check once the database refuses the password, and 200 once the file is current', async () => {
    // GIVEN the password rotated in the database while the instance's file still holds the old one
    db.sql(`ALTER USER 'cachet'@'%' IDENTIFIED BY 'rotated-password'`);
    // THEN the very next check fails (nothing is cached), naming no cause in the answer
    const refused = await get(ours, '/readyz');
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ status: 'unavailable', reason: 'database' });
    // AND the cause went to PHP-FPM's stderr through error_log(), the path APP_LOG=errorlog gives Cachet's own log
    expect(php.log()).toMatch(/cachet-ready: not ready: .*Access denied for user 'cachet'/);
    // WHEN the refresher writes the new password THEN the next check passes
    writeFileSync(secretFile, `${JSON.stringify({ username: 'cachet', password: 'rotated-password' })}\n`);
    expect((await get(ours, '/readyz')).status).toBe(200);
  });

  it('answers 503 while the schema is missing (before the install)', async () => {
    db.sql('RENAME TABLE cachet.settings TO cachet.settings_away');
    try {
      expect((await get(ours, '/readyz')).status).toBe(503);
    } finally {
      db.sql('RENAME TABLE cachet.settings_away TO cachet.settings');
    }
  });
});

describe('responses that must not be shared', () => {
  it("never hands one visitor's session cookie to the next", async () => {
    const first = await get(ours, '/');
    const second = await get(ours, '/');
    expect(first.headers.get('set-cookie')).toMatch(/^laravel_session=[0-9a-f]{16};/);
    expect(second.headers.get('set-cookie')).not.toBe(first.headers.get('set-cookie'));
  });

  it('upstream replays the first visitor cookie to the second (control)', async () => {
    const first = await get(upstream, '/');
    const second = await get(upstream, '/');
    expect(second.headers.get('set-cookie')).toBe(first.headers.get('set-cookie'));
    expect(second.headers.get('x-cache')).toBe('HIT');
  });

  it('answers the API afresh on every call', async () => {
    const [a, b] = [await get(ours, '/api/v1/components'), await get(ours, '/api/v1/components')];
    expect(a.status).toBe(200);
    expect(b.body).not.toBe(a.body);
  });

  it('upstream answers the API from its cache (control)', async () => {
    const [a, b] = [await get(upstream, '/api/v1/components'), await get(upstream, '/api/v1/components')];
    expect(b.body).toBe(a.body);
  });
});

describe('when PHP-FPM fails', () => {
  beforeAll(async () => {
    // Upstream's cache holds a fresh ping answer, as after any health check.
    expect((await get(upstream, '/api/v1/ping')).status).toBe(200);
    await php.stop();
  }, 120_000);

  afterAll(async () => {
    await php.start();
  }, 120_000);

  it('/readyz answers 503 at once, well within one check interval', async () => {
    const answer = await get(ours, '/readyz');
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ status: 'unavailable', reason: 'php-fpm' });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.seconds).toBeLessThan(3);
  });

  it('no page answers 200 from a cache', async () => {
    expect((await get(ours, '/api/v1/ping')).status).toBe(502);
  });

  it("upstream's health path still answers 200, from its cache (control)", async () => {
    const answer = await get(upstream, '/api/v1/ping');
    expect(answer.status).toBe(200);
    // HIT within the 30 s the answer is fresh, STALE after (fastcgi_cache_use_stale error)
    expect(answer.headers.get('x-cache')).toMatch(/^(HIT|STALE)$/);
  });
});

describe('when the database is down', () => {
  it('/readyz answers 503 within the connect bound', async () => {
    await db.stop();
    const answer = await get(ours, '/readyz');
    expect(answer.status).toBe(503);
    expect(answer.seconds).toBeLessThan(4);
  });
});
