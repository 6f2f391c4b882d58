// Issue 11 §4: a local run (`npm run ui`, `npm start`) is not reachable from the network unless
// HOST says so. 127.0.0.2 stands for "another address of this machine": it is loopback too, but a
// server bound to 127.0.0.1 alone does not answer there, and one bound to every interface does.
import { existsSync } from 'node:fs';
import { Cluster, freePort } from '@guitars/testenv';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, prepareCluster } from '../test-support/ui.js';
import { ENTRY, runUiProcess, type UiProcess } from '../test-support/ui-process.js';

const cluster = new Cluster(inject('testenv'));

/** The status of GET /healthz at `host`, or the error code when nothing answers there. */
async function healthz(host: string, port: number): Promise<number | string> {
  try {
    return (await fetch(`http://${host}:${port}/healthz`)).status;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(err);
  }
}

describe('where the UI process listens', () => {
  let current: UiProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build first (npm run build)`);
    await prepareCluster(cluster);
  });

  afterEach(async () => {
    current?.child.kill('SIGTERM');
    await current?.exit;
    current = undefined;
  });

  const start = async (env: Record<string, string>) => {
    const port = await freePort();
    current = runUiProcess({ KUBECONFIG: cluster.info.kubeconfigPath, PORT: String(port), ...env });
    const { logs, raw } = current;
    await eventually(
      `the listening line (logs: ${raw.join('\n')})`,
      () => logs.some((l) => l.msg === 'guitar UI listening'),
      20_000,
    );
    return { port, listening: logs.find((l) => l.msg === 'guitar UI listening') };
  };

  it('listens on loopback only by default, and its start-up line says where', async () => {
    const { port, listening } = await start({});
    expect(listening).toMatchObject({
      url: `http://127.0.0.1:${port}`,
      note: 'loopback only: set HOST (e.g. 0.0.0.0) to serve other machines',
    });
    expect(await healthz('127.0.0.1', port)).toBe(200);
    expect(await healthz('127.0.0.2', port)).toBe('ECONNREFUSED');
  });

  it('listens on every interface when HOST=0.0.0.0, as the image and the Deployment set it', async () => {
    const { port, listening } = await start({ HOST: '0.0.0.0' });
    expect(listening).toMatchObject({ url: `http://0.0.0.0:${port}` });
    expect(listening).not.toHaveProperty('note');
    expect(await healthz('127.0.0.2', port)).toBe(200);
  });
});
