import { existsSync } from 'node:fs';
import { Cluster, freePort } from '@guitars/testenv';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, prepareCluster } from './test-support/ui.js';
import { ENTRY, runUiProcess, type UiProcess } from './test-support/ui-process.js';

const cluster = new Cluster(inject('testenv'));

describe('the ui process (dist/index.js)', () => {
  let current: UiProcess | undefined;

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
    current = runUiProcess({ KUBECONFIG: cluster.info.kubeconfigPath, PORT: String(port) });
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
    current = runUiProcess({ PORT: String(await freePort()) });
    expect(await current.exit).toBe(1);
    const fatal = current.logs.find((l) => l.level === 'fatal');
    expect(fatal?.msg).toMatch(/^no Kubernetes cluster configured: /);
    // What was tried is the message; a stack trace would only bury it.
    expect(fatal).not.toHaveProperty('err');
  });

  it('exits 2 naming a bad variable, in one line on stderr as the controller does', async () => {
    current = runUiProcess({ KUBECONFIG: cluster.info.kubeconfigPath, PORT: 'http' });
    expect(await current.exit).toBe(2);
    expect(current.raw).toEqual([
      expect.stringMatching(/^stderr: guitars-ui: invalid configuration: PORT=http: /),
    ]);
  });
});
