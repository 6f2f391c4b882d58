import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../repo.js';

export interface AppProcess {
  pid: number;
  /** Its output so far (JSON log lines, as the apps write them). */
  output(): string;
  hasExited(): boolean;
  /** SIGTERM, SIGKILL after 10 s; removes its HOME. */
  stop(): Promise<void>;
}

/**
 * One app's built entry point (packages/<app>/dist/index.js, the bundle its image runs) as a child
 * process of this Node.js, with only the environment given (and a HOME of its own, as the pods'
 * emptyDir /tmp): the deploy tests run the apps this way where no image is built.
 */
export function startApp(app: 'controller' | 'ui', env: Record<string, string>): AppProcess {
  const home = mkdtempSync(join(tmpdir(), `guitars-${app}-home-`));
  // setpriv --pdeathsig: killed with this process even when it gets no chance to stop it.
  const entry = repoPath('packages', app, 'dist/index.js');
  const child: ChildProcess = spawn('setpriv', ['--pdeathsig', 'KILL', process.execPath, entry], {
    cwd: repoPath('packages', app),
    env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-500_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let done = false;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      done = true;
      resolve();
    }),
  );
  return {
    pid: child.pid ?? -1,
    output: () => output,
    hasExited: () => done,
    async stop() {
      if (!done) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
