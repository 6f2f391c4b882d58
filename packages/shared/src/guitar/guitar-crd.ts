import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { load } from 'js-yaml';

/** The CRD manifest this package installs; k8s/base/crd.yaml is a copy of it. */
export const CRD_MANIFEST_PATH = fileURLToPath(
  new URL('../../crd/guitars.kool.karmalabs.local.yaml', import.meta.url),
);

/**
 * The manifest's text, put in by scripts/bundle.ts (esbuild `define`) when an app is bundled: in
 * a bundle, import.meta.url is the app's dist/bundle.cjs, so CRD_MANIFEST_PATH points nowhere, and
 * the image ships no packages/shared. Unbundled (tests, tsc output), it stays undefined.
 */
declare const __GUITAR_CRD_YAML__: string | undefined;

/** Raised with every change to the manifest, so an older installed CRD is recognised and upgraded. */
export const CRD_REVISION_ANNOTATION = 'kool.karmalabs.local/crd-revision';

let cached: V1CustomResourceDefinition | undefined;

/**
 * The Guitar CRD as the manifest says it, plain JSON as the apiserver takes it (a fresh copy each
 * call, so callers may change it). Not client-node's model: that renames keys (`_default`), and
 * KubeHttp sends objects as they are.
 */
export function guitarCrd(): V1CustomResourceDefinition {
  cached ??= load(
    typeof __GUITAR_CRD_YAML__ === 'string' ? __GUITAR_CRD_YAML__ : readFileSync(CRD_MANIFEST_PATH, 'utf8'),
  ) as V1CustomResourceDefinition;
  return structuredClone(cached);
}

/** The revision a CRD carries in its annotation; 0 when it has none (an older or foreign copy). */
export function crdRevision(crd: V1CustomResourceDefinition): number {
  const value = Number(crd.metadata?.annotations?.[CRD_REVISION_ANNOTATION]);
  return Number.isInteger(value) && value > 0 ? value : 0;
}
