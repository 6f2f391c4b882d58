import { API_VERSION, connect, GuitarInformer, KIND, type Kube, loadKubeConfig } from '@guitars/shared';
import type { KubeConfig } from '@kubernetes/client-node';

export const BRANDS = [
  'fender',
  'gibson',
  'martin',
  'epiphone',
  'yamaha',
  'ibanez',
  'taylor',
  'squier',
  'nobrand',
];

export interface GuitarRef {
  namespace: string;
  name: string;
}

/** Runs fn over items with at most `concurrency` calls in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export function guitarRefs(prefix: string, count: number, namespaces: readonly string[]): GuitarRef[] {
  return Array.from({ length: count }, (_, i) => ({
    namespace: namespaces[i % namespaces.length] as string,
    name: `${prefix}-${i}`,
  }));
}

/**
 * Creates unreviewed guitars as fast as the apiserver takes them (bounded concurrency) and
 * returns when each create was sent, in ms on the performance clock. Through the apps' own client:
 * client-node's request path cost the benchmark ~10 times its CPU per create, on the same 2 cores
 * as what it measures, and held creates to ~170/s. A caller creating one guitar at a
 * time passes its own client (`via`), kept open: a client per call would time a TLS handshake too.
 */
export async function createGuitars(
  kc: KubeConfig,
  refs: readonly GuitarRef[],
  concurrency = 32,
  via?: Kube,
): Promise<Map<string, number>> {
  const kube = via ?? connect(kc);
  const sentAt = new Map<string, number>();
  try {
    await forEachLimit(refs, concurrency, async ({ namespace, name }) => {
      sentAt.set(`${namespace}/${name}`, performance.now());
      await kube.guitars.create({
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name, namespace },
        spec: { brand: BRANDS[name.length % BRANDS.length] as string, review: false },
      });
    });
  } finally {
    if (!via) kube.close();
  }
  return sentAt;
}

/**
 * Watches guitars and notes when each is first seen reviewed, as any client of the cluster would
 * see it (a watch event), in ms on the performance clock.
 */
export class ReviewWatcher {
  readonly reviewedAt = new Map<string, number>();
  private readonly kube: Kube;
  private readonly informer: GuitarInformer;
  private waiters: Array<(key: string) => void> = [];

  constructor(kc: KubeConfig) {
    this.kube = connect(kc);
    this.informer = new GuitarInformer(this.kube.guitars);
    const seen = (obj: { metadata?: { namespace?: string; name?: string }; spec?: unknown }) => {
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      if ((obj.spec as { review?: unknown } | undefined)?.review === true && !this.reviewedAt.has(key)) {
        this.reviewedAt.set(key, performance.now());
        for (const wake of this.waiters) wake(key);
      }
    };
    this.informer.on('add', seen);
    this.informer.on('update', seen);
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer.stop();
    this.kube.close();
  }

  /**
   * Resolves once every key is reviewed; rejects after timeoutMs saying how many are missing.
   * Each review costs O(1) here: this process shares the machine with the controller it measures,
   * and scanning all N keys on every review (O(N²), 50 million lookups at 10,000) took CPU from it.
   */
  waitForAll(keys: readonly string[], timeoutMs: number): Promise<void> {
    const pending = new Set(keys.filter((k) => !this.reviewedAt.has(k)));
    if (pending.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const seen = (key: string) => {
        if (pending.delete(key) && pending.size === 0) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${pending.size} of ${keys.length} guitars not reviewed within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== seen);
      };
      this.waiters.push(seen);
    });
  }
}

/**
 * The benchmark's own admin client, from the apps' client factory, so it shares their one
 * connection pool per cluster and user (client-node alone opens a TLS connection per request) and
 * the bare-client ceiling is not held back by handshakes the controller does not pay.
 */
export function pooledAdmin(plane: { info: { kubeconfigPath: string } }): KubeConfig {
  return loadKubeConfig({ env: { KUBECONFIG: plane.info.kubeconfigPath } }).kc;
}
