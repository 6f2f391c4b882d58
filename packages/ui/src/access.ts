import { type AppAccess, GROUP, PLURAL } from '@guitars/shared';

/**
 * What k8s/ grants the UI: the ServiceAccount and role a 403 points to. A test holds this to
 * the manifests.
 */
export const UI_ACCESS: AppAccess = {
  app: 'guitars-ui',
  namespace: 'guitarcenter',
  grants: [
    {
      group: GROUP,
      resource: PLURAL,
      role: { kind: 'ClusterRole', name: 'guitars-ui' },
      file: 'k8s/base/ui-rbac.yaml',
    },
  ],
};
