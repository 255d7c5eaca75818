// config/trustedproxy.php of the image: Cachet trusts X-Forwarded-* from the VPC's range (where the
// load balancer's nodes are), not upstream's hard-coded Cloudflare ranges.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHET_IMAGE_DIR } from '../../helpers/cachet-php';

// Symfony 3's Request constants, which Laravel 5.2's Request inherits and the file names.
const READ = `namespace Illuminate\\Http { class Request { const HEADER_CLIENT_IP = 'client_ip'; const HEADER_CLIENT_HOST = 'client_host'; const HEADER_CLIENT_PROTO = 'client_proto'; const HEADER_CLIENT_PORT = 'client_port'; } }
namespace { try { echo json_encode(require '${join(CACHET_IMAGE_DIR, 'config', 'trustedproxy.php')}'); } catch (Exception $e) { fwrite(STDERR, $e->getMessage()); exit(1); } }`;

const read = (proxies: string) => spawnSync('php', ['-r', READ], { env: { PATH: process.env.PATH!, TRUSTED_PROXIES: proxies }, encoding: 'utf8' });

describe('config/trustedproxy.php', () => {
  it.each([
    ['10.20.0.0/16', ['10.20.0.0/16']],
    ['10.20.0.0/16, 10.21.0.0/16', ['10.20.0.0/16', '10.21.0.0/16']],
  ])('trusts the proxies in TRUSTED_PROXIES=%s and reads X-Forwarded-Proto', (value, expected) => {
    const result = read(value);
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout);
    expect(config.proxies).toEqual(expected);
    expect(config.headers.client_proto).toBe('X_FORWARDED_PROTO');
  });

  it('trusts no one when TRUSTED_PROXIES is empty', () => {
    expect(JSON.parse(read('').stdout).proxies).toEqual([]);
  });

  it('names TRUSTED_PROXIES when a value is not a CIDR block', () => {
    const result = read('10.20.0.0/16,*');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/TRUSTED_PROXIES: "\*" is not a CIDR block/);
  });
});
