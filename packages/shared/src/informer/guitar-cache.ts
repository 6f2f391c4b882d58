import type { KubernetesObject } from '@kubernetes/client-node';
import { Informer, type InformerEvent } from './informer.js';

/**
 * The read side of a cache of guitars, as both apps consume it: GuitarInformer is one; the tests'
 * fakes and the bench's list-per-request baseline are others. Starting and stopping belong to
 * whoever owns the cache (app.ts), not to its readers.
 */
export interface GuitarCache {
  get(namespace: string, name: string): KubernetesObject | undefined;
  /** Every cached guitar, or those of one namespace. */
  list(namespace?: string): ReadonlyArray<KubernetesObject>;
  /** True once the first list is in and while the watch follows it. */
  hasSynced(): boolean;
  on(event: InformerEvent, handler: (obj: KubernetesObject) => void): void;
  onSyncChange(handler: (synced: boolean) => void): void;
}

/** The informer of guitars: the generic Informer, objects unchecked (see isGuitar). */
export const GuitarInformer = Informer;
export type GuitarInformer = Informer;

// Checked by tsc: the informer serves the apps' reads.
const _serves = (informer: GuitarInformer): GuitarCache => informer;
void _serves;
