import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ARCHIVE_WRITER_VERSION, bundleHash, SourceBundle } from '../../constructs/source-bundle';
import { tarGzDirectory } from '../../constructs/tar';
import { crc32, zipDirectory } from '../../constructs/zip';
import { emptyStack } from '../helpers/synth';

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  mkdirSync(join(dir, '.ebextensions'));
  writeFileSync(join(dir, 'docker-compose.yml'), 'services: {}\n'.repeat(50));
  writeFileSync(join(dir, '.ebextensions', 'a.config'), 'Resources: {}\n');
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(dir, 'run.sh'), 0o755);
  return dir;
}

/** What Python's zipfile (an independent reader) sees in the archive: name, mode, content. */
function readWithPython(zip: Buffer): { name: string; mode: number; text: string }[] {
  const path = join(mkdtempSync(join(tmpdir(), 'zip-')), 'a.zip');
  writeFileSync(path, zip);
  const script = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'assert z.testzip() is None',
    'print(json.dumps([{"name": i.filename, "mode": (i.external_attr >> 16) & 0o777, "text": z.read(i).decode()} for i in z.infolist()]))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' }));
}

describe('zipDirectory', () => {
  it('writes an archive another reader opens, with every file, its content and its mode normalised to 755/644', () => {
    // GIVEN a fixture with a group-writable file, as a loose umask leaves it
    const dir = fixture();
    chmodSync(join(dir, 'docker-compose.yml'), 0o664);
    const entries = readWithPython(zipDirectory(dir));
    expect(entries.map((e) => [e.name, e.mode.toString(8)])).toEqual([
      ['.ebextensions/a.config', '644'],
      ['docker-compose.yml', '644'],
      ['run.sh', '755'],
    ]);
    expect(entries[1].text).toBe(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'));
  });

  it('gives the same bytes for the same files, and different bytes when a file changes', () => {
    const dir = fixture();
    const first = zipDirectory(dir);
    expect(zipDirectory(dir).equals(first)).toBe(true);
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho changed\n');
    expect(zipDirectory(dir).equals(first)).toBe(false);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789')).toString(16)).toBe('cbf43926');
  });
});

describe('tarGzDirectory', () => {
  it('writes an archive GNU tar lists with directories first, root-owned, fixed time, modes 755/644', () => {
    // GIVEN a fixture with a group-writable file, as a loose umask leaves it
    const dir = fixture();
    chmodSync(join(dir, 'docker-compose.yml'), 0o664);
    const archive = join(mkdtempSync(join(tmpdir(), 'tar-')), 'a.tar.gz');
    writeFileSync(archive, tarGzDirectory(dir));
    // WHEN GNU tar lists it
    const listing = execFileSync('tar', ['--utc', '-tvzf', archive], { encoding: 'utf8' }).trim().split('\n');
    // THEN
    expect(listing.map((l) => l.replace(/\s+/g, ' '))).toEqual([
      'drwxr-xr-x root/root 0 1980-01-01 00:00 .ebextensions/',
      '-rw-r--r-- root/root 14 1980-01-01 00:00 .ebextensions/a.config',
      `-rw-r--r-- root/root ${'services: {}\n'.length * 50} 1980-01-01 00:00 docker-compose.yml`,
      '-rwxr-xr-x root/root 18 1980-01-01 00:00 run.sh',
    ]);
  });

  it('extracts to the same contents', () => {
    const dir = fixture();
    const archive = join(mkdtempSync(join(tmpdir(), 'tar-')), 'a.tar.gz');
    writeFileSync(archive, tarGzDirectory(dir));
    const out = mkdtempSync(join(tmpdir(), 'untar-'));
    execFileSync('tar', ['-xzf', archive, '-C', out]);
    expect(readFileSync(join(out, 'run.sh'), 'utf8')).toBe(readFileSync(join(dir, 'run.sh'), 'utf8'));
    expect(execFileSync('diff', ['-r', dir, out], { encoding: 'utf8' })).toBe('');
  });

  it('gives the same bytes for the same files whatever their timestamps, different bytes when content changes', () => {
    const dir = fixture();
    const first = tarGzDirectory(dir);
    utimesSync(join(dir, 'run.sh'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(tarGzDirectory(dir).equals(first)).toBe(true);
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho changed\n');
    expect(tarGzDirectory(dir).equals(first)).toBe(false);
  });
});

describe('SourceBundle', () => {
  it('pins what the archive writers write, so a change to them bumps ARCHIVE_WRITER_VERSION (part of every bundle hash)', () => {
    // If this fails after a change to zip.ts or tar.ts, bump ARCHIVE_WRITER_VERSION and update the
    // hashes; after a Node upgrade with another zlib, update the zlib version and the hashes (the
    // bundle hashes do not change with zlib).
    expect([ARCHIVE_WRITER_VERSION, process.versions.zlib]).toEqual([2, '1.3.1-e00f703']);
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect([sha(zipDirectory(fixture())), sha(tarGzDirectory(fixture()))]).toEqual([
      'cd10232af70e7103edbf81b94ff7af83c815113e1cfd764d2105ad229146f88b',
      '9028e50ba29b21b89f44363900177a69b082964ce8138ddc3b88ed27de96b116',
    ]);
  });

  it.each([
    ['content', (dir: string) => writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho bye\n')],
    ['executable bit', (dir: string) => chmodSync(join(dir, 'run.sh'), 0o644)],
    ['name', (dir: string) => renameSync(join(dir, 'run.sh'), join(dir, 'start.sh'))],
  ])('hashes again when a file changes its %s', (_what, change) => {
    const dir = fixture();
    const before = new SourceBundle(emptyStack(), 'b', { directory: dir }).hash;
    expect(new SourceBundle(emptyStack(), 'b', { directory: dir }).hash).toBe(before);
    change(dir);
    const after = new SourceBundle(emptyStack(), 'b', { directory: dir });
    expect(after.hash).not.toBe(before);
    expect(after.hash).toBe(bundleHash(dir, 'zip'));
  });

  it.each([
    [
      'a umask that leaves files group-writable (0664, 0775)',
      (dir: string) => [chmodSync(join(dir, 'run.sh'), 0o775), chmodSync(join(dir, 'docker-compose.yml'), 0o664)],
    ],
    ['a tighter mode (0700)', (dir: string) => chmodSync(join(dir, 'run.sh'), 0o700)],
    ['new timestamps', (dir: string) => utimesSync(join(dir, 'run.sh'), new Date(2001, 1, 1), new Date(2001, 1, 1))],
  ])('keeps its hash and archive bytes under %s', (_what, change) => {
    const dir = fixture();
    const before = new SourceBundle(emptyStack(), 'b', { directory: dir });
    const bytes = zipDirectory(dir);
    change(dir);
    expect(new SourceBundle(emptyStack(), 'b', { directory: dir }).hash).toBe(before.hash);
    expect(zipDirectory(dir).equals(bytes)).toBe(true);
  });

  it('refuses a directory that does not exist', () => {
    expect(() => new SourceBundle(emptyStack(), 'b', { directory: '/nonexistent/bundle' })).toThrow(/directory \/nonexistent\/bundle does not exist/);
  });
});
