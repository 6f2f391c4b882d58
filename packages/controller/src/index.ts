#!/usr/bin/env node
import { createLogger, KubeConfigError, loadKubeConfig } from '@guitars/shared';
import { startControllerApp } from './app.js';
import { ConfigError, helpText, parseConfig } from './config.js';
import { DEFAULT_POLICY, loadReviewPolicy, ReviewPolicyError } from './review-policy.js';

/** main: read the configuration, start the controller, stop it gracefully on SIGTERM or SIGINT. */
async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseConfig>;
  try {
    parsed = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`guitars-controller: ${err.message}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const { config } = parsed;
  process.env.LOG_LEVEL = config.logLevel;
  // Lines about a guitar carry its `name`; the program's own name goes in `logger`.
  const logger = createLogger('guitars-controller', undefined, 'logger');

  let app: Awaited<ReturnType<typeof startControllerApp>>;
  try {
    const policy = config.reviewPolicy ? loadReviewPolicy(config.reviewPolicy) : DEFAULT_POLICY;
    const { kc, source } = loadKubeConfig();
    logger.info(
      {
        source,
        server: kc.getCurrentCluster()?.server,
        namespace: config.namespace ?? '(all)',
        labelSelector: config.labelSelector,
        reviewPolicy: config.reviewPolicy ?? '(built-in)',
        workers: config.workers,
        leaderElect: config.leaderElect,
        installCrd: config.installCrd,
      },
      'starting',
    );
    app = await startControllerApp({ config, kc, logger, policy });
  } catch (err) {
    if (err instanceof ReviewPolicyError || err instanceof KubeConfigError) {
      logger.fatal(err.message);
      return 1;
    }
    throw err;
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'stopping: finishing reviews in flight');
  // A second signal, or a stop that takes too long, ends the process at once.
  const force = (reason: string) => {
    logger.error(reason);
    process.exit(1);
  };
  process.once('SIGTERM', () => force('second signal: exiting now'));
  process.once('SIGINT', () => force('second signal: exiting now'));
  setTimeout(
    () => force(`graceful stop took longer than ${config.shutdownTimeoutMs} ms`),
    config.shutdownTimeoutMs,
  ).unref();
  await app.stop();
  logger.info('stopped');
  return 0;
}

// Exit explicitly: idle keep-alive connections to the apiserver would otherwise hold the process.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `guitars-controller: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
