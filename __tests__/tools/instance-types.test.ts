import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS_REGIONS } from '../../config/aws-regions';
import { INSTANCE_TYPES_DIR, instanceTypes, regionOfferings } from '../../config/instance-types';
import { staleInstanceTypeFiles, writeInstanceTypeList } from '../../tools/instance-types';

/** A copy of the committed list to change. */
function listCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'instance-types-')), 'list');
  cpSync(INSTANCE_TYPES_DIR, dir, { recursive: true });
  return dir;
}

describe('the dated instance type list (config/instance-types/)', () => {
  it("is what the pinned moto's EC2 data gives, file for file", () => {
    expect(staleInstanceTypeFiles()).toEqual([]);
  });

  it('is found stale when a type is dropped from a region or a file is added by hand', () => {
    // GIVEN a copy with one line fewer in eu-west-1 and a file of someone's own
    const dir = listCopy();
    const path = join(dir, 'eu-west-1.txt');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^t3\.small\n/m, ''));
    writeFileSync(join(dir, 'mx-central-1.txt'), '# by hand\nt3.small\n');
    // WHEN / THEN both are named
    expect(staleInstanceTypeFiles(dir)).toEqual(['eu-west-1.txt', 'mx-central-1.txt']);
  });

  it("keeps its date when written again on another day with the same data (the date is the data's)", () => {
    // GIVEN a current copy, written on another day
    const dir = listCopy();
    const before = readFileSync(join(dir, 'eu-west-1.txt'), 'utf8');
    // WHEN written again THEN nothing changes
    expect(writeInstanceTypeList('2099-01-01', dir)).toEqual([]);
    expect(readFileSync(join(dir, 'eu-west-1.txt'), 'utf8')).toBe(before);
  });

  it('is rewritten, with the day it was written, when its data is stale', () => {
    // GIVEN a copy with a type dropped from eu-west-1
    const dir = listCopy();
    const path = join(dir, 'eu-west-1.txt');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^t3\.small\n/m, ''));
    // WHEN written THEN every file is regenerated and dated that day
    expect(writeInstanceTypeList('2099-01-01', dir)).toContain('eu-west-1.txt');
    expect(readFileSync(path, 'utf8')).toMatch(/generated 2099-01-01 /);
    expect(readFileSync(path, 'utf8')).toMatch(/^t3\.small$/m);
    expect(staleInstanceTypeFiles(dir)).toEqual([]);
  });

  it('offers the types the shipped environments use in the regions they use', () => {
    expect(regionOfferings('eu-west-1')?.has('t3.small')).toBe(true);
    expect(instanceTypes().get('t3.small')).toEqual({ vcpus: 2, architectures: ['x86_64'] });
  });

  it('covers every region of config/aws-regions.ts but the ones named in docs/configuration.md as unchecked', () => {
    const unlisted = AWS_REGIONS.filter((r) => regionOfferings(r) === undefined);
    const docs = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');
    for (const region of unlisted) expect(docs).toMatch(new RegExp(`instance types are not checked in .*${region}`));
    expect(unlisted).toEqual(['ap-southeast-7', 'mx-central-1']);
  });
});
