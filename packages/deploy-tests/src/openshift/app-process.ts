import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../repo.js';
import { type Child, startChild } from './child.js';

/** An app's process (JSON log lines in its output): SIGTERM, SIGKILL after 10 s; its HOME removed. */
export type AppProcess = Child;

/**
 * One app's built entry point (packages/<app>/dist/index.js, the bundle its image runs) as a child
 * process of this Node.js, with only the environment given (and a HOME of its own, as the pods'
 * emptyDir /tmp): the deploy tests run the apps this way where no image is built.
 */
export function startApp(app: 'controller' | 'ui', env: Record<string, string>): AppProcess {
  const home = mkdtempSync(join(tmpdir(), `guitars-${app}-home-`));
  const entry = repoPath('packages', app, 'dist/index.js');
  return startChild(['setpriv', '--pdeathsig', 'KILL', process.execPath, entry], {
    cwd: repoPath('packages', app),
    env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
    keep: 500_000,
    graceMs: 10_000,
    cleanUp: home,
  });
}
