import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, imageRuntime, waitFor } from '@guitars/testenv';

export interface AppProcess {
  pid: number;
  port: number;
  /** performance.now() when the process was spawned and when /readyz first answered 200. */
  spawnedAt: number;
  readyAt: number;
  get(path: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a built app (`node dist/index.js`, as its image does, with the node flags and glibc malloc
 * settings of its image: `dockerfile`, by default the package's) and waits until /readyz says 200.
 * The apps are built by turbo before the benchmark (`npm run bench`), never run through a dev
 * transpiler.
 */
export async function startApp(
  pkg: '@guitars/controller' | '@guitars/ui' | URL,
  env: NodeJS.ProcessEnv,
  portEnv: (port: number) => NodeJS.ProcessEnv,
  dockerfile = new URL('../Dockerfile', pkg instanceof URL ? pkg : import.meta.resolve(pkg)),
): Promise<AppProcess> {
  const entry = fileURLToPath(pkg instanceof URL ? pkg : import.meta.resolve(pkg));
  const image = imageRuntime(fileURLToPath(dockerfile));
  const port = await freePort();
  const spawnedAt = performance.now();
  // BENCH_CPU_PROF=<dir>: each app writes a V8 CPU profile there when it exits (Node refuses
  // --cpu-prof in NODE_OPTIONS, so it goes on the command line).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child: ChildProcess = spawn(process.execPath, [...image.nodeArgs, ...profile, entry], {
    env: { ...process.env, ...image.env, ...env, ...portEnv(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    if (!res.ok) throw new Error(`${pkg} ${path}: ${res.status}`);
    return res.text();
  };
  try {
    await waitFor(
      `${pkg} to be ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${pkg} exited (${child.exitCode}): ${stderr}`);
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      },
      180_000,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const readyAt = performance.now();
  return {
    pid: child.pid as number,
    port,
    spawnedAt,
    readyAt,
    get,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

// ':port', as the Deployment sets it (':8081'): every address, with no lookup of a host name.
export const controllerPortEnv = (port: number) => ({ CONTROLLER_PROBE_BIND_ADDRESS: `:${port}` });
export const uiPortEnv = (port: number) => ({ PORT: String(port), HOST: '127.0.0.1' });

/** Sums a Prometheus counter over all its label sets. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
