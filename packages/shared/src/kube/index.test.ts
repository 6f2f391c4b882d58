import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { connect } from './index.js';

/**
 * The lister-watcher the informer's reflector is written against (KubeHttp.watch's contract),
 * declared here as the informer declares it: kube.guitars must fit it as it is.
 */
interface ListerWatcher {
  list(options: {
    limit: number;
    continue: string | undefined;
    resourceVersion?: string;
  }): Promise<{ items: KubernetesObject[]; metadata: { resourceVersion: string; continue?: string } }>;
  watch(
    options: { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds?: number },
    onEvent: (type: string, object: KubernetesObject) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

describe('connect', () => {
  it('gives one client per kind of call, and sends nothing until one is made', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const kube = connect(kc);
    expect(Object.keys(kube).sort()).toEqual([
      'accessReviews',
      'close',
      'crds',
      'events',
      'guitars',
      'leases',
    ]);
    // Checked by the compiler: all guitars, or a selection, plug into a reflector.
    const all: ListerWatcher = kube.guitars;
    const some: ListerWatcher = kube.guitars.select({ namespace: 'shop', labelSelector: 'a=b' });
    expect([typeof all.list, typeof some.watch]).toEqual(['function', 'function']);
    kube.close();
  });

  it('refuses a kubeconfig without a current cluster, saying so', () => {
    expect(() => connect(new KubeConfig())).toThrow('the kubeconfig has no current cluster');
  });
});
