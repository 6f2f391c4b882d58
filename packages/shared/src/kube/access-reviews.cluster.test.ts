import { Cluster } from '@guitars/testenv';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { GROUP, PLURAL } from '../guitar/guitar.js';
import { apiStatus } from './errors.js';
import { connect } from './index.js';

const cluster = new Cluster(inject('testenv'));
const admin = connect(cluster.adminConfig());
afterAll(() => admin.close());

describe('kube.accessReviews', () => {
  it('answers for the kubeconfig’s user, or for a bearer token’s user alone', async () => {
    const namespace = await cluster.createNamespace('kube-reviews');
    await cluster.ensureServiceAccount(namespace, 'lister');
    await cluster.grantRole(
      namespace,
      'list-guitars',
      [{ apiGroups: [GROUP], resources: [PLURAL], verbs: ['list'] }],
      { namespace, name: 'lister' },
    );
    const token = await cluster.tokenFor(namespace, 'lister');
    const list = { group: GROUP, resource: PLURAL, verb: 'list' };
    // The admin may do anything; the token's user only what its Role allows.
    expect(await admin.accessReviews.allowed(list)).toBe(true);
    expect(await admin.accessReviews.allowed({ ...list, namespace }, { bearerToken: token })).toBe(true);
    expect(await admin.accessReviews.allowed(list, { bearerToken: token })).toBe(false);
    expect(
      await admin.accessReviews.allowed({ ...list, verb: 'delete', namespace }, { bearerToken: token }),
    ).toBe(false);
    const expired = await admin.accessReviews
      .allowed(list, { bearerToken: 'not-a-token' })
      .catch((err: unknown) => err);
    expect(apiStatus(expired)).toBe(401);
  });

  it('says who the kubeconfig’s user is (SelfSubjectReview)', async () => {
    const namespace = await cluster.createNamespace('kube-reviews');
    await cluster.ensureServiceAccount(namespace, 'app');
    const kube = connect((await cluster.kubeconfigFor(namespace, 'app')).kc);
    try {
      expect(await kube.accessReviews.username()).toBe(`system:serviceaccount:${namespace}:app`);
    } finally {
      kube.close();
    }
    expect(await admin.accessReviews.username()).toBe('admin');
  });
});
