import type { Cluster } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';

const GROUP = 'kool.karmalabs.local';
const VERSION = 'v1';
const PLURAL = 'guitars';
const BRANDS = ['fender', 'gibson', 'martin', 'ibanez', 'nobrand'];

export interface GuitarView {
  name: string;
  generation: number;
  review: boolean;
  comment: string | undefined;
}

/** Guitars as the admin writes and reads them: the test's own client, not the apps'. */
export class Guitars {
  private readonly api: CustomObjectsApi;

  constructor(cluster: Cluster) {
    this.api = cluster.adminConfig().makeApiClient(CustomObjectsApi);
  }

  async create(namespace: string, name: string, brand = BRANDS[name.length % BRANDS.length]): Promise<void> {
    await this.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Guitar',
        metadata: { name, namespace },
        spec: { brand },
      },
    });
  }

  /** Creates `names` with at most `concurrency` requests in flight. */
  async createMany(namespace: string, names: string[], concurrency = 16): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < names.length) await this.create(namespace, names[next++] as string);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  async list(namespace: string): Promise<GuitarView[]> {
    const list = (await this.api.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
    })) as {
      items: Array<{
        metadata: { name: string; generation?: number };
        spec: { review?: boolean; comment?: string };
      }>;
    };
    return list.items.map((g) => ({
      name: g.metadata.name,
      generation: g.metadata.generation ?? 0,
      review: g.spec.review === true,
      comment: g.spec.comment,
    }));
  }
}

/**
 * Reviewed exactly once: a review is the one write to a guitar's spec, so a guitar reviewed
 * twice (two leaders at once, or a review redone after a failover) shows generation 3 or more.
 */
export function notReviewedOnce(guitars: GuitarView[]): string[] {
  return guitars
    .filter((g) => !g.review || !g.comment || g.generation !== 2)
    .map((g) => `${g.name} (review ${g.review}, generation ${g.generation})`);
}
