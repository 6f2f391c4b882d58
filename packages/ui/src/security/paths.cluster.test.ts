// Issue 11 §1, as the attacker: every route that takes :namespace/:name addresses exactly one
// guitar. The UI runs as `npm run ui` runs it locally (the admin's kubeconfig, every default), where
// the apiserver would allow a deletecollection; each hostile path is sent byte for byte, and after
// each one the guitars of every namespace of this suite are counted again.
import { apiStatus, GROUP, PLURAL, VERSION } from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import { csrfPair, type RawResponse, rawRequest } from '../test-support/raw-http.js';
import { createGuitar, prepareCluster, startTestUi } from '../test-support/ui.js';

const cluster = new Cluster(inject('testenv'));

/** Segments as they appear in the request line: Express decodes each once ('%2e' is '.'). */
const DOT_SEGMENTS = [
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%2E%2E',
  '%2e%2E',
  '.%2e',
  '%2E.',
  '%252e',
  '%252E%252e',
  '%25252e',
];
const SLASHES = [
  '%2f',
  '%2F',
  '..%2f..',
  '%2e%2e%2f%2e%2e',
  '%2E%2E%2F%2E%2E%2F%2E%2E%2Fapi%2Fv1%2Fnamespaces',
  '%5c',
  '%5C',
  '..%5c..',
  '%2e%2e%5C%2e%2e',
  '%252f',
  '%255c',
];
// '%' and '%c0%ae' (an overlong UTF-8 '.') do not decode: Express answers 400 itself.
const OTHERS = ['%00', 'Strat', 'a%20b', '-a', 'a-', 'a..b', '%E2%80%AEstrat', '%', '%c0%ae', '%C0%AE%C0%AE'];
const HOSTILE = [...DOT_SEGMENTS, ...SLASHES, ...OTHERS];

interface Case {
  namespace: string;
  name: string;
  /** 404 when the path no longer fits the route (an empty segment), else 400. */
  status: 400 | 404;
}

describe('every route addresses exactly one guitar (issue 11 §1)', () => {
  let ui: UiApp;
  let victim: string;
  let bystander: string;
  const admin = () => cluster.adminConfig();

  /** The guitars of each namespace of this suite, and whether the namespaces still stand. */
  const census = async () => {
    const api = admin().makeApiClient(CustomObjectsApi);
    const core = admin().makeApiClient(CoreV1Api);
    const out: Record<string, string[] | string> = {};
    for (const namespace of [victim, bystander]) {
      const list = (await api.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
      })) as {
        items: Array<{ metadata: { name: string } }>;
      };
      out[namespace] = list.items.map((g) => g.metadata.name).sort();
      const ns = await core.readNamespace({ name: namespace });
      out[`${namespace} namespace`] =
        `${ns.status?.phase}${ns.metadata?.deletionTimestamp ? ' (deleting)' : ''}`;
    }
    return out;
  };

  const cases = (): Case[] => {
    const list: Case[] = [];
    for (const segment of HOSTILE) {
      list.push({ namespace: victim, name: segment, status: 400 });
      list.push({ namespace: segment, name: 'strat', status: 400 });
    }
    list.push(
      { namespace: '..', name: '..', status: 400 },
      { namespace: '%2e%2e', name: '%2e%2e', status: 400 },
      { namespace: victim, name: 'x'.repeat(254), status: 400 },
      { namespace: 'x'.repeat(64), name: 'strat', status: 400 },
      { namespace: victim, name: '', status: 404 },
      { namespace: '', name: 'strat', status: 404 },
      { namespace: '', name: '', status: 404 },
    );
    return list;
  };

  /** Creates whatever of the suite's guitars is missing, so each route is tried on all of them. */
  const seed = async () => {
    const guitars: Array<[string, string, string]> = [
      ...['strat', 'tele', 'lespaul', 'doomed-api', 'doomed-form'].map((n): [string, string, string] => [
        victim,
        n,
        'fender',
      ]),
      ...['x003', 'd15'].map((n): [string, string, string] => [bystander, n, 'yamaha']),
    ];
    for (const [namespace, name, brand] of guitars) {
      await createGuitar(admin(), namespace, name, { brand }).catch((err: unknown) => {
        if (apiStatus(err) !== 409) throw err;
      });
    }
    await ui?.store.waitUntil(() => guitars.every(([ns, n]) => ui.store.get(ns, n) !== undefined), 10_000);
  };

  beforeAll(async () => {
    await prepareCluster(cluster);
    victim = await cluster.createNamespace('victim');
    bystander = await cluster.createNamespace('bystander');
    await seed();
    // As `npm run ui` runs locally: the admin's kubeconfig and every default.
    ui = await startTestUi(admin());
  });

  beforeEach(seed);

  afterAll(async () => {
    await ui?.stop();
  });

  const routes: Array<{ route: string; send: (namespace: string, name: string) => Promise<RawResponse> }> = [
    {
      route: 'GET /api/guitars/:namespace/:name',
      send: (namespace, name) =>
        rawRequest(ui.url, `/api/guitars/${namespace}/${name}`, { headers: { accept: 'application/json' } }),
    },
    {
      route: 'DELETE /api/guitars/:namespace/:name',
      send: (namespace, name) =>
        rawRequest(ui.url, `/api/guitars/${namespace}/${name}`, {
          method: 'DELETE',
          headers: { accept: 'application/json' },
        }),
    },
    {
      route: 'GET /guitars/:namespace/:name/delete (the confirmation page)',
      send: (namespace, name) =>
        rawRequest(ui.url, `/guitars/${namespace}/${name}/delete`, { headers: { accept: 'text/html' } }),
    },
    {
      route: 'POST /guitars/:namespace/:name/delete (the form, with a valid CSRF pair)',
      send: async (namespace, name) => {
        const { cookie, token } = await csrfPair(ui.url);
        return rawRequest(ui.url, `/guitars/${namespace}/${name}/delete`, {
          method: 'POST',
          headers: {
            accept: 'text/html',
            'content-type': 'application/x-www-form-urlencoded',
            cookie,
            // What a browser sends with a same-site form.
            origin: ui.url,
            'sec-fetch-site': 'same-origin',
          },
          body: new URLSearchParams({ _csrf: token }).toString(),
        });
      },
    },
  ];

  it.each(routes)('$route: a hostile segment gets 400 (or 404) and changes nothing', async ({ send }) => {
    const before = await census();
    expect(before[victim]).toEqual(['doomed-api', 'doomed-form', 'lespaul', 'strat', 'tele']);
    for (const { namespace, name, status } of cases()) {
      const what = `namespace ${JSON.stringify(namespace.slice(0, 70))}, name ${JSON.stringify(name.slice(0, 70))}`;
      const response = await send(namespace, name);
      // Both at once, so a failure shows the answer and what it did to the cluster.
      expect({ status: response.status, guitars: await census() }, what).toEqual({ status, guitars: before });
    }
  });

  it('says which segment is wrong, in JSON for the API and on a page for the forms', async () => {
    const api = await rawRequest(ui.url, `/api/guitars/${victim}/%2e`, {
      method: 'DELETE',
      headers: { accept: 'application/json' },
    });
    expect(JSON.parse(api.body)).toMatchObject({
      status: 400,
      message: expect.stringContaining('the name in this address is not a valid guitar name'),
    });
    const page = await rawRequest(ui.url, '/guitars/%2e%2e/strat/delete', {
      headers: { accept: 'text/html' },
    });
    expect(page.status).toBe(400);
    expect(page.body).toContain('the namespace in this address is not a valid namespace name');
  });

  it("refuses an absolute-form target naming another host (HTTP's own host), never redirecting there", async () => {
    const before = await census();
    const targets: Array<[string, string]> = [
      ['GET', 'http://evil.example/static'],
      ['GET', 'http://evil.example//evil.example/static'],
      ['GET', `http://evil.example/guitars/${victim}/strat/delete`],
      ['DELETE', `http://evil.example/api/guitars/${victim}/strat`],
    ];
    for (const [method, target] of targets) {
      const answer = await rawRequest(ui.url, target, { method, headers: { accept: 'application/json' } });
      expect({
        target,
        status: answer.status,
        location: answer.headers.location,
        guitars: await census(),
      }).toEqual({ target, status: 421, location: undefined, guitars: before });
    }
    // The static directory named plainly: no index, so no redirect to one either.
    const plain = await rawRequest(ui.url, '/static');
    expect({ status: plain.status, location: plain.headers.location }).toEqual({
      status: 404,
      location: undefined,
    });
  });

  it('still deletes the one guitar a valid path names (so the census above can see a deletion)', async () => {
    const before = await census();
    const api = await rawRequest(ui.url, `/api/guitars/${victim}/doomed-api`, { method: 'DELETE' });
    expect(api.status).toBe(204);
    const { cookie, token } = await csrfPair(ui.url);
    const form = await rawRequest(ui.url, `/guitars/${victim}/doomed-form/delete`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie,
        origin: ui.url,
        'sec-fetch-site': 'same-origin',
      },
      // The uid the delete page puts in its form: the form deletes only the guitar it showed.
      body: new URLSearchParams({
        _csrf: token,
        uid: ui.store.get(victim, 'doomed-form')?.uid ?? '',
      }).toString(),
    });
    expect(form.status).toBe(303);
    expect(await census()).toEqual({ ...before, [victim]: ['lespaul', 'strat', 'tele'] });
  });
});
