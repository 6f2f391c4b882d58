import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Cluster, freePort, waitFor } from '@guitars/testenv';
import {
  CoordinationV1Api,
  CustomObjectsApi,
  type V1Container,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildImageBundle, type ImageBundle } from './image-bundle.js';
import { applyAppPrerequisites, deployment, find, kustomize } from './kube.js';
import { APP_NAMES, APPS, type App, NAMESPACE, repoPath } from './repo.js';

/**
 * Each image's runtime, proven without a container engine: the bundle its Dockerfile builds
 * (image-bundle.ts carries the Dockerfile out), made read-only, started as its CMD says with the
 * environment of its Deployment, as an arbitrary UID with group 0 as OpenShift's restricted-v2
 * SCC runs it. Then it must answer its probes and do its job against the real apiserver.
 */
const cluster = new Cluster(inject('testenv'));

/** A UID from an OpenShift project's range: no passwd entry, no home, owns no file. */
const UID = 1_000_770_000;
const GID = 0;
const GROUP = 'kool.karmalabs.local';

const work = mkdtempSync(join(tmpdir(), 'guitars-image-'));
const bundles = new Map<App, ImageBundle>();
const running: ChildProcess[] = [];

beforeAll(async () => {
  // The UID must reach the bundles: mkdtemp makes 0700 folders.
  chmodSync(work, 0o755);
  // Both at once: two cores, and most of the time is npm and tsc.
  await Promise.all(
    APPS.map(async (app) => {
      const dir = join(work, app);
      mkdirSync(dir);
      const bundle = await buildImageBundle(repoPath('packages', app, 'Dockerfile'), dir);
      // As the image's files: owned by root, not writable by anyone.
      readOnly(bundle.rootfs);
      bundles.set(app, bundle);
    }),
  );
  await applyAppPrerequisites(cluster);
  // About a minute on an idle 2-core machine; much more when it is busy.
}, 600_000);

afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  makeWritable(work);
  rmSync(work, { recursive: true, force: true });
});

function bundleOf(app: App): ImageBundle {
  const bundle = bundles.get(app);
  if (!bundle) throw new Error(`no bundle for ${app}`);
  return bundle;
}

function readOnly(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) for (const entry of readdirSync(path)) readOnly(join(path, entry));
  chmodSync(path, stat.mode & 0o555);
}

function makeWritable(path: string): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat || stat.isSymbolicLink()) return;
  chmodSync(path, (stat.mode & 0o7777) | 0o200);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

/**
 * The container's environment as the Deployment (OpenShift overlay) gives it, with the image's
 * ENV beneath: fieldRefs resolved as the kubelet would, ConfigMap volumes written out and their
 * paths pointed at, and the listening port moved to a free one.
 */
async function containerEnv(app: App, bundle: ImageBundle, dir: string, port: number) {
  const objects = await kustomize(cluster, 'overlays/openshift');
  const d: V1Deployment = deployment(objects, APP_NAMES[app].deployment);
  const spec = d.spec?.template.spec;
  const c = spec?.containers.find((x) => x.name === APP_NAMES[app].container) as V1Container;
  const podName = `${APP_NAMES[app].deployment}-7d9f8c6b5-x2x4q`;

  const mounts: Array<{ from: string; to: string }> = [];
  for (const mount of c.volumeMounts ?? []) {
    const configMapName = spec?.volumes?.find((v) => v.name === mount.name)?.configMap?.name;
    if (!configMapName) continue;
    const data = (find(objects, 'ConfigMap', configMapName).data ?? {}) as Record<string, string>;
    const local = join(dir, 'mounts', mount.name);
    mkdirSync(local, { recursive: true });
    for (const [key, value] of Object.entries(data)) writeFileSync(join(local, key), value, { mode: 0o644 });
    mounts.push({ from: mount.mountPath, to: local });
  }

  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', ...bundle.env };
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    let value =
      e.value ??
      (field === 'metadata.name' ? podName : field === 'metadata.namespace' ? NAMESPACE : undefined);
    if (value === undefined) throw new Error(`${e.name}: no value this test knows how to give`);
    for (const m of mounts) if (value.startsWith(`${m.from}/`)) value = m.to + value.slice(m.from.length);
    env[e.name] = value;
  }
  if (app === 'ui') env.PORT = String(port);
  else env.CONTROLLER_PROBE_BIND_ADDRESS = `127.0.0.1:${port}`;
  return { env, podName };
}

/** Starts the image's CMD the way the container runtime would, as UID/GID, and collects its output. */
function startCmd(bundle: ImageBundle, env: Record<string, string>) {
  const [command, ...args] = bundle.cmd;
  expect(command).toBe('node');
  const child = spawn(process.execPath, args, {
    cwd: join(bundle.rootfs, bundle.workdir),
    env,
    uid: UID,
    gid: GID,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}

/** Where the process runs: its real and effective UID and GID, from /proc. */
function idsOf(pid: number): { uid: string; gid: string } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    status.match(new RegExp(`^${name}:\\s+(.*)$`, 'm'))?.[1]?.split(/\s+/) ?? [];
  return { uid: field('Uid').slice(0, 2).join(' '), gid: field('Gid').slice(0, 2).join(' ') };
}

/** A place the UID can use as the container does: group 0, group-writable (OpenShift's convention). */
function groupZeroDir(path: string, mode: number): string {
  mkdirSync(path, { recursive: true });
  chmodSync(path, mode);
  return path;
}

describe.each(APPS)('the %s image', (app) => {
  it('holds the app as one bundle, and nothing else: no node_modules, no sources', () => {
    const bundle = bundleOf(app);
    const root = join(bundle.rootfs, 'app');
    const files = filesUnder(root);
    // Every dependency is inside dist/index.js: none installed, not even @guitars/shared.
    expect(files.filter((f) => f.split('/').includes('node_modules'))).toEqual([]);
    expect(readdirSync(join(root, 'packages'))).toEqual([app]);
    // No sources, tests or build files; only package.json and what its `files` lists.
    expect(files.filter((f) => /\.test\.|(^|\/)src\/|tsconfig|vitest|\.tsbuildinfo$/.test(f))).toEqual([]);
    const appDir = join(bundle.rootfs, bundle.workdir);
    expect(readdirSync(appDir).sort()).toEqual(
      (app === 'ui' ? ['dist', 'package.json', 'public', 'views'] : ['dist', 'package.json']).sort(),
    );
    expect(JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')).type).toBe('module');

    // dist/index.js is the bundle: its import statements name Node's built-ins only, never another
    // module of dist/ (tsc's output beside it, which nothing loads) or a package.
    const main = readFileSync(join(appDir, 'dist/index.js'), 'utf8');
    const imports = [...main.matchAll(/(?:^|[;\n])import\s*(?:[\w$\s{},*]+?from\s*)?["']([^"']+)["']/g)];
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.map((m) => m[1] ?? '').filter((i) => !isBuiltin(i))).toEqual([]);
    expect(main.length, 'a bundle of the app and its dependencies').toBeGreaterThan(1_000_000);
    // All ASCII: V8 would keep a source with any other character as a two-byte string, twice the heap.
    expect(Buffer.byteLength(main, 'utf8'), 'UTF-8 bytes, one per character').toBe(main.length);
    expect(existsSync(join(appDir, 'dist/index.js.map'))).toBe(true);
    // The controller carries the CRD manifest it installs (packages/shared/crd is not in the image).
    const manifest = readFileSync(repoPath('packages/shared/crd/guitars.kool.karmalabs.local.yaml'), 'utf8');
    if (app === 'controller') expect(main).toContain(manifest.split('\n')[0]);
  });

  // Switching to another UID takes root, as a container runtime has; CI runs as root.
  it.skipIf(process.getuid?.() !== 0)(
    'serves its probes and does its job as UID 1000770000 with group 0, from a read-only copy',
    async () => {
      const bundle = bundleOf(app);
      const dir = join(work, `${app}-run`);
      mkdirSync(dir, { mode: 0o755 });
      // OpenShift gives no home folder to an arbitrary UID: the image's HOME (/tmp) would be an
      // emptyDir; here a group-0-writable folder plays it.
      const home = groupZeroDir(join(dir, 'home'), 0o770);
      // The ServiceAccount's credentials from k8s/base's RBAC, readable through group 0 only, as a
      // mounted Secret is. (In a pod the app would read the service-account token folder; here
      // KUBECONFIG, which loadKubeConfig reads when KUBERNETES_SERVICE_HOST is unset.)
      const { path: adminWritten } = await cluster.kubeconfigFor(NAMESPACE, APP_NAMES[app].serviceAccount);
      const kubeconfig = join(groupZeroDir(join(dir, 'secrets'), 0o750), 'kubeconfig');
      writeFileSync(kubeconfig, readFileSync(adminWritten), { mode: 0o640 });

      const port = await freePort();
      const { env, podName } = await containerEnv(app, bundle, dir, port);
      Object.assign(env, { HOME: home, KUBECONFIG: kubeconfig });
      const proc = startCmd(bundle, env);
      const dead = () => proc.child.exitCode !== null;
      const context = () => `\n--- ${app} output ---\n${proc.output().slice(-3000)}`;

      try {
        const base = `http://127.0.0.1:${port}`;
        await waitFor(
          `${app} /healthz`,
          async () => (await get(`${base}/healthz`)).status === 200,
          30_000,
          dead,
        );
        await waitFor(
          `${app} /readyz`,
          async () => (await get(`${base}/readyz`)).status === 200,
          30_000,
          dead,
        );
        expect(idsOf(proc.child.pid as number), 'real and effective UID, GID').toEqual({
          uid: `${UID} ${UID}`,
          gid: `${GID} ${GID}`,
        });
        expect((await get(`${base}/metrics`)).body).toMatch(/^# HELP /m);

        const shop = await cluster.createNamespace('image');
        const guitars = cluster.adminConfig().makeApiClient(CustomObjectsApi);
        const target = { group: GROUP, version: 'v1', namespace: shop, plural: 'guitars' };
        if (app === 'controller') {
          await guitars.createNamespacedCustomObject({
            ...target,
            body: {
              apiVersion: `${GROUP}/v1`,
              kind: 'Guitar',
              metadata: { name: 'strat' },
              spec: { brand: 'fender' },
            },
          });
          // Reviewed by the policy mounted from the ConfigMap.
          await waitFor(
            'the controller reviews the guitar',
            async () => {
              const g = (await guitars.getNamespacedCustomObject({ ...target, name: 'strat' })) as {
                spec: { review?: boolean; comment?: string };
              };
              return g.spec.review === true && g.spec.comment === 'this is a great instrument';
            },
            30_000,
            dead,
          );
          // It leads through the Lease of k8s/base's RBAC, under the pod's name.
          const leases = cluster.adminConfig().makeApiClient(CoordinationV1Api);
          const lease = await leases.readNamespacedLease({
            name: 'guitars-controller',
            namespace: NAMESPACE,
          });
          expect(lease.spec?.holderIdentity).toBe(podName);
        } else {
          await guitars.createNamespacedCustomObject({
            ...target,
            body: {
              apiVersion: `${GROUP}/v1`,
              kind: 'Guitar',
              metadata: { name: 'lespaul' },
              spec: { brand: 'gibson' },
            },
          });
          await waitFor(
            'the UI lists the guitar',
            async () => {
              const list = JSON.parse((await get(`${base}/api/guitars?namespace=${shop}`)).body) as {
                items?: Array<{ name: string; namespace: string }>;
              };
              return (list.items ?? []).some((g) => g.name === 'lespaul' && g.namespace === shop);
            },
            30_000,
            dead,
          );
          // The page renders from views/ and the stylesheet comes from public/.
          const page = await get(`${base}/`);
          expect(page.status).toBe(200);
          expect(page.body).toContain('lespaul');
          expect((await get(`${base}/static/app.css`)).status).toBe(200);
        }

        // The app folder is read-only for this UID, as the image's is.
        const probe = spawn(
          process.execPath,
          ['-e', "require('node:fs').writeFileSync('written-by-the-app', 'x')"],
          { cwd: join(bundle.rootfs, bundle.workdir), uid: UID, gid: GID, stdio: 'ignore' },
        );
        expect(await new Promise((resolve) => probe.on('exit', resolve))).not.toBe(0);

        // SIGTERM, as the kubelet sends it (STOPSIGNAL): a clean stop, in time.
        proc.child.kill('SIGTERM');
        const code = await Promise.race([
          proc.exited,
          new Promise((resolve) => setTimeout(() => resolve('still running after 25s'), 25_000)),
        ]);
        expect(code).toBe(0);
        if (app === 'controller') {
          // A stopping leader releases its Lease, so the standby replica takes over at once.
          const leases = cluster.adminConfig().makeApiClient(CoordinationV1Api);
          const lease = await leases.readNamespacedLease({
            name: 'guitars-controller',
            namespace: NAMESPACE,
          });
          expect(lease.spec?.holderIdentity ?? '').toBe('');
        }
      } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : String(err)}${context()}`);
      } finally {
        if (!dead()) proc.child.kill('SIGKILL');
      }
      // Nothing was written into the bundle.
      expect(
        filesUnder(dirname(join(bundle.rootfs, bundle.workdir))).some((f) =>
          f.includes('written-by-the-app'),
        ),
      ).toBe(false);
    },
  );
});
