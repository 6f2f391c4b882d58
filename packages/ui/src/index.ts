#!/usr/bin/env node
import { createLogger, KubeConfigError, loadKubeConfig } from '@guitars/shared';
import { ConfigError, helpText, parseConfig } from './config.js';
import { startUiApp } from './start.js';

/** The UI's entry point: configuration, the cluster, the server, and a clean exit on SIGTERM. */
const logger = createLogger('guitars-ui');

// In a function, not top-level await: the bundle is a CommonJS module (scripts/bundle.ts).
async function main(): Promise<void> {
  try {
    const parsed = parseConfig(process.argv.slice(2), process.env);
    if (parsed.help) {
      process.stdout.write(`${helpText()}\n`);
      process.exit(0);
    }
    const { config } = parsed;
    const { kc, source } = loadKubeConfig();
    logger.info({ source, server: kc.getCurrentCluster()?.server }, 'using cluster');
    if (config.cookieSecretGenerated) {
      logger.info(
        'UI_COOKIE_SECRET is not set: using a random one (forms must be posted to the pod that served them)',
      );
    }
    const ui = await startUiApp({ kc, config, logger });

    let exiting = false;
    const shutdown = async (signal: string) => {
      if (exiting) return;
      exiting = true;
      logger.info({ signal }, 'shutting down');
      await ui.stop();
      logger.info('stopped');
      process.exit(0);
    };
    process.on('SIGTERM', (signal) => void shutdown(signal));
    process.on('SIGINT', (signal) => void shutdown(signal));
  } catch (err) {
    // As the controller: a bad setting is a usage error (one line, exit 2); no cluster, one fatal
    // line without a stack; anything else, the error in full.
    if (err instanceof ConfigError) {
      process.stderr.write(`guitars-ui: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof KubeConfigError) logger.fatal(err.message);
    else logger.fatal({ err }, 'the guitar UI could not start');
    process.exit(1);
  }
}

void main();
