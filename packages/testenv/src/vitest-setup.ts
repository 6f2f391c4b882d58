import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
 *
 * Every temporary folder of the run (the tests', and those of the apps, browsers and servers they
 * start) goes in one, removed at the end: vitest kills its test workers rather than letting them
 * exit, so their own clean-up on exit never runs. TMPDIR is set before the workers are forked,
 * and they and their children inherit it.
 */
export default async function setup({ provide }: GlobalSetupContext): Promise<() => Promise<void>> {
  const runDir = mkdtempSync(join(tmpdir(), 'guitars-test-run-'));
  // As /tmp is: tests run apps as other users (an OpenShift UID), which need it too.
  chmodSync(runDir, 0o1777);
  process.env.TMPDIR = runDir;
  const removeRunDir = () => rmSync(runDir, { recursive: true, force: true });
  if (process.env.USE_EXISTING_CLUSTER === 'true') {
    provide('testenv', existingClusterInfo());
    return async () => removeRunDir();
  }
  const plane: ControlPlane = await startControlPlane();
  provide('testenv', plane.info);
  return async () => {
    await plane.stop();
    removeRunDir();
  };
}
