import { readFileSync } from 'node:fs';
import type { Cluster } from '@guitars/testenv';
import type { V1Pod } from '@kubernetes/client-node';
import { NAMESPACE } from '../repo.js';

/** The pods of one app (by its app.kubernetes.io/name label), as kubectl lists them. */
export async function podsOf(cluster: Cluster, name: string): Promise<V1Pod[]> {
  const out = await cluster.kubectlOk([
    'get',
    'pods',
    '-n',
    NAMESPACE,
    '-l',
    `app.kubernetes.io/name=${name}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: V1Pod[] }).items;
}

/** Pods that run and are Ready, not being deleted. */
export function readyPods(pods: V1Pod[]): V1Pod[] {
  return pods.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.status?.phase === 'Running' &&
      p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

/** A process as the host's kernel sees it: /proc/PID/status fields, and whether / is read-only. */
export interface ProcessView {
  status: Record<string, string>;
  rootReadOnly: boolean;
}

export function processView(pid: number): ProcessView {
  const status: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const [key, value] = line.split(':\t');
    if (key && value !== undefined) status[key] = value.trim();
  }
  // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...; the container's / as it sees it.
  const root = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[4] === '/')
    .at(-1);
  return { status, rootReadOnly: root?.[5]?.split(',').includes('ro') ?? false };
}
