// The image's Dockerfile cannot be built here (no Docker daemon, no Docker Hub); what can be checked
// is that it puts every file where the others expect it, and that those files parse.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHET_BUNDLE_DIR, CACHET_READINESS_PATH } from '../../../stacks/cachet/cachet-beanstalk';
import { CACHET_IMAGE_DIR } from '../../helpers/cachet-php';

const read = (file: string) => readFileSync(join(CACHET_IMAGE_DIR, file), 'utf8');
const dockerfile = read('Dockerfile');
/** Every COPY as [sources, destination]. */
const copies = [...dockerfile.matchAll(/^COPY (.+)$/gm)].map((m) => {
  const parts = m[1].trim().split(/\s+/);
  return [parts.slice(0, -1), parts[parts.length - 1]] as const;
});
/** Where a COPY puts `source` (Docker takes several sources only into a directory, `.../`). */
const destinationOf = (source: string) => {
  const [, destination] = copies.find(([sources]) => sources.includes(source))!;
  return destination.endsWith('/') ? `${destination}${basename(source)}` : destination;
};

describe('the Cachet Dockerfile', () => {
  it('starts from the official image at the version our fixes were written for', () => {
    expect(dockerfile).toMatch(/^FROM cachethq\/docker:2\.3\.15$/m);
  });

  it('copies only files that exist', () => {
    for (const [sources] of copies) for (const source of sources) expect(existsSync(join(CACHET_IMAGE_DIR, source)), source).toBe(true);
  });

  it('puts the entry point, the database script and the CA bundle where the other files look for them', () => {
    expect(dockerfile).toMatch(/^CMD \["\/sbin\/cachet-start"\]$/m);
    expect(destinationOf('bin/cachet-start')).toBe('/sbin/cachet-start');
    expect(read('bin/cachet-start')).toContain(`db=\${CACHET_DB_SCRIPT:-${destinationOf('bin/db.php')}}`);
    const caPath = dockerfile.match(/-o (\/etc\/ssl\/certs\/\S+\.pem)/)![1];
    expect(read('config/database.php')).toContain(`env('DB_SSL_CA', '${caPath}')`);
    expect(dockerfile).toContain('https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem');
  });

  it("overrides Cachet's own config, pool and supervisor files in place", () => {
    expect(destinationOf('config/database.php')).toBe('/var/www/html/config/database.php');
    expect(destinationOf('config/trustedproxy.php')).toBe('/var/www/html/config/trustedproxy.php');
    expect(destinationOf('app/SearchableTrait.php')).toBe('/var/www/html/app/Models/Traits/SearchableTrait.php');
    expect(destinationOf('conf/php-fpm-pool.conf')).toBe('/etc/php7/php-fpm.d/www.conf');
    expect(destinationOf('conf/supervisord.conf')).toBe('/etc/supervisor/supervisord.conf');
    expect(dockerfile).toMatch(/: > \/var\/www\/html\/\.env/);
  });

  it("replaces upstream's nginx configs, and serves readiness from where the image puts the script", () => {
    expect(destinationOf('conf/nginx.conf')).toBe('/etc/nginx/nginx.conf');
    expect(destinationOf('conf/nginx-site.conf')).toBe('/etc/nginx/conf.d/default.conf');
    const site = read('conf/nginx-site.conf');
    expect(site).toContain(`location = ${CACHET_READINESS_PATH} {`);
    expect(site).toContain(`fastcgi_param SCRIPT_FILENAME ${destinationOf('bin/ready.php')};`);
    expect(destinationOf('bin/connect.php')).toBe(destinationOf('bin/ready.php').replace('ready.php', 'connect.php'));
  });

  it.each(['conf/nginx.conf', 'conf/nginx-site.conf'])('%s caches no response', (file) => {
    expect(read(file)).not.toMatch(/^\s*(fastcgi_cache|proxy_cache)/m);
  });

  it('runs as the unprivileged user of the official image', () => {
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users[users.length - 1]).toBe('1001');
  });

  it('keeps the queue worker one process per job and PHP workers on the container environment', () => {
    expect(read('conf/supervisord.conf')).toMatch(/^command=php artisan queue:listen /m);
    expect(read('conf/supervisord.conf')).not.toMatch(/^command=.*queue:work/m);
    expect(read('conf/php-fpm-pool.conf')).toMatch(/^clear_env = no$/m);
    expect(read('conf/php-fpm-pool.conf')).not.toMatch(/^env\[/m);
  });
});

describe('the scripts the image and the instances run', () => {
  it.each([
    [join(CACHET_IMAGE_DIR, 'bin/cachet-start')],
    [join(CACHET_BUNDLE_DIR, '.platform/hooks/prebuild/05-cachet-imds.sh')],
    [join(CACHET_BUNDLE_DIR, '.platform/hooks/prebuild/10-cachet-db-secret.sh')],
    [join(CACHET_BUNDLE_DIR, '.platform/hooks/prebuild/20-cachet-image.sh')],
    [join(CACHET_BUNDLE_DIR, '.platform/cachet/cachet-db-secret')],
  ])('%s parses as bash', (file) => {
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
  });

  it.each(['app/SearchableTrait.php', 'bin/connect.php', 'bin/db.php', 'bin/ready.php', 'config/database.php', 'config/trustedproxy.php'])(
    '%s parses as PHP',
    (file) => {
      const result = spawnSync('php', ['-l', join(CACHET_IMAGE_DIR, file)], { encoding: 'utf8' });
      expect(result.status, result.stdout).toBe(0);
    },
  );

  it('installs the refresher where its unit runs it, with the timer that starts it', () => {
    const hook = readFileSync(join(CACHET_BUNDLE_DIR, '.platform/hooks/prebuild/10-cachet-db-secret.sh'), 'utf8');
    const unit = readFileSync(join(CACHET_BUNDLE_DIR, '.platform/cachet/cachet-db-secret.service'), 'utf8');
    const exec = unit.match(/^ExecStart=(\S+)$/m)![1];
    expect(hook).toContain(`install -m 0755 "$here/cachet-db-secret" ${exec}`);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/cachet-db-secret\.env$/m);
    expect(hook).toContain('>/etc/cachet-db-secret.env');
    expect(hook).toMatch(/systemctl enable --now cachet-db-secret\.timer/);
    expect(readFileSync(join(CACHET_BUNDLE_DIR, '.platform/cachet/cachet-db-secret.timer'), 'utf8')).toMatch(/^OnUnitActiveSec=1min$/m);
  });
});
