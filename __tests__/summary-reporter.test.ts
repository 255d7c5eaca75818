import { describe, expect, it } from 'vitest';
import { closingLine, timeReport } from './summary-reporter';

describe('where the time went', () => {
  it('lists the slowest files first with their seconds and share, against the wall time', () => {
    const lines = timeReport(
      [
        ['a.test.ts', 1_000],
        ['b.test.ts', 3_000],
      ],
      2_000,
    );
    expect(lines[0]).toBe('Where the time went: 4 s in 2 files, 2 s wall (2.0 files at a time on average)');
    expect(lines.slice(1)).toEqual(['     3.0 s  75 %  b.test.ts', '     1.0 s  25 %  a.test.ts']);
  });

  it('says nothing when nothing ran', () => {
    expect(timeReport([], 10)).toEqual([]);
  });
});

describe('the closing line', () => {
  it.each([
    [[5, 0, 0, 0], 'Tests: 5 passed, 0 failed'],
    [[5, 1, 2, 0], 'Tests: 5 passed, 1 failed, 2 skipped'],
    // every test passed, and the run still failed
    [[5, 0, 0, 1], 'Tests: 5 passed, 0 failed, 1 error'],
    [[5, 0, 0, 2], 'Tests: 5 passed, 0 failed, 2 errors'],
  ] as const)('counts %j as %s', ([passed, failed, skipped, errors], line) => {
    expect(closingLine(passed, failed, skipped, errors)).toBe(line);
  });
});
