import { type AppAccess, GROUP, PLURAL } from '@guitars/shared';

const RBAC = 'k8s/base/controller-rbac.yaml';

/**
 * What k8s/ grants the controller, resource by resource: the ServiceAccount and roles a 403
 * points to. A test holds this to the manifests.
 */
export const CONTROLLER_ACCESS: AppAccess = {
  app: 'guitars-controller',
  namespace: 'guitarcenter',
  grants: [
    { group: GROUP, resource: PLURAL, role: { kind: 'ClusterRole', name: 'guitars-controller' }, file: RBAC },
    { group: '', resource: 'events', role: { kind: 'ClusterRole', name: 'guitars-controller' }, file: RBAC },
    {
      group: 'coordination.k8s.io',
      resource: 'leases',
      role: { kind: 'Role', name: 'guitars-controller-leader-election' },
      file: RBAC,
    },
    {
      group: 'apiextensions.k8s.io',
      resource: 'customresourcedefinitions',
      role: { kind: 'ClusterRole', name: 'guitars-controller-crd-installer' },
      file: 'k8s/base/controller-crd-installer-rbac.yaml',
    },
  ],
};
