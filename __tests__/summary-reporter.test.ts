import { describe, expect, it } from 'vitest';
import { timeReport } from './summary-reporter';

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
