import { API_VERSION, type GuitarCache, guitarKey, type InformerEvent, KIND } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';

/** An in-memory GuitarCache: tests push events as an informer would. */
export class FakeCache implements GuitarCache {
  private readonly objects = new Map<string, KubernetesObject>();
  private readonly handlers: Record<InformerEvent, Array<(obj: KubernetesObject) => void>> = {
    add: [],
    update: [],
    delete: [],
  };
  private readonly syncHandlers: Array<(synced: boolean) => void> = [];
  private synced = false;

  hasSynced(): boolean {
    return this.synced;
  }
  on(event: InformerEvent, handler: (obj: KubernetesObject) => void): void {
    this.handlers[event].push(handler);
  }
  onSyncChange(handler: (synced: boolean) => void): void {
    this.syncHandlers.push(handler);
  }
  get(namespace: string, name: string): KubernetesObject | undefined {
    return this.objects.get(`${namespace}/${name}`);
  }
  list(): ReadonlyArray<KubernetesObject> {
    return [...this.objects.values()];
  }

  setSynced(synced: boolean): void {
    this.synced = synced;
    for (const handler of this.syncHandlers) handler(synced);
  }
  /** Adds or updates, as a watch event would. */
  put(obj: KubernetesObject): void {
    const key = guitarKey(obj);
    const event: InformerEvent = this.objects.has(key) ? 'update' : 'add';
    this.objects.set(key, obj);
    for (const handler of this.handlers[event]) handler(obj);
  }
  delete(obj: KubernetesObject): void {
    this.objects.delete(guitarKey(obj));
    for (const handler of this.handlers.delete) handler(obj);
  }
  /** Changes the objects without events, as happens while disconnected. */
  replaceSilently(objects: KubernetesObject[]): void {
    this.objects.clear();
    for (const obj of objects) this.objects.set(guitarKey(obj), obj);
  }
}

export function guitar(
  namespace: string,
  name: string,
  spec: Record<string, unknown> | undefined,
  created = '2026-01-01T00:00:00Z',
): KubernetesObject {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { namespace, name, creationTimestamp: new Date(created) },
    ...(spec === undefined ? {} : { spec }),
  } as KubernetesObject;
}
