import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Cluster, ensureOauthProxy, freePort, oauthProxySource, waitFor } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { detectEngine, onPath } from '../../../scripts/images/engine.ts';
import { launchChromium } from '../../ui/src/test-support/chromium.js';
import { applyAppPrerequisites, kustomize } from './kube.js';
import { type AppProcess, startApp } from './openshift/app-process.js';
import { ACCESS_TOKEN_SECONDS } from './openshift/oauth-server.js';
import { applyRouteCrd, applySignInObjects, makePeople } from './openshift/people.js';
import { type Router, startRouter } from './openshift/router.js';
import {
  overlayUiPod,
  type SignInSidecar,
  servingCertificate,
  startSignInSidecar,
} from './openshift/sidecar.js';
import { type OpenShiftStandIn, startOpenShiftStandIn } from './openshift/stand-in.js';
import { startUiContainer } from './openshift/ui-container.js';
import { NAMESPACE, repoPath } from './repo.js';

/**
 * The front door as a person uses it: Chromium → a real HAProxy as OpenShift's router serves the
 * overlay's reencrypt Route → the real oauth-proxy, run as the overlay's container says → the UI's
 * built bundle with the overlay's environment, acting with each user's token against the real
 * kube-apiserver, with the real controller reviewing. Only OpenShift's API and OAuth server stand
 * in (openshift/stand-in.ts). Needs the proxy's source and HAProxy (skipped without them; failed
 * instead under REQUIRE_OAUTH_PROXY=1, as CI sets it), and root (ports 443 on loopback addresses).
 */
const cluster = new Cluster(inject('testenv'));
const present =
  existsSync(join(oauthProxySource(), 'vendor')) && onPath('haproxy') && process.getuid?.() === 0;
if (!present) {
  const why = 'needs the oauth-proxy source (OAUTH_PROXY_SOURCE), haproxy, and root';
  if (process.env.REQUIRE_OAUTH_PROXY === '1')
    throw new Error(`REQUIRE_OAUTH_PROXY=1: front-door test ${why}`);
  console.warn(`front-door.cluster.test.ts skipped: ${why}`);
}

// playwright-core's types, through the one module that may launch a browser (its dependency).
type Browser = Awaited<ReturnType<typeof launchChromium>>['browser'];
type BrowserContext = Awaited<ReturnType<Browser['newContext']>>;
type Page = Awaited<ReturnType<BrowserContext['newPage']>>;

// The UI runs as its image where an engine runs containers (CI: REQUIRE_CONTAINER_ENGINE=1 makes
// that a must), else as the bundle that image runs (dist/index.js), saying so.
const detected = await detectEngine();
const engine = detected.engine?.canRun ? detected.engine : undefined;
if (present && !engine) {
  const why = detected.engine ? `${detected.engine.name} does not run containers` : detected.reason;
  if (process.env.REQUIRE_CONTAINER_ENGINE === '1')
    throw new Error(`REQUIRE_CONTAINER_ENGINE=1, but no engine runs the UI's image here: ${why}`);
  console.warn(`front-door.cluster.test.ts: the UI runs as its bundle, not its image (${why})`);
}

/** The UI as the test runs it: its image, or the bundle the image runs. */
interface RunningUi {
  what: string;
  output(): Promise<string>;
  alive(): Promise<boolean>;
  stop(): Promise<void>;
}

const GROUP = 'kool.karmalabs.local';
const ROUTE_HOST = `guitars-ui-${NAMESPACE}.apps.example.test`;
const SITE = `https://${ROUTE_HOST}`;
const ROUTER_TLS = {
  certPem: readFileSync(repoPath('packages/ui/src/test-support/fixtures/apps.example.test.crt'), 'utf8'),
  keyPem: readFileSync(repoPath('packages/ui/src/test-support/fixtures/apps.example.test.key'), 'utf8'),
};
/** Headers a browser forges to pass for someone else: the proxy's, to the UI. */
const FORGED = {
  'X-Forwarded-User': 'mallory',
  'X-Forwarded-Email': 'mallory@example.test',
  'X-Forwarded-Access-Token': 'forged-token',
};
const run = randomBytes(3).toString('hex');

let standIn: OpenShiftStandIn | undefined;
let ui: RunningUi | undefined;
let controller: AppProcess | undefined;
let sidecar: SignInSidecar | undefined;
let router: Router | undefined;
let browser: Browser | undefined;
let people: Awaited<ReturnType<typeof makePeople>>;
let signInObjects: () => Promise<unknown>;
let hidden: string;
const guitars = () => cluster.adminConfig().makeApiClient(CustomObjectsApi);

async function createGuitar(namespace: string, name: string, brand: string) {
  await guitars().createNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace,
    plural: 'guitars',
    body: { apiVersion: `${GROUP}/v1`, kind: 'Guitar', metadata: { name }, spec: { brand } },
  });
}

async function guitarExists(name: string): Promise<boolean> {
  return guitars()
    .getNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: NAMESPACE, plural: 'guitars', name })
    .then(
      () => true,
      (err: { code?: number }) => (err.code === 404 ? false : Promise.reject(err)),
    );
}

/** The base64 SHA-256 of a certificate's public key, as Chromium's SPKI allow-list takes it. */
function spki(pem: string): string {
  const key = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(key).digest('base64');
}

beforeAll(async () => {
  if (!present) return;
  await applyAppPrerequisites(cluster);
  await applyRouteCrd(cluster);
  const objects = await kustomize(cluster, 'overlays/openshift');
  const route = await applySignInObjects(cluster, objects, ROUTE_HOST);
  signInObjects = () => applySignInObjects(cluster, objects, ROUTE_HOST);
  people = await makePeople(cluster, await cluster.createNamespace('people'));
  hidden = await cluster.createNamespace('hidden');
  await createGuitar(hidden, `hidden-${run}`, 'gibson');
  standIn = await startOpenShiftStandIn(cluster, {
    ada: people.manager,
    lin: people.viewer,
  });

  // The controller, reviewing the overlay's namespace only (others' tests use the rest).
  const controllerConfig = await cluster.kubeconfigFor(NAMESPACE, 'guitars-controller');
  controller = startApp('controller', {
    KUBECONFIG: controllerConfig.path,
    CONTROLLER_NAMESPACE: NAMESPACE,
    CONTROLLER_LEADER_ELECT: 'false',
    CONTROLLER_INSTALL_CRD: 'false',
    CONTROLLER_PROBE_BIND_ADDRESS: '127.0.0.1:0',
  });

  // The UI with its container's environment from the overlay; ports moved to free ones.
  const pod = await overlayUiPod(cluster);
  const container = pod.containers.find((c) => c.name === 'ui');
  const env: Record<string, string> = {};
  for (const e of container?.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = NAMESPACE;
    else throw new Error(`${e.name}: no value this test knows how to give`);
  }
  expect(env).toMatchObject({ HOST: '127.0.0.1', UI_AUTH: 'proxy', PORT: '8080' });
  const uiPort = await freePort();
  const uiEnv = { ...env, PORT: String(uiPort), UI_METRICS_BIND_ADDRESS: `127.0.0.1:${await freePort()}` };
  if (engine) {
    const container = await startUiContainer({
      engine,
      pod,
      env: uiEnv,
      // The pod's one "kube API", the stand-in, as the proxy's: it passes the UI's calls through.
      serviceAccount: {
        token: await cluster.tokenFor(NAMESPACE, 'guitars-ui', 86_400),
        caPem: standIn.caPem,
        namespace: NAMESPACE,
      },
      kubernetesService: { host: standIn.host, port: '443' },
      log: (line) => {
        if (!/^\[ui\] /.test(line)) console.log(`[front-door images] ${line}`);
      },
    });
    ui = {
      what: `image ${container.image}`,
      output: container.logs,
      alive: container.running,
      stop: container.stop,
    };
  } else {
    const uiConfig = await cluster.kubeconfigFor(NAMESPACE, 'guitars-ui');
    const bundle = startApp('ui', { ...uiEnv, KUBECONFIG: uiConfig.path });
    ui = {
      what: 'bundle packages/ui/dist/index.js',
      output: async () => bundle.output(),
      alive: async () => !bundle.hasExited(),
      stop: bundle.stop,
    };
  }
  console.log(`front-door.cluster.test.ts: the UI runs as its ${ui.what}`);
  let up = true;
  await waitFor(
    'the UI is ready',
    async () => {
      up = (await ui?.alive()) ?? false;
      return up && (await fetch(`http://127.0.0.1:${uiPort}/readyz`)).status === 200;
    },
    60_000,
    () => !up,
  ).catch(async (err: unknown) => {
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n${(await ui?.output())?.slice(-3000)}`,
    );
  });

  // The proxy with a cookie secret made by the docs' own command.
  const command = /--from-literal=session_secret="\$\((.+?)\)"/.exec(
    readFileSync(repoPath('docs/deploy.md'), 'utf8'),
  )?.[1];
  if (!command) throw new Error('no cookie-secret command in docs/deploy.md');
  const serving = await servingCertificate();
  sidecar = await startSignInSidecar({
    cluster,
    binary: await ensureOauthProxy(),
    standIn,
    pod,
    cookieSecret: execFileSync('bash', ['-c', command], { encoding: 'utf8' }).replace(/\n+$/, ''),
    serving,
    uiPort,
  });
  router = await startRouter({
    route,
    ...ROUTER_TLS,
    endpoint: `127.0.0.1:${sidecar.port}`,
    serviceCaPem: serving.caPem,
  });
  browser = (
    await launchChromium(process.env, {
      args: [
        `--host-resolver-rules=MAP ${ROUTE_HOST} ${router.address}`,
        `--ignore-certificate-errors-spki-list=${spki(ROUTER_TLS.certPem)},${spki(standIn.certPem)}`,
      ],
    })
  ).browser;
}, 1_800_000);

afterAll(async () => {
  await browser?.close();
  await router?.stop();
  await sidecar?.proxy.stop();
  await ui?.stop();
  await controller?.stop();
  await standIn?.close();
}, 60_000);

/** What went on behind the browser, for a failure's message. */
async function logs(): Promise<string> {
  return [
    `--- oauth-proxy ---\n${sidecar?.proxy.output().slice(-3000)}`,
    `--- haproxy ---\n${router?.output().slice(-2000)}`,
    `--- ui (${ui?.what}) ---\n${(await ui?.output())?.slice(-3000)}`,
    `--- controller ---\n${controller?.output().slice(-2000)}`,
    `--- guitars in ${NAMESPACE} ---\n${await cluster.kubectlOk(['get', 'guitars', '-n', NAMESPACE, '-o', 'custom-columns=NAME:.metadata.name,REVIEW:.spec.review']).catch(String)}`,
  ].join('\n');
}

async function withLogs<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${await logs()}`);
  }
}

/** Signs in on the stand-in's form from the proxy's sign-in page; ends on the UI's list. */
async function signIn(page: Page, login: string): Promise<void> {
  await signInObjects();
  const first = await page.goto(`${SITE}/`);
  expect(first?.status(), 'anonymous: the proxy asks to sign in').toBe(403);
  expect(await page.content()).not.toContain('Signed in as');
  await page.getByRole('button', { name: 'Log in with OpenShift' }).click();
  await page.waitForURL((url) => url.origin === standIn?.url);
  await page.getByLabel('Username').fill(login);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL(`${SITE}/`);
}

async function newContext(): Promise<BrowserContext> {
  return (browser as Browser).newContext({ extraHTTPHeaders: FORGED });
}

const row = (page: Page, name: string) => page.locator(`tr[data-key="${NAMESPACE}/${name}"]`);

describe.skipIf(!present)('the front door: router, oauth-proxy and UI as the overlay ships them', () => {
  it('answers the probes through the proxy unsigned, and nothing else', async () => {
    for (const path of ['/healthz', '/readyz']) expect(await routerGet(path), path).toBe(200);
    expect(await routerGet('/api/guitars'), 'the API, unsigned').toBe(403);
  });

  it('signs a manager in, lists, adds, sees it reviewed and live after 45 s idle, deletes, signs out', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const streams: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/events') streams.push(r.url());
    });
    await withLogs(async () => {
      await createGuitar(NAMESPACE, `seen-${run}`, 'martin');
      await signIn(page, 'ada');
      // Forged headers came along on every request: the UI saw the proxy's user, not mallory.
      expect(await page.locator('.signed-in').textContent()).toBe(`Signed in as ${people.manager.name}`);
      expect(await page.content()).not.toContain('mallory');
      // The cookies: the proxy's session no longer than the token, and the router's sticky one.
      const cookies = await context.cookies(SITE);
      const session = cookies.find((c) => c.name === '_oauth_proxy');
      expect(session?.secure).toBe(true);
      expect((session?.expires ?? Number.POSITIVE_INFINITY) - Date.now() / 1000).toBeLessThanOrEqual(
        ACCESS_TOKEN_SECONDS + 60,
      );
      expect(cookies.map((c) => c.name)).toContain(router?.cookieName);

      // Only the namespaces ada may list: the overlay's, not `hidden`.
      await row(page, `seen-${run}`).waitFor({ timeout: 10_000 });
      expect(await page.content()).not.toContain(`hidden-${run}`);

      // Adds a guitar, as ada: the controller reviews it and the page shows it live.
      const name = `added-${run}`;
      await page.getByRole('link', { name: 'Add a guitar' }).first().click();
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Brand').fill('fender');
      expect(await page.getByLabel('Namespace').inputValue()).toBe(NAMESPACE);
      await page.getByRole('button', { name: 'Add guitar' }).click();
      await page.waitForURL(`${SITE}/`);
      expect(await page.locator('.flash-success').textContent()).toContain(`Added ${name} (fender)`);
      expect(await guitarExists(name)).toBe(true);
      expect(await ui?.output()).toContain(people.manager.name);
      // The UI logs each request's headers: the forged ones reached it on no request but the
      // probes, which the proxy passes on as they came (--skip-auth-regex) and the UI reads no
      // identity on.
      const requests = (await ui?.output())?.split('\n').filter((l) => l.includes('"req":')) ?? [];
      expect(
        requests.filter((l) => l.includes('"x-forwarded-user":"system:serviceaccount:')).length,
      ).toBeGreaterThan(0);
      expect(requests.filter((l) => l.includes('mallory') && !/"url":"\/(healthz|readyz)"/.test(l))).toEqual(
        [],
      );
      await expect
        .poll(() => row(page, name).locator('.status').textContent(), { timeout: 20_000 })
        .toBe('Reviewed');
      await expect.poll(() => page.locator('#live-status').textContent(), { timeout: 10_000 }).toBe('Live');

      // Idle past the router's 30 s timeouts (a deliberate wait: what is tested is time passing),
      // then a change made elsewhere still arrives on the same stream, without a reconnect.
      const opened = streams.length;
      await page.evaluate(() => {
        (globalThis as unknown as { stayed: boolean }).stayed = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 45_000));
      const late = `late-${run}`;
      await createGuitar(NAMESPACE, late, 'gibson');
      // Well within the page's own 30 s refresh of ages: what brings it is the stream.
      await expect
        .poll(() => row(page, late).locator('.status').textContent(), { timeout: 15_000 })
        .toBe('Reviewed');
      expect(streams.length, 'the event stream was never reopened').toBe(opened);
      expect(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true);

      // Deletes it, as ada.
      await row(page, name)
        .getByRole('link', { name: `Delete ${name}` })
        .click();
      await page.getByRole('button', { name: `Delete ${name}` }).click();
      await page.waitForURL(`${SITE}/`);
      expect(await page.locator('.flash-success').textContent()).toBe(
        `Deleted ${name} from namespace ${NAMESPACE}.`,
      );
      await waitFor('the guitar is gone', async () => !(await guitarExists(name)), 20_000);

      // Signs out: the proxy drops its session; the next page asks to sign in again.
      await page.getByRole('link', { name: 'Sign out' }).click();
      expect((await context.cookies(SITE)).find((c) => c.name === '_oauth_proxy')).toBeUndefined();
      expect((await page.goto(`${SITE}/`))?.status()).toBe(403);
      expect(await page.content()).not.toContain('Signed in as');
    });
    await context.close();
  }, 240_000);

  it('answers a user who may only list with a 403 page naming them, and creates nothing', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await withLogs(async () => {
      await signIn(page, 'lin');
      expect(await page.locator('.signed-in').textContent()).toBe(`Signed in as ${people.viewer.name}`);
      const name = `refused-${run}`;
      await page.getByRole('link', { name: 'Add a guitar' }).first().click();
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Brand').fill('fender');
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Add guitar' }).click(),
      ]);
      expect(answer.status()).toBe(403);
      // The form again, with the apiserver's refusal naming who was refused.
      expect(await page.locator('main').textContent()).toContain(
        `You (${people.viewer.name}) may not create guitars`,
      );
      expect(await guitarExists(name)).toBe(false);
    });
    await context.close();
  }, 120_000);
});

/** A GET through the router with no cookie, trusting the router's certificate only. */
function routerGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: router?.address,
        port: 443,
        path,
        servername: ROUTE_HOST,
        headers: { host: ROUTE_HOST, ...FORGED },
        ca: ROUTER_TLS.certPem,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
