import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type ControlPlane,
  importPodmanImages,
  NODE_NAME,
  startControlPlane,
  waitFor,
} from '@guitars/testenv';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImages, imageTag } from '../../../../scripts/images/build.ts';
import { detectEngine } from '../../../../scripts/images/engine.ts';
import { APPS, NAMESPACE, repoPath } from '../repo.js';
import { Guitars, notReviewedOnce } from './guitars.js';
import { LiveView } from './live-view.js';
import { podsOf, processView, readyPods } from './pods.js';

/**
 * The Kubernetes overlay as users deploy it (`kubectl apply -k k8s/overlays/kubernetes`), on a
 * real node: testenv's control plane with kube-controller-manager, kube-scheduler, a kubelet with
 * containerd, and kube-proxy; the images `npm run images` builds, imported into the node. What
 * only a kubelet does is checked here: probes, the pods' security context, Lease failover when a
 * pod dies, Services, rolling restarts, drains, memory limits.
 *
 * Opt-in (minutes, root, podman): TESTENV_NODE=1 runs it; REQUIRE_NODE=1 (.ci/run) makes a
 * missing requirement fail the run instead of skipping it.
 */
const required = process.env.REQUIRE_NODE === '1';
const requested = required || process.env.TESTENV_NODE === '1';
const detected = requested ? await detectEngine() : undefined;
const missing = !requested
  ? 'set TESTENV_NODE=1 to run it (root and podman needed; .ci/run sets REQUIRE_NODE=1)'
  : process.getuid?.() !== 0
    ? 'a node needs root (mounts, cgroups, a bridge, iptables)'
    : detected?.engine?.name !== 'podman'
      ? `the images are moved into the node with podman save: ${detected && 'reason' in detected ? detected.reason : `found ${detected?.engine?.name}`}`
      : undefined;
if (missing) {
  if (required) throw new Error(`REQUIRE_NODE=1, but the node test cannot run: ${missing}`);
  console.warn(`node.cluster.test.ts skipped: ${missing}`);
}

const CONTROLLER = 'guitars-controller';
const UI = 'guitars-ui';
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const say = (line: string) => console.log(`[node] ${line}`);

describe.skipIf(missing !== undefined)('the Kubernetes overlay on a real node', () => {
  let plane: ControlPlane;
  let guitars: Guitars;
  /** The UI through its Service's cluster IP: kube-proxy's rules on this host lead to the pod. */
  let ui: string;
  const kubectl = (args: string[]) => plane.kubectlOk(args);
  const node = () => {
    if (!plane.node) throw new Error('the control plane has no node');
    return plane.node;
  };
  const newNamespace = async (prefix: string) => {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await kubectl(['create', 'namespace', name]);
    return name;
  };
  const waitAvailable = (timeout = '300s') =>
    kubectl([
      'wait',
      '-n',
      NAMESPACE,
      '--for=condition=Available',
      `deployment/${CONTROLLER}`,
      `deployment/${UI}`,
      `--timeout=${timeout}`,
    ]);
  const leaseHolder = async () =>
    (
      await kubectl(['get', 'lease', CONTROLLER, '-n', NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}'])
    ).trim();

  beforeAll(async () => {
    const engine = detected?.engine;
    if (!engine) throw new Error('no engine');
    let started = Date.now();
    // Cached layers make this seconds when the image test built them already.
    await buildImages(engine, {
      apps: [...APPS],
      log: (line) => {
        if (!/^\[(controller|ui)\] /.test(line)) say(`[images] ${line}`);
      },
    });
    say(`images built in ${seconds(Date.now() - started)}`);
    started = Date.now();
    plane = await startControlPlane({ node: true, log: say });
    say(`control plane and node ready in ${seconds(Date.now() - started)}`);
    started = Date.now();
    const names = await importPodmanImages(
      node(),
      APPS.map((app) => imageTag(app)),
    );
    say(`imported ${names.join(', ')} in ${seconds(Date.now() - started)}`);
    guitars = new Guitars(plane);
    started = Date.now();
    // As users do: the overlay's folder, with kubectl's own kustomize.
    await kubectl(['apply', '-k', repoPath('k8s/overlays/kubernetes')]);
    await waitAvailable();
    say(`both Deployments Available ${seconds(Date.now() - started)} after kubectl apply -k`);
    const ip = (
      await kubectl(['get', 'service', UI, '-n', NAMESPACE, '-o', 'jsonpath={.spec.clusterIP}'])
    ).trim();
    ui = `http://${ip}:8080`;
  }, 3_600_000);

  afterAll(async () => {
    if (!plane) return;
    const started = Date.now();
    await plane.stop();
    say(`stopped and cleaned up in ${seconds(Date.now() - started)}`);
  }, 300_000);

  it('runs both Deployments with passing probes: every replica Ready, none restarted', async () => {
    const controllers = readyPods(await podsOf(plane, CONTROLLER));
    const uis = readyPods(await podsOf(plane, UI));
    expect(controllers).toHaveLength(2);
    expect(uis).toHaveLength(1);
    for (const pod of [...controllers, ...uis]) {
      const status = pod.status?.containerStatuses?.[0];
      expect(status, pod.metadata?.name).toMatchObject({ ready: true, started: true, restartCount: 0 });
      expect(pod.spec?.nodeName).toBe(NODE_NAME);
    }
  });

  it("runs each container as the overlay's UID with group 0, a read-only root, no capabilities", async () => {
    const pods = [...readyPods(await podsOf(plane, CONTROLLER)), ...readyPods(await podsOf(plane, UI))];
    for (const pod of pods) {
      const id = pod.status?.containerStatuses?.[0]?.containerID ?? '';
      const { status, rootReadOnly } = processView(node().containerPid(id));
      const fields = (key: string) => status[key]?.split(/\s+/);
      const name = pod.metadata?.name;
      expect({ name, uid: fields('Uid'), gid: fields('Gid') }).toEqual({
        name,
        uid: ['1001', '1001', '1001', '1001'],
        gid: ['0', '0', '0', '0'],
      });
      const none = '0000000000000000';
      expect({
        name,
        CapInh: status.CapInh,
        CapPrm: status.CapPrm,
        CapEff: status.CapEff,
        CapBnd: status.CapBnd,
        CapAmb: status.CapAmb,
      }).toEqual({ name, CapInh: none, CapPrm: none, CapEff: none, CapBnd: none, CapAmb: none });
      // 2: a seccomp filter (RuntimeDefault); no_new_privs from allowPrivilegeEscalation: false.
      expect({ name, NoNewPrivs: status.NoNewPrivs, Seccomp: status.Seccomp, rootReadOnly }).toEqual({
        name,
        NoNewPrivs: '1',
        Seccomp: '2',
        rootReadOnly: true,
      });
    }
  });

  it('keeps reviewing within a lease duration when the leader is deleted or killed, each guitar reviewed once', async () => {
    const namespace = await newNamespace('failover');
    const lease = JSON.parse(await kubectl(['get', 'lease', CONTROLLER, '-n', NAMESPACE, '-o', 'json'])) as {
      spec: { holderIdentity: string; leaseDurationSeconds: number };
    };
    const durationMs = lease.spec.leaseDurationSeconds * 1000;
    const pods = readyPods(await podsOf(plane, CONTROLLER));
    const names = pods.map((p) => p.metadata?.name);
    // One Lease, held by one of the two replicas; the other stands by.
    expect(names).toContain(lease.spec.holderIdentity);
    await guitars.createMany(
      namespace,
      Array.from({ length: 10 }, (_, i) => `before-${i}`),
    );
    await waitFor(
      'the first guitars reviewed',
      async () => notReviewedOnce(await guitars.list(namespace)).length === 0,
      60_000,
    );

    /**
     * Ends the leader one way and creates guitars at once and again once the Lease has moved;
     * times the handover and the reviews. `handover`: the Lease must move to the other pod (the
     * leader's pod is going). After a kill -9 the kubelet restarts the container in the same pod,
     * whose new process has the same identity (POD_NAME) and may take the Lease back before the
     * standby can: either is fine, as long as reviews resume within a lease duration.
     */
    const failover = async (how: string, handover: boolean, kill: (leader: V1Pod) => Promise<void>) => {
      const ready = readyPods(await podsOf(plane, CONTROLLER));
      expect(ready).toHaveLength(2);
      const holder = await leaseHolder();
      const leader = ready.find((p) => p.metadata?.name === holder);
      if (!leader) throw new Error(`the Lease's holder ${holder} is not a ready replica`);
      const started = Date.now();
      await kill(leader);
      const during = Array.from({ length: 5 }, (_, i) => `${how}-during-${i}`);
      for (const name of during) await guitars.create(namespace, name);
      const reviewedAll = async (names: string[]) => {
        const listed = await guitars.list(namespace);
        return names.every((name) => listed.find((g) => g.name === name)?.review);
      };
      if (handover)
        await waitFor(
          `the Lease to move after ${how}`,
          async () => (await leaseHolder()) !== holder,
          durationMs + 5_000,
        );
      const moved = Date.now() - started;
      const after = Array.from({ length: 5 }, (_, i) => `${how}-after-${i}`);
      for (const name of after) await guitars.create(namespace, name);
      await waitFor(
        `the guitars created after ${how} reviewed`,
        () => reviewedAll([...during, ...after]),
        durationMs + 30_000,
      );
      const reviewed = Date.now() - started;
      const now = await leaseHolder();
      say(
        `${how}: Lease ${holder} -> ${now}${handover ? ` in ${seconds(moved)}` : ''}; guitars created after it reviewed within ${seconds(reviewed)}`,
      );
      // The standby, or the Deployment's replacement for a deleted pod if it asked first.
      expect((await podsOf(plane, CONTROLLER)).map((p) => p.metadata?.name)).toContain(now);
      if (handover) expect(now).not.toBe(holder);
      // Within one lease duration of the leader's end (a few seconds' slack for the writes and
      // the poll): a graceful stop releases the Lease at once, a SIGKILL lets it expire.
      expect(reviewed).toBeLessThan(durationMs + 5_000);
    };

    await failover('kubectl-delete-pod', true, async (leader) => {
      await kubectl(['delete', 'pod', '-n', NAMESPACE, leader.metadata?.name ?? '', '--wait=false']);
    });
    // The Deployment's replacement takes the place of the deleted pod: two replicas again.
    await waitAvailable();
    await waitFor(
      'two ready controllers',
      async () => readyPods(await podsOf(plane, CONTROLLER)).length === 2,
      120_000,
    );
    await failover('kill-9', false, async (leader) => {
      process.kill(node().containerPid(leader.status?.containerStatuses?.[0]?.containerID ?? ''), 'SIGKILL');
    });
    expect(notReviewedOnce(await guitars.list(namespace))).toEqual([]);
    await waitFor(
      'two ready controllers',
      async () => readyPods(await podsOf(plane, CONTROLLER)).length === 2,
      120_000,
    );
  });

  it("lists, creates and deletes through the UI's Service", async () => {
    const namespace = await newNamespace('service');
    const list = await fetch(`${ui}/api/guitars?namespace=${namespace}`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);

    const created = await fetch(`${ui}/api/guitars`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'through-the-service', brand: 'fender', namespace }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    // The controller reviews it, and the UI's cache shows the review.
    await waitFor(
      'the created guitar reviewed, as the UI shows it',
      async () => {
        const res = await fetch(`${ui}/api/guitars/${namespace}/through-the-service`);
        return res.ok && ((await res.json()) as { reviewed?: boolean }).reviewed === true;
      },
      60_000,
    );
    expect(notReviewedOnce(await guitars.list(namespace))).toEqual([]);

    const deleted = await fetch(`${ui}/api/guitars/${namespace}/through-the-service`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await guitars.list(namespace)).toEqual([]);
  });

  it('keeps a live stream through a rolling restart of the UI, missing no change', async () => {
    const namespace = await newNamespace('live');
    const view = new LiveView(ui, namespace);
    view.start();
    try {
      await waitFor('the live stream open', async () => view.opened > 0, 30_000);
      const before = readyPods(await podsOf(plane, UI)).map((p) => p.metadata?.name);
      let writing = true;
      let count = 0;
      const writer = (async () => {
        while (writing) {
          await guitars.create(namespace, `live-${count++}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const started = Date.now();
      await kubectl(['rollout', 'restart', `deployment/${UI}`, '-n', NAMESPACE]);
      await kubectl(['rollout', 'status', `deployment/${UI}`, '-n', NAMESPACE, '--timeout=300s']);
      const rolled = Date.now() - started;
      // The old pod keeps serving through its preStop sleep, then ends its streams on SIGTERM:
      // the view reconnects, through the Service, to the new pod (while guitars keep coming).
      await waitFor('the live stream reopened', async () => view.opened > 1, 90_000);
      say(
        `UI rolled over in ${seconds(rolled)}; the stream reopened ${seconds(Date.now() - started)} after the restart`,
      );
      // Some changes after the new pod took over, then quiet.
      const after = count + 5;
      await waitFor('five more guitars', async () => count >= after, 30_000);
      writing = false;
      await writer;
      const truth = new Set((await guitars.list(namespace)).map((g) => g.name));
      expect(truth.size).toBe(count);
      // No poll here: only the stream's events and reopenings bring the view up to date.
      await waitFor(
        'the live view to show every guitar',
        async () => view.names.size === truth.size && [...truth].every((n) => view.names.has(n)),
        30_000,
      );
      const now = readyPods(await podsOf(plane, UI)).map((p) => p.metadata?.name);
      expect(now.filter((name) => before.includes(name))).toEqual([]);
      // Every reconnection was answered: no pod refused a stream (503) on the way.
      expect(view.statuses.filter((status) => status !== 200)).toEqual([]);
    } finally {
      view.stop();
    }
  });

  it("drains the node only as far as the controller's PodDisruptionBudget allows", async () => {
    const drain = await plane.kubectl([
      'drain',
      NODE_NAME,
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      '--timeout=30s',
    ]);
    try {
      // One replica may go (maxUnavailable: 1); its replacement cannot be scheduled on the cordoned
      // node, so the second eviction is refused until the drain gives up.
      expect(drain.code).not.toBe(0);
      expect(drain.stderr).toMatch(/disruption budget/);
      const left = readyPods(await podsOf(plane, CONTROLLER));
      expect(left).toHaveLength(1);
      // The one left reviews (it holds the Lease, or takes it within a lease duration).
      await waitFor(
        'the remaining replica to hold the Lease',
        async () => (await leaseHolder()) === left[0]?.metadata?.name,
        30_000,
      );
    } finally {
      await kubectl(['uncordon', NODE_NAME]);
    }
    await waitAvailable();
    await waitFor(
      'two ready controllers',
      async () => readyPods(await podsOf(plane, CONTROLLER)).length === 2,
      120_000,
    );
  });

  it('reviews a 10,000-guitar backlog within the memory limits, no OOMKill', async () => {
    const namespace = await newNamespace('backlog');
    const total = 10_000;
    const restartsBefore = await restarts();
    const started = Date.now();
    await guitars.createMany(
      namespace,
      Array.from({ length: total }, (_, i) => `g-${i}`),
    );
    const created = Date.now() - started;
    let left = total;
    await waitFor(
      `${total} guitars reviewed`,
      async () => {
        left = (await guitars.list(namespace)).filter((g) => !g.review).length;
        return left === 0;
      },
      900_000,
    );
    const reviewed = Date.now() - started;
    // The UI holds them all too (its cache is what the limit has to fit).
    await waitFor(
      `the UI to list ${total} reviewed guitars`,
      async () => {
        const res = await fetch(`${ui}/api/guitars?namespace=${namespace}&perPage=1`);
        return res.ok && ((await res.json()) as { total: number }).total === total;
      },
      60_000,
    );
    const memory = await peakMemory();
    say(
      `backlog: ${total} created in ${seconds(created)}, all reviewed ${seconds(reviewed)} after the first create`,
    );
    for (const m of memory)
      say(`backlog: ${m.pod} peak ${m.peakMiB} MiB of ${m.limitMiB} MiB, failcnt ${m.failcnt}`);
    expect(notReviewedOnce(await guitars.list(namespace))).toEqual([]);
    expect(await restarts()).toEqual(restartsBefore);
    for (const m of memory) expect(m.peakMiB, m.pod).toBeLessThan(m.limitMiB);
  }, 1_200_000);

  it('runs both apps as an arbitrary UID with group 0, as OpenShift assigns one', async () => {
    // OpenShift's restricted SCC picks a UID from the project's range, with no passwd entry and
    // no file of the image's own: both apps must start, pass their probes and write /tmp as it.
    const uid = 1_000_770_000 + Math.floor(Math.random() * 10_000);
    for (const name of [CONTROLLER, UI])
      await kubectl([
        'patch',
        'deployment',
        name,
        '-n',
        NAMESPACE,
        '--type=json',
        `-p=${JSON.stringify([{ op: 'replace', path: '/spec/template/spec/securityContext/runAsUser', value: uid }])}`,
      ]);
    for (const name of [CONTROLLER, UI])
      await kubectl(['rollout', 'status', `deployment/${name}`, '-n', NAMESPACE, '--timeout=300s']);
    const pods = [...readyPods(await podsOf(plane, CONTROLLER)), ...readyPods(await podsOf(plane, UI))];
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      const { status } = processView(
        node().containerPid(pod.status?.containerStatuses?.[0]?.containerID ?? ''),
      );
      expect({
        pod: pod.metadata?.name,
        uid: status.Uid?.split(/\s+/)[0],
        gid: status.Gid?.split(/\s+/)[0],
      }).toEqual({
        pod: pod.metadata?.name,
        uid: String(uid),
        gid: '0',
      });
    }
  });

  /** Each pod's restarts and last termination reason (OOMKilled would show here). */
  async function restarts(): Promise<Record<string, string>> {
    const pods = [...(await podsOf(plane, CONTROLLER)), ...(await podsOf(plane, UI))];
    return Object.fromEntries(
      pods.map((p) => {
        const s = p.status?.containerStatuses?.[0];
        return [p.metadata?.name ?? '', `${s?.restartCount} ${s?.lastState?.terminated?.reason ?? ''}`];
      }),
    );
  }

  /** The memory cgroup's high-water mark of each app container (cgroup v1, as on this machine). */
  async function peakMemory(): Promise<
    Array<{ pod: string; peakMiB: number; limitMiB: number; failcnt: number }>
  > {
    const pods = readyPods([...(await podsOf(plane, CONTROLLER)), ...(await podsOf(plane, UI))]);
    return pods.map((pod) => {
      const pid = node().containerPid(pod.status?.containerStatuses?.[0]?.containerID ?? '');
      const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
        .split('\n')
        .find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l));
      const dir = `/sys/fs/cgroup/memory${line?.split(':')[2] ?? ''}`;
      const read = (file: string) => Number(readFileSync(`${dir}/${file}`, 'utf8').trim());
      return {
        pod: pod.metadata?.name ?? '',
        peakMiB: Math.round(read('memory.max_usage_in_bytes') / 2 ** 20),
        limitMiB: Math.round(read('memory.limit_in_bytes') / 2 ** 20),
        failcnt: read('memory.failcnt'),
      };
    });
  }
});
