import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest, waitFor } from './http.js';
import { freePort } from './ports.js';
import { type ManagedProcess, startProcess } from './processes.js';

export interface Etcd {
  url: string;
  process: ManagedProcess;
  /** Compacts etcd's history up to now, so watches from an older resourceVersion get 410 Gone. */
  compact(): Promise<number>;
}

/** Starts a single-member etcd on free loopback ports, its data in dir/etcd. */
export async function startEtcd(binary: string, dir: string): Promise<Etcd> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const dataDir = join(dir, 'etcd');
  mkdirSync(dataDir, { recursive: true });
  const proc = startProcess(
    'etcd',
    binary,
    [
      '--name=testenv',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=testenv=${peer}`,
      // Tests throw the data away: skipping fsync makes every write much cheaper.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  await waitFor(
    `etcd (log: ${join(dir, 'etcd.log')})`,
    async () => (await httpRequest(`${url}/health`)).status === 200,
    20_000,
    proc.hasExited,
  );

  return {
    url,
    process: proc,
    async compact() {
      // etcd's JSON gateway: read the current revision, then compact everything before it.
      const range = await httpRequest(`${url}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
      });
      const revision = Number(
        (JSON.parse(range.body) as { header?: { revision?: string } }).header?.revision,
      );
      if (!Number.isFinite(revision)) throw new Error(`etcd: no revision in ${range.body}`);
      const res = await httpRequest(`${url}/v3/kv/compaction`, {
        method: 'POST',
        body: JSON.stringify({ revision: String(revision), physical: true }),
      });
      if (res.status !== 200) throw new Error(`etcd compaction failed: ${res.status} ${res.body}`);
      return revision;
    },
  };
}
