import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1PodSpec } from '@kubernetes/client-node';
import { buildImages, imageTag } from '../../../../scripts/images/build.ts';
import type { Engine } from '../../../../scripts/images/engine.ts';
import { Containers } from '../containers.js';
import { SERVICE_ACCOUNT_DIR } from './proxy-process.js';

export interface UiContainer {
  /** The image it runs, as the images test builds it. */
  image: string;
  running(): Promise<boolean>;
  logs(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The UI's image, built through the code of `npm run images` (layer cache: seconds when the images
 * test or an earlier run built it), run as the overlay's `ui` container beside the proxy: the
 * restricted SCC's way (read-only, a random UID with group 0, no capabilities, an emptyDir /tmp),
 * the container's environment (given, with ports moved), and in-cluster credentials as the pod has
 * them: the ServiceAccount's token and CA at their path, and KUBERNETES_SERVICE_HOST and _PORT (in
 * the test, the OpenShift stand-in's, as the proxy's: the pod has one).
 */
export async function startUiContainer(options: {
  engine: Engine;
  pod: V1PodSpec;
  env: Record<string, string>;
  serviceAccount: { token: string; caPem: string; namespace: string };
  kubernetesService: { host: string; port: string };
  log: (line: string) => void;
}): Promise<UiContainer> {
  const container = options.pod.containers.find((c) => c.name === 'ui');
  if (!container) throw new Error('no ui container in the pod');
  await buildImages(options.engine, { apps: ['ui'], log: options.log });
  const work = mkdtempSync(join(tmpdir(), 'guitars-ui-sa-'));
  const sa = join(work, 'serviceaccount');
  mkdirSync(sa, { mode: 0o750 });
  const files = {
    token: options.serviceAccount.token,
    'ca.crt': options.serviceAccount.caPem,
    namespace: options.serviceAccount.namespace,
  };
  // Readable by group 0, as a projected volume with OpenShift's fsGroup is.
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(sa, name), content, { mode: 0o640 });
  // The emptyDir volumes of the container (/tmp, where HOME points).
  const tmpfs = (container.volumeMounts ?? [])
    .filter((m) => options.pod.volumes?.find((v) => v.name === m.name)?.emptyDir)
    .map((m) => m.mountPath);
  const containers = new Containers(options.engine);
  const image = imageTag('ui');
  const name = await containers.start('front-door-ui', {
    image,
    user: `${randomInt(1_000_000_000, 2_000_000_000)}:0`,
    env: {
      ...options.env,
      KUBERNETES_SERVICE_HOST: options.kubernetesService.host,
      KUBERNETES_SERVICE_PORT: options.kubernetesService.port,
    },
    mounts: { [sa]: SERVICE_ACCOUNT_DIR },
    tmpfs,
  });
  return {
    image,
    running: () => containers.running(name),
    logs: () => containers.logs(name),
    async stop() {
      await containers.removeAll();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
