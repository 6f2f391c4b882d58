import { fileURLToPath } from 'node:url';
import {
  API_VERSION,
  apiStatus,
  ensureGuitarCrd,
  GROUP,
  KIND,
  loadKubeConfig,
  PLURAL,
  VERSION,
} from '@guitars/shared';
import type { Cluster } from '@guitars/testenv';
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { type Logger, pino } from 'pino';
import { loadConfig } from '../config.js';
import { startUiApp, type UiApp } from '../start.js';

export interface TestUiOptions {
  /** Environment for loadConfig (PORT is 0 unless given). */
  env?: Record<string, string>;
  clock?: () => number;
  /** Wait for /readyz (default true). */
  waitReady?: boolean;
  /** Where the UI logs; silent (or TEST_LOG_LEVEL) unless given. */
  logger?: Logger;
}

/** The whole UI in-process on 127.0.0.1 and a free port, as `kc`. Close it in afterAll. */
export async function startTestUi(kc: KubeConfig, options: TestUiOptions = {}): Promise<UiApp> {
  const config = loadConfig({ PORT: '0', ...options.env });
  const ui = await startUiApp({
    kc,
    config,
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    host: '127.0.0.1',
    minBackoffMs: 100,
    maxBackoffMs: 1_000,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  if (options.waitReady ?? true) await ui.store.waitUntil(() => ui.store.synced(), 30_000);
  return ui;
}

/** Installs the CRD (idempotent) once per test file. */
export async function prepareCluster(cluster: Cluster): Promise<void> {
  await ensureGuitarCrd(cluster.adminConfig());
}

/** Polls until `check` holds, or fails after `timeoutMs` saying what it waited for. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The CSRF token of the form in `html`, if it has one. */
export function csrfTokenIn(html: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
}

/** The hidden inputs of the forms in `html`, by name (values as the page escaped them, unescaped). */
export function hiddenFieldsIn(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [, name = '', value = ''] of html.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g,
  ))
    fields[name] = value
      .replace(/&#34;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  return fields;
}

/**
 * A tiny browser without a browser: keeps cookies, reads the CSRF token from forms, and does not
 * follow redirects, so tests see each 303.
 */
export class TestClient {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) if (!headers.has(k)) headers.set(k, v);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(new URL(path, this.baseUrl), { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async get(path: string): Promise<{ status: number; text: string; response: Response }> {
    const response = await this.request(path, { headers: { accept: 'text/html' } });
    return { status: response.status, text: await response.text(), response };
  }

  /**
   * GETs `formPage` and posts `fields` to `action` with the page's hidden fields (its CSRF token,
   * the delete form's uid), as a browser submits the form.
   */
  async submit(formPage: string, action: string, fields: Record<string, string>): Promise<Response> {
    const page = await this.get(formPage);
    if (!csrfTokenIn(page.text)) throw new Error(`no CSRF token on ${formPage} (status ${page.status})`);
    return this.post(action, { ...hiddenFieldsIn(page.text), ...fields });
  }

  post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  json(method: string, path: string, body?: unknown): Promise<Response> {
    return this.request(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  }
}

/** k8s/base/ui-rbac.yaml, the UI's production RBAC. */
export const UI_RBAC_PATH = fileURLToPath(new URL('../../../../k8s/base/ui-rbac.yaml', import.meta.url));

/**
 * A client acting as the UI's production ServiceAccount (guitarcenter/guitars-ui with
 * k8s/base/ui-rbac.yaml), loaded in in-cluster mode the way the pod loads it.
 */
export async function uiServiceAccountConfig(cluster: Cluster): Promise<KubeConfig> {
  await cluster.ensureNamespace('guitarcenter');
  await cluster.kubectlOk(['apply', '-f', UI_RBAC_PATH]);
  const { root, env } = await cluster.inClusterRoot('guitarcenter', 'guitars-ui');
  return loadKubeConfig({ env, inClusterRoot: root }).kc;
}

/** Writes a guitar as someone else would (kubectl, another client): straight to the apiserver. */
export async function createGuitar(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    body: { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec },
  });
}

/** createGuitar once a just-installed CRD is served: its first requests may still answer 404. */
export async function createGuitarWhenServed(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await createGuitar(kc, namespace, name, spec);
      return;
    } catch (err) {
      if (apiStatus(err) !== 404 || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The names of the guitars in `namespace`, sorted, as the apiserver has them (not the UI's cache). */
export async function guitarNames(kc: KubeConfig, namespace: string): Promise<string[]> {
  const list = (await kc
    .makeApiClient(CustomObjectsApi)
    .listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace })) as {
    items: Array<{ metadata: { name: string } }>;
  };
  return list.items.map((g) => g.metadata.name).sort();
}

/** Deletes a guitar behind the UI's back. */
export async function deleteGuitar(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  await kc
    .makeApiClient(CustomObjectsApi)
    .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name });
}

/** What the controller does once it has reviewed a guitar: a JSON merge patch of the review. */
export async function reviewAsController(
  kc: KubeConfig,
  namespace: string,
  name: string,
  comment: string,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      name,
      body: { spec: { review: true, comment } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/**
 * Lets a ServiceAccount do `verbs` on guitars in `namespace` (a Role and a RoleBinding, both named
 * `name`), as an administrator granting a person would. Returns the binding's name, to revoke it.
 */
export async function grantGuitars(
  cluster: Cluster,
  grant: {
    namespace: string;
    name: string;
    verbs: string[];
    serviceAccount: { namespace: string; name: string };
  },
): Promise<string> {
  const { namespace, name, verbs, serviceAccount } = grant;
  await cluster.grantRole(
    namespace,
    name,
    [{ apiGroups: [GROUP], resources: [PLURAL], verbs }],
    serviceAccount,
  );
  return name;
}
