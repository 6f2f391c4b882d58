import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BuildProgress } from './build-progress.js';

/**
 * Runs one of scripts/*.sh that build binaries from the Go module proxy, its output condensed by
 * BuildProgress (phases as they start, a line a minute while compiling); the last 30 lines come
 * with the error when it fails.
 */
export function runBuildScript(
  script: string,
  args: string[],
  what: string,
  log: (line: string) => void,
): Promise<void> {
  const path = fileURLToPath(new URL(`../scripts/${script}`, import.meta.url));
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [path, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
    const progress = new BuildProgress(log);
    const minutely = setInterval(() => progress.tick(), 60_000).unref();
    let tail: string[] = [];
    createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      tail = [...tail.slice(-29), line];
      progress.line(line);
    });
    child.on('error', (err) => {
      clearInterval(minutely);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearInterval(minutely);
      if (code === 0) return resolvePromise();
      const how = signal ? `was stopped by ${signal}` : `failed (exit ${code})`;
      reject(new Error(`[testenv] building ${what} ${how}:\n${tail.join('\n')}`));
    });
  });
}
