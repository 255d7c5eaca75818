// The lock file installs anywhere (`npm ci` on any platform): every optional dependency a package
// declares, the platform builds of esbuild and rollup among them, is recorded, so no platform
// resolves it anew; and the lock's root matches package.json, so `npm install` leaves it unchanged.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../project';

type LockEntry = { optionalDependencies?: Record<string, string>; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

const lock: { packages: Record<string, LockEntry> } = JSON.parse(readFileSync(projectPath('package-lock.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8'));

/** Where npm would look for `dep` of the package at `path`: its own node_modules, then each parent's. */
function resolves(packages: Record<string, LockEntry>, path: string, dep: string): boolean {
  for (let at = path; ; at = at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '') {
    if (packages[`${at ? `${at}/` : ''}node_modules/${dep}`]) return true;
    if (!at) return false;
  }
}

/** Optional dependencies a package declares that the lock does not record. */
function unrecorded(packages: Record<string, LockEntry>): string[] {
  return Object.entries(packages).flatMap(([path, entry]) =>
    Object.keys(entry.optionalDependencies ?? {})
      .filter((dep) => !resolves(packages, path, dep))
      .map((dep) => `${path || '(root)'} -> ${dep}`),
  );
}

describe('package-lock.json', () => {
  it('records every optional dependency of every package, for every platform', () => {
    expect(Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/@rollup/rollup-')).length).toBeGreaterThan(10);
    expect(unrecorded(lock.packages)).toEqual([]);
  });

  it('finds an unrecorded one (the check could fail)', () => {
    const without = Object.fromEntries(Object.entries(lock.packages).filter(([p]) => p !== 'node_modules/@rollup/rollup-darwin-arm64'));
    expect(unrecorded(without)).toContain('node_modules/rollup -> @rollup/rollup-darwin-arm64');
  });

  it('has the dependencies of package.json at its root, pinned alike', () => {
    const root = lock.packages[''];
    expect(root.dependencies ?? {}).toEqual(pkg.dependencies ?? {});
    expect(root.devDependencies ?? {}).toEqual(pkg.devDependencies ?? {});
  });
});
