import { describe, expect, it } from 'vitest';
import { type AppAccess, explainForbidden } from './explain-forbidden.js';
import type { Refusal } from './forbidden.js';

const ACCESS: AppAccess = {
  app: 'guitars-controller',
  namespace: 'guitarcenter',
  grants: [
    {
      group: 'kool.karmalabs.local',
      resource: 'guitars',
      role: { kind: 'ClusterRole', name: 'guitars-controller' },
      file: 'k8s/base/controller-rbac.yaml',
    },
    {
      group: 'coordination.k8s.io',
      resource: 'leases',
      role: { kind: 'Role', name: 'guitars-controller-leader-election' },
      file: 'k8s/base/controller-rbac.yaml',
    },
  ],
};

const listGuitars: Refusal = {
  user: 'system:serviceaccount:guitarcenter:default',
  verb: 'list',
  resource: 'guitars',
  group: 'kool.karmalabs.local',
  name: undefined,
  namespace: undefined,
  message: '...',
};

const getLease: Refusal = {
  ...listGuitars,
  verb: 'get',
  resource: 'leases',
  group: 'coordination.k8s.io',
  name: 'guitars-controller',
  namespace: 'guitarcenter',
};

const sa = (namespace: string, name: string) => ({
  username: `system:serviceaccount:${namespace}:${name}`,
  source: 'SelfSubjectReview' as const,
});

describe('explainForbidden', () => {
  it("on the namespace's default ServiceAccount (what oc new-app leaves): run as the app's own, or bind its role", () => {
    const e = explainForbidden(listGuitars, sa('guitarcenter', 'default'), ACCESS);
    expect(e).toMatchObject({
      identity: 'system:serviceaccount:guitarcenter:default',
      identitySource: 'SelfSubjectReview',
      verb: 'list',
      resource: 'guitars.kool.karmalabs.local',
      namespace: undefined,
    });
    expect(e.fix).toBe(
      'run it as the ServiceAccount guitarcenter/guitars-controller, which k8s/base/controller-rbac.yaml grants this to: ' +
        '`kubectl -n guitarcenter set serviceaccount deployment/guitars-controller guitars-controller`; ' +
        'or bind ClusterRole guitars-controller to system:serviceaccount:guitarcenter:default: ' +
        '`kubectl create clusterrolebinding guitars-controller-guitarcenter-default --clusterrole=guitars-controller --serviceaccount=guitarcenter:default`',
    );
    expect(e.message).toBe(
      'forbidden: guitars-controller runs as system:serviceaccount:guitarcenter:default (SelfSubjectReview), ' +
        `which may not list guitars.kool.karmalabs.local at the cluster scope. Fix: ${e.fix}`,
    );
  });

  it('names the object and namespace of a refused Role-granted call, and binds within that namespace', () => {
    const e = explainForbidden(getLease, sa('guitarcenter', 'default'), ACCESS);
    expect(e.message).toContain(
      'which may not get leases.coordination.k8s.io guitars-controller in namespace guitarcenter',
    );
    expect(e.fix).toContain(
      '`kubectl -n guitarcenter create rolebinding guitars-controller-leader-election-guitarcenter-default --role=guitars-controller-leader-election --serviceaccount=guitarcenter:default`',
    );
  });

  it('in a project of another name, points at that project’s own ServiceAccount', () => {
    const e = explainForbidden(listGuitars, sa('shop', 'default'), ACCESS);
    expect(e.fix).toContain(
      'run it as the ServiceAccount shop/guitars-controller, which k8s/base/controller-rbac.yaml grants this to: ' +
        '`kubectl -n shop set serviceaccount deployment/guitars-controller guitars-controller`',
    );
    expect(e.fix).toContain('--serviceaccount=shop:default');
    expect(e.fix).not.toContain('guitarcenter');
  });

  it('as its own ServiceAccount in a project of another name, says to apply the file with that name', () => {
    const e = explainForbidden(getLease, sa('shop', 'guitars-controller'), ACCESS);
    expect(e.fix).not.toContain('grants this in namespace guitarcenter only');
    const guitars = explainForbidden(listGuitars, sa('shop', 'guitars-controller'), ACCESS);
    expect(guitars.fix).toBe(
      'the ServiceAccount is the right one but its binding is missing: as a cluster admin, ' +
        'kubectl apply -f k8s/base/controller-rbac.yaml with namespace guitarcenter replaced by shop ' +
        '(docs/deploy.md, In a project of another name) (ClusterRole guitars-controller, bound to shop/guitars-controller)',
    );
  });

  it('as its own ServiceAccount, says the binding is missing and which file has it', () => {
    const e = explainForbidden(listGuitars, sa('guitarcenter', 'guitars-controller'), ACCESS);
    expect(e.fix).toBe(
      'the ServiceAccount is the right one but its binding is missing: as a cluster admin, ' +
        'kubectl apply -f k8s/base/controller-rbac.yaml (ClusterRole guitars-controller, bound to guitarcenter/guitars-controller)',
    );
  });

  it('a Lease outside the Role’s namespace needs a Role there', () => {
    const e = explainForbidden(
      { ...getLease, namespace: 'elsewhere' },
      sa('guitarcenter', 'guitars-controller'),
      ACCESS,
    );
    expect(e.fix).toBe(
      'Role guitars-controller-leader-election (k8s/base/controller-rbac.yaml) grants this in namespace guitarcenter only: ' +
        'run guitars-controller there as the ServiceAccount guitarcenter/guitars-controller, ' +
        'or create that Role and a RoleBinding to system:serviceaccount:guitarcenter:guitars-controller in namespace elsewhere',
    );
  });

  it('a user outside a pod (a kubeconfig) is told to bind the role to that user', () => {
    const e = explainForbidden({ ...listGuitars, user: 'alice@example.com' }, undefined, ACCESS);
    expect(e.identity).toBe('alice@example.com');
    expect(e.identitySource).toBe('refusal');
    expect(e.message).toContain("runs as alice@example.com (the apiserver's refusal)");
    expect(e.fix).toContain(
      '`kubectl create clusterrolebinding guitars-controller-alice-example.com --clusterrole=guitars-controller --user=alice@example.com`',
    );
  });

  it('without any identity, still points at the ServiceAccount to use', () => {
    const e = explainForbidden({ ...listGuitars, user: undefined, verb: undefined }, undefined, ACCESS);
    expect(e.message).toBe(
      'forbidden: guitars-controller runs as an unknown user, which may not use guitars.kool.karmalabs.local at the cluster scope. ' +
        'Fix: run it as the ServiceAccount guitarcenter/guitars-controller (`kubectl -n guitarcenter set serviceaccount deployment/guitars-controller guitars-controller`), ' +
        'which k8s/base/controller-rbac.yaml grants this to',
    );
  });

  it('a resource the app was not made to use is said to be unexpected', () => {
    const e = explainForbidden(
      { ...listGuitars, resource: 'secrets', group: '' },
      sa('guitarcenter', 'default'),
      ACCESS,
    );
    expect(e.resource).toBe('secrets');
    expect(e.fix).toBe(
      'grant system:serviceaccount:guitarcenter:default list secrets: guitars-controller is not expected to need it',
    );
  });
});
