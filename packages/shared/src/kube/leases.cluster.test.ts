import { Cluster } from '@guitars/testenv';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { apiMessage, apiStatus } from './errors.js';
import { connect } from './index.js';
import type { Lease } from './leases.js';
import { InvalidNameError } from './names.js';

const cluster = new Cluster(inject('testenv'));
const kube = connect(cluster.adminConfig());
afterAll(() => kube.close());

describe('kube.leases', () => {
  it('creates, gets and updates a lease; a stale update is refused with 409', async () => {
    const namespace = await cluster.createNamespace('kube-leases');
    const lease = (resourceVersion: string | undefined, holderIdentity: string): Lease => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'door', namespace, resourceVersion },
      spec: { holderIdentity, leaseDurationSeconds: 15, renewTime: '2026-01-02T03:04:05.123456Z' },
    });
    const created = await kube.leases.create(namespace, lease(undefined, 'one'));
    // MicroTime survives as written: 6 fractional digits.
    expect(created.spec?.renewTime).toBe('2026-01-02T03:04:05.123456Z');
    expect((await kube.leases.get(namespace, 'door')).spec?.holderIdentity).toBe('one');

    const updated = await kube.leases.update(
      namespace,
      'door',
      lease(created.metadata?.resourceVersion, 'two'),
    );
    expect(
      await cluster.kubectlOk([
        'get',
        'lease',
        'door',
        '-n',
        namespace,
        '-o',
        'jsonpath={.spec.holderIdentity}',
      ]),
    ).toBe('two');
    const stale = await kube.leases
      .update(namespace, 'door', lease(created.metadata?.resourceVersion, 'three'))
      .catch((err: unknown) => err);
    expect(apiStatus(stale)).toBe(409);
    expect(apiMessage(stale)).toMatch(/the object has been modified/);
    expect((await kube.leases.get(namespace, 'door')).metadata?.resourceVersion).toBe(
      updated.metadata?.resourceVersion,
    );
    const missing = await kube.leases.get(namespace, 'none').catch((err: unknown) => err);
    expect(apiStatus(missing)).toBe(404);
    await expect(kube.leases.get(namespace, '../x')).rejects.toThrow(InvalidNameError);
  });
});
