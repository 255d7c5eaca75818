// TLS to the database, proven against a real server: Debian's MariaDB with
// require_secure_transport = ON and a certificate from a CA made here, PHP's pdo_mysql, and exactly
// the DSN and options Cachet's MySQL connection gets from the image's config/database.php.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachetEnv, connectOnce, writeSecretFile } from '../../helpers/cachet-php';
import { loopbackCertificate } from '../../../harness/emulator';
import { startMariaDb, sqlString, type MariaDb } from '../../helpers/mariadb';

let db: MariaDb;
const password = 'tls,test&pass$word';

beforeAll(async () => {
  db = await startMariaDb();
  db.sql(`CREATE DATABASE cachet; CREATE USER 'cachet'@'%' IDENTIFIED BY ${sqlString(password)}; GRANT ALL ON cachet.* TO 'cachet'@'%';`);
}, 120_000);
afterAll(() => db?.stop());

const env = (extra: Record<string, string> = {}) => cachetEnv({ port: db.port, ca: db.ca, secretFile: writeSecretFile(password) }, extra);

describe('Cachet to MySQL with require_secure_transport = ON', () => {
  it('connects over TLS, verifying the server certificate against the CA bundle', () => {
    // GIVEN the configuration the image gives Cachet  WHEN it connects
    const result = connectOnce(env());
    // THEN the session is encrypted
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/connected to 127\.0\.0\.1 with TLS \(TLS_[A-Z0-9_]+|connected to 127\.0\.0\.1 with TLS \([A-Z0-9-]+\)/);
  });

  it('is refused by the server when the TLS options are removed (negative control)', () => {
    // GIVEN the same connection without config/database.php's options, as upstream Cachet makes it
    const script = `
      require getenv('CACHET_ROOT').'/vendor/autoload.php';
      function database_path($p = '') { return '/nonexistent'; }
      $config = require getenv('CACHET_ROOT').'/config/database.php';
      $mysql = $config['connections']['mysql'];
      unset($mysql['options']);
      try { (new Illuminate\\Database\\Connectors\\MySqlConnector())->connect($mysql); echo "connected\\n"; }
      catch (Exception $e) { echo $e->getMessage(), "\\n"; exit(1); }`;
    const withoutTls = () => spawnSync('php', ['-r', script], { env: env(), encoding: 'utf8' });
    // WHEN it connects  THEN the server refuses it (MariaDB answers 1045, Aurora MySQL 3159)
    const refused = withoutTls();
    expect(refused.stdout).toMatch(/\[1045\] Access denied|\[3159\] Connections using insecure transport/);
    expect(refused.status).toBe(1);
    // AND the refusal is the transport requirement's: the same connection works once it is off
    db.sql('SET GLOBAL require_secure_transport = OFF');
    try {
      expect(withoutTls().stdout).toBe('connected\n');
    } finally {
      db.sql('SET GLOBAL require_secure_transport = ON');
    }
  });

  it('refuses a server whose certificate another CA signed', () => {
    // GIVEN a CA bundle that did not sign the server's certificate
    const other = loopbackCertificate();
    // WHEN Cachet connects  THEN certificate verification fails the connection
    const result = connectOnce(env({ DB_SSL_CA: other.caBundle }));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/\[2002\] Cannot connect to MySQL using SSL/);
  });

  it('refuses a server whose certificate names another host', () => {
    // GIVEN the server's certificate names localhost and 127.0.0.1, and Cachet dials another name of it
    const result = connectOnce(env({ DB_HOST: '127.0.0.2' }));
    // THEN host name verification fails the connection
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/\[2002\] Cannot connect to MySQL using SSL/);
  });

  it.each([
    ['DB_SSL_CA', { DB_SSL_CA: '/nonexistent/ca.pem' }, /DB_SSL_CA: cannot read the CA bundle/],
    ['DB_SECRET_FILE', { DB_SECRET_FILE: '/nonexistent/db.json' }, /DB_SECRET_FILE: cannot read/],
  ])('names %s when it points nowhere', (_field, extra, message) => {
    const result = connectOnce(env(extra));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
  });
});
