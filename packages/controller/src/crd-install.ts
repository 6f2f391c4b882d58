import { apiMessage, apiStatus, CRD_NAME, ensureGuitarCrd, isTransient, type Logger } from '@guitars/shared';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * Installs or upgrades the Guitar CRD at start (--install-crd). Without permission it says so in
 * one line and goes on with whatever CRD is installed; while the apiserver cannot be reached it
 * retries with backoff until it can, or until the signal aborts (a stop during start).
 */
export async function installCrd(kc: KubeConfig, logger: Logger, signal: AbortSignal): Promise<void> {
  for (let waitMs = 500; !signal.aborted; waitMs = Math.min(waitMs * 2, 10_000)) {
    try {
      const result = await ensureGuitarCrd(kc);
      logger.info({ crd: CRD_NAME, result }, `CRD ${CRD_NAME} ${result}`);
      return;
    } catch (err) {
      const status = apiStatus(err);
      if (status === 401 || status === 403) {
        logger.warn(
          { crd: CRD_NAME, status },
          `no permission to install or upgrade CRD ${CRD_NAME} (${apiMessage(err)}); going on with the installed one. ` +
            'Apply k8s/base/controller-crd-installer-rbac.yaml, or run with --install-crd=false (CONTROLLER_INSTALL_CRD=false) when an admin applies k8s/',
        );
        return;
      }
      if (!isTransient(err)) {
        logger.error(
          { crd: CRD_NAME, status, err: apiMessage(err) },
          `could not install CRD ${CRD_NAME}: ${apiMessage(err)}`,
        );
        return;
      }
      logger.warn(
        { crd: CRD_NAME, status, retryInMs: waitMs, err: apiMessage(err) },
        `cannot reach the apiserver to install the CRD; retrying`,
      );
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve(undefined);
          },
          { once: true },
        );
      });
    }
  }
}
