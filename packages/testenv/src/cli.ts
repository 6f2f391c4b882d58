#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ensureAssets } from './assets.js';
import { startControlPlane } from './control-plane.js';
import { ensureNodeAssets } from './node-assets.js';
import { builtAppImages, importPodmanImages } from './node-images.js';
import { abandonedRecords, releaseNodeLock } from './node-record.js';
import { teardownNode } from './node-teardown.js';
import { ensureOauthProxy } from './oauth-proxy.js';
import { CONTAINERD_VERSION, KUBERNETES_VERSION } from './versions.js';

const USAGE = `Usage: npm run testenv -- up [--node] [--kubeconfig PATH]
       npm run testenv -- assets [--node]
       npm run testenv -- oauth-proxy
       npm run testenv -- clean-node

up      Starts a local control plane (etcd + kube-apiserver ${KUBERNETES_VERSION}) on loopback ports, writes
        an admin kubeconfig (default .testenv/kubeconfig), prints its path when ready, and stays in
        the foreground until Ctrl-C or SIGTERM, when it stops everything and removes its files.
        --node (root): also a node that runs pods: kube-controller-manager, kube-scheduler, a kubelet
        with containerd ${CONTAINERD_VERSION}, kube-proxy; the images \`npm run images\` built are loaded
        into it, so \`kubectl apply -k k8s/overlays/kubernetes\` runs the apps.
assets  Finds or builds etcd, kube-apiserver and kubectl (--node: and the node's binaries), and
        prints where they are.
oauth-proxy  Finds or builds OpenShift's oauth-proxy (from ../shared/third-party/oauth-proxy, or
        OAUTH_PROXY_SOURCE) for the sign-in tests, and prints where it is.
clean-node  Undoes what a node whose process was killed left: containers, mounts, the bridge,
        iptables rules (the next start does this too).`;

const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      node: { type: 'boolean' },
      owner: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals.length === 1 && !values.help ? positionals[0] : undefined;
  if (command === 'assets') {
    const assets = await ensureAssets();
    process.stdout.write(
      `etcd=${assets.etcd}\nkube-apiserver=${assets.kubeApiserver}\nkubectl=${assets.kubectl}\n`,
    );
    if (values.node) process.stdout.write(`node=${(await ensureNodeAssets()).binDir}\n`);
    return 0;
  }
  if (command === 'oauth-proxy') {
    process.stdout.write(`oauth-proxy=${await ensureOauthProxy()}\n`);
    return 0;
  }
  if (command === 'clean-node') {
    // --owner: the exit hook of a process whose node is still its own (node.ts).
    const owner = values.owner ? Number(values.owner) : undefined;
    for (const record of abandonedRecords(owner)) {
      say(`[testenv] cleaning up the node of process ${record.ownerPid} (${record.dataDir})`);
      await teardownNode(record, say);
      releaseNodeLock(record.ownerPid);
    }
    return 0;
  }
  if (command !== 'up') {
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const plane = await startControlPlane({
    kubeconfigPath: values.kubeconfig ?? '.testenv/kubeconfig',
    node: values.node ?? false,
  });
  if (plane.node) {
    const images = await builtAppImages();
    if (images.length === 0) say('[testenv] no images from `npm run images` in podman to load into the node');
    for (const name of await importPodmanImages(plane.node, images)) say(`[testenv] node has ${name}`);
  }
  say(
    `[testenv] control plane ${plane.node ? `and node ${plane.node.name} ` : ''}ready at ${plane.info.server}; Ctrl-C stops it`,
  );
  process.stdout.write(`${plane.info.kubeconfigPath}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('[testenv] stopping');
  await plane.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[testenv] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
