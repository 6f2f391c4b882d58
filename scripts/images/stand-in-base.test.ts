import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aptMirror, parseNodeSlimImage, standInDockerfile, YARN_VERSION } from './stand-in-base.ts';

describe('parseNodeSlimImage', () => {
  it('reads the Node.js version and Debian suite of an official node:*-slim tag', () => {
    expect(parseNodeSlimImage('docker.io/library/node:22.23.3-trixie-slim')).toEqual({
      image: 'docker.io/library/node:22.23.3-trixie-slim',
      nodeVersion: '22.23.3',
      suite: 'trixie',
    });
    expect(parseNodeSlimImage('node:20.1.0-bookworm-slim')?.suite).toBe('bookworm');
  });

  it('has no stand-in for other images, or tags that do not pin a version and suite', () => {
    for (const image of [
      'docker.io/library/node:22-slim',
      'docker.io/library/node:22.23.3-trixie',
      'docker.io/library/node:22.23.3-alpine3.22',
      'quay.io/someone/node:22.23.3-trixie-slim',
      'registry.access.redhat.com/ubi9/nodejs-22',
    ]) {
      expect(parseNodeSlimImage(image), image).toBeUndefined();
    }
  });
});

describe('aptMirror', () => {
  it('takes the main archive of deb822 sources, not the security one', () => {
    const deb822 = [
      'Types: deb',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      '',
      'Types: deb',
      'URIs: http://mirror.example.org/debian/',
      'Suites: bookworm bookworm-updates',
    ].join('\n');
    expect(aptMirror([deb822])).toBe('http://mirror.example.org/debian');
  });

  it('reads one-line sources too, options included, and falls back to deb.debian.org', () => {
    expect(
      aptMirror(['# deb http://old/debian x main\ndeb [arch=amd64] https://m.example/debian bookworm main']),
    ).toBe('https://m.example/debian');
    expect(aptMirror(['deb https://packages.cloud.google.com/apt cloud-sdk main'])).toBe(
      'http://deb.debian.org/debian',
    );
    expect(aptMirror([])).toBe('http://deb.debian.org/debian');
  });
});

describe('standInDockerfile', () => {
  it('configures the image as nodejs/docker-node does: ENV, the entrypoint script, node by default', () => {
    const text = standInDockerfile({
      image: 'docker.io/library/node:22.23.3-trixie-slim',
      nodeVersion: '22.23.3',
      suite: 'trixie',
    });
    expect(text).toMatch(/^FROM scratch\nADD rootfs.tar \/\n/);
    expect(text).toContain('NODE_VERSION=22.23.3');
    expect(text).toContain(`YARN_VERSION=${YARN_VERSION}`);
    expect(text).toContain('PATH=/usr/local/sbin:/usr/local/bin:');
    expect(text).toContain('ENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["node"]\n');
  });

  it('is built from a root filesystem made by the script, which writes the official entrypoint', () => {
    const script = readFileSync(new URL('node-slim-rootfs.sh', import.meta.url), 'utf8');
    expect(script).toContain('debootstrap --variant=minbase');
    expect(script).toContain('useradd --uid 1000 --gid node --shell /bin/bash --create-home node');
    expect(script).toContain('set -- node "$@"');
  });
});
