import { describe, expect, it } from 'vitest';
import { guitarKey, guitarProblem, isGuitar, splitKey } from './guitar.js';

const meta = { name: 'strat', namespace: 'music' };

describe('guitarProblem', () => {
  it('accepts the original sample and a reviewed guitar', () => {
    expect(guitarProblem({ metadata: meta, spec: { brand: 'fender', review: false } } as never)).toBeNull();
    expect(
      isGuitar({ metadata: meta, spec: { brand: 'fender', review: true, comment: 'ok' } } as never),
    ).toBe(true);
  });

  it.each([
    [{ metadata: meta }, 'spec is missing'],
    [{ metadata: meta, spec: 'x' }, 'spec is a string, not an object'],
    [{ metadata: meta, spec: [] }, 'spec is an array, not an object'],
    [{ metadata: meta, spec: {} }, 'spec.brand is missing, not a string'],
    [{ metadata: meta, spec: { brand: 7 } }, 'spec.brand is a number, not a string'],
    [{ metadata: meta, spec: { brand: 'x', review: 'yes' } }, 'spec.review is a string, not a boolean'],
    [{ metadata: meta, spec: { brand: 'x', comment: null } }, 'spec.comment is null, not a string'],
    [{ metadata: { name: 'a' }, spec: { brand: 'x' } }, 'metadata.name or metadata.namespace is missing'],
  ])('names what is wrong with %j', (obj, problem) => {
    expect(guitarProblem(obj as never)).toBe(problem);
    expect(isGuitar(obj as never)).toBe(false);
  });
});

describe('keys', () => {
  it('round-trip namespace/name', () => {
    const key = guitarKey({ metadata: meta });
    expect(key).toBe('music/strat');
    expect(splitKey(key)).toEqual(meta);
  });
});
