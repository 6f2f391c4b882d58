// `npm start`: the controller and the UI, side by side, against the current cluster when a
// kubeconfig points at a reachable one, otherwise against a local control plane started for the
// run and stopped with it.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureGuitarCrd, loadKubeConfig } from '@guitars/shared';
import { type ControlPlane, imageRuntime, startControlPlane } from '@guitars/testenv';
import { VersionApi } from '@kubernetes/client-node';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

/** The current cluster's kubeconfig if it answers within a few seconds, else why not. */
async function currentCluster(): Promise<{ ok: true; server: string } | { ok: false; reason: string }> {
  try {
    const { kc } = loadKubeConfig();
    const server = kc.getCurrentCluster()?.server ?? '(no server)';
    const version = kc.makeApiClient(VersionApi).getCode();
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${server} did not answer within 5 s`)), 5_000).unref(),
    );
    await Promise.race([version, timeout]);
    return { ok: true, server };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs packages/<app>/dist/index.js with the node flags and malloc settings of its image; yours win. */
function run(app: 'controller' | 'ui', env: NodeJS.ProcessEnv): ChildProcess {
  const image = imageRuntime(`${root}packages/${app}/Dockerfile`);
  return spawn(process.execPath, [...image.nodeArgs, `packages/${app}/dist/index.js`], {
    cwd: root,
    env: { ...image.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  }).on('error', (err) => say(`${app} could not start: ${err.message}`));
}

async function main(): Promise<number> {
  let plane: ControlPlane | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };
  const current = await currentCluster();
  if (current.ok) {
    say(`using the current cluster ${current.server}`);
  } else {
    say(`no reachable cluster (${current.reason}); starting a local control plane`);
    plane = await startControlPlane({
      kubeconfigPath: process.env.TESTENV_KUBECONFIG ?? `${root}.testenv/kubeconfig`,
    });
    await ensureGuitarCrd(plane.adminConfig());
    // The UI's default namespace for new guitars, as k8s/base/namespace.yaml makes it on a cluster.
    await plane.ensureNamespace('guitarcenter');
    env.KUBECONFIG = plane.info.kubeconfigPath;
    say(`local control plane at ${plane.info.server} with the Guitar CRD installed`);
    say(`kubectl: export KUBECONFIG=${plane.info.kubeconfigPath}`);
    // The local control plane starts empty: how to add the samples, with the kubectl testenv found.
    say(
      `the original sample guitars: KUBECONFIG=${plane.info.kubeconfigPath} ${plane.info.kubectlPath} apply -f k8s/samples`,
    );
  }

  // A local run acts with your kubeconfig's rights: the UI and the controller's probes listen on
  // loopback only, unless HOST (the UI) or CONTROLLER_PROBE_BIND_ADDRESS says otherwise.
  env.HOST ||= '127.0.0.1';
  env.CONTROLLER_PROBE_BIND_ADDRESS ||= '127.0.0.1:8081';
  const children = [run('controller', env), run('ui', env)];
  const host = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
  say(`UI on http://${host}:${env.PORT || 8080} (HOST=${env.HOST}); Ctrl-C stops everything`);

  // Stop on Ctrl-C / SIGTERM, or as soon as either app exits on its own.
  const firstExit = await new Promise<number>((resolve) => {
    process.once('SIGINT', () => resolve(0));
    process.once('SIGTERM', () => resolve(0));
    for (const child of children) child.once('exit', (code) => resolve(code ?? 1));
  });
  say('stopping');
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await plane?.stop();
  return firstExit;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
