import { fileURLToPath } from 'node:url';

/** The repository root: the build context of both images and the home of k8s/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The two apps that ship as images, by folder under packages/. */
export const APPS = ['controller', 'ui'] as const;
export type App = (typeof APPS)[number];

/** The namespace every manifest in k8s/ installs into (the original sample's project). */
export const NAMESPACE = 'guitarcenter';

/** Each app's ServiceAccount, Deployment and container, as k8s/ names them. */
export const APP_NAMES: Record<App, { serviceAccount: string; deployment: string; container: string }> = {
  controller: {
    serviceAccount: 'guitars-controller',
    deployment: 'guitars-controller',
    container: 'controller',
  },
  ui: { serviceAccount: 'guitars-ui', deployment: 'guitars-ui', container: 'ui' },
};

export function repoPath(...parts: string[]): string {
  return [REPO_ROOT.replace(/\/$/, ''), ...parts].join('/');
}
