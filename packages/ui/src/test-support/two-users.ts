import type { Cluster } from '@guitars/testenv';
import type { Logger } from 'pino';
import type { UiApp } from '../start.js';
import { type SignInProxy, startSignInProxy } from './sign-in-proxy.js';
import {
  createGuitar,
  grantGuitars,
  guitarNames,
  prepareCluster,
  startTestUi,
  TestClient,
  uiServiceAccountConfig,
} from './ui.js';

type Seed = Array<[name: string, spec: Record<string, unknown>]>;

export interface TwoUsersOptions {
  /** Namespaces are `<prefix>-a`, `<prefix>-b` and `<prefix>-other` (with testenv's suffix). */
  prefix: string;
  /** Guitars created as the admin before the UI starts, per namespace. */
  seed: { a: Seed; b: Seed; other: Seed };
  /** UI environment beyond UI_AUTH=proxy from 127.0.0.1. */
  env?: Record<string, string>;
  logger?: Logger;
}

export interface TwoUsers {
  ui: UiApp;
  ns: { a: string; b: string; other: string };
  /** Alice may get, list, watch, create and delete guitars in `a`; Bob may only list them in `b`. */
  alice: TestClient;
  bob: TestClient;
  aliceProxy: SignInProxy;
  bobProxy: SignInProxy;
  aliceName: string;
  bobName: string;
  aliceToken: string;
  /** Every guitar in the three namespaces, read as the admin: to assert nothing changed. */
  everything(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The UI under UI_AUTH=proxy as the guitars-ui ServiceAccount (which may do everything everywhere),
 * and two users reaching it through the stand-in proxy, their ServiceAccount tokens standing in
 * for OpenShift users: so every refusal a test sees is the user's RBAC, not the UI's.
 */
export async function startTwoUsers(cluster: Cluster, options: TwoUsersOptions): Promise<TwoUsers> {
  await prepareCluster(cluster);
  const admin = cluster.adminConfig();
  const uiKc = await uiServiceAccountConfig(cluster);
  const ns = {
    a: await cluster.createNamespace(`${options.prefix}-a`),
    b: await cluster.createNamespace(`${options.prefix}-b`),
    other: await cluster.createNamespace(`${options.prefix}-other`),
  };
  await cluster.ensureServiceAccount(ns.a, 'alice');
  await cluster.ensureServiceAccount(ns.b, 'bob');
  await grantGuitars(cluster, {
    namespace: ns.a,
    name: 'guitar-manager',
    verbs: ['get', 'list', 'watch', 'create', 'delete'],
    serviceAccount: { namespace: ns.a, name: 'alice' },
  });
  await grantGuitars(cluster, {
    namespace: ns.b,
    name: 'guitar-viewer',
    verbs: ['list'],
    serviceAccount: { namespace: ns.b, name: 'bob' },
  });
  for (const key of ['a', 'b', 'other'] as const)
    for (const [name, spec] of options.seed[key]) await createGuitar(admin, ns[key], name, spec);

  const ui = await startTestUi(uiKc, {
    env: { UI_AUTH: 'proxy', UI_AUTH_PROXY_ADDRESSES: '127.0.0.1', ...options.env },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const seeded = Object.entries(options.seed).flatMap(([key, guitars]) =>
    guitars.map(([name]) => [ns[key as keyof typeof ns], name] as const),
  );
  await ui.store.waitUntil(() => seeded.every(([n, name]) => ui.store.get(n, name) !== undefined), 10_000);

  const aliceName = `system:serviceaccount:${ns.a}:alice`;
  const bobName = `system:serviceaccount:${ns.b}:bob`;
  const aliceToken = await cluster.tokenFor(ns.a, 'alice');
  const aliceProxy = await startSignInProxy(ui.url, {
    name: aliceName,
    token: aliceToken,
    email: 'alice@example.test',
  });
  const bobProxy = await startSignInProxy(ui.url, {
    name: bobName,
    token: await cluster.tokenFor(ns.b, 'bob'),
  });
  return {
    ui,
    ns,
    alice: new TestClient(aliceProxy.url),
    bob: new TestClient(bobProxy.url),
    aliceProxy,
    bobProxy,
    aliceName,
    bobName,
    aliceToken,
    everything: async () =>
      (await Promise.all(Object.values(ns).map((n) => guitarNames(admin, n)))).flat().join(','),
    close: async () => {
      await aliceProxy.close();
      await bobProxy.close();
      await ui.stop();
    },
  };
}
