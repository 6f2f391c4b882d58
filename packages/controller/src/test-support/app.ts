import { createLogger, type KubeHttpOptions } from '@guitars/shared';
import { waitFor } from '@guitars/testenv';
import type { KubeConfig } from '@kubernetes/client-node';
import { type ControllerApp, startControllerApp } from '../app.js';
import { parseConfig } from '../config.js';
import { DEFAULT_POLICY, type ReviewPolicy } from '../review-policy.js';
import { type LogLine, sumSamples } from './controller-process.js';

export interface TestApp {
  app: ControllerApp;
  logs: LogLine[];
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Waits until a metric reaches a value (a review is visible a moment before it is counted). */
  waitMetric(name: string, labels: Record<string, string>, value: number): Promise<void>;
  stop(): Promise<void>;
}

/** The controller in this process, its JSON log lines kept in memory. */
export async function startTestApp(
  kc: KubeConfig,
  args: string[],
  policy: ReviewPolicy = DEFAULT_POLICY,
  env: NodeJS.ProcessEnv = {},
  http: KubeHttpOptions = {},
): Promise<TestApp> {
  const logs: LogLine[] = [];
  const logger = createLogger(
    'guitars-controller',
    { write: (line: string) => void logs.push(JSON.parse(line)) },
    'logger',
  );
  const parsed = parseConfig(
    ['--probe-bind-address=127.0.0.1:0', '--install-crd=false', '--shutdown-timeout=5s', ...args],
    env,
  );
  if (parsed.help) throw new Error('unexpected --help');
  const app = await startControllerApp({ config: parsed.config, kc, logger, policy, http });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    sumSamples(await app.metrics.registry.metrics(), name, labels);
  return {
    app,
    logs,
    metric,
    waitMetric: (name, labels, value) =>
      waitFor(
        `${name}${JSON.stringify(labels)} = ${value}`,
        async () => (await metric(name, labels)) === value,
        10_000,
      ),
    stop: () => app.stop(),
  };
}
