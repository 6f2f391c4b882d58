import {
  apiMessage,
  apiStatus,
  CRD_NAME,
  type CrdClient,
  type ForbiddenExplanation,
  isTransient,
  type Logger,
} from '@guitars/shared';

/**
 * Installs or upgrades the Guitar CRD at start (--install-crd). Without permission it says so in
 * one line (who it runs as and the fix, from `explain`) and goes on with whatever CRD is
 * installed; while the apiserver cannot be reached it retries with backoff until it can, or until
 * the signal aborts (a stop during start).
 */
export async function installCrd(
  crds: Pick<CrdClient, 'ensureGuitarCrd'>,
  logger: Logger,
  signal: AbortSignal,
  explain: (err: unknown) => Promise<ForbiddenExplanation | undefined> = async () => undefined,
): Promise<void> {
  for (let waitMs = 500; !signal.aborted; waitMs = Math.min(waitMs * 2, 10_000)) {
    try {
      const result = await crds.ensureGuitarCrd();
      logger.info({ crd: CRD_NAME, result }, `CRD ${CRD_NAME} ${result}`);
      return;
    } catch (err) {
      const status = apiStatus(err);
      if (status === 401 || status === 403) {
        const explained = await explain(err);
        const allow = explained?.fix ?? 'apply k8s/base/controller-crd-installer-rbac.yaml';
        logger.warn(
          { crd: CRD_NAME, status, identity: explained?.identity, fix: explained?.fix },
          `no permission to install or upgrade CRD ${CRD_NAME} (${apiMessage(err)}); going on with the installed one. ` +
            'Run with --install-crd=false (CONTROLLER_INSTALL_CRD=false) when an admin applies k8s/, ' +
            `or let it install the CRD: ${allow}`,
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
