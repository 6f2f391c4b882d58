import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { guitar } from '../test-support/fake-cache.js';
import { rowFromObject } from './guitar-row.js';

describe('rowFromObject', () => {
  it('reads a reviewed guitar', () => {
    expect(
      rowFromObject(
        guitar('music', 'strat', { brand: 'fender', review: true, comment: 'great' }, '2026-03-04T05:06:07Z'),
      ),
    ).toEqual({
      namespace: 'music',
      name: 'strat',
      brand: 'fender',
      reviewed: true,
      comment: 'great',
      created: Date.parse('2026-03-04T05:06:07Z'),
      problem: undefined,
      uid: undefined,
      resourceVersion: undefined,
    });
  });

  it('keeps which object and which version of it a row shows', () => {
    const obj = guitar('music', 'strat', { brand: 'fender' });
    obj.metadata = { ...obj.metadata, uid: 'u-1', resourceVersion: '42' };
    expect(rowFromObject(obj)).toMatchObject({ uid: 'u-1', resourceVersion: '42' });
  });

  it('treats a missing or empty comment as awaiting review, and anything but true as not reviewed', () => {
    expect(rowFromObject(guitar('a', 'b', { brand: 'x', comment: '' }))).toMatchObject({
      reviewed: false,
      comment: undefined,
    });
    expect(rowFromObject(guitar('a', 'b', { brand: 'x', review: 'yes' }))).toMatchObject({ reviewed: false });
  });

  it('reads objects that predate the schema without throwing', () => {
    expect(rowFromObject(guitar('a', 'b', undefined))).toMatchObject({
      brand: '',
      problem: 'spec is missing',
    });
    expect(
      rowFromObject({ ...guitar('a', 'b', undefined), spec: 'fender' } as KubernetesObject),
    ).toMatchObject({
      brand: '',
      problem: 'spec is a string, not an object',
    });
    expect(
      rowFromObject({
        metadata: { name: 'b', namespace: 'a', creationTimestamp: 'garbage' },
      } as unknown as KubernetesObject),
    ).toMatchObject({ created: undefined });
  });

  it('skips objects without a name or namespace', () => {
    expect(rowFromObject({ metadata: { name: 'b' } })).toBeUndefined();
    expect(rowFromObject({})).toBeUndefined();
  });
});
