import { describe, expect, it } from 'vitest';
import { FairShare } from './fair-share.js';

describe('FairShare', () => {
  it('refuses a client past its own limit, and lets others in', () => {
    const share = new FairShare<string>(10);
    expect(share.admit('a', 'a1', 2)).toEqual({ admitted: true });
    expect(share.admit('a', 'a2', 2)).toEqual({ admitted: true });
    expect(share.admit('a', 'a3', 2)).toEqual({ admitted: false, limit: 'client' });
    expect(share.admit('b', 'b1', 2)).toEqual({ admitted: true });
    share.release('a', 'a1');
    expect(share.admit('a', 'a3', 2)).toEqual({ admitted: true });
    expect(share.size).toBe(3);
  });

  it('when full, gives a newcomer the newest place of the busiest client, never refusing everyone', () => {
    const share = new FairShare<string>(6);
    for (const key of ['a', 'b', 'c']) for (const n of [1, 2]) share.admit(key, `${key}${n}`, 5);
    expect(share.admit('a', 'a3', 5)).toEqual({ admitted: false, limit: 'total' });
    // A newcomer takes a place from one of the busiest (all hold 2 here: the first found).
    expect(share.admit('d', 'd1', 5)).toEqual({ admitted: true, evicted: 'a2' });
    expect(share.size).toBe(6);
    // a, back to 1, is refused: the busiest (b, c) would hold no more than it once admitted.
    expect(share.admit('a', 'a4', 5)).toEqual({ admitted: false, limit: 'total' });
    expect(share.admit('e', 'e1', 5)).toEqual({ admitted: true, evicted: 'b2' });
    // A release of a place already taken back changes nothing.
    share.release('a', 'a2');
    expect(share.size).toBe(6);
  });

  it('with one place per client, refuses newcomers once every place is taken', () => {
    const share = new FairShare<string>(2);
    share.admit('a', 'a1', 5);
    share.admit('b', 'b1', 5);
    expect(share.admit('c', 'c1', 5)).toEqual({ admitted: false, limit: 'total' });
  });
});
