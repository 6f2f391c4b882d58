import { describe, expect, it } from 'vitest';
import { parseImagesArgs } from './args.ts';

describe('parseImagesArgs', () => {
  it('takes apps alone, as before', () => {
    expect(parseImagesArgs([])).toEqual({ apps: [], push: undefined });
    expect(parseImagesArgs(['ui'])).toEqual({ apps: ['ui'], push: undefined });
  });

  it('takes a registry, :latest, platforms and attestations with --push', () => {
    expect(
      parseImagesArgs([
        '--push',
        'ghcr.io/o',
        '--latest',
        '--platform',
        'linux/amd64,linux/arm64',
        '--attest',
      ]),
    ).toEqual({
      apps: [],
      push: { registry: 'ghcr.io/o', latest: true, platforms: ['linux/amd64', 'linux/arm64'], attest: true },
    });
    expect(parseImagesArgs(['--push=127.0.0.1:5000', 'controller'])).toEqual({
      apps: ['controller'],
      push: { registry: '127.0.0.1:5000' },
    });
  });

  it('refuses what would be ignored or misread', () => {
    expect(() => parseImagesArgs(['--push', ''])).toThrow(/needs a registry/);
    expect(() => parseImagesArgs(['--latest'])).toThrow(/go with --push/);
    expect(() => parseImagesArgs(['--push', 'r', '--platform', 'amd64'])).toThrow(/os\/arch/);
    expect(() => parseImagesArgs(['--pussh', 'r'])).toThrow();
  });
});
