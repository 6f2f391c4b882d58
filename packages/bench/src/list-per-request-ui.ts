// The baseline of scenario 4: the same UI pages, but built the original sample's way, from a
// cluster-wide LIST on every request instead of the informer cache. Run as its own process by
// the benchmark, like the real UI.

import {
  connect,
  createLogger,
  GROUP,
  type GuitarCache,
  type InformerEvent,
  loadKubeConfig,
  PLURAL,
  VERSION,
} from '@guitars/shared';
import { createApp } from '@guitars/ui/app';
import { loadConfig } from '@guitars/ui/config';
import { GuitarStore } from '@guitars/ui/guitar-store';
import { GuitarWriter } from '@guitars/ui/guitar-writer';
import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import express from 'express';

/** A GuitarCache refreshed by a LIST whenever asked: no watch, no cache between requests. */
class ListPerRequestSource implements GuitarCache {
  private objects = new Map<string, KubernetesObject>();
  private readonly handlers: Record<InformerEvent, Array<(obj: KubernetesObject) => void>> = {
    add: [],
    update: [],
    delete: [],
  };

  constructor(private readonly api: CustomObjectsApi) {}

  async refresh(): Promise<void> {
    const list = (await this.api.listClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
    })) as {
      items: KubernetesObject[];
    };
    const next = new Map(list.items.map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o]));
    for (const [key, obj] of next) {
      const old = this.objects.get(key);
      if (!old) for (const h of this.handlers.add) h(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        for (const h of this.handlers.update) h(obj);
    }
    for (const [key, obj] of this.objects) if (!next.has(key)) for (const h of this.handlers.delete) h(obj);
    this.objects = next;
  }

  start = () => this.refresh();
  get = (namespace: string, name: string) => this.objects.get(`${namespace}/${name}`);
  hasSynced = () => true;
  onSyncChange() {}
  on(event: InformerEvent, handler: (obj: KubernetesObject) => void) {
    this.handlers[event].push(handler);
  }
  list = () => [...this.objects.values()];
}

const logger = createLogger('guitars-ui-list-per-request');
const config = loadConfig();
const { kc } = loadKubeConfig();
const source = new ListPerRequestSource(kc.makeApiClient(CustomObjectsApi));
await source.start();
const store = new GuitarStore();
store.attach(source, { clusterWide: true });
const ui = createApp({
  config,
  store,
  writer: new GuitarWriter(connect(kc).guitars),
  defaultNamespace: 'guitarcenter',
  logger,
});
const outer = express();
outer.use((req, _res, next) => {
  if (req.path === '/readyz' || req.path === '/healthz') return next();
  source.refresh().then(() => next(), next);
});
outer.use(ui.app);
outer.listen(config.port, '127.0.0.1');
