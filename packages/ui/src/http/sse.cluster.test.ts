import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { UiApp } from '../start.js';
import { openStream } from '../test-support/event-stream.js';
import { createGuitar, deleteGuitar, prepareCluster, startTestUi } from '../test-support/ui.js';

const cluster = new Cluster(inject('testenv'));

describe('live updates from the cluster', () => {
  let ui: UiApp;
  let ns: string;

  beforeAll(async () => {
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('sse');
    ui = await startTestUi(cluster.adminConfig());
  });

  afterAll(async () => {
    await ui?.stop();
  });

  it('pushes a change event within a second of a create, an update and a delete', async () => {
    const stream = await openStream(`${ui.url}/events`);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    await stream.next(/^retry: \d+/);
    await createGuitar(cluster.adminConfig(), ns, 'live', { brand: 'fender' });
    const added = await stream.next(/"name":"live"/, 1_000);
    expect(added).toBe(`event: change\ndata: {"type":"upsert","namespace":"${ns}","name":"live"}`);

    await cluster.kubectlOk([
      'patch',
      'guitar',
      'live',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"review":true}}',
    ]);
    await stream.next(/"type":"upsert".*"name":"live"/, 1_000);

    await deleteGuitar(cluster.adminConfig(), ns, 'live');
    expect(await stream.next(/"type":"delete"/, 1_000)).toContain(`"namespace":"${ns}","name":"live"`);
    await stream.close();
  });
});
