import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { expandedArgs } from '../container-args.js';
import { type Child, startChild } from './child.js';

/** Where a pod has its ServiceAccount's files; oauth-proxy reads them there and nowhere else. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ProxyRun {
  binary: string;
  /** The pod of the rendered overlay, and the name of the proxy's container in it. */
  pod: V1PodSpec;
  container: string;
  /** What each Secret the container mounts holds: secret name → file name → content. */
  secrets: Record<string, Record<string, string>>;
  /** The pod's ServiceAccount files (token, ca.crt, namespace) and its Kubernetes Service address. */
  serviceAccount: { token: string; caPem: string; namespace: string };
  kubernetesService: { host: string; port: string };
  /** The overlay's port numbers → the loopback ports this run uses (the host's network is shared). */
  ports: Record<number, number>;
  /** The UID to run as, with group 0, as the restricted SCC does. */
  uid: number;
}

/** The proxy's process: SIGTERM, SIGKILL after 5 s on stop(), which removes its files. */
export type RunningProxy = Child;

/**
 * Runs the real oauth-proxy as the overlay's container says: its args (ports moved to free loopback
 * ones), env, and each mounted Secret at its mountPath, with the ServiceAccount files at their fixed
 * path. Not a container (no image is built here): a process in a private mount namespace, where an
 * overlay over the top folder of each mount path (/etc, /run) takes the mount points without
 * touching the host's, as the non-root UID with group 0, no capabilities and no new privileges.
 * Needs root and util-linux's unshare and setpriv.
 */
export function startProxyProcess(run: ProxyRun): RunningProxy {
  const container = run.pod.containers.find((c) => c.name === run.container) as V1Container;
  if (!container) throw new Error(`no container ${run.container} in the pod`);
  const work = mkdtempSync(join(tmpdir(), 'guitars-oauth-proxy-'));
  // The binary where its non-root user may run it, as an image has it (the build cache is under
  // /root): a hard link, or a copy across file systems; the folder passable, not readable.
  chmodSync(work, 0o711);
  const binary = join(work, 'oauth-proxy');
  try {
    linkSync(run.binary, binary);
  } catch {
    copyFileSync(run.binary, binary);
  }
  chmodSync(binary, 0o755);
  const mounts: Array<[string, string]> = [];
  for (const mount of container.volumeMounts ?? []) {
    const secret = run.pod.volumes?.find((v) => v.name === mount.name)?.secret?.secretName;
    const files = secret ? run.secrets[secret] : undefined;
    if (!files) throw new Error(`volume ${mount.name}: no content given for Secret ${secret}`);
    mounts.push([writeFiles(join(work, mount.name), files), mount.mountPath]);
  }
  const sa = run.serviceAccount;
  mounts.push([
    writeFiles(join(work, 'serviceaccount'), {
      token: sa.token,
      'ca.crt': sa.caPem,
      namespace: sa.namespace,
    }),
    SERVICE_ACCOUNT_DIR,
  ]);
  const script = mountScript(work, mounts);
  // As the kubelet hands them over: $(POD_NAMESPACE) and the like expanded, from the pod's namespace.
  const args = expandedArgs(container, sa.namespace).map((arg) => movePorts(arg, run.ports));
  const env: Record<string, string> = { PATH: '/usr/bin:/bin' };
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = sa.namespace;
  }
  env.KUBERNETES_SERVICE_HOST = run.kubernetesService.host;
  env.KUBERNETES_SERVICE_PORT = run.kubernetesService.port;
  const setpriv = [
    'setpriv',
    `--reuid=${run.uid}`,
    '--regid=0',
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
  ];
  // The last setpriv, after the change of user (which clears it), asks the kernel to kill the
  // proxy with this process even when it gets no chance to stop it.
  return startChild(
    [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      ...setpriv,
      'setpriv',
      '--pdeathsig',
      'KILL',
      binary,
      ...args,
    ],
    { env, cwd: work, keep: 200_000, graceMs: 5_000, cleanUp: work },
  );
}

/** Writes files into a new folder, readable by group 0 as a Secret volume with fsGroup 0 is. */
function writeFiles(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), content, { mode: 0o640 });
  return dir;
}

/**
 * The shell script that mounts each folder at its path, then execs its arguments. A mount path's
 * parents may not exist on the host (/etc/tls): the top folder gets an overlay with its upper layer
 * in `work`, so the mkdir lands there and the host's folder stays as it was.
 */
function mountScript(work: string, mounts: Array<[string, string]>): string {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const lines = ['set -e'];
  const tops = new Set<string>();
  const targets = mounts.map(([from, to]) => [from, hostPath(to)] as const);
  for (const [, to] of targets) tops.add(`/${to.split('/')[1]}`);
  for (const top of tops) {
    const layer = join(work, `layer${top.replaceAll('/', '-')}`);
    mkdirSync(join(layer, 'upper'), { recursive: true });
    mkdirSync(join(layer, 'work'), { recursive: true });
    lines.push(
      `mount -t overlay overlay -o ${quote(`lowerdir=${top},upperdir=${layer}/upper,workdir=${layer}/work`)} ${quote(top)}`,
    );
  }
  for (const [from, to] of targets)
    lines.push(`mkdir -p ${quote(to)}`, `mount --bind ${quote(from)} ${quote(to)}`);
  lines.push('exec "$@"');
  return lines.join('\n');
}

/** The path with its existing part resolved (/var/run is a link to /run). */
function hostPath(path: string): string {
  let existing = path;
  while (!existsSync(existing)) existing = dirname(existing);
  return join(realpathSync(existing), path.slice(existing.length));
}

/** `--https-address=:8443` → `--https-address=127.0.0.1:<port>`; an upstream's port the same way. */
export function movePorts(arg: string, ports: Record<number, number>): string {
  const port = (overlay: string) => {
    const moved = ports[Number(overlay)];
    if (moved === undefined) throw new Error(`${arg}: no port given for ${overlay}`);
    return moved;
  };
  const listen = /^(--[a-z-]+-address=)[^=]*:(\d+)$/.exec(arg);
  if (listen?.[1] && listen[2]) return `${listen[1]}127.0.0.1:${port(listen[2])}`;
  const upstream = /^(--upstream=https?:\/\/127\.0\.0\.1:)(\d+)(.*)$/.exec(arg);
  if (upstream?.[1] && upstream[2]) return `${upstream[1]}${port(upstream[2])}${upstream[3] ?? ''}`;
  return arg;
}
