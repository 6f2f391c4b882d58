import { readFileSync } from 'node:fs';
import { Cluster } from '@guitars/testenv';
import type { V1Container } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { expandedArgs } from './container-args.js';
import { deployment, find, kustomize } from './kube.js';
import { NAMESPACE, repoPath } from './repo.js';

const cluster = new Cluster(inject('testenv'));

/** oauth-proxy's option names, from its options.go (the fixture says which commit). */
const KNOWN_FLAGS = new Set(
  readFileSync(repoPath('packages/deploy-tests/fixtures/oauth-proxy-flags.txt'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#')),
);

async function proxyContainer(): Promise<{ proxy: V1Container; flags: Map<string, string> }> {
  const objects = await kustomize(cluster, 'overlays/openshift');
  const proxy = deployment(objects, 'guitars-ui').spec?.template.spec?.containers.find(
    (c) => c.name === 'oauth-proxy',
  );
  if (!proxy) throw new Error('no oauth-proxy container in the OpenShift UI Deployment');
  const flags = new Map<string, string>();
  // As the kubelet passes them in a pod of the namespace (the SAR and scope name the pod's own).
  for (const arg of expandedArgs(proxy, NAMESPACE)) {
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!match?.[1]) throw new Error(`not a --flag=value argument: ${arg}`);
    flags.set(match[1], match[2] ?? 'true');
  }
  return { proxy, flags };
}

/** A Go time.Duration string (as oauth-proxy's flags take it) in seconds. */
function goDurationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * (units[unit ?? ''] ?? 0), 0);
}

describe('the OpenShift sign-in proxy (k8s/overlays/openshift/sign-in.yaml)', () => {
  it("uses only oauth-proxy's own flags (checked against its options.go)", async () => {
    const { flags } = await proxyContainer();
    expect(KNOWN_FLAGS.size).toBeGreaterThan(50);
    expect([...flags.keys()].filter((flag) => !KNOWN_FLAGS.has(flag))).toEqual([]);
  });

  it('signs in with OpenShift, lets in who may list guitars, and passes the user and token to the UI on loopback', async () => {
    const { flags } = await proxyContainer();
    expect(Object.fromEntries(flags)).toMatchObject({
      provider: 'openshift',
      'openshift-service-account': 'guitars-ui',
      'https-address': ':8443',
      'http-address': '',
      upstream: 'http://127.0.0.1:8080',
      'pass-access-token': 'true',
      'pass-user-headers': 'true',
      'pass-basic-auth': 'false',
      // Anchored: nothing but the two probe paths is let through unsigned.
      'skip-auth-regex': '^/(healthz|readyz)$',
    });
    expect(JSON.parse(flags.get('openshift-sar') ?? '')).toEqual({
      namespace: NAMESPACE,
      resourceAPIGroup: 'kool.karmalabs.local',
      resource: 'guitars',
      verb: 'list',
    });
    // The users' token may do what guitars-user allows, in this namespace, and nothing else.
    expect(flags.get('scope')?.split(' ')).toEqual([
      'user:info',
      'user:check-access',
      `role:guitars-user:${NAMESPACE}`,
    ]);
    // The session cookie lives no longer than the OAuth access token it carries (24 h on OpenShift
    // by default); the proxy's own default, 168 h, outlived it by six days (issue 24).
    const expire = goDurationSeconds(flags.get('cookie-expire') ?? '168h');
    expect(expire).toBeGreaterThan(0);
    expect(expire).toBeLessThanOrEqual(24 * 60 * 60);
    // The cookie secret and TLS files are mounted from the Secrets the overlay names.
    const objects = await kustomize(cluster, 'overlays/openshift');
    const pod = deployment(objects, 'guitars-ui').spec?.template.spec;
    const secretOf = (path: string) => {
      const proxy = pod?.containers.find((c) => c.name === 'oauth-proxy');
      const mount = proxy?.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
      return pod?.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName;
    };
    expect(secretOf(flags.get('tls-cert') ?? '')).toBe('guitars-ui-tls');
    expect(secretOf(flags.get('tls-key') ?? '')).toBe('guitars-ui-tls');
    expect(secretOf(flags.get('cookie-secret-file') ?? '')).toBe('guitars-ui-proxy');
    const service = find(objects, 'Service', 'guitars-ui');
    expect(service.metadata.annotations?.['service.beta.openshift.io/serving-cert-secret-name']).toBe(
      'guitars-ui-tls',
    );
  });

  it("leaves the UI's own ServiceAccount only reading: the users write with their own tokens", async () => {
    const objects = await kustomize(cluster, 'overlays/openshift');
    const rules = (find(objects, 'ClusterRole', 'guitars-ui') as unknown as { rules: unknown[] }).rules;
    expect(rules).toEqual([
      { apiGroups: ['kool.karmalabs.local'], resources: ['guitars'], verbs: ['get', 'list', 'watch'] },
    ]);
    const user = (find(objects, 'ClusterRole', 'guitars-user') as unknown as { rules: unknown[] }).rules;
    expect(user).toEqual([
      {
        apiGroups: ['kool.karmalabs.local'],
        resources: ['guitars'],
        verbs: ['get', 'list', 'watch', 'create', 'delete'],
      },
    ]);
  });

  it('makes the ServiceAccount the OAuth client, sent back to the Route', async () => {
    const objects = await kustomize(cluster, 'overlays/openshift');
    const sa = find(objects, 'ServiceAccount', 'guitars-ui');
    const reference = JSON.parse(
      sa.metadata.annotations?.['serviceaccounts.openshift.io/oauth-redirectreference.primary'] ?? '{}',
    ) as { reference?: { kind: string; name: string } };
    expect(reference.reference).toEqual({ kind: 'Route', name: 'guitars-ui' });
    find(objects, 'Route', 'guitars-ui');
  });

  it('hardens the proxy container as the apps are', async () => {
    const { proxy } = await proxyContainer();
    expect(proxy.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    for (const resource of ['cpu', 'memory']) {
      expect(proxy.resources?.requests?.[resource]).toBeDefined();
      expect(proxy.resources?.limits?.[resource]).toBeDefined();
    }
    expect(proxy.livenessProbe?.httpGet).toMatchObject({
      path: '/oauth/healthz',
      port: 'https',
      scheme: 'HTTPS',
    });
  });
});
