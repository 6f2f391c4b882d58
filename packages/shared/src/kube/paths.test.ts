import { describe, expect, it } from 'vitest';
import { InvalidNameError } from './names.js';
import {
  clusterResourcePath,
  crdPath,
  eventPath,
  guitarPath,
  leasePath,
  resourcePath,
  SELF_SUBJECT_ACCESS_REVIEWS_PATH,
  SELF_SUBJECT_REVIEWS_PATH,
} from './paths.js';

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
    expect(() => clusterResourcePath('/apis/g/v1', 'things', name)).toThrow(InvalidNameError);
    expect(() => guitarPath('shop', name)).toThrow(InvalidNameError);
    expect(() => eventPath('shop', name)).toThrow(InvalidNameError);
    expect(() => leasePath('shop', name)).toThrow(InvalidNameError);
    expect(() => crdPath(name)).toThrow(InvalidNameError);
  });

  it.each([...hostile, 'a.b', 'x'.repeat(64)])('refuses the namespace %j', (namespace) => {
    expect(() => resourcePath('/apis/g/v1', 'guitars', namespace)).toThrow(InvalidNameError);
    expect(() => resourcePath('/apis/g/v1', 'guitars', namespace, 'strat')).toThrow(/not a valid namespace/);
    expect(() => guitarPath(namespace)).toThrow(InvalidNameError);
    expect(() => eventPath(namespace)).toThrow(InvalidNameError);
    expect(() => leasePath(namespace, 'x')).toThrow(InvalidNameError);
  });
});

describe('the paths the apps use', () => {
  it('address guitars, events, leases, the CRD and the reviews', () => {
    expect(guitarPath()).toBe('/apis/kool.karmalabs.local/v1/guitars');
    expect(guitarPath('shop')).toBe('/apis/kool.karmalabs.local/v1/namespaces/shop/guitars');
    expect(guitarPath('shop', 'strat')).toBe('/apis/kool.karmalabs.local/v1/namespaces/shop/guitars/strat');
    expect(() => guitarPath('a/b', 'strat')).toThrow(InvalidNameError);
    expect(() => guitarPath('shop', '.')).toThrow(InvalidNameError);
    expect(eventPath('shop', 'strat.1')).toBe('/api/v1/namespaces/shop/events/strat.1');
    expect(leasePath('shop', 'guitars-controller')).toBe(
      '/apis/coordination.k8s.io/v1/namespaces/shop/leases/guitars-controller',
    );
    expect(crdPath()).toBe('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    expect(crdPath('guitars.kool.karmalabs.local')).toBe(
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/guitars.kool.karmalabs.local',
    );
    expect(SELF_SUBJECT_ACCESS_REVIEWS_PATH).toBe('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect(SELF_SUBJECT_REVIEWS_PATH).toBe('/apis/authentication.k8s.io/v1/selfsubjectreviews');
  });
});
