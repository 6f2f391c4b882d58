import { describe, expect, it } from 'vitest';
import { resourcePath } from './resource-path.js';

describe('resourcePath', () => {
  it('names all namespaces, one namespace, or one object, escaping namespace and name', () => {
    expect(resourcePath('/api/v1', 'events')).toBe('/api/v1/events');
    expect(resourcePath('/api/v1', 'events', 'shop')).toBe('/api/v1/namespaces/shop/events');
    expect(resourcePath('/apis/coordination.k8s.io/v1', 'leases', 'shop', 'a/b c')).toBe(
      '/apis/coordination.k8s.io/v1/namespaces/shop/leases/a%2Fb%20c',
    );
  });
});
