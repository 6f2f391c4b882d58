import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * One JSON object per line on stdout, as log collectors expect, each written at once (stdout()).
 * LOG_LEVEL sets the level (default info); tests pass 'silent' or a destination of their own. The
 * app's name goes in the `name` field, unless `nameKey` picks another: an app whose lines about an
 * object carry that object's `name` (as the controller's lines about a guitar do) would otherwise
 * log two `name`s.
 */
export function createLogger(name: string, destination?: pino.DestinationStream, nameKey = 'name'): Logger {
  const options: pino.LoggerOptions = {
    ...(nameKey === 'name'
      ? { name }
      : { base: { pid: process.pid, hostname: hostname(), [nameKey]: name } }),
    level: process.env.LOG_LEVEL ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return pino(options, destination ?? stdout());
}

/**
 * stdout, written synchronously: one write(2) per line, a few us, where pino's default (through
 * libuv's thread pool) cost the controller ~10% of its CPU (docs/performance-analysis.md, "Logging").
 * A synchronous line is never lost to a crash; a stalled stdout would stall the app, as it would
 * a Go program logging to stderr.
 */
function stdout(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}
