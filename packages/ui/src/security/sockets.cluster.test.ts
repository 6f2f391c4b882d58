// Issue 23, connections: clients that open connections and never finish a request, from one
// address or many, and clients that hold every live stream. Each address of 127/8 is a client of
// its own; every flood is bounded (a few thousand connections at most, closed after each test).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Cluster, freePort } from '@guitars/testenv';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_MAX_CONNECTIONS_PER_CLIENT } from '../http/connection-guard.js';
import { DEFAULT_MAX_CLIENTS, DEFAULT_MAX_PER_CLIENT } from '../http/sse.js';
import type { UiApp } from '../start.js';
import { openStream, RawConnection, type RawStream, send } from '../test-support/raw-http.js';
import { eventually, prepareCluster, startTestUi } from '../test-support/ui.js';
import { ENTRY, runUiProcess, type UiProcess } from '../test-support/ui-process.js';

const cluster = new Cluster(inject('testenv'));

/** A request head begun and never finished, as a slowloris client sends it. */
const HALF_HEAD = 'GET /api/guitars HTTP/1.1\r\nHost: localhost\r\nX-Slow: ';

/** Opens `count` connections from `from`, each sending half a head; resolves once all are connected. */
async function halfHeads(port: number, from: string, count: number): Promise<RawConnection[]> {
  const connections = Array.from({ length: count }, () => new RawConnection(port, from));
  await Promise.all(connections.map((c) => Promise.race([c.ready, closedPromise(c)])));
  for (const c of connections) if (!c.closed) c.write(HALF_HEAD);
  return connections;
}

function closedPromise(c: RawConnection): Promise<void> {
  return new Promise((resolve) => c.socket.once('close', () => resolve()));
}

/** GET `path` from `from`, and how long the answer took; the error's code if there was none. */
async function timed(url: string, from: string): Promise<{ status: number | string; ms: number }> {
  const start = performance.now();
  try {
    const answer = await Promise.race([
      send(url, { from, headers: { accept: 'application/json' } }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5_000)),
    ]);
    return { status: answer.status, ms: Math.round(performance.now() - start) };
  } catch (err) {
    return {
      status: (err as { code?: string }).code ?? String(err),
      ms: Math.round(performance.now() - start),
    };
  }
}

describe('one client cannot hold more than its share of connections', () => {
  let ui: UiApp;
  const open: RawConnection[] = [];

  beforeAll(async () => {
    await prepareCluster(cluster);
    ui = await startTestUi(cluster.adminConfig());
  });

  afterAll(async () => {
    for (const c of open) c.socket.destroy();
    await ui?.stop();
  });

  it(`keeps ${DEFAULT_MAX_CONNECTIONS_PER_CLIENT} half-sent heads of one address, refuses the rest with 503`, async () => {
    const port = Number(new URL(ui.url).port);
    const extra = 16;
    open.push(...(await halfHeads(port, '127.0.0.31', DEFAULT_MAX_CONNECTIONS_PER_CLIENT + extra)));
    await eventually(
      'the extra connections to be refused',
      () => open.filter((c) => c.closed).length >= extra,
    );
    const refused = open.filter((c) => c.closed);
    expect(refused.length).toBe(extra);
    expect(refused[0]?.received).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(refused[0]?.received).toContain('Too many connections from your address');
    // Everyone else is served at once.
    expect((await timed(`${ui.url}/healthz`, '127.0.0.32')).status).toBe(200);
    expect((await timed(`${ui.url}/api/guitars`, '127.0.0.33')).status).toBe(200);
  });

  it('keeps a kept-alive connection longer than the head timeout, for the router (keep-alive 65 s)', async () => {
    const port = Number(new URL(ui.url).port);
    const kept = new RawConnection(port, '127.0.0.34');
    open.push(kept);
    await kept.ready;
    kept.get('/healthz');
    await eventually('the first answer', () => kept.received.includes('\r\n\r\nok'));
    // Idle past the 10 s head timeout (plus its 1 s check): a wait on the clock itself.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    kept.received = '';
    kept.get('/healthz');
    await eventually('the second answer on the same connection', () => kept.received.includes('200 OK'));
    expect(kept.closed).toBe(false);
  }, 30_000);
});

describe("a proxy TRUST_PROXY names carries many clients: it is not held to one client's share", () => {
  let ui: UiApp;
  const open: RawConnection[] = [];

  beforeAll(async () => {
    await prepareCluster(cluster);
    ui = await startTestUi(cluster.adminConfig(), { env: { TRUST_PROXY: '127.0.0.41' } });
  });

  afterAll(async () => {
    for (const c of open) c.socket.destroy();
    await ui?.stop();
  });

  it(`serves ${2 * DEFAULT_MAX_CONNECTIONS_PER_CLIENT} kept-alive connections of the router at once`, async () => {
    const port = Number(new URL(ui.url).port);
    for (let i = 0; i < 2 * DEFAULT_MAX_CONNECTIONS_PER_CLIENT; i++)
      open.push(new RawConnection(port, '127.0.0.41'));
    await Promise.all(open.map((c) => c.ready));
    for (const c of open) c.get('/healthz');
    await eventually(
      'every connection to be answered',
      () => open.every((c) => c.received.includes('\r\n\r\n') || c.closed),
      10_000,
    );
    expect(open.filter((c) => !c.received.startsWith('HTTP/1.1 200 OK')).length).toBe(0);
    // Any other address is still one client.
    const other = await halfHeads(port, '127.0.0.42', DEFAULT_MAX_CONNECTIONS_PER_CLIENT + 1);
    open.push(...other);
    await eventually('the one past the share to be refused', () => other.some((c) => c.closed));
  });
});

describe('a flood of half-sent heads from many addresses, in a process with 1,024 files', () => {
  const ADDRESSES = 50;
  const PER_ADDRESS = 30; // 1,500 connections: more than the process may open files
  let ui: UiProcess | undefined;
  const flood: RawConnection[] = [];

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build first (npm run build)`);
    if (spawnSync('prlimit', ['--version']).status !== 0) {
      throw new Error("prlimit (util-linux) is missing: it sets the UI process's open-files limit");
    }
    await prepareCluster(cluster);
  });

  afterEach(async () => {
    for (const c of flood) c.socket.destroy();
    ui?.child.kill('SIGTERM');
    await ui?.exit;
  });

  it('still answers /healthz and the API at once, and closes the flood within the head timeout', async () => {
    const port = await freePort();
    ui = runUiProcess(
      { KUBECONFIG: cluster.info.kubeconfigPath, PORT: String(port), LOG_LEVEL: 'warn' },
      { maxFiles: 1024 },
    );
    const url = `http://127.0.0.1:${port}`;
    await eventually(
      'the UI to be ready',
      async () => (await timed(`${url}/readyz`, '127.0.0.1')).status === 200,
      30_000,
    );

    const started = performance.now();
    for (let i = 0; i < ADDRESSES; i++)
      flood.push(...(await halfHeads(port, `127.0.1.${i + 1}`, PER_ADDRESS)));
    const held = flood.filter((c) => !c.closed).length;

    const healthz = await timed(`${url}/healthz`, '127.0.0.1');
    const list = await timed(`${url}/api/guitars`, '127.0.0.2');
    console.info(
      `flood: ${flood.length} connections from ${ADDRESSES} addresses, ${held} still open; ` +
        `/healthz ${healthz.status} in ${healthz.ms} ms, /api/guitars ${list.status} in ${list.ms} ms`,
    );
    expect({ healthz: healthz.status, list: list.status }).toEqual({ healthz: 200, list: 200 });
    // The cap fits the file limit, less what the process keeps for itself, and the log says so once.
    expect(
      ui.logs.filter((l) => l.msg === 'refused connections: too many from one address, or in all'),
    ).toEqual([expect.objectContaining({ max: 1024 - 128, perClient: DEFAULT_MAX_CONNECTIONS_PER_CLIENT })]);

    await eventually('the server to close every half-sent head', () => flood.every((c) => c.closed), 20_000);
    const closedAfter = Math.round(performance.now() - started);
    console.info(`flood closed by the server ${closedAfter} ms after it began`);
    expect(flood.filter((c) => c.received.includes('408 Request Timeout')).length).toBeGreaterThan(0);
  }, 60_000);
});

describe('live streams: a fair share per client, whatever the number of addresses', () => {
  let ui: UiApp;
  const streams: RawStream[] = [];

  beforeAll(async () => {
    await prepareCluster(cluster);
    ui = await startTestUi(cluster.adminConfig());
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await ui?.stop();
  });

  it(`lets a newcomer in when ${DEFAULT_MAX_CLIENTS / DEFAULT_MAX_PER_CLIENT} addresses hold all ${DEFAULT_MAX_CLIENTS}, and refuses the busiest`, async () => {
    const addresses = DEFAULT_MAX_CLIENTS / DEFAULT_MAX_PER_CLIENT;
    for (let i = 0; i < addresses; i++) {
      const from = `127.0.2.${i + 1}`;
      const mine = await Promise.all(
        Array.from({ length: DEFAULT_MAX_PER_CLIENT }, () => openStream(`${ui.url}/events`, { from })),
      );
      streams.push(...mine);
    }
    expect(streams.filter((s) => s.status === 200).length).toBe(DEFAULT_MAX_CLIENTS);
    expect(ui.sse.size).toBe(DEFAULT_MAX_CLIENTS);

    // A newcomer gets in, at the cost of one of the busiest's streams; the total stays capped.
    const newcomer = await openStream(`${ui.url}/events`, { from: '127.0.3.1' });
    streams.push(newcomer);
    expect(newcomer.status).toBe(200);
    expect(ui.sse.size).toBe(DEFAULT_MAX_CLIENTS);
    // The busiest are refused: one that lost a stream is no less busy than the others but one.
    const greedy = await openStream(`${ui.url}/events`, { from: '127.0.2.1' });
    streams.push(greedy);
    expect({ status: greedy.status, body: greedy.body }).toEqual({
      status: 503,
      body: 'Too many live connections; retry later.\n',
    });
    // Many newcomers, one stream each, all get in.
    for (let i = 2; i <= 30; i++) {
      const other = await openStream(`${ui.url}/events`, { from: `127.0.3.${i}` });
      streams.push(other);
      expect(other.status).toBe(200);
    }
  }, 60_000);
});
