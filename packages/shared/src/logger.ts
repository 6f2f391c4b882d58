import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * One JSON object per line on stdout, as log collectors expect. LOG_LEVEL sets the level
 * (default info); tests pass 'silent' or a destination of their own.
 */
export function createLogger(name: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
