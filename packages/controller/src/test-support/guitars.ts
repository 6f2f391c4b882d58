import { GROUP, type Guitar, type GuitarList, PLURAL, VERSION } from '@guitars/shared';
import { waitFor } from '@guitars/testenv';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

export interface GuitarFixture {
  name: string;
  spec: Record<string, unknown> | undefined;
  annotations?: Record<string, string>;
}

/** Creates guitars with at most `concurrency` requests in flight (bursts of 1,000 without a stampede). */
export async function createGuitars(
  kc: KubeConfig,
  namespace: string,
  guitars: ReadonlyArray<GuitarFixture>,
  concurrency = 20,
): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < guitars.length; i = next++) {
      const { name, spec, annotations } = guitars[i] as GuitarFixture;
      const body = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Guitar',
        metadata: { name, annotations },
        spec,
      };
      for (let attempt = 0; ; attempt++) {
        try {
          await api.createNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            namespace,
            body,
          });
          break;
        } catch (err) {
          // During a planned apiserver restart the create is retried; 409 means an earlier try landed.
          const code = (err as { code?: number }).code;
          if (code === 409) break;
          if (attempt > 100) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function listGuitars(kc: KubeConfig, namespace: string): Promise<Guitar[]> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const list = (await api.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
  })) as GuitarList;
  return list.items;
}

export async function getGuitar(kc: KubeConfig, namespace: string, name: string): Promise<Guitar> {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (await api.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  })) as Guitar;
}

/** Waits until every guitar in the namespace is reviewed (count of them: `expected`). */
export async function waitAllReviewed(
  kc: KubeConfig,
  namespace: string,
  expected: number,
  timeoutMs: number,
): Promise<Guitar[]> {
  let items: Guitar[] = [];
  await waitFor(
    `${expected} guitars reviewed in ${namespace}`,
    async () => {
      items = await listGuitars(kc, namespace);
      const reviewed = items.filter((g) => g.spec.review === true).length;
      if (reviewed < expected) throw new Error(`${reviewed}/${expected} reviewed`);
      return true;
    },
    timeoutMs,
  );
  return items;
}

/** n guitars named prefix-0000… with brands cycling through the given ones. */
export function manyGuitars(prefix: string, n: number, brands: ReadonlyArray<string>): GuitarFixture[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `${prefix}-${String(i).padStart(4, '0')}`,
    spec: { brand: brands[i % brands.length] },
  }));
}
