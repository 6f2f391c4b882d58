import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  type KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { apiStatus } from './api-errors.js';
import { CRD_NAME } from './guitar.js';

/** The CRD manifest this package installs; k8s/base/crd.yaml is a copy of it. */
export const CRD_MANIFEST_PATH = fileURLToPath(
  new URL('../crd/guitars.kool.karmalabs.local.yaml', import.meta.url),
);

/**
 * The manifest's text, put in by scripts/bundle.ts (esbuild `define`) when an app is bundled: in
 * a bundle, import.meta.url is the app's dist/index.js, so CRD_MANIFEST_PATH points nowhere, and
 * the image ships no packages/shared. Unbundled (tests, tsc output), it stays undefined.
 */
declare const __GUITAR_CRD_YAML__: string | undefined;

/** Raised with every change to the manifest, so an older installed CRD is recognised and upgraded. */
export const CRD_REVISION_ANNOTATION = 'kool.karmalabs.local/crd-revision';

let cached: V1CustomResourceDefinition | undefined;

/**
 * The Guitar CRD, parsed from the manifest into client-node's model (a fresh copy each call, so
 * callers may change it). Plain YAML would not do: the client serializes by its model's property
 * names (`_default` for `default`), so keys it does not know, like a schema's `default`, would be
 * dropped on the way to the apiserver.
 */
export function guitarCrd(): V1CustomResourceDefinition {
  cached ??= loadYaml<V1CustomResourceDefinition>(
    typeof __GUITAR_CRD_YAML__ === 'string' ? __GUITAR_CRD_YAML__ : readFileSync(CRD_MANIFEST_PATH, 'utf8'),
  );
  return structuredClone(cached);
}

/** The revision a CRD carries in its annotation; 0 when it has none (an older or foreign copy). */
export function crdRevision(crd: V1CustomResourceDefinition): number {
  const value = Number(crd.metadata?.annotations?.[CRD_REVISION_ANNOTATION]);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

export type CrdInstallResult = 'created' | 'updated' | 'unchanged';

/**
 * Makes sure the Guitar CRD is installed: creates it when missing, replaces it when the installed
 * revision is older than ours, and leaves a newer or equal one alone. Waits until it is Established.
 * Errors (a 403 when the caller may not manage CRDs, among them) are thrown to the caller.
 */
export async function ensureGuitarCrd(kc: KubeConfig, timeoutMs = 30_000): Promise<CrdInstallResult> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const ours = guitarCrd();
  let result: CrdInstallResult = 'unchanged';
  let installed: V1CustomResourceDefinition | undefined;
  try {
    installed = await api.readCustomResourceDefinition({ name: CRD_NAME });
  } catch (err) {
    if (apiStatus(err) !== 404) throw err;
  }
  if (!installed) {
    await api.createCustomResourceDefinition({ body: ours });
    result = 'created';
  } else if (crdRevision(installed) < crdRevision(ours)) {
    ours.metadata = { ...ours.metadata, resourceVersion: installed.metadata?.resourceVersion };
    await api.replaceCustomResourceDefinition({ name: CRD_NAME, body: ours });
    result = 'updated';
  }
  await waitForEstablished(api, timeoutMs);
  return result;
}

async function waitForEstablished(api: ApiextensionsV1Api, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name: CRD_NAME });
    const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    if (established) return;
    if (Date.now() > deadline) throw new Error(`CRD ${CRD_NAME} was not Established within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
