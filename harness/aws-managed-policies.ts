// AWS's catalogue of managed policies, as moto publishes it (moto/iam/aws_managed_policies.py in the
// pinned moto of requirements-dev.txt, generated from AWS's own listing with each policy's path).
// The stacks' managed policy ARNs are checked against it: a wrong path names no policy, and the
// attachment fails at apply in every account.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SITE_PACKAGES_PARENT = resolve(__dirname, '..', '.venv', 'lib');

function catalogueFile(): string {
  const pythons = existsSync(SITE_PACKAGES_PARENT) ? readdirSync(SITE_PACKAGES_PARENT).filter((d) => d.startsWith('python')) : [];
  if (pythons.length !== 1) {
    throw new Error(`No single .venv/lib/python*/ (found ${pythons.length}): run tools/setup-python.sh (npm test runs it first) to install moto`);
  }
  return join(SITE_PACKAGES_PARENT, pythons[0], 'site-packages', 'moto', 'iam', 'aws_managed_policies.py');
}

/** Every AWS managed policy's ARN (`arn:aws:iam::aws:policy<path><name>`). */
export function awsManagedPolicyArns(file = catalogueFile()): Set<string> {
  return new Set(awsManagedPolicies(file).keys());
}

/** Every AWS managed policy's default version's document, by ARN. */
export function awsManagedPolicies(file = catalogueFile()): Map<string, unknown> {
  const source = readFileSync(file, 'utf8');
  const data = /aws_managed_policies_data = """([\s\S]*)"""/.exec(source)?.[1];
  if (!data) throw new Error(`${file}: no aws_managed_policies_data block; has moto's layout changed?`);
  const policies: Record<string, { Path?: string; Document?: unknown }> = JSON.parse(data);
  return new Map(
    Object.entries(policies).map(([name, p]) => {
      if (!p.Path?.startsWith('/') || !p.Path.endsWith('/')) throw new Error(`${file}: policy ${name} has path ${JSON.stringify(p.Path)}`);
      return [`arn:aws:iam::aws:policy${p.Path}${name}`, p.Document];
    }),
  );
}
