import { type SpawnOptions, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

/** A process the front-door tests run (the proxy, the router, an app), stopped by its PID. */
export interface Child {
  pid: number;
  /** The last of what it printed, stdout and stderr together. */
  output(): string;
  /** Its exit code, once it exited. */
  exited: Promise<number | null>;
  hasExited(): boolean;
  /** SIGTERM, SIGKILL after `graceMs`; then removes `cleanUp` (its own folder). */
  stop(): Promise<void>;
}

/**
 * Spawns `command`, with what `options` gives it and stdin closed, keeping the last `keep`
 * characters of its output. Give it `setpriv --pdeathsig KILL` first, so it dies with the test
 * even when the test gets no chance to stop it.
 */
export function startChild(
  command: string[],
  options: SpawnOptions & { keep: number; graceMs: number; cleanUp?: string },
): Child {
  const [file, ...args] = command;
  if (!file) throw new Error('startChild: no command');
  const { keep, graceMs, cleanUp, ...spawnOptions } = options;
  const child = spawn(file, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-keep);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    }),
  );
  return {
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    hasExited: () => done,
    async stop() {
      if (!done) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      if (cleanUp) rmSync(cleanUp, { recursive: true, force: true });
    },
  };
}
