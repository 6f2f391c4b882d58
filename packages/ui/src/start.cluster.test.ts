import { ensureGuitarCrd, loadKubeConfig } from '@guitars/shared';
import { Cluster, type ControlPlane, freePort, startControlPlane } from '@guitars/testenv';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from './config.js';
import { startUiApp, type UiApp } from './start.js';
import {
  createGuitar,
  eventually,
  grantGuitars,
  prepareCluster,
  startTestUi,
  TestClient,
} from './test-support/ui.js';

const cluster = new Cluster(inject('testenv'));

/** A client for a cluster that is not there: every call fails without an HTTP status. */
function unreachableConfig(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'gone', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'nobody', token: 'none' }],
    contexts: [{ name: 'gone', cluster: 'gone', user: 'nobody', namespace: 'guitarcenter' }],
    currentContext: 'gone',
  });
  return kc;
}

describe('when the cluster cannot be reached', () => {
  let ui: UiApp;
  let client: TestClient;

  beforeAll(async () => {
    ui = await startTestUi(unreachableConfig(await freePort()), { waitReady: false });
    client = new TestClient(ui.url);
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it('is alive but not ready', async () => {
    expect((await client.get('/healthz')).status).toBe(200);
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.text).toContain('not synced');
  });

  it('answers the API with 503 rather than an empty list', async () => {
    const list = await client.json('GET', '/api/guitars');
    expect(list.status).toBe(503);
    expect(list.headers.get('retry-after')).toBe('5');
    expect(((await list.json()) as { message: string }).message).toContain('not in sync');
  });

  it('answers writes with 503', async () => {
    expect((await client.json('POST', '/api/guitars', { name: 'strat', brand: 'fender' })).status).toBe(503);
    expect((await client.json('DELETE', '/api/guitars/guitarcenter/strat')).status).toBe(503);
    const form = await client.submit('/guitars/new', '/guitars', { name: 'strat', brand: 'fender' });
    expect(form.status).toBe(503);
    const html = await form.text();
    expect(html).toContain('cannot be reached');
    expect(html).toContain('name="name" value="strat"');
  });

  it('shows the list page with a banner saying the list is not in sync', async () => {
    const { status, text } = await client.get('/');
    expect(status).toBe(200);
    expect(text).toContain('Not in sync with the cluster.');
    expect(text).toContain('No guitars to show yet.');
  });
});

describe('when the apiserver goes away and comes back', () => {
  let plane: ControlPlane;
  let ui: UiApp;

  beforeAll(async () => {
    plane = await startControlPlane({ log: () => {} });
    await ensureGuitarCrd(plane.adminConfig());
    ui = await startTestUi(plane.adminConfig());
  }, 120_000);

  afterAll(async () => {
    await ui?.stop();
    await plane?.stop();
  });

  it('turns unready with 503s while it is down, and recovers by itself', async () => {
    const client = new TestClient(ui.url);
    expect((await client.get('/readyz')).status).toBe(200);

    await plane.killApiserver();
    await eventually('the UI to notice', async () => (await client.get('/readyz')).status === 503, 30_000);
    expect((await client.json('GET', '/api/guitars')).status).toBe(503);
    expect(
      (await client.json('POST', '/api/guitars', { name: 'strat', brand: 'fender', namespace: 'default' }))
        .status,
    ).toBe(503);
    expect((await client.get('/')).text).toContain('Not in sync with the cluster.');

    await plane.startApiserver();
    await eventually('the UI to resync', async () => (await client.get('/readyz')).status === 200, 30_000);
    const created = await client.json('POST', '/api/guitars', {
      name: 'strat',
      brand: 'fender',
      namespace: 'default',
    });
    expect(created.status).toBe(201);
    expect((await client.get('/?namespace=default')).text).toContain('data-key="default/strat"');
  });
});

describe('with RBAC for its own namespace only', () => {
  let ui: UiApp;
  let client: TestClient;
  let own: string;
  let other: string;

  beforeAll(async () => {
    await prepareCluster(cluster);
    own = await cluster.createNamespace('own');
    other = await cluster.createNamespace('other');
    await cluster.ensureServiceAccount(own, 'limited-ui');
    await grantGuitars(cluster, {
      namespace: own,
      name: 'guitars',
      verbs: ['get', 'list', 'watch', 'create', 'delete'],
      serviceAccount: { namespace: own, name: 'limited-ui' },
    });
    for (const namespace of [own, other]) {
      await createGuitar(cluster.adminConfig(), namespace, `in-${namespace}`, { brand: 'fender' });
    }
    // In-cluster mode, as in a pod: its namespace is the pod's.
    const { root, env } = await cluster.inClusterRoot(own, 'limited-ui');
    ui = await startTestUi(loadKubeConfig({ env, inClusterRoot: root }).kc);
    client = new TestClient(ui.url);
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it('lists its own namespace only, and says so on the page', async () => {
    const { status, text } = await client.get('/');
    expect(status).toBe(200);
    expect(text).toContain(
      `Showing guitars in namespace <strong>${own}</strong> only: the UI may not list or watch guitars in all namespaces.`,
    );
    expect(text).toContain(`data-key="${own}/in-${own}"`);
    expect(text).not.toContain(`in-${other}`);
  });

  it('says so in the API too', async () => {
    const body = (await (await client.json('GET', '/api/guitars')).json()) as {
      scope: unknown;
      items: Array<{ namespace: string }>;
    };
    expect(body.scope).toEqual({
      clusterWide: false,
      namespace: own,
      reason: 'the UI may not list or watch guitars in all namespaces',
    });
    expect(new Set(body.items.map((g) => g.namespace))).toEqual(new Set([own]));
  });

  it('creates in its own namespace by default', async () => {
    const response = await client.json('POST', '/api/guitars', { name: 'strat', brand: 'fender' });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/api/guitars/${own}/strat`);
  });

  it("answers 403 with the apiserver's own message when RBAC refuses", async () => {
    const create = await client.json('POST', '/api/guitars', {
      name: 'strat',
      brand: 'fender',
      namespace: other,
    });
    expect(create.status).toBe(403);
    const message = ((await create.json()) as { message: string }).message;
    expect(message).toContain(
      `User "system:serviceaccount:${own}:limited-ui" cannot create resource "guitars"`,
    );
    expect(message).toContain(`in the namespace "${other}"`);

    const read = await client.json('GET', `/api/guitars/${other}/in-${other}`);
    expect(read.status).toBe(403);
    const remove = await client.json('DELETE', `/api/guitars/${other}/in-${other}`);
    expect(remove.status).toBe(403);

    const form = await client.submit('/guitars/new', '/guitars', {
      name: 'strat',
      brand: 'fender',
      namespace: other,
    });
    expect(form.status).toBe(403);
    expect(await form.text()).toContain('cannot create resource &#34;guitars&#34;');
  });
});

describe("on a ServiceAccount without rights (what oc new-app leaves: the namespace's default)", () => {
  const DEFAULT_SA = 'system:serviceaccount:guitarcenter:default';
  const lines: Array<Record<string, unknown>> = [];
  let ui: UiApp;
  let client: TestClient;
  const refusals = () => lines.filter((l) => l.level === 50 && l.status === 403);

  beforeAll(async () => {
    await prepareCluster(cluster);
    await cluster.ensureNamespace('guitarcenter');
    await cluster.ensureServiceAccount('guitarcenter', 'default');
    // In-cluster mode with the default ServiceAccount's token, as the pod would run.
    const { root, env } = await cluster.inClusterRoot('guitarcenter', 'default');
    ui = await startUiApp({
      kc: loadKubeConfig({ env, inClusterRoot: root }).kc,
      config: loadConfig({ PORT: '0' }),
      logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      host: '127.0.0.1',
      minBackoffMs: 100,
      maxBackoffMs: 500,
    });
    client = new TestClient(ui.url);
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it('says once who it runs as, what was refused and the fix; /readyz says the same', async () => {
    await eventually('the refusal explained', () => refusals().length === 1, 20_000);
    const [line] = refusals();
    expect(line).toMatchObject({
      call: 'guitar list/watch',
      identity: DEFAULT_SA,
      identitySource: 'SelfSubjectReview',
      verb: 'list',
      resource: 'guitars.kool.karmalabs.local',
      // It may not list all namespaces (SelfSubjectAccessReview), so it tried its own.
      namespace: 'guitarcenter',
    });
    expect(line?.fix).toContain(
      '`kubectl -n guitarcenter set serviceaccount deployment/guitars-ui guitars-ui`',
    );
    expect(line?.fix).toContain(
      '`kubectl create clusterrolebinding guitars-ui-guitarcenter-default --clusterrole=guitars-ui --serviceaccount=guitarcenter:default`',
    );
    const readyz = await client.get('/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.text).toBe(`${line?.msg}\n`);
  });

  it('keeps retrying without logging it again, and keeps serving', async () => {
    const retries = () => lines.filter((l) => l.msg === 'refused again, as logged before').length;
    await eventually('three more refused attempts', () => retries() >= 3, 20_000);
    expect(refusals()).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'guitar watch failed')).toEqual([]);
    expect((await client.get('/healthz')).status).toBe(200);
    expect((await client.json('GET', '/api/guitars')).status).toBe(503);
  });
});
