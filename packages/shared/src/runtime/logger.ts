import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';
import { escapeInvisibleInJson } from '../guitar/invisible-characters.js';

export type { Logger } from 'pino';

/**
 * One JSON object per line on stdout, as log collectors expect, written at the end of each turn of
 * the event loop (stdout()).
 * LOG_LEVEL sets the level (default info); tests pass 'silent' or a destination of their own. The
 * app's name goes in the `name` field, unless `nameKey` picks another: an app whose lines about an
 * object carry that object's `name` (as the controller's lines about a guitar do) would otherwise
 * log two `name`s. Invisible characters in any string (a brand's U+202E) are written as \u escapes.
 */
export function createLogger(name: string, destination?: pino.DestinationStream, nameKey = 'name'): Logger {
  const options: pino.LoggerOptions = {
    ...(nameKey === 'name'
      ? { name }
      : { base: { pid: process.pid, hostname: hostname(), [nameKey]: name } }),
    level: process.env.LOG_LEVEL ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // A brand or a name with U+202E would reverse the line in a terminal, and JSON leaves it raw.
    hooks: { streamWrite: escapeInvisibleInJson },
  };
  return pino(options, destination ?? stdout());
}

/**
 * stdout, written synchronously, a turn of the event loop at a time: the lines of one turn (a
 * burst of reviews finishing together) go out in one write(2) when it ends, and what is pending
 * when the process exits (process.exit, an uncaught error) is written then. One write(2) per line
 * was ~4% of the controller's CPU through a backlog; pino's asynchronous default, ~10%.
 */
let shared: LineBatch | undefined;
function stdout(): pino.DestinationStream {
  if (!shared) {
    const fd1 = pino.destination({ dest: 1, sync: true });
    const batch = new LineBatch((text) => fd1.write(text));
    process.on('exit', () => batch.flush());
    shared = batch;
  }
  return shared;
}

/** Lines written before a turn of the event loop ends, handed to `out` together at its end. */
export class LineBatch implements pino.DestinationStream {
  /** A turn that logs this many lines writes them at once, so a long loop cannot pile them up. */
  static readonly MAX_LINES = 256;
  private lines: string[] = [];
  private scheduled = false;

  constructor(private readonly out: (text: string) => void) {}

  write(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= LineBatch.MAX_LINES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Hands the pending lines to `out` now. */
  flush(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.out(text);
  }
}
