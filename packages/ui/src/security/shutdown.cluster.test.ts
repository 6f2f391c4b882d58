// Issue 11 §6: on SIGTERM the UI process answers what is in flight with `Connection: close`, drops
// idle connections at once, and exits within 2 s when nothing is in flight, whatever clients keep
// open (a kept-alive connection, one that never sent a byte, a live stream).
import { existsSync } from 'node:fs';
import { GROUP, PLURAL, VERSION } from '@guitars/shared';
import { Cluster, freePort } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { RawConnection } from '../test-support/raw-http.js';
import { eventually, prepareCluster } from '../test-support/ui.js';
import { ENTRY, runUiProcess, type UiProcess } from '../test-support/ui-process.js';

const cluster = new Cluster(inject('testenv'));

describe('the UI process on SIGTERM', () => {
  let current: UiProcess | undefined;
  let ns: string;

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build first (npm run build)`);
    await prepareCluster(cluster);
    ns = await cluster.createNamespace('shutdown');
  });

  afterEach(() => {
    current?.child.kill('SIGKILL');
    current = undefined;
  });

  const startReady = async () => {
    const port = await freePort();
    current = runUiProcess({ KUBECONFIG: cluster.info.kubeconfigPath, PORT: String(port) });
    const { raw } = current;
    await eventually(
      `readiness (logs: ${raw.join('\n')})`,
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
      20_000,
    );
    return { ui: current, port };
  };

  it('exits within 2 s, closing a kept-alive connection, a silent one and a live stream', async () => {
    const { ui, port } = await startReady();
    const keptAlive = new RawConnection(port);
    await keptAlive.ready;
    keptAlive.get('/healthz');
    await eventually('the keep-alive answer', () => keptAlive.received.endsWith('ok\n'));
    expect(keptAlive.received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: keep-alive\r\n/i);
    const silent = new RawConnection(port);
    await silent.ready;
    const stream = new RawConnection(port);
    await stream.ready;
    stream.write('GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
    await eventually('the stream to open', () => stream.received.startsWith('HTTP/1.1 200'));

    const signalled = Date.now();
    ui.child.kill('SIGTERM');
    expect(await ui.exit).toBe(0);
    const took = Date.now() - signalled;
    expect(took, `exited ${took} ms after SIGTERM`).toBeLessThan(2_000);
    for (const connection of [keptAlive, silent, stream]) expect(connection.closed).toBe(true);
    expect(ui.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });

  it('answers a request in flight, with Connection: close, then exits', async () => {
    const { ui, port } = await startReady();
    const body = JSON.stringify({ name: 'late', brand: 'fender', namespace: ns });
    const request = new RawConnection(port);
    await request.ready;
    // A first answer on the connection: the UI has accepted it (one still in the listen backlog
    // when the port closes is reset, as by any server).
    request.get('/healthz');
    await eventually('the first answer', () => request.received.endsWith('ok\n'));
    request.received = '';
    const half = Math.floor(body.length / 2);
    request.write(
      `POST /api/guitars HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
    );
    // In flight: the headers are sent before the signal, half the body after the port has closed.
    ui.child.kill('SIGTERM');
    await eventually('the shutdown to begin', () => ui.logs.some((l) => l.msg === 'shutting down'));
    // New connections are refused from now on.
    await eventually('the port to close', async () => {
      const probe = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => 'open',
        () => 'closed',
      );
      return probe === 'closed';
    });
    request.write(body.slice(half));

    await eventually('the answer and the close', () => request.closed, 5_000);
    expect(request.received).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(request.received).toMatch(/\r\nConnection: close\r\n/i);
    expect(request.received).not.toMatch(/keep-alive/i);
    expect(await ui.exit).toBe(0);
    const created = await cluster.adminConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: ns,
      name: 'late',
    });
    expect(created).toMatchObject({ spec: { brand: 'fender' } });
  });
});
