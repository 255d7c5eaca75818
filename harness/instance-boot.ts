// The boot test's harness: runs a launch template's user data, unmodified, the way cloud-init runs
// it on first boot (as root, from /var/lib/cloud/instance/scripts/part-001, with cloud-init's PATH),
// in an isolated root: a private mount namespace (unshare, as root) where /etc, /var and /tmp are
// overlays of this machine's (writes land in a throwaway upper directory), /opt is empty and
// /usr/local/sbin holds the instance's tools: the real AWS CLI and a systemctl stand-in
// (instance-boot/systemctl) that starts the unit's ExecStart as systemd would for what our units use:
// User, Environment and drop-ins, Restart=, the stop signal and timeout, and the sandboxing that
// changes behaviour (file system protection, private /tmp, no_new_privs and a socket filter applied
// by instance-boot/sandbox.py).
// The network is this machine's, so the service answers on loopback and the CLI reaches the
// emulator. Nothing the script writes leaves the namespace's directories.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const STAND_IN = resolve(__dirname, 'instance-boot', 'systemctl');
const SANDBOX = resolve(__dirname, 'instance-boot', 'sandbox.py');
const CLOUD_INIT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BootOptions {
  /** The user data script as EC2 hands it to cloud-init (decoded from base64). */
  readonly userData: string;
  /** The AWS CLI the instance has (AL2023 ships one at /usr/bin/aws). */
  readonly awsCli: string;
  /** The instance's environment beyond cloud-init's: its credentials, here the emulator's endpoint. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * A CA the instance trusts for AWS endpoints (the emulator's): installed at /etc/pki/aws-endpoint-ca.pem
   * and named by AWS_CA_BUNDLE.
   * @default - the machine's trust store only
   */
  readonly caBundle?: string;
  /** @default 120 s */
  readonly timeoutMs?: number;
}

export interface BootedInstance {
  /** The script's exit status (null when it was stopped at the timeout). */
  readonly exitCode: number | null;
  /** What the script printed: what the console log and /var/log/cloud-init-output.log show. */
  readonly console: string;
  /** Where a file the instance wrote under /etc, /var or /opt is on this machine. */
  file(path: string): string;
  /** What a unit printed (the stand-in's journal): `name` is a service's, `name.timer` the timer's own lines. */
  journal(unit: string): string;
  /** The systemctl calls the script made. */
  systemctlCalls(): string[];
  /** Kills what the instance started and removes its directories. */
  terminate(): void;
}

// Inside the namespace: mount the instance's view of the machine, then run the script as cloud-init does.
const SETUP = String.raw`
set -euo pipefail
W=$1
for d in etc var tmp; do
  mkdir -p "$W/$d-upper" "$W/$d-work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$W/$d-upper,workdir=$W/$d-work" "/$d"
done
mount --bind "$W/opt" /opt
mount --bind "$W/sbin" /usr/local/sbin
# The instance's AWS CLI must be the one given (a PATH lookup must not fall through to another).
[ -x /usr/local/sbin/aws ] || { echo "boot: the AWS CLI $(readlink /usr/local/sbin/aws) is not visible in the instance's root" >&2; exit 97; }
[ -e /usr/bin/systemctl ] && mount --bind "$W/sbin/systemctl" /usr/bin/systemctl
mkdir -p /var/lib/cloud/instance/scripts
cp "$W/user-data" /var/lib/cloud/instance/scripts/part-001
chmod 0700 /var/lib/cloud/instance/scripts/part-001
cd /
shift
exec env -i "$@" /var/lib/cloud/instance/scripts/part-001
`;

/** Boots an instance's user data in an isolated root; see the file comment. */
export async function bootInstance(options: BootOptions): Promise<BootedInstance> {
  if (process.getuid?.() !== 0) throw new Error('the boot test needs root (unshare and mount); run it as root, as CI does');
  for (const tool of ['unshare', 'setpriv', 'useradd']) {
    if (spawnSync('bash', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`the boot test needs ${tool} (util-linux, passwd)`);
  }
  if (!existsSync(options.awsCli)) throw new Error(`no AWS CLI at ${options.awsCli}; run tools/setup-python.sh`);
  mkdirSync('/run', { recursive: true });
  const root = mkdtempSync('/run/instance-boot-');
  for (const d of ['opt', 'sbin']) mkdirSync(join(root, d));
  copyFileSync(STAND_IN, join(root, 'sbin', 'systemctl'));
  chmodSync(join(root, 'sbin', 'systemctl'), 0o755);
  copyFileSync(SANDBOX, join(root, 'sbin', 'standin-sandbox'));
  chmodSync(join(root, 'sbin', 'standin-sandbox'), 0o755);
  symlinkSync(options.awsCli, join(root, 'sbin', 'aws'));
  writeFileSync(join(root, 'user-data'), options.userData);
  const trusted: Record<string, string> = {};
  if (options.caBundle) {
    // Written into the /etc overlay's upper directory before it is mounted: the instance sees it.
    mkdirSync(join(root, 'etc-upper', 'pki'), { recursive: true });
    copyFileSync(options.caBundle, join(root, 'etc-upper', 'pki', 'aws-endpoint-ca.pem'));
    trusted.AWS_CA_BUNDLE = '/etc/pki/aws-endpoint-ca.pem';
  }

  const env = { PATH: CLOUD_INIT_PATH, HOME: '/root', LANG: 'C.UTF-8', ...options.env, ...trusted };
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '--fork', 'bash', '-c', SETUP, 'boot', root, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exitCode = await new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  clearTimeout(timer);

  const file = (path: string) => {
    const [, top, ...rest] = path.split('/');
    const base = top === 'etc' || top === 'var' ? `${top}-upper` : top === 'opt' ? 'opt' : undefined;
    if (!base) throw new Error(`${path}: only /etc, /var and /opt of the instance are kept`);
    return join(root, base, ...rest);
  };
  const stateDir = file('/var/lib/systemd-standin');
  return {
    exitCode,
    console: output,
    file,
    journal: (unit) => {
      const path = file(`/var/log/standin-journal/${/\.(service|timer)$/.test(unit) ? unit : `${unit}.service`}.log`);
      return existsSync(path) ? readFileSync(path, 'utf8') : '';
    },
    systemctlCalls: () => (existsSync(join(stateDir, 'calls')) ? readFileSync(join(stateDir, 'calls'), 'utf8').trim().split('\n').filter(Boolean) : []),
    terminate: () => {
      if (existsSync(stateDir)) {
        for (const pidFile of readdirSync(stateDir).filter((f) => f.endsWith('.pid'))) {
          try {
            process.kill(Number(readFileSync(join(stateDir, pidFile), 'utf8')), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
