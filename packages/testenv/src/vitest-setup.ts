import type { ClusterInfo } from './cluster.js';
import { type ControlPlane, startControlPlane } from './control-plane.js';
import { existingClusterInfo } from './existing-cluster.js';

interface GlobalSetupContext {
  provide(key: 'testenv', value: ClusterInfo): void;
}

/**
 * Vitest global setup: one control plane for all test files of a package, started before the
 * first and stopped after the last (also when a test fails). Test files read it with
 * `new Cluster(inject('testenv'))` and use fresh namespaces.
 */
export default async function setup({ provide }: GlobalSetupContext): Promise<() => Promise<void>> {
  if (process.env.USE_EXISTING_CLUSTER === 'true') {
    provide('testenv', existingClusterInfo());
    return async () => {};
  }
  const plane: ControlPlane = await startControlPlane();
  provide('testenv', plane.info);
  return () => plane.stop();
}
