// Runs the Cachet image's PHP (bin/db.php, config/database.php) as the container would, on Laravel
// 5.2.39's own MySQL connector (copied into __tests__/fixtures), against a real database.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CACHET_IMAGE_DIR = resolve(__dirname, '../../assets/cachet-image');
const LARAVEL = resolve(__dirname, '../fixtures/laravel-5.2.39');

/** A stand-in for /var/www/html: the image's config/ and the copied Laravel connector. */
export function cachetRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'cachet-root-'));
  symlinkSync(join(CACHET_IMAGE_DIR, 'config'), join(root, 'config'));
  symlinkSync(join(LARAVEL, 'vendor'), join(root, 'vendor'));
  symlinkSync(join(LARAVEL, 'Illuminate'), join(root, 'Illuminate'));
  return root;
}

export interface CachetDbEnv {
  readonly port: number;
  readonly ca: string;
  readonly secretFile: string;
  readonly username?: string;
}

/** The container environment the Beanstalk environment gives Cachet (see assets/cachet/docker-compose.yml). */
export function cachetEnv(db: CachetDbEnv, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    CACHET_ROOT: cachetRoot(),
    DB_DRIVER: 'mysql',
    DB_HOST: '127.0.0.1',
    DB_PORT: String(db.port),
    DB_DATABASE: 'cachet',
    DB_USERNAME: db.username ?? 'cachet',
    DB_SECRET_FILE: db.secretFile,
    DB_SSL_CA: db.ca,
    ...extra,
  };
}

/** `php bin/db.php <args>` from the image. */
export function dbScript(env: Record<string, string>, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync('php', [join(CACHET_IMAGE_DIR, 'bin', 'db.php'), ...args], { env, encoding: 'utf8', timeout: 120_000 });
}

/** One connection attempt, as Cachet makes it. */
export const connectOnce = (env: Record<string, string>) => dbScript(env, 'wait', '0');

/** Writes the RDS master secret JSON, as the instance's refresher leaves it. */
export function writeSecretFile(password: string, username = 'cachet'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cachet-secret-')), 'db.json');
  writeFileSync(file, `${JSON.stringify({ username, password })}\n`, { mode: 0o440 });
  return file;
}
