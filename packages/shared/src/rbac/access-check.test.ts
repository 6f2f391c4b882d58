import { describe, expect, it } from 'vitest';
import { accessMismatches, type RbacObject } from './access-check.js';
import type { AppAccess } from './explain-forbidden.js';

const ACCESS: AppAccess = {
  app: 'guitars-ui',
  namespace: 'guitarcenter',
  grants: [
    {
      group: 'kool.karmalabs.local',
      resource: 'guitars',
      role: { kind: 'ClusterRole', name: 'guitars-ui' },
      file: 'ui-rbac.yaml',
    },
    {
      group: 'coordination.k8s.io',
      resource: 'leases',
      role: { kind: 'Role', name: 'ui-lease' },
      file: 'ui-rbac.yaml',
    },
  ],
};

const sa = { kind: 'ServiceAccount', name: 'guitars-ui', namespace: 'guitarcenter' };
const GOOD: RbacObject[] = [
  {
    kind: 'ClusterRole',
    metadata: { name: 'guitars-ui' },
    rules: [{ apiGroups: ['kool.karmalabs.local'], resources: ['guitars'] }],
  },
  {
    kind: 'ClusterRoleBinding',
    metadata: { name: 'guitars-ui' },
    roleRef: { kind: 'ClusterRole', name: 'guitars-ui' },
    subjects: [sa],
  },
  {
    kind: 'Role',
    metadata: { name: 'ui-lease', namespace: 'guitarcenter' },
    rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'] }],
  },
  {
    kind: 'RoleBinding',
    metadata: { name: 'ui-lease', namespace: 'guitarcenter' },
    roleRef: { kind: 'Role', name: 'ui-lease' },
    subjects: [sa],
  },
];

const without = (kind: string) => GOOD.filter((o) => o.kind !== kind);

describe('accessMismatches', () => {
  it('is empty when the manifests grant what the app says, to its ServiceAccount', () => {
    expect(accessMismatches(ACCESS, () => GOOD)).toEqual([]);
  });

  it('names a missing role, a role without the resource, and a missing binding', () => {
    expect(accessMismatches(ACCESS, () => without('ClusterRole'))).toEqual([
      'no ClusterRole guitars-ui in ui-rbac.yaml',
    ]);
    const noGuitars = GOOD.map((o) =>
      o.kind === 'ClusterRole' ? { ...o, rules: [{ apiGroups: [''], resources: ['guitars'] }] } : o,
    );
    expect(accessMismatches(ACCESS, () => noGuitars)).toEqual([
      'ClusterRole guitars-ui in ui-rbac.yaml grants nothing on guitars of group "kool.karmalabs.local"',
      'ClusterRole guitars-ui in ui-rbac.yaml grants guitars of group "", unlisted',
    ]);
    expect(accessMismatches(ACCESS, () => without('RoleBinding'))).toEqual([
      'Role ui-lease in ui-rbac.yaml is not bound to ServiceAccount guitarcenter/guitars-ui',
    ]);
  });

  it('names a resource the roles grant that the app does not list', () => {
    const more = GOOD.map((o) =>
      o.kind === 'ClusterRole'
        ? { ...o, rules: [{ apiGroups: ['kool.karmalabs.local', ''], resources: ['guitars', 'secrets'] }] }
        : o,
    );
    expect(accessMismatches(ACCESS, () => more)).toEqual([
      'ClusterRole guitars-ui in ui-rbac.yaml grants secrets of group "kool.karmalabs.local", unlisted',
      'ClusterRole guitars-ui in ui-rbac.yaml grants guitars of group "", unlisted',
      'ClusterRole guitars-ui in ui-rbac.yaml grants secrets of group "", unlisted',
    ]);
  });

  it('wants a binding to the ServiceAccount of the right namespace, and the Role in that namespace', () => {
    const elsewhere = GOOD.map((o) =>
      o.kind === 'ClusterRoleBinding' ? { ...o, subjects: [{ ...sa, namespace: 'default' }] } : o,
    );
    expect(accessMismatches(ACCESS, () => elsewhere)).toEqual([
      'ClusterRole guitars-ui in ui-rbac.yaml is not bound to ServiceAccount guitarcenter/guitars-ui',
    ]);
    const roleElsewhere = GOOD.map((o) =>
      o.kind === 'Role' || o.kind === 'RoleBinding'
        ? { ...o, metadata: { ...o.metadata, namespace: 'shop' } }
        : o,
    );
    expect(accessMismatches(ACCESS, () => roleElsewhere)).toEqual([
      'Role ui-lease in ui-rbac.yaml is not in namespace guitarcenter',
      'Role ui-lease in ui-rbac.yaml is not bound to ServiceAccount guitarcenter/guitars-ui',
    ]);
  });
});
