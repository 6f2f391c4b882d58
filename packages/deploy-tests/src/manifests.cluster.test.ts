import { readdirSync, readFileSync } from 'node:fs';
import { Cluster } from '@guitars/testenv';
import type { V1Container, V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { applyWithRetry, deployment, find, type KubeObject, kustomize, parseManifests } from './kube.js';
import { APP_NAMES, APPS, type App, NAMESPACE, repoPath } from './repo.js';

const cluster = new Cluster(inject('testenv'));

const OVERLAYS = ['kubernetes', 'openshift'] as const;
type Overlay = (typeof OVERLAYS)[number];

/** Kinds each build holds; anything else showing up (or missing) is a change to look at. */
const BASE_KINDS = [
  'ClusterRole/guitars-controller',
  'ClusterRole/guitars-ui',
  'ClusterRoleBinding/guitars-controller',
  'ClusterRoleBinding/guitars-ui',
  'ConfigMap/guitars-review-policy',
  'CustomResourceDefinition/guitars.kool.karmalabs.local',
  'Deployment/guitars-controller',
  'Deployment/guitars-ui',
  'Namespace/guitarcenter',
  'NetworkPolicy/guitars-controller',
  'NetworkPolicy/guitars-ui',
  'PodDisruptionBudget/guitars-controller',
  'Role/guitars-controller-leader-election',
  'RoleBinding/guitars-controller-leader-election',
  'Service/guitars-controller-metrics',
  'Service/guitars-ui',
  'ServiceAccount/guitars-controller',
  'ServiceAccount/guitars-ui',
];
const EXTRA_KINDS: Record<Overlay, string[]> = {
  kubernetes: ['Ingress/guitars-ui'],
  openshift: [
    'ClusterRole/guitars-user',
    'Route/guitars-ui',
    'Service/guitars-ui-metrics',
    'ServiceMonitor/guitars-controller',
    'ServiceMonitor/guitars-ui',
  ],
};

function kindsOf(objects: KubeObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

function podSpec(d: V1Deployment): V1PodSpec {
  const spec = d.spec?.template.spec;
  if (!spec) throw new Error(`Deployment ${d.metadata?.name} has no pod spec`);
  return spec;
}

function container(d: V1Deployment, app: App): V1Container {
  const found = podSpec(d).containers.find((c) => c.name === APP_NAMES[app].container);
  if (!found) throw new Error(`Deployment ${d.metadata?.name} has no container ${APP_NAMES[app].container}`);
  return found;
}

function envValue(c: V1Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

/** The sources of an app and of shared, tests left out: where its environment variables are read. */
function sourceText(app: App): string {
  const read = (dir: string) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('test-support'))
      .map((f) => readFileSync(`${dir}/${f}`, 'utf8'))
      .join('\n');
  return `${read(repoPath('packages', app, 'src'))}\n${read(repoPath('packages/shared/src'))}`;
}

/**
 * What the issue asks of every Deployment: probes on the app's endpoints, requests and limits,
 * and a pod that runs under OpenShift's restricted-v2 SCC and the restricted Pod Security
 * Standard as it is.
 */
function expectHardened(d: V1Deployment, app: App, overlay: Overlay | 'base'): void {
  const spec = podSpec(d);
  expect(spec.serviceAccountName).toBe(APP_NAMES[app].serviceAccount);
  expect(spec.securityContext?.runAsNonRoot).toBe(true);
  expect(spec.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
  if (overlay === 'kubernetes') {
    expect(spec.securityContext?.runAsUser).toBeGreaterThan(0);
  } else {
    // OpenShift assigns a UID from the project's range; a fixed one would be refused by restricted-v2.
    expect(spec.securityContext?.runAsUser).toBeUndefined();
  }
  expect(spec.securityContext?.fsGroup).toBeUndefined();
  expect(spec.hostNetwork ?? false).toBe(false);
  expect(spec.hostPID ?? false).toBe(false);

  const c = container(d, app);
  expect(c.securityContext).toMatchObject({
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(c.securityContext?.privileged ?? false).toBe(false);
  expect(c.securityContext?.capabilities?.add ?? []).toEqual([]);
  expect(c.securityContext?.runAsUser).toBeUndefined();

  // A writable /tmp on a read-only root.
  const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
  expect(tmp, 'an emptyDir at /tmp').toBeDefined();
  expect(spec.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();

  for (const resource of ['cpu', 'memory']) {
    expect(c.resources?.requests?.[resource], `${resource} request`).toBeDefined();
    expect(c.resources?.limits?.[resource], `${resource} limit`).toBeDefined();
  }

  // A probe names a port of its own container (the kubelet looks names up there), or gives the
  // number of one the pod serves (on OpenShift: the sign-in proxy's, the UI being on loopback).
  const portNames = new Set((c.ports ?? []).map((p) => p.name));
  const podPorts = new Set(
    spec.containers.flatMap((other) => (other.ports ?? []).map((p) => p.containerPort)),
  );
  expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
  expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
  expect(c.startupProbe?.httpGet?.path).toBe('/healthz');
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    const port = probe?.httpGet?.port;
    const served = typeof port === 'number' ? podPorts.has(port) : portNames.has(String(port));
    expect(served, `probe port ${port}`).toBe(true);
  }

  // Every variable set here is one the app reads: a typo would be silently ignored otherwise.
  const sources = sourceText(app);
  const unread = (c.env ?? [])
    .map((e) => e.name)
    .filter((name) => !new RegExp(`\\b${name}\\b`).test(sources));
  expect(unread, `variables ${app} does not read`).toEqual([]);
}

interface NetworkPolicyRule {
  from?: unknown[];
  to?: unknown[];
  ports?: Array<{ protocol?: string; port?: number | string }>;
}
interface NetworkPolicySpec {
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes?: string[];
  ingress?: NetworkPolicyRule[];
  egress?: NetworkPolicyRule[];
}

function networkPolicy(objects: KubeObject[], app: App): NetworkPolicySpec {
  return find(objects, 'NetworkPolicy', APP_NAMES[app].deployment).spec as NetworkPolicySpec;
}

/** The ports a list of rules opens, as port/protocol, sorted. */
function openPorts(rules: NetworkPolicyRule[] = []): string[] {
  return rules.flatMap((r) => (r.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`)).sort();
}

function selects(selector: NetworkPolicySpec['podSelector'], labels: Record<string, string> = {}): boolean {
  const wanted = Object.entries(selector.matchLabels ?? {});
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
}

const OPENSHIFT_ROUTER = {
  namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } },
};
const OPENSHIFT_MONITORING = {
  namespaceSelector: { matchLabels: { 'network.openshift.io/policy-group': 'monitoring' } },
};
const USER_WORKLOAD_MONITORING = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'openshift-user-workload-monitoring' } },
};

describe('kustomize builds', () => {
  it.each(['base', ...OVERLAYS] as const)(
    'k8s/%s holds the expected objects, all in guitarcenter',
    async (which) => {
      const objects = await kustomize(cluster, which === 'base' ? 'base' : `overlays/${which}`);
      const extra = which === 'base' ? [] : EXTRA_KINDS[which];
      expect(kindsOf(objects)).toEqual([...BASE_KINDS, ...extra].sort());
      const clusterScoped = new Set([
        'Namespace',
        'CustomResourceDefinition',
        'ClusterRole',
        'ClusterRoleBinding',
      ]);
      for (const o of objects) {
        if (!clusterScoped.has(o.kind))
          expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(NAMESPACE);
        // The CRD is packages/shared's file as it is (a test keeps them equal); every other object is labelled.
        if (o.kind !== 'CustomResourceDefinition') {
          expect(o.metadata.labels?.['app.kubernetes.io/part-of'], `${o.kind}/${o.metadata.name}`).toBe(
            'guitar-center',
          );
        }
      }
    },
  );

  it('k8s/base/crd.yaml is the CRD packages/shared installs', () => {
    expect(readFileSync(repoPath('k8s/base/crd.yaml'), 'utf8')).toBe(
      readFileSync(repoPath('packages/shared/crd/guitars.kool.karmalabs.local.yaml'), 'utf8'),
    );
  });

  it('grants no right through aggregation or the built-in admin/edit/view roles, and never cluster-admin', async () => {
    const objects = [
      ...(await kustomize(cluster, 'base')),
      ...parseManifests(readFileSync(repoPath('k8s/base/controller-crd-installer-rbac.yaml'), 'utf8')),
    ];
    for (const o of objects) {
      if (o.kind === 'ClusterRole') {
        expect(o.aggregationRule, o.metadata.name).toBeUndefined();
        const labels = Object.keys(o.metadata.labels ?? {});
        expect(
          labels.filter((l) => l.includes('aggregate-to')),
          o.metadata.name,
        ).toEqual([]);
      }
      if (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') {
        const roleRef = o.roleRef as { name: string };
        expect(['cluster-admin', 'admin', 'edit', 'view']).not.toContain(roleRef.name);
      }
    }
  });

  it('leaves the CRD installer role out: the shipped controller runs without the power to install APIs', async () => {
    const objects = await kustomize(cluster, 'base');
    expect(objects.some((o) => o.metadata.name === 'guitars-controller-crd-installer')).toBe(false);
    const rules = objects
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
      .flatMap((o) => (o.rules as Array<{ resources?: string[] }>) ?? []);
    expect(rules.flatMap((r) => r.resources ?? [])).not.toContain('customresourcedefinitions');
    const c = container(deployment(objects, 'guitars-controller'), 'controller');
    expect(envValue(c, 'CONTROLLER_INSTALL_CRD')).toBe('false');
  });

  it('runs the controller as two leader-elected replicas with the review policy mounted read-only', async () => {
    const objects = await kustomize(cluster, 'base');
    const d = deployment(objects, 'guitars-controller');
    expect(d.spec?.replicas).toBe(2);
    const c = container(d, 'controller');
    expect(envValue(c, 'CONTROLLER_LEADER_ELECT')).toBe('true');
    expect(c.env?.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(c.ports?.find((p) => p.name === 'probes')?.containerPort).toBe(8081);
    expect(envValue(c, 'CONTROLLER_PROBE_BIND_ADDRESS')).toBe(':8081');

    // CONTROLLER_REVIEW_POLICY names a key of the ConfigMap, where its volume is mounted.
    const policyPath = envValue(c, 'CONTROLLER_REVIEW_POLICY') ?? '';
    const mount = c.volumeMounts?.find((m) => policyPath.startsWith(`${m.mountPath}/`));
    expect(mount?.readOnly).toBe(true);
    const volume = podSpec(d).volumes?.find((v) => v.name === mount?.name);
    const configMap = find(objects, 'ConfigMap', volume?.configMap?.name ?? '');
    const key = policyPath.slice((mount?.mountPath.length ?? 0) + 1);
    expect(Object.keys(configMap.data as Record<string, string>)).toContain(key);

    const pdb = find(objects, 'PodDisruptionBudget', 'guitars-controller');
    expect((pdb.spec as { maxUnavailable: number }).maxUnavailable).toBe(1);
  });

  it('serves the UI on 8080 behind the guitars-ui Service and an Ingress, and on OpenShift on loopback behind its sign-in proxy and a reencrypt Route, still serving while it leaves them', async () => {
    const openshift = await kustomize(cluster, 'overlays/openshift');
    const ui = deployment(openshift, 'guitars-ui');
    const c = container(ui, 'ui');
    // On loopback: only the proxy beside it reaches it. Its one port on the network is /metrics,
    // for Prometheus, behind a Service of its own that no Route leads to.
    expect(c.ports ?? []).toEqual([{ name: 'metrics', containerPort: 8081, protocol: 'TCP' }]);
    expect(envValue(c, 'PORT')).toBe('8080');
    expect(envValue(c, 'HOST')).toBe('127.0.0.1');
    expect(envValue(c, 'UI_AUTH')).toBe('proxy');
    expect(envValue(c, 'UI_METRICS_BIND_ADDRESS')).toBe(':8081');
    const metrics = find(openshift, 'Service', 'guitars-ui-metrics').spec as {
      selector: Record<string, string>;
      ports: unknown[];
    };
    expect(metrics.selector).toEqual({ 'app.kubernetes.io/name': 'guitars-ui' });
    expect(metrics.ports).toEqual([{ name: 'metrics', port: 8081, targetPort: 'metrics', protocol: 'TCP' }]);
    // The router and the proxy are two hops in front: the UI believes their X-Forwarded-* only.
    expect(envValue(c, 'TRUST_PROXY')).toBe('2');
    // Still serving while it leaves the endpoints: the sleep and the UI's 10 s drain fit the grace period.
    expect(c.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    expect(ui.spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(5 + 10);
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe])
      expect(probe?.httpGet).toMatchObject({ port: 8443, scheme: 'HTTPS' });
    const proxy = podSpec(ui).containers.find((other) => other.name === 'oauth-proxy');
    expect(proxy?.ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    expect(proxy?.args).toContain('--upstream=http://127.0.0.1:8080');
    const service = find(openshift, 'Service', 'guitars-ui');
    expect(service.metadata.annotations?.['service.beta.openshift.io/serving-cert-secret-name']).toBe(
      'guitars-ui-tls',
    );
    expect((service.spec as { ports: unknown[] }).ports).toEqual([
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
    ]);
    expect(find(openshift, 'Route', 'guitars-ui').spec).toMatchObject({
      to: { kind: 'Service', name: 'guitars-ui' },
      port: { targetPort: 'https' },
      tls: { termination: 'reencrypt', insecureEdgeTerminationPolicy: 'Redirect' },
    });
    const kubernetes = await kustomize(cluster, 'overlays/kubernetes');
    expect(envValue(container(deployment(kubernetes, 'guitars-ui'), 'ui'), 'TRUST_PROXY')).toBe('1');
    const base = await kustomize(cluster, 'base');
    expect(envValue(container(deployment(base, 'guitars-ui'), 'ui'), 'TRUST_PROXY')).toBeUndefined();
    expect(find(kubernetes, 'Ingress', 'guitars-ui').spec).toMatchObject({
      rules: [
        {
          http: {
            paths: [{ path: '/', backend: { service: { name: 'guitars-ui', port: { name: 'http' } } } }],
          },
        },
      ],
    });
  });

  it.each(['base', ...OVERLAYS] as const)(
    'k8s/%s: a NetworkPolicy per app admits its container ports only, and lets out the apiserver and DNS only',
    async (which) => {
      const objects = await kustomize(cluster, which === 'base' ? 'base' : `overlays/${which}`);
      for (const app of APPS) {
        const d = deployment(objects, APP_NAMES[app].deployment);
        const policy = networkPolicy(objects, app);
        // It holds this app's pods, and not the other's.
        expect(selects(policy.podSelector, d.spec?.template.metadata?.labels)).toBe(true);
        for (const other of APPS.filter((a) => a !== app)) {
          const labels = deployment(objects, APP_NAMES[other].deployment).spec?.template.metadata?.labels;
          expect(selects(policy.podSelector, labels), `${app}'s policy selects ${other}`).toBe(false);
        }
        expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
        // Ingress: exactly the ports the pod serves, by number (pods of oc new-app name none).
        const served = podSpec(d).containers.flatMap((c) =>
          (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol}`),
        );
        expect(served.length).toBeGreaterThan(0);
        // On OpenShift the file also serves the oc new-app flows, whose UI (no proxy) is on 8080.
        const newApp = which === 'openshift' && app === 'ui' ? ['8080/TCP'] : [];
        expect(openPorts(policy.ingress)).toEqual([...served, ...newApp].sort());
        for (const rule of policy.ingress ?? [])
          expect(rule.from?.length, 'every ingress rule names its sources').toBeGreaterThan(0);
        const sources = (policy.ingress ?? []).flatMap((r) => r.from ?? []);
        if (which === 'openshift') {
          // The router reaches the UI's sign-in proxy (and the oc new-app UI); monitoring and
          // user-workload monitoring (the ServiceMonitors'), the metrics ports of both apps.
          const from = (port: number) =>
            (policy.ingress ?? [])
              .filter((r) => r.ports?.some((p) => p.port === port))
              .flatMap((r) => r.from);
          if (app === 'ui') {
            expect(from(8443)).toEqual([OPENSHIFT_ROUTER]);
            expect(from(8080)).toEqual([OPENSHIFT_ROUTER]);
            expect(from(8081)).toEqual([OPENSHIFT_MONITORING, USER_WORKLOAD_MONITORING]);
          } else {
            expect(sources).toEqual([OPENSHIFT_MONITORING, USER_WORKLOAD_MONITORING]);
          }
        } else {
          expect(sources).toEqual([{ namespaceSelector: {} }]);
        }
        // Egress: the apiserver (its Service's port and its endpoints') and DNS (5353: OpenShift's).
        const dns =
          which === 'openshift' ? ['53/TCP', '53/UDP', '5353/TCP', '5353/UDP'] : ['53/TCP', '53/UDP'];
        expect(openPorts(policy.egress)).toEqual(['443/TCP', '6443/TCP', ...dns].sort());
      }
    },
  );

  it("builds OpenShift's NetworkPolicies as k8s/overlays/openshift/network-policy.yaml has them, which the oc new-app flows apply alone", async () => {
    const built = (await kustomize(cluster, 'overlays/openshift')).filter((o) => o.kind === 'NetworkPolicy');
    const file = parseManifests(readFileSync(repoPath('k8s/overlays/openshift/network-policy.yaml'), 'utf8'));
    expect(built.length).toBe(APPS.length);
    const byName = (objects: KubeObject[]) =>
      [...objects].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    expect(byName(built)).toEqual(byName(file));
  });

  it("has user-workload monitoring scrape each app's /metrics on OpenShift: one Service port each, the app's metrics listener, admitted by its NetworkPolicy", async () => {
    const objects = await kustomize(cluster, 'overlays/openshift');
    // Where each app serves /metrics in the pod: the controller on its probes listener, the UI
    // on a listener of its own (its users' port, behind the proxy, answers 404 there).
    const metricsAddress = { controller: 'CONTROLLER_PROBE_BIND_ADDRESS', ui: 'UI_METRICS_BIND_ADDRESS' };
    for (const app of APPS) {
      const monitor = find(objects, 'ServiceMonitor', APP_NAMES[app].deployment).spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: Array<{ port: string; path: string; scheme: string }>;
      };
      expect(monitor.endpoints).toHaveLength(1);
      const [endpoint] = monitor.endpoints as [{ port: string; path: string; scheme: string }];
      expect(endpoint).toMatchObject({ path: '/metrics', scheme: 'http' });
      // Prometheus scrapes every port of that name of every Service the selector matches.
      const scraped = objects
        .filter((o) => o.kind === 'Service' && selects(monitor.selector, o.metadata.labels))
        .flatMap((o) =>
          (
            o.spec as { selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> }
          ).ports
            .filter((p) => p.name === endpoint.port)
            .map((p) => ({ service: o, port: p })),
        );
      expect(scraped.map((s) => s.service.metadata.name)).toEqual([
        app === 'ui' ? 'guitars-ui-metrics' : 'guitars-controller-metrics',
      ]);
      const [{ service, port }] = scraped as [(typeof scraped)[number]];
      const d = deployment(objects, APP_NAMES[app].deployment);
      expect(
        selects(
          { matchLabels: (service.spec as { selector: Record<string, string> }).selector },
          d.spec?.template.metadata?.labels,
        ),
      ).toBe(true);
      const c = container(d, app);
      const served = c.ports?.find((p) => p.name === port.targetPort)?.containerPort;
      expect(envValue(c, metricsAddress[app])).toBe(`:${served}`);
      const admitted = (networkPolicy(objects, app).ingress ?? [])
        .filter((r) => r.ports?.some((p) => p.port === served))
        .flatMap((r) => r.from);
      expect(admitted).toContainEqual(USER_WORKLOAD_MONITORING);
    }
  });

  it('makes each OpenShift Deployment follow its ImageStreamTag, resolved in its own namespace', async () => {
    const objects = await kustomize(cluster, 'overlays/openshift');
    for (const app of APPS) {
      const d = deployment(objects, APP_NAMES[app].deployment);
      const triggers = JSON.parse(d.metadata?.annotations?.['image.openshift.io/triggers'] ?? '[]') as Array<{
        from: { kind: string; name: string };
        fieldPath: string;
      }>;
      expect(triggers).toEqual([
        {
          from: { kind: 'ImageStreamTag', name: `guitars-${app}:latest` },
          fieldPath: `spec.template.spec.containers[?(@.name=="${APP_NAMES[app].container}")].image`,
        },
      ]);
      // The ImageStreamTag's short name, resolved in the pod's own namespace (any project's).
      expect(container(d, app).image).toBe(`guitars-${app}:latest`);
      expect(d.spec?.template.metadata?.annotations?.['alpha.image.policy.openshift.io/resolve-names']).toBe(
        '*',
      );
    }
  });
});

describe('applied to a real apiserver', () => {
  beforeAll(async () => {
    // The apiserver here is plain Kubernetes: Route, BuildConfig, ImageStream and Template are
    // installed as CRDs with strict schemas of the fields k8s/ uses (see the fixture's header),
    // so the OpenShift objects are applied for real too rather than only dry-run.
    await applyWithRetry(cluster, ['-f', repoPath('packages/deploy-tests/fixtures/openshift-crds.yaml')]);
    await cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  });

  describe('each overlay with kubectl apply -k, one after the other as a user switching would', () => {
    it.each(OVERLAYS)(
      'k8s/overlays/%s is accepted without a warning, and the Deployments keep their hardening',
      async (overlay) => {
        // --validate=strict: an unknown or misspelt field is an error, not a silently dropped field.
        const output = await applyWithRetry(cluster, [
          '--validate=strict',
          '-k',
          repoPath('k8s/overlays', overlay),
        ]);
        // Pod Security admission warns on a Deployment whose pods would break the namespace's level.
        expect(output).not.toMatch(/warning/i);

        const applied = parseManifests(
          await cluster.kubectlOk(['get', 'deployments', '-n', NAMESPACE, '-o', 'yaml']),
        ).flatMap((list) => list.items as KubeObject[]);
        for (const app of APPS) expectHardened(deployment(applied, APP_NAMES[app].deployment), app, overlay);

        const namespace = JSON.parse(
          await cluster.kubectlOk(['get', 'namespace', NAMESPACE, '-o', 'json']),
        ) as KubeObject;
        expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');

        // The NetworkPolicies as the apiserver keeps them: what was built, nothing dropped.
        const policies = parseManifests(
          await cluster.kubectlOk(['get', 'networkpolicies', '-n', NAMESPACE, '-o', 'yaml']),
        ).flatMap((list) => list.items as KubeObject[]);
        const built = await kustomize(cluster, `overlays/${overlay}`);
        for (const app of APPS) expect(networkPolicy(policies, app)).toEqual(networkPolicy(built, app));
      },
    );
  });

  it('admits the pods of both Deployments under the restricted Pod Security Standard, and refuses a weakened one', async () => {
    await applyWithRetry(cluster, ['-k', repoPath('k8s/base')]);
    const objects = await kustomize(cluster, 'overlays/openshift');
    const pod = (app: App, weaken: boolean) => {
      const spec = structuredClone(podSpec(deployment(objects, APP_NAMES[app].deployment)));
      if (weaken) {
        const c = spec.containers[0];
        if (c?.securityContext) c.securityContext.allowPrivilegeEscalation = true;
      }
      return JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `psa-${app}${weaken ? '-weak' : ''}`, namespace: NAMESPACE },
        spec,
      });
    };
    // The Deployments create no pods here (no controller-manager); a server-side dry run of the
    // pod each would create goes through the same admission, PodSecurity included.
    for (const app of APPS) {
      await cluster.kubectlOk(['create', '--dry-run=server', '-f', '-'], { input: pod(app, false) });
      const weak = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], {
        input: pod(app, true),
      });
      expect(weak.code).not.toBe(0);
      expect(weak.stderr).toMatch(/violates PodSecurity "restricted/);
    }
  });

  it("refuses, through the OpenShift kinds' schemas, what OpenShift would refuse", async () => {
    // The negative control for the Route and BuildConfig checks: a wrong value and a misspelt field.
    const route = (tls: Record<string, string>) =>
      JSON.stringify({
        apiVersion: 'route.openshift.io/v1',
        kind: 'Route',
        metadata: { name: 'bad', namespace: NAMESPACE },
        spec: { to: { kind: 'Service', name: 'guitars-ui' }, tls },
      });
    const bad: Array<Record<string, string>> = [
      { termination: 'Edge' },
      { termination: 'edge', insecureEdgeTermination: 'Redirect' },
    ];
    for (const tls of bad) {
      const result = await cluster.kubectl(['apply', '--validate=strict', '--dry-run=server', '-f', '-'], {
        input: route(tls),
      });
      expect(result.code, JSON.stringify(tls)).not.toBe(0);
    }
    // And for the ServiceMonitor: an interval Prometheus cannot parse, a misspelt endpoint field.
    const monitor = (endpoint: Record<string, string>) =>
      JSON.stringify({
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'bad', namespace: NAMESPACE },
        spec: { selector: { matchLabels: { a: 'b' } }, endpoints: [endpoint] },
      });
    const good = { port: 'metrics', path: '/metrics', scheme: 'http', interval: '30s' };
    const badEndpoints = [
      { ...good, interval: '30 seconds' },
      { port: 'metrics', paths: '/metrics' },
    ];
    for (const endpoint of [good, ...badEndpoints]) {
      const result = await cluster.kubectl(['apply', '--validate=strict', '--dry-run=server', '-f', '-'], {
        input: monitor(endpoint),
      });
      expect(result.code, `${JSON.stringify(endpoint)}: ${result.stderr}`).toBe(endpoint === good ? 0 : 1);
    }
  });

  it('applies the OpenShift build template and the objects it makes', async () => {
    const path = repoPath('k8s/openshift/builds.yaml');
    await applyWithRetry(cluster, ['--validate=strict', '-n', NAMESPACE, '-f', path]);

    // `oc process` / `oc new-app -f` with GIT_URL: substitute the parameters as OpenShift does.
    const template = parseManifests(readFileSync(path, 'utf8'))[0] as KubeObject & {
      parameters: Array<{ name: string; value?: string; required?: boolean; generate?: string }>;
      objects: KubeObject[];
      labels: Record<string, string>;
    };
    const values: Record<string, string> = {
      GIT_URL: 'https://git.example.com/guitar-center.git',
      WEBHOOK_SECRET: 'generated-by-openshift',
    };
    for (const p of template.parameters) {
      if (p.required) expect(values[p.name], `required parameter ${p.name}`).toBeDefined();
      values[p.name] ??= p.value ?? '';
    }
    const processed = JSON.stringify(template.objects).replace(/\$\{(\w+)\}/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`the template uses an undeclared parameter ${name}`);
      return value;
    });
    const objects = (JSON.parse(processed) as KubeObject[]).map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { ...template.labels, ...o.metadata.labels } },
    }));
    await applyWithRetry(
      cluster,
      ['--validate=strict', '-n', NAMESPACE, '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: objects,
      }),
    );

    for (const app of APPS) {
      const bc = find(objects, 'BuildConfig', `guitars-${app}`).spec as {
        source: { type: string; contextDir?: string; git: { uri: string } };
        strategy: { type: string; dockerStrategy: { dockerfilePath: string; from?: unknown } };
        output: { to: { kind: string; name: string } };
      };
      // The whole repository is the context: the Dockerfile needs the root lockfile and packages/shared.
      expect(bc.source.contextDir).toBeUndefined();
      expect(bc.source.git.uri).toBe(values.GIT_URL);
      expect(bc.strategy.type).toBe('Docker');
      expect(bc.strategy.dockerStrategy.dockerfilePath).toBe(`packages/${app}/Dockerfile`);
      expect(readFileSync(repoPath(bc.strategy.dockerStrategy.dockerfilePath), 'utf8')).toMatch(/^FROM /m);
      expect(bc.output.to).toEqual({ kind: 'ImageStreamTag', name: `guitars-${app}:latest` });
      find(objects, 'ImageStream', `guitars-${app}`);
    }
  });

  it('accepts the sample guitars', async () => {
    const samples = readdirSync(repoPath('k8s/samples')).filter((f) => f.endsWith('.yaml'));
    expect(samples.length).toBeGreaterThan(0);
    await applyWithRetry(cluster, ['-n', NAMESPACE, '-f', repoPath('k8s/samples')]);
    const names = parseManifests(
      await cluster.kubectlOk(['get', 'guitars', '-n', NAMESPACE, '-o', 'yaml']),
    ).flatMap((list) => (list.items as KubeObject[]).map((g) => g.metadata.name));
    for (const file of samples) {
      for (const sample of parseManifests(readFileSync(repoPath('k8s/samples', file), 'utf8'))) {
        expect(names).toContain(sample.metadata.name);
      }
    }
  });
});
