import { accessMismatches, type RbacObject } from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { describe, expect, inject, it } from 'vitest';
import { UI_ACCESS } from './access.js';

const cluster = new Cluster(inject('testenv'));

/** A manifest file of the repository as objects, read by kubectl as `kubectl apply` would. */
async function manifests(file: string): Promise<RbacObject[]> {
  const path = new URL(`../../../${file}`, import.meta.url).pathname;
  const list = JSON.parse(
    await cluster.kubectlOk(['create', '--dry-run=client', '-o', 'json', '-f', path]),
  ) as {
    items?: RbacObject[];
  } & RbacObject;
  return list.items ?? [list];
}

describe('UI_ACCESS', () => {
  it('names the role, binding and ServiceAccount that k8s/ really has, and grants it no more, so a 403 points at them', async () => {
    const files = new Map<string, RbacObject[]>();
    for (const { file } of UI_ACCESS.grants) files.set(file, await manifests(file));
    expect(accessMismatches(UI_ACCESS, (file) => files.get(file) ?? [])).toEqual([]);
  });
});
