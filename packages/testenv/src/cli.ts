#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ensureAssets } from './assets.js';
import { startControlPlane } from './control-plane.js';
import { ensureOauthProxy } from './oauth-proxy.js';
import { KUBERNETES_VERSION } from './versions.js';

const USAGE = `Usage: npm run testenv -- up [--kubeconfig PATH]
       npm run testenv -- assets
       npm run testenv -- oauth-proxy

up      Starts a local control plane (etcd + kube-apiserver ${KUBERNETES_VERSION}) on loopback ports, writes
        an admin kubeconfig (default .testenv/kubeconfig), prints its path when ready, and stays in
        the foreground until Ctrl-C or SIGTERM, when it stops everything and removes its files.
assets  Finds or builds etcd, kube-apiserver and kubectl, and prints where they are.
oauth-proxy  Finds or builds OpenShift's oauth-proxy (from ../shared/third-party/oauth-proxy, or
        OAUTH_PROXY_SOURCE) for the sign-in tests, and prints where it is.`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { kubeconfig: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (positionals[0] === 'assets' && positionals.length === 1 && !values.help) {
    const assets = await ensureAssets();
    process.stdout.write(
      `etcd=${assets.etcd}\nkube-apiserver=${assets.kubeApiserver}\nkubectl=${assets.kubectl}\n`,
    );
    return 0;
  }
  if (positionals[0] === 'oauth-proxy' && positionals.length === 1 && !values.help) {
    process.stdout.write(`oauth-proxy=${await ensureOauthProxy()}\n`);
    return 0;
  }
  if (values.help || positionals[0] !== 'up' || positionals.length > 1) {
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const plane = await startControlPlane({ kubeconfigPath: values.kubeconfig ?? '.testenv/kubeconfig' });
  process.stderr.write(`[testenv] control plane ready at ${plane.info.server}; Ctrl-C stops it\n`);
  process.stdout.write(`${plane.info.kubeconfigPath}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('[testenv] stopping\n');
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
