import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliConfigText, findProviderMirror, pinnedAwsProviderVersion } from '../../harness/terraform-mirror';

const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;

describe('terraform-mirror', () => {
  it('reads the provider version the bindings were generated for', () => {
    expect(pinnedAwsProviderVersion()).toBe('5.100.0');
  });

  it('prefers the directory named by TF_PROVIDER_MIRROR when it holds the pinned provider', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirror-'));
    mkdirSync(join(dir, 'registry.terraform.io/hashicorp/aws/5.100.0', platform), { recursive: true });
    expect(findProviderMirror('5.100.0', { TF_PROVIDER_MIRROR: dir })).toBe(dir);
  });

  it.each([
    ['a mirror without the pinned version', 'registry.terraform.io/hashicorp/aws/5.99.0'],
    ['a directory that is no mirror', 'something/else'],
  ])('refuses TF_PROVIDER_MIRROR naming %s, naming the variable and the fix (never passing over it)', (_label, inside) => {
    const dir = mkdtempSync(join(tmpdir(), 'mirror-'));
    mkdirSync(join(dir, inside, platform), { recursive: true });
    expect(() => findProviderMirror('5.100.0', { TF_PROVIDER_MIRROR: dir })).toThrow(
      new RegExp(
        `TF_PROVIDER_MIRROR is "${dir}", which holds no registry\\.terraform\\.io/hashicorp/aws/5\\.100\\.0/${platform}; point it at a filesystem mirror`,
      ),
    );
  });

  it('searches the usual places when TF_PROVIDER_MIRROR is unset or empty', () => {
    expect(findProviderMirror('5.100.0', {})).toBe(findProviderMirror('5.100.0', { TF_PROVIDER_MIRROR: '' }));
  });

  it('installs hashicorp/aws from the mirror and everything else directly', () => {
    const text = cliConfigText('/opt/mirror');
    expect(text).toMatch(/filesystem_mirror \{\n\s+path\s+= "\/opt\/mirror"\n\s+include = \["registry\.terraform\.io\/hashicorp\/aws"\]/);
    expect(text).toMatch(/direct \{\n\s+exclude = \["registry\.terraform\.io\/hashicorp\/aws"\]/);
  });
});
