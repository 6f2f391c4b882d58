import { connect, type Kube } from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, grantGuitars, prepareCluster } from '../test-support/ui.js';
import { UserNamespaces } from './user-namespaces.js';

const cluster = new Cluster(inject('testenv'));

describe('UserNamespaces', () => {
  let kube: Kube;
  let nsA: string;
  let nsB: string;
  let token: string;
  let other: string;

  const grantList = (ns: string, sa: string) =>
    grantGuitars(cluster, {
      namespace: ns,
      name: `guitar-lister-${sa}`,
      verbs: ['list'],
      serviceAccount: { namespace: ns, name: sa },
    });
  /** Deletes the binding and waits until the apiserver's RBAC (a fresh, uncached ask) shows it. */
  const revoke = async (ns: string, sa: string, saToken: string) => {
    await cluster.kubectlOk(['delete', 'rolebinding', `guitar-lister-${sa}`, '-n', ns]);
    await eventually(
      'the revocation to reach RBAC',
      async () => !(await new UserNamespaces(kube.accessReviews).mayList(saToken, ns)),
    );
  };

  beforeAll(async () => {
    await prepareCluster(cluster);
    nsA = await cluster.createNamespace('users-a');
    nsB = await cluster.createNamespace('users-b');
    await cluster.ensureServiceAccount(nsA, 'carol');
    await cluster.ensureServiceAccount(nsA, 'dave');
    token = await cluster.tokenFor(nsA, 'carol');
    other = await cluster.tokenFor(nsA, 'dave');
    // The UI's own client: an admin here, to show the answers are the user's, not the client's.
    kube = connect(cluster.adminConfig());
  });
  afterAll(() => kube.close());

  it("answers with the namespaces where the token's user may list guitars, and keeps the answer for its TTL", async () => {
    await grantList(nsA, 'carol');
    let now = 0;
    const users = new UserNamespaces(kube.accessReviews, { ttlMs: 30_000, clock: () => now });
    expect(await users.visible(token, [nsA, nsB])).toEqual({ all: false, namespaces: new Set([nsA]) });
    await revoke(nsA, 'carol', token);
    // Within the TTL the kept answer serves; after it, RBAC is asked again.
    now = 29_000;
    expect(await users.visible(token, [nsA, nsB])).toEqual({ all: false, namespaces: new Set([nsA]) });
    now = 30_000;
    expect(await users.visible(token, [nsA, nsB])).toEqual({ all: false, namespaces: new Set() });
  });

  it('forgets the least recently seen user past maxUsers', async () => {
    await grantList(nsA, 'carol');
    const users = new UserNamespaces(kube.accessReviews, { maxUsers: 1 });
    expect((await users.visible(token, [nsA])).all === false).toBe(true);
    expect(await users.visible(token, [nsA])).toEqual({ all: false, namespaces: new Set([nsA]) });
    await revoke(nsA, 'carol', token);
    // Dave's answer takes the only place, so Carol's is asked again: her right is gone.
    expect(await users.visible(other, [nsA])).toEqual({ all: false, namespaces: new Set() });
    expect(await users.visible(token, [nsA])).toEqual({ all: false, namespaces: new Set() });
  });

  it('says a token the apiserver does not accept has expired (401)', async () => {
    const users = new UserNamespaces(kube.accessReviews);
    await expect(users.visible('not-a-token', [nsA])).rejects.toMatchObject({ status: 401 });
  });
});
