import { describe, expect, it } from 'vitest';
import { extent, median, quantile, round } from './stats.js';

describe('quantile', () => {
  it('interpolates between ranks and ignores input order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.99)).toBeCloseTo(49.6);
    expect(quantile([5], 0.99)).toBe(5);
  });

  it('is NaN for no values', () => {
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('round', () => {
  it('keeps three significant digits', () => {
    expect(round(1234.5678)).toBe(1235);
    expect(round(12.3456)).toBe(12.3);
    expect(round(0.012345)).toBe(0.0123);
  });
});

describe('extent', () => {
  it('finds the smallest and largest of more values than fit as arguments', () => {
    const values = Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 300_000);
    expect(() => Math.max(...values)).toThrow(RangeError);
    expect(extent(values)).toEqual({ min: 0, max: 299_999 });
  });

  it('is +Infinity..-Infinity for no values', () => {
    expect(extent([])).toEqual({ min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY });
  });
});
