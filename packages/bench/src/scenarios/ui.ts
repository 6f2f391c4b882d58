import type { ControlPlane } from '@guitars/testenv';
import autocannon from 'autocannon';
import { startApp, uiPortEnv } from '../app-process.js';
import { createGuitars, guitarRefs, pooledAdmin } from '../guitars.js';
import { appIdentity } from '../identities.js';
import { memoryMb } from '../process-stats.js';
import { deleteGuitars, freshNamespaces } from './controller.js';

const CONNECTIONS = 10;
const DURATION_S = 10;
/**
 * Above this, no LIST-per-request baseline: each of its pages would LIST every guitar (~60 MB of
 * JSON at 100,000), under load, from the apiserver the next scenario needs alive.
 */
const BASELINE_MAX_GUITARS = 10_000;

export interface UiResult {
  guitars: number;
  pageRps: number;
  pageP99Ms: number;
  apiRps: number;
  apiP99Ms: number;
  listPerRequestPageRps: number;
  listPerRequestPageP99Ms: number;
  /** Requests/s of GET / from the cache over the same page built from a LIST per request (NaN: not run). */
  pageSpeedup: number;
  uiRssMb: number;
  uiStartupToReadySeconds: number;
}

async function load(url: string): Promise<{ rps: number; p99: number }> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  }
  return { rps: result.requests.average, p99: result.latency.p99 };
}

/**
 * Scenario 4 and the UI's part of 5 and 6: the UI (its informer cache) under load beside the same
 * pages built from a cluster-wide LIST per request, the original UI's way; its RSS with N guitars
 * cached, and its start-to-ready time.
 */
export async function uiLoad(plane: ControlPlane, n: number): Promise<UiResult> {
  const namespaces = await freshNamespaces(plane, 'ui');
  await createGuitars(pooledAdmin(plane), guitarRefs('ui', n, namespaces));
  // As the UI's pod runs it: its ServiceAccount and RBAC (the baseline too, for the same authorization).
  const env = { KUBECONFIG: (await appIdentity(plane, 'ui')).path };
  try {
    const ui = await startApp('@guitars/ui', env, uiPortEnv);
    let page: { rps: number; p99: number };
    let api: { rps: number; p99: number };
    let uiRssMb: number;
    try {
      page = await load(`http://127.0.0.1:${ui.port}/`);
      api = await load(`http://127.0.0.1:${ui.port}/api/guitars`);
      uiRssMb = memoryMb(ui.pid).rss;
    } finally {
      await ui.stop();
    }
    let listPage = { rps: Number.NaN, p99: Number.NaN };
    if (n <= BASELINE_MAX_GUITARS) {
      // Run as the UI's image runs the UI.
      const baseline = await startApp(
        new URL('../list-per-request-ui.js', import.meta.url),
        env,
        uiPortEnv,
        new URL('../Dockerfile', import.meta.resolve('@guitars/ui')),
      );
      try {
        listPage = await load(`http://127.0.0.1:${baseline.port}/`);
      } finally {
        await baseline.stop();
      }
    }
    return {
      guitars: n,
      pageRps: page.rps,
      pageP99Ms: page.p99,
      apiRps: api.rps,
      apiP99Ms: api.p99,
      listPerRequestPageRps: listPage.rps,
      listPerRequestPageP99Ms: listPage.p99,
      pageSpeedup: page.rps / listPage.rps,
      uiRssMb,
      uiStartupToReadySeconds: (ui.readyAt - ui.spawnedAt) / 1000,
    };
  } finally {
    await deleteGuitars(plane, namespaces);
  }
}
