import type { Cluster } from '@guitars/testenv';

/** apiserver_request_total, summed per "VERB resource" over every other label. */
export type RequestCounts = Map<string, number>;

/** Reads the apiserver's own request counters (ground truth for writes per review). */
export async function apiserverRequests(cluster: Cluster): Promise<RequestCounts> {
  const text = await cluster.kubectlOk(['get', '--raw', '/metrics']);
  const counts: RequestCounts = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([^"]*)"/.exec(line)?.[1] ?? '';
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const key = `${verb} ${resource}`;
    counts.set(key, (counts.get(key) ?? 0) + value);
  }
  return counts;
}

/** Requests of the given "VERB resource" keys made between two readings. */
export function delta(before: RequestCounts, after: RequestCounts, keys: readonly string[]): number {
  return keys.reduce((sum, key) => sum + (after.get(key) ?? 0) - (before.get(key) ?? 0), 0);
}

/** The writes a review may cost: the guitar patch (or update) and its Event. */
export const REVIEW_WRITES = ['PATCH guitars', 'PUT guitars', 'POST events', 'PATCH events'];
