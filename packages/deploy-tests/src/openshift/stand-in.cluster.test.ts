import { request } from 'node:https';
import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyAppPrerequisites, kustomize } from '../kube.js';
import { NAMESPACE } from '../repo.js';
import { applyRouteCrd, applySignInObjects, makePeople } from './people.js';
import { type OpenShiftStandIn, startOpenShiftStandIn } from './stand-in.js';

/**
 * The OpenShift stand-in is strict where OpenShift is, so that a sign-in that passes through it
 * would pass on a cluster: the OAuth client must be the ServiceAccount, its secret that
 * ServiceAccount's token, the redirect URI the Route's; a code works once; and what it answers for
 * users and access reviews comes from the real apiserver.
 */
const cluster = new Cluster(inject('testenv'));
const HOST = `guitars-ui-${NAMESPACE}.apps.stand-in.test`;
const CLIENT = `system:serviceaccount:${NAMESPACE}:guitars-ui`;
const CALLBACK = `https://${HOST}/oauth/callback`;
let standIn: OpenShiftStandIn;
let people: Awaited<ReturnType<typeof makePeople>>;
let clientSecret: string;
// It listens on port 443 of a loopback address, as oauth-proxy expects its kube API: root only.
// CI runs as root and sets REQUIRE_OAUTH_PROXY=1, under which this fails rather than skips.
const root = process.getuid?.() === 0;
if (!root) {
  if (process.env.REQUIRE_OAUTH_PROXY === '1') throw new Error('REQUIRE_OAUTH_PROXY=1, but not root');
  console.warn('stand-in.cluster.test.ts skipped: needs root (port 443)');
}

beforeAll(async () => {
  if (!root) return;
  await applyAppPrerequisites(cluster);
  await applyRouteCrd(cluster);
  await applySignInObjects(cluster, await kustomize(cluster, 'overlays/openshift'), HOST);
  people = await makePeople(cluster, await cluster.createNamespace('people'));
  standIn = await startOpenShiftStandIn(cluster, { ada: people.manager, lin: people.viewer });
  clientSecret = await cluster.tokenFor(NAMESPACE, 'guitars-ui');
}, 120_000);
afterAll(async () => {
  await standIn?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  method: string,
  path: string,
  options: { token?: string; form?: Record<string, string>; json?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      `${standIn.url}${path}`,
      { method, headers, ca: standIn.caPem, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const authorize = (extra: Record<string, string> = {}) => ({
  client_id: CLIENT,
  redirect_uri: CALLBACK,
  response_type: 'code',
  scope: 'user:info user:check-access',
  state: 'the-state',
  ...extra,
});

/** Signs `login` in and returns the code the client gets back. */
async function codeFor(login: string): Promise<string> {
  const answer = await call('POST', '/oauth/authorize', { form: authorize({ username: login }) });
  expect(answer.status).toBe(302);
  const back = new URL(String(answer.headers.location));
  expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
  expect(back.searchParams.get('state')).toBe('the-state');
  return back.searchParams.get('code') ?? '';
}

const redeem = (code: string, extra: Record<string, string> = {}) =>
  call('POST', '/oauth/token', {
    form: {
      grant_type: 'authorization_code',
      code,
      client_id: CLIENT,
      client_secret: clientSecret,
      redirect_uri: CALLBACK,
      ...extra,
    },
  });

describe.skipIf(!root)('the OpenShift stand-in', () => {
  it('names its OAuth endpoints at its own address', async () => {
    const answer = await call('GET', '/.well-known/oauth-authorization-server');
    expect(JSON.parse(answer.body)).toMatchObject({
      authorization_endpoint: `${standIn.url}/oauth/authorize`,
      token_endpoint: `${standIn.url}/oauth/token`,
    });
  });

  it('sends users back only to the Route the client ServiceAccount names', async () => {
    expect((await call('GET', `/oauth/authorize?${new URLSearchParams(authorize())}`)).status).toBe(200);
    for (const wrong of <Record<string, string>[]>[
      { redirect_uri: 'https://elsewhere.apps.stand-in.test/oauth/callback' },
      { client_id: `system:serviceaccount:${NAMESPACE}:guitars-controller` }, // no redirect reference
      { client_id: 'guitars-ui' },
    ]) {
      const answer = await call('GET', `/oauth/authorize?${new URLSearchParams(authorize(wrong))}`);
      expect(answer.status, JSON.stringify(wrong)).toBe(400);
    }
    expect(
      (await call('POST', '/oauth/authorize', { form: authorize({ username: 'mallory' }) })).status,
    ).toBe(401);
  });

  it("gives a real token for the user's ServiceAccount, once per code, to the client only", async () => {
    expect((await redeem(await codeFor('ada'), { client_secret: 'not-the-token' })).status).toBe(401);
    expect((await redeem(await codeFor('ada'), { redirect_uri: `${CALLBACK}/other` })).status).toBe(400);
    const code = await codeFor('ada');
    const answer = await redeem(code);
    expect(answer.status).toBe(200);
    const token = (JSON.parse(answer.body) as { access_token: string }).access_token;
    expect((await redeem(code)).status, 'the same code again').toBe(400);

    // users/~ says who the token is, from the apiserver; without a token, 401.
    const user = JSON.parse((await call('GET', '/apis/user.openshift.io/v1/users/~', { token })).body);
    expect(user).toMatchObject({ kind: 'User', metadata: { name: people.manager.name } });
    expect((await call('GET', '/apis/user.openshift.io/v1/users/~', { token: 'forged' })).status).toBe(401);
    expect((await call('GET', '/apis/user.openshift.io/v1/users/~')).status).toBe(401);
  });

  it("answers access reviews with the caller's own RBAC", async () => {
    const ada = (JSON.parse((await redeem(await codeFor('ada'))).body) as { access_token: string })
      .access_token;
    const lin = (JSON.parse((await redeem(await codeFor('lin'))).body) as { access_token: string })
      .access_token;
    const review = async (token: string, verb: string) =>
      JSON.parse(
        (
          await call('POST', '/apis/authorization.openshift.io/v1/subjectaccessreviews', {
            token,
            json: {
              namespace: NAMESPACE,
              resourceAPIGroup: 'kool.karmalabs.local',
              resource: 'guitars',
              verb,
              scopes: [],
            },
          })
        ).body,
      ).allowed;
    expect(await review(ada, 'create')).toBe(true);
    expect(await review(lin, 'list')).toBe(true);
    expect(await review(lin, 'create')).toBe(false);
  });

  it("passes everything else through to the real apiserver with the caller's credentials", async () => {
    expect(
      (
        await call('GET', `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/guitars-ui`, {
          token: clientSecret,
        })
      ).status,
    ).toBe(403);
    expect((await call('GET', '/version')).status).toBe(200);
  });
});
