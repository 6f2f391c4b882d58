import { createLogger, type Logger } from '@guitars/shared';
import { Cluster, waitFor } from '@guitars/testenv';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AMPLIFIER_CRD, AMPLIFIERS, type Amplifier, amplifierReconciler } from '../test-support/amplifier.js';
import { type LogLine, sumSamples } from '../test-support/controller-process.js';
import { type RunningController, runController } from './run.js';

// The seam: a kind the kit has never heard of, its own CRD, its own reconciler, the kit as is.
const cluster = new Cluster(inject('testenv'));
const admin = cluster.adminConfig();

/** The Amplifier controller: the wiring a copier writes for a kind of their own. */
function startAmplifiers(kc: KubeConfig, namespace: string, logger: Logger): Promise<RunningController> {
  return runController<Amplifier>({
    kc,
    logger,
    kind: 'amplifier',
    metricsPrefix: 'amplifiers',
    source: (kube) => kube.resources(AMPLIFIERS).select({ namespace }),
    reconciler: amplifierReconciler,
    workers: 2,
    probes: { host: '127.0.0.1', port: 0 },
    events: { component: 'amplifiers-controller', instance: 'test-1', qps: 10, burst: 100 },
    shutdownTimeoutMs: 5_000,
  });
}

const amp = (name: string, spec: Amplifier['spec']) => ({
  apiVersion: `${AMPLIFIERS.group}/${AMPLIFIERS.version}`,
  kind: 'Amplifier',
  metadata: { name },
  spec,
});

describe('a second kind on the kit', () => {
  const running: RunningController[] = [];
  let logs: LogLine[] = [];
  const logger = () =>
    createLogger('amplifiers', { write: (line: string) => void logs.push(JSON.parse(line)) }, 'logger');
  const start = async (kc: KubeConfig, namespace: string) => {
    logs = [];
    const ctl = await startAmplifiers(kc, namespace, logger());
    running.push(ctl);
    return {
      ctl,
      metric: async (name: string, labels: Record<string, string> = {}) =>
        sumSamples(await ctl.metrics.registry.metrics(), name, labels),
    };
  };
  const create = (namespace: string, ...amps: ReturnType<typeof amp>[]) =>
    cluster.kubectlOk(['create', '-n', namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: amps }),
    });
  const get = async (namespace: string, name: string) =>
    JSON.parse(
      await cluster.kubectlOk(['get', 'amplifier', name, '-n', namespace, '-o', 'json']),
    ) as Amplifier;
  const playing = (namespace: string, name: string, sound: string) =>
    waitFor(
      `${name} playing ${sound}`,
      async () => (await get(namespace, name)).status?.playing === sound,
      15_000,
    );

  beforeAll(async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(AMPLIFIER_CRD) });
    await cluster.kubectlOk(['wait', '--for=condition=Established', `crd/${AMPLIFIER_CRD.metadata.name}`]);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((ctl) => ctl.stop()));
  });
  afterAll(() => cluster.kubectlOk(['delete', 'crd', AMPLIFIER_CRD.metadata.name, '--wait=false']));

  it('reconciles, requeues after a wait, and drops a terminal error without a retry', async () => {
    const namespace = await cluster.createNamespace('amps');
    const { ctl, metric } = await start(admin, namespace);
    await waitFor('amplifier cache synced', async () => ctl.ready(), 15_000);
    const created = Date.now();
    await create(
      namespace,
      amp('clean', { sound: 'clean' }),
      amp('tubes', { sound: 'crunch', warmUpMs: 1_000 }),
      amp('silent', {}),
    );

    await playing(namespace, 'clean', 'clean');
    // The tubes amplifier is reconciled once, asks to be looked at again after its warm-up, and
    // plays without any change to it in between.
    await playing(namespace, 'tubes', 'crunch');
    expect(Date.now() - created).toBeGreaterThanOrEqual(1_000);
    expect(
      await metric('amplifiers_reconcile_duration_seconds_count', { result: 'requeued' }),
    ).toBeGreaterThan(0);
    expect(await metric('amplifiers_reconcile_duration_seconds_count', { result: 'played' })).toBe(2);

    // Within that second, a retried key would have come back about four times (50 ms doubling).
    expect(await metric('amplifiers_skipped_total', { reason: 'invalid' })).toBe(1);
    expect(await metric('amplifiers_reconcile_duration_seconds_count', { result: 'skipped' })).toBe(1);
    expect(await metric('amplifiers_reconcile_errors_total')).toBe(0);
    expect(logs.filter((l) => l.msg === 'amplifier skipped: spec.sound is missing')).toEqual([
      expect.objectContaining({ level: 'warn', namespace, name: 'silent', reason: 'invalid' }),
    ]);
    expect((await get(namespace, 'silent')).status).toBeUndefined();

    // The kit's event recorder and metrics served this kind too.
    await waitFor(
      'events written',
      async () => (await metric('amplifiers_events_total', { result: 'created' })) === 2,
      10_000,
    );
    const events = await cluster.kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '-o',
      'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
    ]);
    expect(events.trim().split('\n').sort()).toEqual(['playing clean', 'playing crunch']);
  });

  it('retries a failed write with backoff until it succeeds', async () => {
    const namespace = await cluster.createNamespace('amps-rbac');
    await cluster.ensureServiceAccount(namespace, 'amplifiers');
    const sa = { namespace, name: 'amplifiers' };
    const rules = (ampVerbs: string[]) => [
      { apiGroups: [AMPLIFIERS.group], resources: [AMPLIFIERS.plural], verbs: ampVerbs },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ];
    // Allowed to watch amplifiers, not yet to write them: each write is refused (403).
    await cluster.grantRole(namespace, 'amplifiers', rules(['list', 'watch']), sa);
    const { kc } = await cluster.kubeconfigFor(namespace, 'amplifiers');
    const { ctl, metric } = await start(kc, namespace);
    await waitFor('amplifier cache synced', async () => ctl.ready(), 15_000);
    await create(namespace, amp('loud', { sound: 'loud' }));

    const failures = () => logs.filter((l) => l.msg.startsWith('reconcile failed, retrying with backoff'));
    await waitFor('four refused writes', async () => failures().length >= 4, 15_000);
    expect(await metric('amplifiers_reconcile_errors_total', { reason: 'forbidden' })).toBeGreaterThanOrEqual(
      4,
    );
    // Each retry waits at least twice as long as the one before: 50, 100, 200 ms.
    const times = failures().map((l) => Date.parse(String(l.time)));
    for (let i = 1; i < 4; i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(50 * 2 ** (i - 1));

    await cluster.grantRole(namespace, 'amplifiers', rules(['list', 'watch', 'patch']), sa);
    await playing(namespace, 'loud', 'loud');
    expect(await metric('amplifiers_skipped_total')).toBe(0);
  });
});
