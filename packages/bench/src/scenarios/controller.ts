import { apiStatus, connect, GROUP, PLURAL, VERSION } from '@guitars/shared';
import type { ControlPlane } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { apiserverRequests, delta, REVIEW_WRITES } from '../apiserver-metrics.js';
import { type AppProcess, controllerPortEnv, startApp } from '../app-process.js';
import { createGuitars, type GuitarRef, guitarRefs, pooledAdmin, ReviewWatcher } from '../guitars.js';
import { appIdentity } from '../identities.js';
import { cpuSeconds, memoryMb } from '../process-stats.js';
import { extent, quantile } from '../stats.js';

export const NAMESPACES_PER_RUN = 4;

/**
 * The controller as its Deployment runs it: its ServiceAccount with the RBAC of k8s/base, leader
 * election on (the lease in its namespace), the CRD installed beforehand, logging at info. `entry`:
 * another build's dist/index.js (bench --baseline), run as its own Dockerfile says.
 */
export async function startController(plane: ControlPlane, entry?: URL): Promise<AppProcess> {
  return startApp(
    entry ?? '@guitars/controller',
    {
      KUBECONFIG: (await appIdentity(plane, 'controller')).path,
      CONTROLLER_LEADER_ELECT: 'true',
      CONTROLLER_INSTALL_CRD: 'false',
      LOG_LEVEL: 'info',
    },
    controllerPortEnv,
  );
}

export async function freshNamespaces(plane: ControlPlane, prefix: string): Promise<string[]> {
  return Promise.all(Array.from({ length: NAMESPACES_PER_RUN }, () => plane.createNamespace(prefix)));
}

/**
 * Deletes a run's guitars (namespaces never finish deleting here, but a collection delete does).
 * A collection of 25,000 outlasts the client's 300 s wait for an answer, so a delete left
 * unanswered is asked again while guitars are left, each pass removing more, for up to 30
 * minutes; a refusal (an answer with a status) is thrown at once.
 */
export async function deleteGuitars(plane: ControlPlane, namespaces: readonly string[]): Promise<void> {
  const api = pooledAdmin(plane).makeApiClient(CustomObjectsApi);
  const collection = { group: GROUP, version: VERSION, plural: PLURAL };
  const deadline = Date.now() + 30 * 60_000;
  await Promise.all(
    namespaces.map(async (namespace) => {
      for (;;) {
        try {
          await api.deleteCollectionNamespacedCustomObject({ ...collection, namespace });
          return;
        } catch (err) {
          if (apiStatus(err) !== undefined) throw err;
          const left = (await api.listNamespacedCustomObject({ ...collection, namespace, limit: 1 })) as {
            items: unknown[];
          };
          if (left.items.length === 0) return;
          if (Date.now() > deadline) throw err;
        }
      }
    }),
  );
}

const keysOf = (refs: readonly GuitarRef[]) => refs.map((r) => `${r.namespace}/${r.name}`);
const reviewTimeout = (n: number) => Math.max(120_000, n * 30);

export interface BurstResult {
  guitars: number;
  createSeconds: number;
  /** First create sent to last review seen. */
  totalSeconds: number;
  reviewsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  apiserverWritesPerReview: number;
  controllerCpuSeconds: number;
  controllerPeakRssMb: number;
}

/** Scenario 1: N guitars created as fast as the apiserver takes them, the controller running. */
export async function controllerBurst(plane: ControlPlane, n: number): Promise<BurstResult> {
  const namespaces = await freshNamespaces(plane, 'burst');
  const refs = guitarRefs('burst', n, namespaces);
  const kc = pooledAdmin(plane);
  const watcher = new ReviewWatcher(kc);
  await watcher.start();
  const controller = await startController(plane);
  try {
    const cpuBefore = cpuSeconds(controller.pid);
    const requestsBefore = await apiserverRequests(plane);
    const start = performance.now();
    const sentAt = await createGuitars(kc, refs);
    const created = performance.now();
    const keys = keysOf(refs);
    await watcher.waitForAll(keys, reviewTimeout(n));
    const done = extent(keys.map((k) => watcher.reviewedAt.get(k) as number)).max;
    const requestsAfter = await apiserverRequests(plane);
    const latencies = keys.map((k) => (watcher.reviewedAt.get(k) as number) - (sentAt.get(k) as number));
    return {
      guitars: n,
      createSeconds: (created - start) / 1000,
      totalSeconds: (done - start) / 1000,
      reviewsPerSecond: n / ((done - start) / 1000),
      latencyP50Ms: quantile(latencies, 0.5),
      latencyP99Ms: quantile(latencies, 0.99),
      apiserverWritesPerReview: delta(requestsBefore, requestsAfter, REVIEW_WRITES) / n,
      controllerCpuSeconds: cpuSeconds(controller.pid) - cpuBefore,
      controllerPeakRssMb: memoryMb(controller.pid).peak,
    };
  } finally {
    await controller.stop();
    await watcher.stop();
    await deleteGuitars(plane, namespaces);
  }
}

export interface BacklogResult {
  guitars: number;
  /** Reviews per second between the first and the last review of a backlog. */
  reviewsPerSecond: number;
  /** Controller process start to its cache synced (/readyz), with the backlog in the cluster. */
  startupToSyncedSeconds: number;
  controllerRssMb: number;
}

/**
 * N unreviewed guitars waiting, then the controller starts: its pure review throughput (compared
 * with the bare client's ceiling), its startup with N guitars to list, and its memory with N
 * guitars cached.
 */
export async function controllerBacklog(plane: ControlPlane, n: number): Promise<BacklogResult> {
  const namespaces = await freshNamespaces(plane, 'backlog');
  const refs = guitarRefs('backlog', n, namespaces);
  const kc = pooledAdmin(plane);
  await createGuitars(kc, refs);
  const watcher = new ReviewWatcher(kc);
  await watcher.start();
  const controller = await startController(plane);
  try {
    const keys = keysOf(refs);
    await watcher.waitForAll(keys, reviewTimeout(n));
    const times = keys.map((k) => watcher.reviewedAt.get(k) as number);
    const { min: first, max: last } = extent(times);
    return {
      guitars: n,
      reviewsPerSecond: (n - 1) / ((last - first) / 1000),
      startupToSyncedSeconds: (controller.readyAt - controller.spawnedAt) / 1000,
      controllerRssMb: memoryMb(controller.pid).rss,
    };
  } finally {
    await controller.stop();
    await watcher.stop();
    await deleteGuitars(plane, namespaces);
  }
}

export interface IdleResult {
  guitars: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/** Scenario 3: guitars created one at a time; create-to-review latency as a watcher sees it. */
export async function idleLatency(plane: ControlPlane, n: number): Promise<IdleResult> {
  const namespaces = await freshNamespaces(plane, 'idle');
  const refs = guitarRefs('idle', n, namespaces.slice(0, 1));
  const kc = pooledAdmin(plane);
  const watcher = new ReviewWatcher(kc);
  await watcher.start();
  const controller = await startController(plane);
  const kube = connect(kc);
  try {
    const latencies: number[] = [];
    for (const ref of refs) {
      const sentAt = await createGuitars(kc, [ref], 1, kube);
      const key = `${ref.namespace}/${ref.name}`;
      await watcher.waitForAll([key], 10_000);
      latencies.push((watcher.reviewedAt.get(key) as number) - (sentAt.get(key) as number));
    }
    return { guitars: n, latencyP50Ms: quantile(latencies, 0.5), latencyP99Ms: quantile(latencies, 0.99) };
  } finally {
    kube.close();
    await controller.stop();
    await watcher.stop();
    await deleteGuitars(plane, namespaces);
  }
}
