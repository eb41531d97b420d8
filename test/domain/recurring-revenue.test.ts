import { describe, expect, it } from 'vitest';
import { majorUnits, monthlyAmount, mrrOf } from '../../lambdas/domain/recurring-revenue.js';

describe('monthly normalization', () => {
  it.each([
    ['a yearly price', 1200, 'year', 1, 100],
    ['a monthly price', 50, 'month', 1, 50],
    ['a quarterly price (every 3 months)', 300, 'month', 3, 100],
    ['a weekly price', 12, 'week', 1, 52],
    ['a fortnightly price', 12, 'week', 2, 26],
    ['a daily price', 12, 'day', 1, 365],
    ['a price every 2 years', 2400, 'year', 2, 100],
  ] as const)('brings %s to a month', (_, amount, interval, count, expected) => {
    expect(monthlyAmount(amount, interval, count)).toBeCloseTo(expected, 10);
  });

  it('sums several lines and rounds to four decimal places', () => {
    const mrr = mrrOf([
      { amount: 100, interval: 'year', intervalCount: 1 },
      { amount: 10, interval: 'week', intervalCount: 1 },
      { amount: 20, interval: 'month', intervalCount: 1 },
    ]);
    // 8.33333… + 43.33333… + 20
    expect(mrr).toBe(71.6667);
  });

  it('converts minor to major units by the number of decimals', () => {
    expect([majorUnits(1999, 2), majorUnits(1999, 0), majorUnits(1999, 3)]).toEqual([19.99, 1999, 1.999]);
  });
});
