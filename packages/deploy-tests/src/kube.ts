import type { Cluster } from '@guitars/testenv';
import type { V1Deployment } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { repoPath } from './repo.js';

/** A Kubernetes object as manifests hold it; the fields tests look at are typed loosely. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** YAML documents → objects, skipping empty ones. */
export function parseManifests(yaml: string): KubeObject[] {
  return loadAll(yaml).filter((doc): doc is KubeObject => typeof doc === 'object' && doc !== null);
}

/** `kubectl kustomize` of a folder under k8s/ (kubectl's own kustomize, as `apply -k` uses). */
export async function kustomize(cluster: Cluster, folder: string): Promise<KubeObject[]> {
  return parseManifests(await cluster.kubectlOk(['kustomize', repoPath('k8s', folder)]));
}

export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return found;
}

export function deployment(objects: KubeObject[], name: string): V1Deployment {
  return find(objects, 'Deployment', name) as unknown as V1Deployment;
}

/**
 * kubectl apply that retries a few times: test files run in parallel and apply the same shared
 * objects (the namespace, the CRD, the RBAC), and two concurrent first creates of one object
 * make one of them fail with AlreadyExists.
 */
export async function applyWithRetry(cluster: Cluster, args: string[], input?: string): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await cluster.kubectl(['apply', ...args], input === undefined ? {} : { input });
    if (result.code === 0) return `${result.stdout}${result.stderr}`;
    last = result.stderr;
    if (!/AlreadyExists|already exists|the object has been modified|conflict/i.test(last)) break;
    await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
  }
  throw new Error(`kubectl apply ${args.join(' ')} failed: ${last}`);
}

/** Makes sure the cluster has what both apps need: the namespace, the CRD, and their RBAC from k8s/base. */
export async function applyAppPrerequisites(cluster: Cluster): Promise<void> {
  for (const file of [
    'namespace.yaml',
    'crd.yaml',
    'controller-rbac.yaml',
    'ui-rbac.yaml',
    'review-policy.yaml',
  ]) {
    await applyWithRetry(cluster, ['-f', repoPath('k8s/base', file)]);
  }
  await cluster.kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/guitars.kool.karmalabs.local',
  ]);
}
