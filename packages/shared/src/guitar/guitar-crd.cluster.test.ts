import { readFileSync } from 'node:fs';
import { Cluster } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiMessage, apiStatus, connect, ensureGuitarCrd } from '../kube/index.js';
import { API_VERSION, CRD_NAME, GROUP, type Guitar, KIND, VERSION } from './guitar.js';
import { CRD_MANIFEST_PATH, crdRevision, guitarCrd } from './guitar-crd.js';

const cluster = new Cluster(inject('testenv'));

const kube = connect(cluster.adminConfig());
afterAll(() => kube.close());

function createGuitar(namespace: string, name: string, spec: unknown) {
  return kube.guitars.create({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace },
    spec: spec as Guitar['spec'],
  });
}

describe('the Guitar CRD', () => {
  let namespace: string;

  beforeAll(async () => {
    await ensureGuitarCrd(cluster.adminConfig());
    namespace = await cluster.createNamespace('crd');
  });

  it('is the same in k8s/ as the one the code installs, byte for byte', () => {
    const shipped = readFileSync(new URL('../../../../k8s/base/crd.yaml', import.meta.url), 'utf8');
    expect(shipped).toBe(readFileSync(CRD_MANIFEST_PATH, 'utf8'));
  });

  it('installs once: a second ensure changes nothing', async () => {
    expect(await ensureGuitarCrd(cluster.adminConfig())).toBe('unchanged');
    const installed = await kube.crds.get(CRD_NAME);
    expect(crdRevision(installed)).toBe(crdRevision(guitarCrd()));
  });

  it('lists a guitar with kubectl, with the printer columns and the short name', async () => {
    await cluster.kubectlOk(['apply', '-n', namespace, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Guitar',
        metadata: { name: 'stratocaster' },
        spec: { brand: 'fender', review: true, comment: 'this is a great instrument' },
      }),
    });
    const out = await cluster.kubectlOk(['get', 'guit', '-n', namespace]);
    const [header, row] = out.trim().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['NAME', 'BRAND', 'REVIEWED', 'COMMENT', 'AGE']);
    expect(row).toMatch(/^stratocaster\s+fender\s+true\s+this is a great instrument\s+\d+s$/);
  });

  it('explains its fields with kubectl explain', async () => {
    const out = await cluster.kubectlOk(['explain', 'guitar.spec.brand']);
    expect(out).toContain("The guitar's maker");
  });

  it("accepts the original sample's shape and defaults review to false", async () => {
    const created = (await createGuitar(namespace, 'lespaul', { brand: 'epiphone' })) as {
      spec: { review?: boolean };
    };
    expect(created.spec.review).toBe(false);
  });

  it('rejects a brand that is not a string, saying why', async () => {
    const result = await cluster.kubectl(['apply', '-n', namespace, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Guitar',
        metadata: { name: 'bad' },
        spec: { brand: 42 },
      }),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('spec.brand');

    const err = await createGuitar(namespace, 'bad', { brand: ['x'] }).catch((e: unknown) => e);
    expect(apiStatus(err)).toBe(422);
    expect(apiMessage(err)).toMatch(/spec\.brand.*string/);
  });
});
