import { randomInt } from 'node:crypto';
import { get } from 'node:https';
import {
  type Cluster,
  createCertificateAuthority,
  freePort,
  type KeyPairPem,
  waitFor,
} from '@guitars/testenv';
import type { V1PodSpec } from '@kubernetes/client-node';
import { deployment, kustomize } from '../kube.js';
import { APP_NAMES, NAMESPACE } from '../repo.js';
import { type RunningProxy, startProxyProcess } from './proxy-process.js';
import type { OpenShiftStandIn } from './stand-in.js';

/** The UI's pod as `kubectl kustomize k8s/overlays/openshift` renders it. */
export async function overlayUiPod(cluster: Cluster): Promise<V1PodSpec> {
  const pod = deployment(await kustomize(cluster, 'overlays/openshift'), APP_NAMES.ui.deployment).spec
    ?.template.spec;
  if (!pod) throw new Error('the OpenShift overlay has no UI pod');
  return pod;
}

/** The overlay's sign-in container, and the one Secret names this file knows how to fill. */
export const PROXY_CONTAINER = 'oauth-proxy';
const SERVING_CERT_SECRET = 'guitars-ui-tls';
const COOKIE_SECRET = 'guitars-ui-proxy';

/**
 * What OpenShift's service CA operator gives the Service's annotation: a certificate for
 * guitars-ui.guitarcenter.svc (and 127.0.0.1, where the router here reaches it), with its CA.
 */
export async function servingCertificate(): Promise<KeyPairPem & { caPem: string }> {
  const ca = await createCertificateAuthority('openshift-service-serving-signer (stand-in)');
  const pair = await ca.issue({
    subject: `CN=${APP_NAMES.ui.deployment}.${NAMESPACE}.svc`,
    usage: 'server',
    dnsNames: [
      `${APP_NAMES.ui.deployment}.${NAMESPACE}.svc`,
      `${APP_NAMES.ui.deployment}.${NAMESPACE}.svc.cluster.local`,
    ],
    ipAddresses: ['127.0.0.1'],
  });
  return { ...pair, caPem: ca.certPem };
}

export interface SignInSidecar {
  proxy: RunningProxy;
  /** https://127.0.0.1:<port>: the proxy's HTTPS port (the overlay's 8443). */
  url: string;
  port: number;
}

/**
 * Starts the overlay's oauth-proxy container against the stand-in, with the cookie secret given
 * (as the Secret's session_secret), the UI upstream on `uiPort` (the overlay's 8080), and its
 * HTTPS port on a free one; resolves once it answers /oauth/healthz, and fails with its output if
 * it exits first.
 */
export async function startSignInSidecar(options: {
  cluster: Cluster;
  binary: string;
  standIn: OpenShiftStandIn;
  pod: V1PodSpec;
  cookieSecret: string;
  serving: KeyPairPem & { caPem: string };
  uiPort: number;
}): Promise<SignInSidecar> {
  const port = await freePort();
  const proxy = startProxyProcess({
    binary: options.binary,
    pod: options.pod,
    container: PROXY_CONTAINER,
    secrets: {
      [SERVING_CERT_SECRET]: { 'tls.crt': options.serving.certPem, 'tls.key': options.serving.keyPem },
      [COOKIE_SECRET]: { session_secret: options.cookieSecret },
    },
    serviceAccount: {
      token: await options.cluster.tokenFor(NAMESPACE, APP_NAMES.ui.serviceAccount, 86_400),
      caPem: options.standIn.caPem,
      namespace: NAMESPACE,
    },
    kubernetesService: { host: options.standIn.host, port: '443' },
    ports: { 8443: port, 8080: options.uiPort },
    uid: randomInt(1_000_000_000, 2_000_000_000),
  });
  const url = `https://127.0.0.1:${port}`;
  try {
    await waitFor(
      'oauth-proxy answers /oauth/healthz',
      async () => (await httpsStatus(`${url}/oauth/healthz`, options.serving.caPem)) === 200,
      30_000,
      () => proxy.hasExited(),
    );
  } catch (err) {
    await proxy.stop();
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n--- oauth-proxy ---\n${proxy.output().slice(-3000)}`,
    );
  }
  return { proxy, url, port };
}

/** The status of a GET over HTTPS, trusting `caPem` only. */
export function httpsStatus(url: string, caPem: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca: caPem, timeout: 5_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}
