import { describe, expect, it } from 'vitest';
import type { Engine } from './engine.ts';
import {
  digestOfBuildxMetadata,
  digestOfDockerPush,
  isLoopbackRegistry,
  pushArgs,
  registryReference,
} from './push.ts';

const podman: Engine = { name: 'podman', canRun: true, runtime: 'runc', ulimits: [] };
const docker: Engine = { name: 'docker', canRun: true, runtime: undefined, ulimits: [] };
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('registryReference', () => {
  it('names <registry>/guitars-<app>:<tag>, with or without a path or a trailing slash', () => {
    expect(registryReference('ghcr.io/owner', 'ui', '0.1.0')).toBe('ghcr.io/owner/guitars-ui:0.1.0');
    expect(registryReference('127.0.0.1:5000/', 'controller', 'latest')).toBe(
      '127.0.0.1:5000/guitars-controller:latest',
    );
  });
});

describe('isLoopbackRegistry', () => {
  it('is true for localhost, 127.x.y.z and [::1], with or without a port or path, and nothing else', () => {
    for (const r of ['localhost:5000', '127.0.0.1:41234/team', '127.1.2.3', '[::1]:5000'])
      expect(isLoopbackRegistry(r), r).toBe(true);
    for (const r of ['ghcr.io/owner', 'localhost.example.com:5000', '10.0.0.1:5000', '127.0.0.1.nip.io'])
      expect(isLoopbackRegistry(r), r).toBe(false);
  });
});

describe('pushArgs', () => {
  it('has podman push to the same name with a digest file, skipping TLS for loopback only', () => {
    expect(pushArgs(podman, '127.0.0.1:5000/guitars-ui:0.1.0', '/tmp/d')).toEqual([
      'push',
      '--tls-verify=false',
      '--digestfile',
      '/tmp/d',
      '127.0.0.1:5000/guitars-ui:0.1.0',
      'docker://127.0.0.1:5000/guitars-ui:0.1.0',
    ]);
    expect(pushArgs(podman, 'ghcr.io/o/guitars-ui:0.1.0', '/tmp/d')).not.toContain('--tls-verify=false');
    expect(pushArgs(docker, 'ghcr.io/o/guitars-ui:0.1.0', '/tmp/d')).toEqual([
      'push',
      'ghcr.io/o/guitars-ui:0.1.0',
    ]);
  });
});

describe('digests', () => {
  it("reads docker push's digest line and buildx's metadata file", () => {
    expect(digestOfDockerPush(`0.1.0: digest: ${DIGEST} size: 1786\n`)).toBe(DIGEST);
    expect(digestOfDockerPush('The push refers to repository')).toBeUndefined();
    expect(digestOfBuildxMetadata(JSON.stringify({ 'containerimage.digest': DIGEST }))).toBe(DIGEST);
    expect(() => digestOfBuildxMetadata('{}')).toThrow(/containerimage.digest/);
  });
});
