// The throughput bench's arithmetic: the order servers are measured in, and the median it reports.
import { describe, expect, it } from 'vitest';
import { median, roundOrder } from '../../bench/webapp-throughput';

describe('bench:webapp', () => {
  it('rotates the order from round to round, so each server takes each place in turn', () => {
    // GIVEN three servers WHEN three rounds are ordered THEN each stands first, second and third once
    const orders = [0, 1, 2].map((round) => roundOrder(['bare', 'settings', 'webapp'], round));
    expect(orders).toEqual([
      ['bare', 'settings', 'webapp'],
      ['settings', 'webapp', 'bare'],
      ['webapp', 'bare', 'settings'],
    ]);
  });

  it.each([
    [[0.9, 0.8, 0.95], 0.9],
    [[0.76, 0.8, 0.87, 0.87, 0.92, 0.92, 0.92, 0.95], 0.895],
  ])('takes the median of %j as %d (the mean of the middle two for an even count)', (ratios, want) => {
    expect(median(ratios)).toBeCloseTo(want, 10);
  });
});
