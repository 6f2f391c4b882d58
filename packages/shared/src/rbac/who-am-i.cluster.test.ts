import { Cluster, freePort } from '@guitars/testenv';
import { KubeConfig } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { serviceAccountOf, tokenSubject, whoAmI } from './who-am-i.js';

const cluster = new Cluster(inject('testenv'));

describe('whoAmI', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await cluster.createNamespace('whoami');
    await cluster.ensureServiceAccount(namespace, 'nobody');
  });

  it('asks the apiserver (SelfSubjectReview), which answers a ServiceAccount with no rights at all', async () => {
    const { root, env } = await cluster.inClusterRoot(namespace, 'nobody');
    const { kc } = loadKubeConfig({ env, inClusterRoot: root });
    expect(await whoAmI(kc)).toEqual({
      username: `system:serviceaccount:${namespace}:nobody`,
      source: 'SelfSubjectReview',
    });
  });

  it('names a client certificate user too', async () => {
    // The testenv admin: a certificate for user "admin" in system:masters.
    expect(await whoAmI(cluster.adminConfig())).toEqual({ username: 'admin', source: 'SelfSubjectReview' });
  });

  it("reads the token's subject when the apiserver does not answer", async () => {
    const token = await cluster.tokenFor(namespace, 'nobody');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'gone', server: `https://127.0.0.1:${await freePort()}`, skipTLSVerify: true }],
      users: [{ name: 'sa', token }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'sa' }],
      currentContext: 'gone',
    });
    expect(await whoAmI(kc)).toEqual({
      username: `system:serviceaccount:${namespace}:nobody`,
      source: 'token',
    });
  });

  it('is undefined when neither tells (no answer, a token that is not a JWT)', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'gone', server: `https://127.0.0.1:${await freePort()}`, skipTLSVerify: true }],
      users: [{ name: 'opaque', token: 'sha256~not-a-jwt' }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'opaque' }],
      currentContext: 'gone',
    });
    expect(await whoAmI(kc)).toBeUndefined();
  });
});

describe('tokenSubject and serviceAccountOf', () => {
  const jwt = (claims: unknown) =>
    `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;

  it('reads a JWT sub claim, and nothing from what is not one', () => {
    expect(tokenSubject(jwt({ sub: 'system:serviceaccount:a:b' }))).toBe('system:serviceaccount:a:b');
    expect(tokenSubject(jwt({ iss: 'x' }))).toBeUndefined();
    expect(tokenSubject(jwt({ sub: 42 }))).toBeUndefined();
    expect(tokenSubject('a.%%%.c')).toBeUndefined();
    expect(tokenSubject('opaque')).toBeUndefined();
    expect(tokenSubject(undefined)).toBeUndefined();
  });

  it('splits a ServiceAccount user name, and only that', () => {
    expect(serviceAccountOf('system:serviceaccount:guitarcenter:default')).toEqual({
      namespace: 'guitarcenter',
      name: 'default',
    });
    expect(serviceAccountOf('admin')).toBeUndefined();
    expect(serviceAccountOf('system:serviceaccount:only-one')).toBeUndefined();
    expect(serviceAccountOf('system:serviceaccounts:guitarcenter')).toBeUndefined();
  });
});
