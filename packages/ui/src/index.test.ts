import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, freePort } from '@guitars/testenv';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, prepareCluster } from './test-support/ui.js';

const cluster = new Cluster(inject('testenv'));
/** The built entry point, as `npm run ui` and the container run it (turbo builds before testing). */
const ENTRY = fileURLToPath(new URL('../dist/index.js', import.meta.url));

interface Run {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  raw: string[];
  exit: Promise<number | null>;
}

function run(env: Record<string, string>): Run {
  // A clean environment: no KUBERNETES_SERVICE_HOST, no KUBECONFIG unless given.
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'ui-home-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      raw.push(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => raw.push(`stderr: ${chunk}`));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, logs, raw, exit };
}

describe('the ui process (dist/index.js)', () => {
  let current: Run | undefined;

  beforeAll(async () => {
    if (!existsSync(ENTRY))
      throw new Error(`${ENTRY} is missing: build first (npm run build: tsc, then the bundle)`);
    await prepareCluster(cluster);
  });

  afterEach(() => {
    current?.child.kill('SIGKILL');
    current = undefined;
  });

  it('starts against KUBECONFIG, logs JSON, and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    current = run({ KUBECONFIG: cluster.info.kubeconfigPath, PORT: String(port) });
    const { child, logs, raw, exit } = current;
    const url = `http://127.0.0.1:${port}`;
    await eventually(
      `readiness (logs: ${raw.join('\n')})`,
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      20_000,
    );
    expect(logs.find((l) => l.msg === 'using cluster')).toMatchObject({
      level: 'info',
      source: 'kubeconfig',
    });
    expect(logs.find((l) => l.msg === 'guitar UI listening')).toMatchObject({ name: 'guitars-ui' });
    // dist/index.js is one bundle: it still finds views/ and public/ beside dist/.
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('</html>');
    expect((await fetch(`${url}/static/app.css`)).status).toBe(200);

    // A browser following live updates must not hold the shutdown up.
    const events = await fetch(`${url}/events`);
    expect(events.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    expect(raw.filter((l) => l.startsWith('stderr:'))).toEqual([]);
  });

  it('exits 1 with a clear message when no cluster is configured', async () => {
    current = run({ PORT: String(await freePort()) });
    expect(await current.exit).toBe(1);
    const fatal = current.logs.find((l) => l.level === 'fatal');
    expect(JSON.stringify(fatal)).toContain('no Kubernetes cluster configured');
  });

  it('exits 1 naming a bad variable', async () => {
    current = run({ KUBECONFIG: cluster.info.kubeconfigPath, PORT: 'http' });
    expect(await current.exit).toBe(1);
    expect(JSON.stringify(current.logs)).toContain('invalid configuration: PORT');
  });
});
