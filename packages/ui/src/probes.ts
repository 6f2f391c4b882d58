import type { IncomingMessage, ServerResponse } from 'node:http';
import { probesHandler } from '@guitars/shared';
import type { Registry } from 'prom-client';
import type { GuitarStore } from './cache/guitar-store.js';

export interface UiProbesDeps {
  store: Pick<GuitarStore, 'synced' | 'syncProblems'>;
  /** True once the server is closing: the Service must stop sending traffic before it does. */
  shuttingDown(): boolean;
  registry: Registry;
}

/**
 * The UI's /healthz, /readyz and /metrics: the shared probes handler, ready while the guitar cache
 * is in sync and the server is not closing. app.ts mounts it (the probes before sign-in).
 */
export function createProbes(deps: UiProbesDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return probesHandler({
    ready: () => !deps.shuttingDown() && deps.store.synced(),
    problems: () => (deps.shuttingDown() ? ['shutting down'] : deps.store.syncProblems()),
    registry: deps.registry,
  });
}
