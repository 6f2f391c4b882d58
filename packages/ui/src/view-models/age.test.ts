import { describe, expect, it } from 'vitest';
import { age, humanDuration } from './age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;
const y = 365 * d;

describe('humanDuration, as kubectl shows ages', () => {
  it.each([
    [-5 * s, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [2 * h + 59 * m, '179m'],
    [7 * h + 5 * m, '7h5m'],
    [8 * h + 5 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [4 * d + 7 * h, '4d7h'],
    [8 * d + 7 * h, '8d'],
    [729 * d, '729d'],
    [2 * y + 20 * d, '2y20d'],
    [3 * y, '3y'],
    [8 * y + 20 * d, '8y'],
  ])('%i ms → %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });

  it('is empty for an unknown creation time', () => {
    expect(age(undefined, Date.now())).toBe('');
    expect(age(1_000, 6_000)).toBe('5s');
  });
});
