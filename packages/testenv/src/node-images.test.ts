import { describe, expect, it } from 'vitest';
import { kubeletImageName } from './node-images.js';

describe('kubeletImageName', () => {
  it("names a podman build as a pod's `image: guitars-ui:0.1.0` finds it", () => {
    expect(kubeletImageName('localhost/guitars-ui:0.1.0')).toBe('docker.io/library/guitars-ui:0.1.0');
    expect(kubeletImageName('guitars-controller:0.1.0')).toBe('docker.io/library/guitars-controller:0.1.0');
  });

  it('keeps a registry, and puts an organisation under Docker Hub', () => {
    expect(kubeletImageName('ghcr.io/o/guitars-ui:1')).toBe('ghcr.io/o/guitars-ui:1');
    expect(kubeletImageName('localhost:5000/guitars-ui:1')).toBe('localhost:5000/guitars-ui:1');
    expect(kubeletImageName('o/guitars-ui:1')).toBe('docker.io/o/guitars-ui:1');
  });
});
