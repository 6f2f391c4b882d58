import { describe, expect, it } from 'vitest';
import { InvalidNameError } from './names.js';
import { resourcePath } from './resource-path.js';

describe('resourcePath', () => {
  it('names all namespaces, one namespace, or one object', () => {
    expect(resourcePath('/api/v1', 'events')).toBe('/api/v1/events');
    expect(resourcePath('/api/v1', 'events', 'shop')).toBe('/api/v1/namespaces/shop/events');
    expect(resourcePath('/apis/coordination.k8s.io/v1', 'leases', 'shop', 'les-paul.59')).toBe(
      '/apis/coordination.k8s.io/v1/namespaces/shop/leases/les-paul.59',
    );
  });

  // Each of these, sent, would address something else than one object: the collection ('.', ''),
  // the namespace or the group ('..'), another resource ('a/b', a backslash some servers read as one).
  const hostile = [
    '',
    '.',
    '..',
    '../..',
    'a/b',
    'a\\b',
    '%2e',
    '%2e%2e',
    'A',
    ' a',
    'a\u0000',
    'x'.repeat(254),
  ];

  it.each(hostile)('refuses the name %j before building a path', (name) => {
    expect(() => resourcePath('/apis/g/v1', 'guitars', 'shop', name)).toThrow(InvalidNameError);
  });

  it.each([...hostile, 'a.b', 'x'.repeat(64)])('refuses the namespace %j', (namespace) => {
    expect(() => resourcePath('/apis/g/v1', 'guitars', namespace)).toThrow(InvalidNameError);
    expect(() => resourcePath('/apis/g/v1', 'guitars', namespace, 'strat')).toThrow(/not a valid namespace/);
  });
});
