// The container entry point of the Cachet bundle, run for real with PHP (as in the Cachet image):
// it must turn the RDS master secret JSON into DB_PASSWORD and hand over to the image's entry point.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHET_BUNDLE_DIR } from '../../constructs/cachet-beanstalk';

/** A stand-in for the image's /sbin/entrypoint.sh that prints what it was given. */
function recordingEntrypoint(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'entry-')), 'entrypoint.sh');
  writeFileSync(path, '#!/bin/sh\nprintf "args=%s\\n" "$*"\nprintf "password=%s\\n" "$DB_PASSWORD"\nprintf "secret=%s\\n" "${DB_MASTER_SECRET:-<unset>}"\n');
  chmodSync(path, 0o755);
  return path;
}

function run(env: Record<string, string>) {
  return spawnSync('/bin/sh', [join(CACHET_BUNDLE_DIR, 'cachet-entrypoint.sh'), 'start'], {
    env: { PATH: process.env.PATH!, CACHET_IMAGE_ENTRYPOINT: recordingEntrypoint(), ...env },
    encoding: 'utf8',
  });
}

describe('cachet-entrypoint.sh', () => {
  it('takes the password out of the RDS secret JSON, drops the JSON, and starts the image', () => {
    const password = 'p#$%&*()_+-=[]{}|;:,.<>?`~x\'"\\y';
    const result = run({ DB_MASTER_SECRET: JSON.stringify({ username: 'cachet_admin', password }) });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`args=start\npassword=${password}\nsecret=<unset>\n`);
  });

  it('fails, without starting the image, when the secret is not the RDS JSON', () => {
    const result = run({ DB_MASTER_SECRET: 'not json' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('DB_MASTER_SECRET is not the RDS master secret JSON');
    expect(result.stdout).toBe('');
  });
});
