import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Cluster } from '@guitars/testenv';
import { appIdentity } from './identities.js';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('../reference/', import.meta.url));
const SOURCE_FILES = ['go.mod', 'go.sum', 'main.go', 'options.go'];
const POLICY = fileURLToPath(new URL('../../../k8s/base/review-policy.yaml', import.meta.url));

/**
 * Builds the client-go reference controller (packages/bench/reference) from the Go module proxy,
 * once per source and Go version, into ~/.cache/guitars-bench/<hash>/reference (or under
 * XDG_CACHE_HOME), as testenv caches its control plane. Returns the binary's path.
 */
export async function buildReference(log: (line: string) => void): Promise<string> {
  const { stdout: goVersion } = await run('go', ['version']);
  const hash = createHash('sha256').update(goVersion);
  for (const file of SOURCE_FILES) hash.update(file).update(readFileSync(join(SOURCE, file)));
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(base, 'guitars-bench', hash.digest('hex').slice(0, 16));
  const binary = join(dir, 'reference');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  log(`building the client-go reference controller into ${dir} (first time: a minute or two)`);
  const partial = `${binary}.partial-${process.pid}`;
  await run('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', partial, '.'], {
    cwd: SOURCE,
    env: { ...process.env, CGO_ENABLED: '0' },
    maxBuffer: 16 * 2 ** 20,
  });
  // Renamed when complete, so an interrupted build leaves no binary to trust.
  renameSync(partial, binary);
  return binary;
}

export interface ReferenceProcess {
  pid: number;
  /** performance.now() when spawned and when its informer's cache had synced. */
  spawnedAt: number;
  readyAt: number;
  stop(): Promise<void>;
}

/**
 * Starts the reference as the controller's ServiceAccount (the same RBAC), with the policy file
 * of k8s/base, and waits for its "synced" line. All namespaces unless one is given.
 */
export async function startReference(
  plane: Cluster,
  binary: string,
  namespace?: string,
): Promise<ReferenceProcess> {
  const { path } = await appIdentity(plane, 'controller');
  const spawnedAt = performance.now();
  const args = ['--kubeconfig', path, '--policy', POLICY, ...(namespace ? ['--namespace', namespace] : [])];
  const child: ChildProcess = spawn(binary, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  const readyAt = await new Promise<number>((resolve, reject) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 4000) stderr += chunk;
      if (/^synced$/m.test(stderr)) resolve(performance.now());
    });
    child.once('exit', (code) => reject(new Error(`reference exited (${code}): ${stderr}`)));
  });
  return {
    pid: child.pid as number,
    spawnedAt,
    readyAt,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
