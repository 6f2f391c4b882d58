import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, rmSync } from 'node:fs';

/** Every process and temp folder a control plane owns, so an abrupt exit still cleans up. */
const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const firstOnExit: Array<() => void> = [];
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // 'exit' handlers must be synchronous: kill what is left and remove its folders.
  process.on('exit', () => {
    for (const fn of firstOnExit) fn();
    for (const child of live) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Runs fn (synchronously) on exit before the processes are killed and the folders removed. */
export function onExitFirst(fn: () => void): void {
  hookExit();
  firstOnExit.push(fn);
}

export function trackTempDir(dir: string): void {
  hookExit();
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once. */
  kill(): Promise<void>;
}

/**
 * On Linux, util-linux's setpriv asks the kernel to kill the child when its parent dies, so even a
 * test runner killed with SIGKILL (no 'exit' handler runs then) leaves no etcd or apiserver behind.
 */
const SETPRIV = '/usr/bin/setpriv';
const canSetPdeathsig = (() => {
  try {
    accessSync(SETPRIV, constants.X_OK);
    return process.platform === 'linux';
  } catch {
    return false;
  }
})();

/** Starts a binary with its output appended to logFile; `env` adds to this process's environment. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): ManagedProcess {
  hookExit();
  const log = createWriteStream(logFile, { flags: 'a' });
  const [file, argv] = canSetPdeathsig
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]]
    : [command, args];
  const child = spawn(file, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  live.add(child);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      done = true;
      live.delete(child);
      resolve(code);
    });
    child.on('error', (err) => {
      log.write(`[testenv] could not start ${command}: ${err.message}\n`);
      done = true;
      live.delete(child);
      resolve(null);
    });
  });
  void exited.then(() => log.end());

  const signal = async (sig: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (done) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    name,
    pid: child.pid,
    exited,
    hasExited: () => done,
    stop: (graceMs = 10_000) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 0),
  };
}
