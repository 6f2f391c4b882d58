// The README's first command, as a new user runs it: `npm start` with no cluster configured starts
// a local control plane, the controller and the UI; a guitar added through the UI gets reviewed, and
// so do the samples added with the kubectl command it prints; Ctrl-C (SIGTERM here) stops it all
// and removes the local kubeconfig.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@guitars/testenv';
import { expect, it, onTestFinished } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('npm start runs the controller and the UI against a local control plane, and stops cleanly', async () => {
  const home = mkdtempSync(join(tmpdir(), 'guitars-start-home-'));
  onTestFinished(() => rmSync(home, { recursive: true, force: true }));
  const kubeconfig = join(home, 'local-kubeconfig');
  const port = await freePort();
  const probePort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home, // no ~/.kube/config: "no cluster configured"
    TESTENV_KUBECONFIG: kubeconfig,
    PORT: String(port),
    CONTROLLER_PROBE_BIND_ADDRESS: `127.0.0.1:${probePort}`,
    LOG_LEVEL: 'warn',
  };
  delete env.KUBECONFIG;
  delete env.KUBERNETES_SERVICE_HOST;
  // The test keeps the cache of built binaries where the user's HOME had it.
  env.XDG_CACHE_HOME = process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? tmpdir(), '.cache');

  let stderr = '';
  const start = spawn(process.execPath, [join(root, 'scripts/start.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  start.stderr.setEncoding('utf8');
  start.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => start.once('exit', resolve));
  const ui = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'the UI to be ready',
      async () => {
        if (start.exitCode !== null) throw new Error(`npm start exited early: ${stderr}`);
        return (await fetch(`${ui}/readyz`)).status === 200;
      },
      90_000,
    );
    expect(stderr).toContain('no reachable cluster');
    expect(stderr).toContain('starting a local control plane');
    // Loopback only, and it says so: 127.0.0.2 is this machine too, but not 127.0.0.1.
    expect(stderr).toContain(`UI on http://127.0.0.1:${port} (HOST=127.0.0.1)`);
    await expect(fetch(`http://127.0.0.2:${port}/healthz`)).rejects.toThrow();
    const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
    expect(server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const created = await fetch(`${ui}/api/guitars`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'stratocaster', brand: 'fender' }),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get('location') as string;
    expect(location).toBe('/api/guitars/guitarcenter/stratocaster');

    await waitFor(
      'the controller to review the guitar',
      async () => {
        const guitar = (await (await fetch(`${ui}${location}`)).json()) as {
          reviewed?: boolean;
          comment?: string;
        };
        return guitar.reviewed === true && guitar.comment === 'this is a great instrument';
      },
      30_000,
    );

    // The samples, added as npm start says to, are reviewed too (in the kubeconfig's namespace).
    const samples = /the original sample guitars: KUBECONFIG=(\S+) (\S+) apply -f k8s\/samples\n/.exec(
      stderr,
    );
    expect(samples?.[1]).toBe(kubeconfig);
    const applied = spawnSync(samples?.[2] as string, ['apply', '-f', 'k8s/samples'], {
      cwd: root,
      env: { ...env, KUBECONFIG: samples?.[1] },
      encoding: 'utf8',
    });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('guitar.kool.karmalabs.local/stratocaster created');
    for (const [name, comment] of [
      ['stratocaster', 'this is a great instrument'],
      ['lespaul', 'this instrument is not one we would recommend'],
      ['d15', 'this is a great instrument'],
      ['telecaster', 'this is a great instrument'],
      ['x003', 'this instrument is not one we would recommend'],
    ]) {
      await waitFor(
        `the controller to review the sample ${name}`,
        async () => {
          const guitar = (await (await fetch(`${ui}/api/guitars/default/${name}`)).json()) as {
            comment?: string;
          };
          return guitar.comment === comment;
        },
        30_000,
      );
    }
  } finally {
    start.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(existsSync(kubeconfig)).toBe(false);
  await expect(fetch(`${ui}/healthz`)).rejects.toThrow();
  await expect(fetch(`http://127.0.0.1:${probePort}/healthz`)).rejects.toThrow();
});
