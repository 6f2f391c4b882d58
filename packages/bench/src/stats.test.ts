import { describe, expect, it } from 'vitest';
import { median, quantile, round } from './stats.js';

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
