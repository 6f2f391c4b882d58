import { randomBytes } from 'node:crypto';
import { Cluster, waitFor } from '@guitars/testenv';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CRD_NAME } from '../guitar/guitar.js';
import { CRD_REVISION_ANNOTATION, crdRevision, guitarCrd } from '../guitar/guitar-crd.js';
import { connect } from './index.js';
import { InvalidNameError } from './names.js';

const cluster = new Cluster(inject('testenv'));
const kube = connect(cluster.adminConfig());
// The Guitar CRD's schema under names and a group of this test's own: the shared cluster's Guitar
// CRD stays as it is, and kubectl's `guitar` and `guit` still mean only it.
const group = `door-${randomBytes(4).toString('hex')}.example.com`;
const name = `doorguitars.${group}`;
afterAll(async () => {
  await cluster.kubectl(['delete', 'crd', name, '--ignore-not-found', '--wait=false']);
  kube.close();
});

/** The Guitar CRD, moved to the test's group, at `revision`. */
function ours(revision: number): V1CustomResourceDefinition {
  const crd = guitarCrd();
  crd.metadata = { ...crd.metadata, name, annotations: { [CRD_REVISION_ANNOTATION]: String(revision) } };
  crd.spec.group = group;
  crd.spec.names = {
    plural: 'doorguitars',
    singular: 'doorguitar',
    kind: 'DoorGuitar',
    listKind: 'DoorGuitarList',
  };
  return crd;
}

describe('kube.crds', () => {
  it('installs a missing CRD from the manifest as it is: the schema’s default is kept', async () => {
    await expect(kube.crds.get(name)).rejects.toMatchObject({ status: 404 });
    expect(await kube.crds.ensure(ours(5))).toBe('created');
    const installed = await kube.crds.get(name);
    expect(installed.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')).toBe(
      true,
    );
    // A guitar without spec.review gets the schema's `default: false`: the key reached the apiserver.
    const apply = async () =>
      (
        await cluster.kubectl(['apply', '-n', 'default', '-f', '-'], {
          input: JSON.stringify({
            apiVersion: `${group}/v1`,
            kind: 'DoorGuitar',
            metadata: { name: 'strat' },
            spec: { brand: 'fender' },
          }),
        })
      ).code === 0;
    await waitFor('the new CRD served', apply, 30_000);
    expect(
      await cluster.kubectlOk(['get', name, 'strat', '-n', 'default', '-o', 'jsonpath={.spec.review}']),
    ).toBe('false');
  });

  it('leaves an equal or newer revision alone, and replaces an older one', async () => {
    expect(await kube.crds.ensure(ours(5))).toBe('unchanged');
    expect(await kube.crds.ensure(ours(4))).toBe('unchanged');
    expect(crdRevision(await kube.crds.get(name))).toBe(5);
    expect(await kube.crds.ensure(ours(6))).toBe('updated');
    expect(
      await cluster.kubectlOk([
        'get',
        'crd',
        name,
        '-o',
        `jsonpath={.metadata.annotations.kool\\.karmalabs\\.local/crd-revision}`,
      ]),
    ).toBe('6');
  });

  it('installs the Guitar CRD itself (ensureGuitarCrd), and refuses a hostile name before sending', async () => {
    expect(['created', 'unchanged', 'updated']).toContain(await kube.crds.ensureGuitarCrd());
    expect(crdRevision(await kube.crds.get(CRD_NAME))).toBeGreaterThanOrEqual(crdRevision(guitarCrd()));
    await expect(kube.crds.get('../guitars')).rejects.toThrow(InvalidNameError);
  });
});
