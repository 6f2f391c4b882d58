import { connect, createLogger } from '@guitars/shared';
import { Cluster, type ControlPlane, startControlPlane, waitFor } from '@guitars/testenv';
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_WORKERS } from './config.js';
import { LeaderElector, type Lease } from './kit/leader-election.js';
import type { Now } from './kit/rate-limiter.js';
import { ControllerProcess } from './test-support/controller-process.js';
import { expectEachReviewedOnce } from './test-support/faults.js';
import { createGuitars, listGuitars, manyGuitars, waitAllReviewed } from './test-support/guitars.js';

const cluster = new Cluster(inject('testenv'));
// An independent reader for the assertions: client-node's generated client, and kubectl.
const coordination = cluster.adminConfig().makeApiClient(CoordinationV1Api);
const silent = createLogger('test', { write: () => {} });

/** The test lease as kubectl prints it: times are the apiserver's strings, not client-node's Dates. */
async function kubectlLease(namespace: string): Promise<Lease> {
  return JSON.parse(
    await cluster.kubectlOk(['get', 'lease', 'test-lease', '-n', namespace, '-o', 'json']),
  ) as Lease;
}

describe('LeaderElector', () => {
  // The electors write through kube.leases, as in the controller.
  const kube = connect(cluster.adminConfig());
  const electors: LeaderElector[] = [];
  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
  });
  afterAll(() => kube.close());

  const elector = (namespace: string, identity: string, leaseDurationMs = 3000, now?: Now) => {
    const e = new LeaderElector(kube.leases, silent, {
      namespace,
      name: 'test-lease',
      identity,
      leaseDurationMs,
      renewDeadlineMs: 2000,
      retryPeriodMs: 300,
      now,
    });
    electors.push(e);
    return e;
  };
  const track = (e: LeaderElector) => {
    const state = { leading: false, transitions: 0 };
    e.run({
      onStartedLeading: () => {
        state.leading = true;
        state.transitions += 1;
      },
      onStoppedLeading: () => {
        state.leading = false;
      },
    });
    return state;
  };

  it('elects one leader of two, and hands over at once when the leader stops', async () => {
    const namespace = await cluster.createNamespace('lease');
    const a = elector(namespace, 'a');
    const sa = track(a);
    await waitFor('a leads', async () => sa.leading, 5_000);
    const b = elector(namespace, 'b');
    const sb = track(b);
    // b stands by while a renews, for longer than a lease duration.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(sb.leading).toBe(false);
    expect(b.isLeader()).toBe(false);
    const lease = await coordination.readNamespacedLease({ namespace, name: 'test-lease' });
    expect(lease.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 3, leaseTransitions: 0 });

    let workDone = false;
    const stoppedAt = Date.now();
    await a.stop(async () => {
      // The leader's work is finished before the lease is released.
      expect(
        (await coordination.readNamespacedLease({ namespace, name: 'test-lease' })).spec?.holderIdentity,
      ).toBe('a');
      workDone = true;
    });
    expect(workDone).toBe(true);
    await waitFor('b leads', async () => sb.leading, 5_000);
    // Released: b did not wait for the lease to expire, only for its next try.
    expect(Date.now() - stoppedAt).toBeLessThan(1_500);
    const taken = await coordination.readNamespacedLease({ namespace, name: 'test-lease' });
    expect(taken.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 0 });
  });

  it('takes over a lease whose holder vanished only after the lease duration', async () => {
    const namespace = await cluster.createNamespace('lease');
    const now = new V1MicroTime(Date.now());
    await coordination.createNamespacedLease({
      namespace,
      body: {
        metadata: { name: 'test-lease', namespace },
        spec: {
          holderIdentity: 'ghost',
          leaseDurationSeconds: 2,
          renewTime: now,
          acquireTime: now,
          leaseTransitions: 4,
        },
      },
    });
    const started = Date.now();
    const b = elector(namespace, 'b');
    const sb = track(b);
    await waitFor('b leads', async () => sb.leading, 10_000);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(2_000);
    expect(waited).toBeLessThan(3_500);
    const lease = await coordination.readNamespacedLease({ namespace, name: 'test-lease' });
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 5 });
    // Taken, not renewed: the acquireTime is b's own.
    // (client-node's generated client hands MicroTimes back as strings, its type says Date.)
    expect(new Date(lease.spec?.acquireTime ?? 0).getTime()).toBeGreaterThanOrEqual(now.getTime() + 2_000);
  });

  it('writes renewTime and acquireTime as MicroTime, 6 digits, which kubectl reads back', async () => {
    const namespace = await cluster.createNamespace('lease');
    // The apiserver parses MicroTime with Go's RFC3339Micro layout: a Date's JSON (3 digits) is refused.
    const refused = await cluster.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'test-lease', namespace },
        spec: { holderIdentity: 'x', renewTime: '2025-01-02T03:04:05.678Z' },
      }),
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('cannot parse ".678Z" as ".000000"');
    // A clock from 2025-01-02T03:04:05.678Z that moves by whole seconds: known milliseconds in
    // every time written, and a renewTime that changes within a few renewals.
    const start = Date.parse('2025-01-02T03:04:05.678Z');
    const base = Date.now();
    const clock = () => start + Math.floor((Date.now() - base) / 1000) * 1000;
    const a = elector(namespace, 'a', 3000, clock);
    const sa = track(a);
    await waitFor('a leads', async () => sa.leading, 5_000);
    const created = await kubectlLease(namespace);
    expect(created.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 3,
      acquireTime: '2025-01-02T03:04:05.678000Z',
      leaseTransitions: 0,
    });
    expect(created.spec?.renewTime).toMatch(/^2025-01-02T03:04:\d\d\.678000Z$/);
    // Renewals move renewTime on; acquireTime stays as first written.
    let renewed: Lease = created;
    await waitFor(
      'renewed',
      async () => {
        renewed = await kubectlLease(namespace);
        return renewed.spec?.renewTime !== created.spec?.renewTime;
      },
      5_000,
    );
    expect(renewed.spec).toMatchObject({
      holderIdentity: 'a',
      acquireTime: '2025-01-02T03:04:05.678000Z',
      leaseTransitions: 0,
    });
    expect(renewed.spec?.renewTime).toMatch(/^2025-01-02T03:04:\d\d\.678000Z$/);
  });

  it('renews at once a lease it held before a restart, written by kubectl, keeping its microseconds', async () => {
    const namespace = await cluster.createNamespace('lease');
    // As client-go writes it: microseconds, which a Date could not carry.
    const acquired = '2025-01-02T03:04:05.123456Z';
    await cluster.kubectlOk(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'test-lease', namespace },
        spec: {
          holderIdentity: 'b',
          leaseDurationSeconds: 3,
          acquireTime: acquired,
          renewTime: acquired,
          leaseTransitions: 7,
        },
      }),
    });
    const started = Date.now();
    const b = elector(namespace, 'b');
    const sb = track(b);
    await waitFor('b leads', async () => sb.leading, 5_000);
    // Its own lease: no waiting for it to expire, no transition counted.
    expect(Date.now() - started).toBeLessThan(1_500);
    const lease = await kubectlLease(namespace);
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', acquireTime: acquired, leaseTransitions: 7 });
    expect(Date.parse(lease.spec?.renewTime ?? '')).toBeGreaterThanOrEqual(started - 1_000);
  });
});

describe('two controller replicas with leader election', () => {
  let plane: ControlPlane;
  const replicas: ControllerProcess[] = [];

  beforeAll(async () => {
    // No CRD yet: the first replica installs it.
    plane = await startControlPlane({ log: () => {} });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(replicas.map((p) => p.kill()));
    await plane?.stop();
  });

  const LEASE = ['--leader-elect', '--lease-duration=4s', '--renew-deadline=3s', '--retry-period=1s'];
  const start = async (identity: string, installCrd = false) => {
    const proc = await ControllerProcess.start(
      identity,
      [...LEASE, `--identity=${identity}`, `--install-crd=${installCrd}`],
      {
        KUBECONFIG: plane.info.kubeconfigPath,
      },
    );
    replicas.push(proc);
    return proc;
  };

  it('never review at the same time; the standby takes over within the lease duration when the leader is killed mid-burst', async () => {
    const kc = plane.adminConfig();
    const namespace = await plane.createNamespace('leader');
    const first = await start('replica-1', true);
    await first.waitForLog('CRD created', (l) => l.msg === 'CRD guitars.kool.karmalabs.local created');
    await first.waitForLog('leadership', (l) => l.msg === 'became leader');
    const second = await start('replica-2');
    await second.waitReady();
    expect(await first.metric('guitars_leader')).toBe(1);
    expect(await second.metric('guitars_leader')).toBe(0);

    const started = Date.now();
    const creating = createGuitars(
      kc,
      namespace,
      manyGuitars('burst', 1000, ['fender', 'yamaha', 'acme', 'Martin']),
    );
    await waitFor(
      'the leader is mid-burst',
      async () => (await first.metric('guitars_reviews_total')) >= 200,
      60_000,
    );
    const byFirst = await first.metric('guitars_reviews_total');
    // The standby has written nothing while the leader leads.
    expect(await second.metric('guitars_reviews_total')).toBe(0);
    first.signal('SIGKILL');
    const killedAt = Date.now();
    const tookOver = await second.waitForLog('takeover', (l) => l.msg === 'became leader', 15_000);
    const takeoverMs = Date.parse(String(tookOver.time)) - killedAt;
    console.log(`standby took over ${takeoverMs} ms after the leader was killed (lease 4 s, retry 1 s)`);
    // client-go's rule: the lease duration after the last renewal the standby saw (≤ one retry
    // period before the kill), then its next try (a jittered retry period).
    expect(takeoverMs).toBeGreaterThanOrEqual(4_000 - 1_200);
    expect(takeoverMs).toBeLessThan(4_000 + 2 * 1_200);

    await creating;
    const guitars = await waitAllReviewed(kc, namespace, 1000, 120_000);
    console.log(`1,000 guitars, leader killed mid-burst: created and reviewed in ${Date.now() - started} ms`);
    await first.waitExit();
    expectEachReviewedOnce(guitars, [first, second], namespace);
    // Together they wrote each guitar once. The killed leader may have had a write in flight on
    // each of its workers that the apiserver applied but whose log line it did not live to print.
    const logged = 1000 - DEFAULT_WORKERS;
    // Reviews are counted a moment after they are visible: wait for the standby's count to settle.
    let bySecond = 0;
    await waitFor(
      'reviews counted',
      async () => {
        bySecond = await second.metric('guitars_reviews_total');
        return first.lines('guitar reviewed').length + bySecond >= logged;
      },
      10_000,
    );
    console.log(
      `reviews logged by the killed leader ${first.lines('guitar reviewed').length}, counted by the standby ${bySecond}`,
    );
    expect(byFirst + bySecond).toBeLessThanOrEqual(1000);
    expect(first.lines('guitar reviewed').length + bySecond).toBeGreaterThanOrEqual(logged);
    expect(second.hasExited()).toBe(false);

    // A graceful stop hands over at once: start a new standby, stop the leader.
    const third = await start('replica-3');
    await third.waitReady();
    second.signal('SIGTERM');
    const stoppedAt = Date.now();
    const handedOver = await third.waitForLog('takeover', (l) => l.msg === 'became leader', 10_000);
    const handoverMs = Date.parse(String(handedOver.time)) - stoppedAt;
    console.log(`graceful handover took ${handoverMs} ms`);
    // Released at once: no waiting for the lease to expire, only for the standby's next try.
    expect(handoverMs).toBeLessThan(1_200 + 500);
    expect(await second.waitExit()).toBe(0);
    expect(second.lines('released the lease')).toHaveLength(1);
    expect(await third.metric('guitars_leader')).toBe(1);
    expect(await listGuitars(kc, namespace)).toHaveLength(1000);
  });
});
