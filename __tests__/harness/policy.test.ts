import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySkips, formatReport, loadSkips, reportSection, summarize, type Finding, type Skip } from '../../harness/policy';

const finding = (stack: string, checkId: string, resource: string, result: Finding['result'] = 'failed'): Finding => ({
  stack,
  checkId,
  checkName: 'a check',
  resource,
  result,
});

function skipsFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'skips-')), 'skips.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('loadSkips', () => {
  it('reads the project waiver file, every entry with a reason', () => {
    const skips = loadSkips();
    expect(skips.length).toBeGreaterThan(0);
    expect(skips.every((s) => s.reason.length >= 20)).toBe(true);
  });

  it.each([
    [{ skips: [{ id: 'CKV_AWS_18' }] }, /skips\.0\.reason: Required/],
    [{ skips: [{ id: 'CKV_AWS_18', reason: 'because' }] }, /skips\.0\.reason: needs a one-line reason/],
    [{ skips: [{ id: 'S3_LOGGING', reason: 'a reason that is long enough to read' }] }, /skips\.0\.id: must be a checkov check id/],
    [{ skips: [{ id: 'CKV_AWS_18', reason: 'a reason that is long enough to read', stack: ['x'] }] }, /Unrecognized key/],
  ])('refuses %j', (content, error) => {
    expect(() => loadSkips(skipsFile(content))).toThrow(error);
  });
});

describe('applySkips', () => {
  const skip: Skip = { id: 'CKV_AWS_139', reason: 'dev databases are disposable', stacks: ['*-dev'], resources: ['aws_rds_cluster.db_*'] };

  it.each([
    ['cachet-dev', 'CKV_AWS_139', 'aws_rds_cluster.db_1', 'skipped'],
    ['cachet-prod', 'CKV_AWS_139', 'aws_rds_cluster.db_1', 'failed'],
    ['cachet-dev', 'CKV_AWS_139', 'aws_rds_cluster.other_1', 'failed'],
    ['cachet-dev', 'CKV_AWS_18', 'aws_rds_cluster.db_1', 'failed'],
  ])('%s %s %s is %s', (stack, id, resource, expected) => {
    const { findings } = applySkips([finding(stack, id, resource)], [skip]);
    expect(findings[0].result).toBe(expected);
  });

  it.each([
    ['euc1', false, 'skipped'],
    ['live', true, 'failed'],
  ])('applies a production: false waiver by the environment, not its name: cachet-%s (production %s) is %s', (env, production, expected) => {
    const nonProduction: Skip = { id: 'CKV_AWS_139', reason: 'outside production the database is disposable', production: false };
    const { findings } = applySkips([finding(`cachet-${env}`, 'CKV_AWS_139', 'aws_rds_cluster.db_1')], [nonProduction], () => production);
    expect(findings[0].result).toBe(expected);
  });

  it('treats every stack as production unless told, so a production: false waiver covers nothing by default', () => {
    const nonProduction: Skip = { id: 'CKV_AWS_139', reason: 'outside production the database is disposable', production: false };
    expect(applySkips([finding('cachet-dev', 'CKV_AWS_139', 'aws_rds_cluster.db_1')], [nonProduction]).findings[0].result).toBe('failed');
  });

  it('carries the waiver reason onto the finding', () => {
    const { findings } = applySkips([finding('cachet-dev', 'CKV_AWS_139', 'aws_rds_cluster.db_1')], [skip]);
    expect(findings[0].reason).toBe('dev databases are disposable');
  });

  it('never turns a passed check into a skipped one, and reports waivers that matched nothing', () => {
    const { findings, unused } = applySkips([finding('cachet-dev', 'CKV_AWS_139', 'aws_rds_cluster.db_1', 'passed')], [skip]);
    expect(findings[0].result).toBe('passed');
    expect(unused).toEqual([skip]);
  });
});

describe('report', () => {
  const findings = [
    finding('a', 'CKV_AWS_1', 'r1', 'passed'),
    finding('a', 'CKV_AWS_2', 'r2', 'failed'),
    { ...finding('b', 'CKV_AWS_3', 'r3', 'skipped'), reason: 'reviewed reason' },
  ];

  it('counts passed, failed and skipped per stack', () => {
    expect(summarize(findings)).toEqual({ a: { passed: 1, failed: 1, skipped: 0 }, b: { passed: 0, failed: 0, skipped: 1 } });
  });

  it('lists failed and skipped findings with the reason for skips', () => {
    const report = formatReport(findings);
    expect(report).toContain('| a | CKV_AWS_2 | r2 | failed | a check |');
    expect(report).toContain('| b | CKV_AWS_3 | r3 | skipped | reviewed reason |');
    expect(report).not.toContain('CKV_AWS_1 |');
  });
});

describe('the pull request section', () => {
  it('heads with the count of unwaived failures and lists each, then counts per stack', () => {
    // GIVEN one failure, one waived finding and one pass
    const findings = [
      finding('web-dev', 'CKV_AWS_18', 'aws_s3_bucket.b', 'failed'),
      { ...finding('web-dev', 'CKV_AWS_144', 'aws_s3_bucket.b', 'skipped'), reason: 'a reason' },
      finding('cachet-dev', 'CKV_AWS_1', 'aws_vpc.v', 'passed'),
    ];
    // WHEN
    const section = reportSection(findings);
    // THEN
    expect(section.split('\n').slice(0, 5)).toEqual([
      "## checkov: 1 unwaived failure (the pipeline's Plan action refuses the change)",
      '',
      '| stack | check | resource | what it checks |',
      '|---|---|---|---|',
      '| web-dev | CKV_AWS_18 | aws_s3_bucket.b | a check |',
    ]);
    expect(section).toContain('| cachet-dev | 1 | 0 | 0 |\n| web-dev | 0 | 1 | 1 |');
    expect(section).not.toContain('a reason');
  });

  it('says so when nothing fails', () => {
    expect(reportSection([finding('web-dev', 'CKV_AWS_1', 'aws_vpc.v', 'passed')])).toMatch(/^## checkov: no unwaived failure\n\n\| stack \| passed/);
  });
});
