// Our systemd units as systemd reads them (systemd-analyze verify, against systemd's own units) and
// as the boot test's systemctl stand-in runs them: the web app's unit as shipped serves, and the
// same unit restricted to AF_UNIX cannot; Restart= restarts a failed service and gives up at the start
// limit; ProtectSystem=strict and PrivateTmp= hold; the directives the stand-in does not apply are
// exactly the ones docs/known-limits.md lists.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootInstance, type BootedInstance } from '../../harness/instance-boot';
import { freeLoopbackPort } from '../../harness/net';
import { VENV_BIN } from '../../harness/emulator';
import { projectPath } from '../../project';
import { releaseTimings } from '../../stacks/web/release-timings';
import { userData } from '../../stacks/web/web-server-fleet';
import { initialReleaseDirectory } from '../../stacks/web/webapp-release';
import { config, TEST_BUILD_VERSION } from '../helpers/synth';

const WEBAPP_UNIT = projectPath('app/deploy/webapp.service');
const REFRESHER = projectPath('assets/cachet/.platform/cachet');

/** The drop-in the web user data writes (webapp.service.d/stop.conf), as it writes it for dev. */
function stopDropIn(): string {
  const script = userData({
    releaseUri: 's3://b/webapp/v1.tar.gz',
    region: 'eu-west-1',
    port: 8080,
    timings: releaseTimings(config('dev').webapp),
    trustedProxies: ['10.0.0.0/24'],
  });
  return /stop\.conf <<'UNIT'\n([\s\S]*?)\nUNIT/.exec(script)![1] + '\n';
}

/** systemd-analyze verify over a root holding systemd's own units, our units and stubs for their commands; its output (warnings included). */
function verify(units: Record<string, string>, names: string[]): { status: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'units-'));
  mkdirSync(join(root, 'usr', 'lib', 'systemd'), { recursive: true });
  cpSync('/lib/systemd/system', join(root, 'usr', 'lib', 'systemd', 'system'), { recursive: true });
  for (const [path, text] of Object.entries(units)) {
    mkdirSync(join(root, 'etc', 'systemd', 'system', path, '..'), { recursive: true });
    writeFileSync(join(root, 'etc', 'systemd', 'system', path), text);
  }
  for (const command of ['opt/webapp/bin/webapp', 'usr/local/sbin/cachet-db-secret']) {
    mkdirSync(join(root, command, '..'), { recursive: true });
    writeFileSync(join(root, command), '#!/bin/sh\n');
    chmodSync(join(root, command), 0o755);
  }
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...names], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

const OUR_UNITS = () => ({
  'webapp.service': readFileSync(WEBAPP_UNIT, 'utf8'),
  'webapp.service.d/stop.conf': stopDropIn(),
  'cachet-db-secret.service': readFileSync(join(REFRESHER, 'cachet-db-secret.service'), 'utf8'),
  'cachet-db-secret.timer': readFileSync(join(REFRESHER, 'cachet-db-secret.timer'), 'utf8'),
});

describe('systemd-analyze verify', () => {
  it('finds nothing to say about any of our units (the web app with its drop-in, the secret refresher and its timer)', () => {
    expect(verify(OUR_UNITS(), ['webapp.service', 'cachet-db-secret.service', 'cachet-db-secret.timer'])).toEqual({ status: 0, output: '' });
  });

  it.each([
    ['a misspelt timer key', 'cachet-db-secret.timer', (t: string) => t.replace('OnActiveSec=', 'OnActiveSecs='), /Unknown key 'OnActiveSecs'/],
    ['an unknown address family', 'webapp.service', (t: string) => t.replace('AF_INET AF_INET6', 'AF_INETT'), /Failed to parse address family/],
  ])('speaks up on %s (the check could fail)', (_, unit, mutate, message) => {
    const units: Record<string, string> = OUR_UNITS();
    units[unit] = mutate(units[unit]);
    expect(verify(units, [unit]).output).toMatch(message);
  });
});

describe('the systemctl stand-in runs a unit as systemd would', () => {
  let release: string;
  const booted: BootedInstance[] = [];

  beforeAll(() => {
    release = initialReleaseDirectory(TEST_BUILD_VERSION, 'x86_64');
  }, 180_000);

  afterAll(() => booted.forEach((b) => b.terminate()));

  /** Boots a user data of `script` lines (bash, stopping at the first failure). */
  async function boot(script: string[]): Promise<BootedInstance> {
    const instance = await bootInstance({
      userData: ['#!/bin/bash', 'set -euo pipefail', ...script, ''].join('\n'),
      awsCli: join(VENV_BIN, 'aws'),
      env: {},
      timeoutMs: 90_000,
    });
    booted.push(instance);
    return instance;
  }

  /** User data that installs the web app's release with `unit` and asks it for readiness on `port`. */
  const webapp = (unit: string, port: number) => [
    `mkdir -p /opt/webapp && cp -r ${release}/bin /opt/webapp/`,
    'id webapp >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin webapp',
    `cat > /etc/systemd/system/webapp.service <<'UNIT'\n${unit}UNIT`,
    `mkdir -p /etc/webapp && echo PORT=${port} > /etc/webapp/env`,
    'systemctl daemon-reload',
    'systemctl enable --now webapp',
    `for i in $(seq 1 50); do curl -fsS http://127.0.0.1:${port}/api/v1/health/ready && exit 0; sleep 0.1; done`,
    'echo "webapp-probe: no answer" >&2; exit 1',
  ];

  it('serves the web app under its unit as shipped, and lists only the directives it does not apply', async () => {
    const port = await freeLoopbackPort();
    const instance = await boot(webapp(readFileSync(WEBAPP_UNIT, 'utf8'), port));
    expect(instance.exitCode, instance.console).toBe(0);
    const notApplied = [...instance.journal('webapp').matchAll(/^standin: (\w+)=.* is not applied by the stand-in$/gm)].map((m) => m[1]).sort();
    expect(notApplied).toEqual(['KillMode', 'LogRateLimitIntervalSec', 'PrivateDevices', 'ProtectKernelModules']);
  }, 120_000);

  it('cannot serve the web app when its unit restricts it to AF_UNIX (as systemd would refuse its socket)', async () => {
    const port = await freeLoopbackPort();
    const unit = readFileSync(WEBAPP_UNIT, 'utf8').replace('RestrictAddressFamilies=AF_INET AF_INET6', 'RestrictAddressFamilies=AF_UNIX');
    const instance = await boot(webapp(unit, port));
    expect(instance.exitCode).not.toBe(0);
    expect(instance.journal('webapp')).toMatch(/address family not supported by protocol/i);
  }, 120_000);

  /** A unit of a shell service, with `directives` in [Service]. */
  const shellUnit = (name: string, command: string, directives: string[]) => [
    `cat > /etc/systemd/system/${name}.service <<'UNIT'`,
    '[Service]',
    `ExecStart=/bin/bash -c '${command}'`,
    ...directives,
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
  ];

  it('restarts a failed service after RestartSec= (Restart=on-failure), and not with Restart=no', async () => {
    // GIVEN services that fail on their first start and run on their second
    const firstFails = 'if [ -e /var/lib/$0 ]; then exec sleep 60; fi; touch /var/lib/$0; exit 3';
    const instance = await boot([
      ...shellUnit('again', firstFails.replaceAll('$0', 'again'), ['Restart=on-failure', 'RestartSec=1']),
      ...shellUnit('once', firstFails.replaceAll('$0', 'once'), ['Restart=no']),
      'systemctl start again || true',
      'systemctl start once || true',
      'sleep 2',
      'echo "again: $(systemctl is-active again || true)"',
      'echo "once: $(systemctl is-active once || true)"',
    ]);
    expect(instance.console).toContain('again: active');
    expect(instance.console).toContain('once: inactive');
    expect(instance.journal('again')).toMatch(/Main process exited, status=3\nstandin: again.service: Scheduled restart \(Restart=on-failure\) in 1s/);
  }, 120_000);

  it('gives up after 5 starts in 10 s, as systemd’s default start limit does', async () => {
    const instance = await boot([...shellUnit('crashes', 'sleep 0.4; exit 1', ['Restart=always', 'RestartSec=100ms']), 'systemctl start crashes', 'sleep 4']);
    expect(instance.journal('crashes')).toContain('Start request repeated too quickly; failed');
    expect(instance.journal('crashes').match(/Main process exited/g)).toHaveLength(5);
  }, 120_000);

  it('holds ProtectSystem=strict and PrivateTmp=: /etc is read-only, /tmp is the service’s own', async () => {
    const instance = await boot([
      'echo host > /tmp/host-file',
      ...shellUnit(
        'probe',
        'touch /etc/probe 2>/dev/null && echo etc-writable || echo etc-read-only; test -e /tmp/host-file && echo tmp-shared || echo tmp-private; touch /tmp/mine && echo tmp-writable; exec sleep 60',
        ['ProtectSystem=strict', 'PrivateTmp=yes'],
      ),
      'systemctl start probe',
      'sleep 0.5',
    ]);
    expect(instance.exitCode, instance.console).toBe(0);
    expect(instance.journal('probe')).toMatch(/etc-read-only\ntmp-private\ntmp-writable/);
  }, 120_000);
});
