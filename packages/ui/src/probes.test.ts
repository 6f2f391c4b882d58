import express from 'express';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GuitarStore } from './cache/guitar-store.js';
import { createProbes } from './probes.js';
import { FakeCache } from './test-support/fake-cache.js';
import { serve } from './test-support/tiny-app.js';

describe('createProbes', () => {
  it('is ready while the cache is in sync and the server is not closing, saying why otherwise', async () => {
    const cache = new FakeCache();
    const store = new GuitarStore();
    store.attach(cache, { clusterWide: true });
    let problems: string[] = [];
    store.explainWith(() => problems);
    let closing = false;
    const probes = createProbes({ store, shuttingDown: () => closing, registry: new Registry() });
    const app = express();
    app.get('/healthz', probes);
    app.get('/readyz', probes);
    const url = await serve(app);
    const readyz = async () => {
      const res = await fetch(`${url}/readyz`);
      return [res.status, await res.text()];
    };

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await readyz()).toEqual([503, 'guitar cache not synced\n']);
    problems = ['forbidden: list guitars'];
    expect(await readyz()).toEqual([503, 'forbidden: list guitars\n']);
    cache.setSynced(true);
    expect(await readyz()).toEqual([200, 'ok\n']);
    closing = true;
    expect(await readyz()).toEqual([503, 'shutting down\n']);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
