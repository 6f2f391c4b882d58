import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseImages, hostCaFile, imageApps, imageTag } from './build.ts';

describe('baseImages', () => {
  it('lists the images stages start from, once each, and not the stages named in a later FROM', () => {
    const dockerfile = [
      '# FROM commented out',
      'FROM docker.io/library/node:22.23.3-trixie-slim AS prune',
      'RUN echo FROM nothing',
      'from --platform=linux/amd64 docker.io/library/node:22.23.3-trixie-slim as build',
      'FROM build AS test',
      'FROM gcr.io/distroless/nodejs22',
    ].join('\n');
    expect(baseImages(dockerfile)).toEqual([
      'docker.io/library/node:22.23.3-trixie-slim',
      'gcr.io/distroless/nodejs22',
    ]);
  });
});

describe('hostCaFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guitars-ca-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prefers NODE_EXTRA_CA_CERTS, then npm's cafile, when the file exists", () => {
    expect(hostCaFile({ NODE_EXTRA_CA_CERTS: ca }, '/nope')).toBe(ca);
    expect(hostCaFile({ NODE_EXTRA_CA_CERTS: join(dir, 'missing.pem') }, ca)).toBe(ca);
    expect(hostCaFile({}, ca)).toBe(ca);
  });

  it('gives none when neither is set (npm prints null for an unset cafile)', () => {
    expect(hostCaFile({}, 'null')).toBeUndefined();
    expect(hostCaFile({}, undefined)).toBeUndefined();
  });
});

describe('the apps', () => {
  it('are the packages with a Dockerfile, tagged guitars-<app>:<their version>', () => {
    expect(imageApps()).toEqual(['controller', 'ui']);
    expect(imageTag('ui')).toMatch(/^guitars-ui:\d+\.\d+\.\d+$/);
  });
});
