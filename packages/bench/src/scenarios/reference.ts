import { ensureGuitarCrd, GROUP, PLURAL, VERSION } from '@guitars/shared';
import { type ControlPlane, startControlPlane, waitFor } from '@guitars/testenv';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { createGuitars, guitarRefs, pooledAdmin, ReviewWatcher } from '../guitars.js';
import { cpuSeconds, memoryMb } from '../process-stats.js';
import { startReference } from '../reference.js';
import { extent, median, round } from '../stats.js';
import { freshNamespaces, startController } from './controller.js';

/** baseline: the controller of another checkout (bench --baseline), for a before/after run. */
export type Side = 'controller' | 'baseline' | 'reference';

interface Started {
  pid: number;
  spawnedAt: number;
  readyAt: number;
  stop(): Promise<void>;
}

/** What starts each side: the client-go reference's binary, the baseline's entry if any. */
export interface Contenders {
  binary: string;
  baseline?: URL;
}

const start = (plane: ControlPlane, side: Side, { binary, baseline }: Contenders): Promise<Started> =>
  side === 'reference'
    ? startReference(plane, binary)
    : startController(plane, side === 'baseline' ? baseline : undefined);

/** The apiserver's CPU seconds so far (testenv lists etcd's pid, then the apiserver's). */
const apiserverCpu = (plane: ControlPlane) => cpuSeconds(plane.pids()[1] as number);

export interface FromStartResult {
  guitars: number;
  /** N / (process start to the last review seen): start-up and cache sync included. */
  reviewsPerSecond: number;
  firstReviewSeconds: number;
  cpuMsPerReview: number;
  apiserverCpuMsPerReview: number;
  peakRssMb: number;
  /** SIGTERM to exit, right after the last review. */
  stopSeconds: number;
}

/**
 * N unreviewed guitars waiting, then one side starts: timed from its process start until the
 * benchmark's watch has seen all N reviewed, as issue 15 measures the controller against client-go.
 * On a plane of the run's own (onFreshPlane): the guitars are left on it.
 */
export async function backlogFromStart(
  plane: ControlPlane,
  n: number,
  side: Side,
  contenders: Contenders,
): Promise<FromStartResult> {
  const namespaces = await freshNamespaces(plane, `ref-${side}`);
  const refs = guitarRefs(`ref-${side}`, n, namespaces);
  const kc = pooledAdmin(plane);
  await createGuitars(kc, refs);
  const watcher = new ReviewWatcher(kc);
  await watcher.start();
  const apiserverBefore = apiserverCpu(plane);
  const proc = await start(plane, side, contenders);
  let stopped = false;
  try {
    const keys = refs.map((r) => `${r.namespace}/${r.name}`);
    await watcher.waitForAll(keys, Math.max(120_000, n * 30));
    const cpu = cpuSeconds(proc.pid);
    const apiserver = apiserverCpu(plane) - apiserverBefore;
    const peakRssMb = memoryMb(proc.pid).peak;
    const times = keys.map((k) => watcher.reviewedAt.get(k) as number);
    const { min: first, max: last } = extent(times);
    // A stop right after the backlog, as a rollout would: what is left of the events waits or not.
    const stopping = performance.now();
    await proc.stop();
    stopped = true;
    return {
      guitars: n,
      reviewsPerSecond: n / ((last - proc.spawnedAt) / 1000),
      firstReviewSeconds: (first - proc.spawnedAt) / 1000,
      cpuMsPerReview: (cpu * 1000) / n,
      apiserverCpuMsPerReview: (apiserver * 1000) / n,
      peakRssMb,
      stopSeconds: (performance.now() - stopping) / 1000,
    };
  } finally {
    // The guitars stay: the plane is the run's own, stopped after it (onFreshPlane).
    if (!stopped) await proc.stop();
    await watcher.stop();
  }
}

export interface IdleStartResult {
  /** CPU seconds and resident memory from process start to its cache synced, no guitars to list. */
  cpuSeconds: number;
  rssMb: number;
  readySeconds: number;
}

/** One side started against a cluster with no guitars, read the moment it says it is ready. */
export async function idleStart(
  plane: ControlPlane,
  side: Side,
  contenders: Contenders,
): Promise<IdleStartResult> {
  const proc = await start(plane, side, contenders);
  try {
    return {
      cpuSeconds: cpuSeconds(proc.pid),
      rssMb: memoryMb(proc.pid).rss,
      readySeconds: (proc.readyAt - proc.spawnedAt) / 1000,
    };
  } finally {
    await proc.stop();
  }
}

/**
 * Runs fn on a control plane of its own, with the CRD, stopped after: each side of a pair starts
 * from the same empty etcd and a cold watch cache, not one grown by the runs before it.
 */
export async function onFreshPlane<T>(
  log: (line: string) => void,
  fn: (plane: ControlPlane) => Promise<T>,
): Promise<T> {
  const plane = await startControlPlane({ log });
  try {
    await ensureGuitarCrd(plane.adminConfig());
    // Established is not yet served: a first LIST can still 404, and a side started then would
    // be timed on its retry backoff, not on its start-up.
    const api = pooledAdmin(plane).makeApiClient(CustomObjectsApi);
    await waitFor(
      'guitars served',
      async () => {
        await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, limit: 1 });
        return true;
      },
      30_000,
    );
    return await fn(plane);
  } finally {
    await plane.stop();
  }
}

/**
 * Controller and reference (and the baseline, if any) in pairs (or triples) on the same backlog,
 * the order rotated each time, each run on a fresh control plane; the ratio reported is the
 * median of the pairs' ratios, the baseline's likewise.
 */
export async function versusReference(
  log: (line: string) => void,
  n: number,
  pairs: number,
  contenders: Contenders,
) {
  const sides: Side[] = contenders.baseline
    ? ['controller', 'baseline', 'reference']
    : ['controller', 'reference'];
  const runs: Record<Side, FromStartResult[]> = { controller: [], baseline: [], reference: [] };
  const pairRatios: Record<Side, number[]> = { controller: [], baseline: [], reference: [] };
  for (let i = 0; i < pairs; i++) {
    const order = [...sides.slice(i % sides.length), ...sides.slice(0, i % sides.length)];
    const got: Partial<Record<Side, FromStartResult>> = {};
    for (const side of order)
      got[side] = await onFreshPlane(log, (plane) => backlogFromStart(plane, n, side, contenders));
    const r = got.reference as FromStartResult;
    for (const side of sides) {
      const result = got[side] as FromStartResult;
      runs[side].push(result);
      pairRatios[side].push(round(result.reviewsPerSecond / r.reviewsPerSecond));
    }
  }
  return {
    controller: runs.controller,
    reference: runs.reference,
    ratio: median(pairRatios.controller),
    pairRatios: pairRatios.controller,
    ...(contenders.baseline
      ? {
          baseline: runs.baseline,
          baselineRatio: median(pairRatios.baseline),
          baselinePairRatios: pairRatios.baseline,
        }
      : {}),
  };
}
