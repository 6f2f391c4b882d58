// Pushing built images to a registry (`npm run images -- --push <registry>`), and the digest each
// push gives: a cluster pulls by it, and the release records it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, type Engine } from './engine.ts';

/** `<registry>/guitars-<app>:<tag>`; the registry may carry a path (`ghcr.io/owner`). */
export function registryReference(registry: string, app: string, tag: string): string {
  return `${registry.replace(/\/+$/, '')}/guitars-${app}:${tag}`;
}

/**
 * Whether a registry (`host[:port][/path]`) is on this machine's loopback: docker trusts those
 * over plain HTTP by default; podman and buildah are told to (`--tls-verify=false`) for those only.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = (registry.split('/')[0] ?? '').replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The digest in `docker push`'s last line: "<tag>: digest: sha256:... size: N". */
export function digestOfDockerPush(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

/** The digest docker buildx writes with `--metadata-file` (of the index, when several platforms). */
export function digestOfBuildxMetadata(json: string): string {
  const digest = (JSON.parse(json) as Record<string, unknown>)['containerimage.digest'];
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new Error(`no containerimage.digest in the buildx metadata: ${json.slice(0, 200)}`);
  return digest;
}

/** The command line that pushes a stored image under its registry name. */
export function pushArgs(engine: Engine, image: string, digestFile: string): string[] {
  if (engine.name === 'docker') return ['push', image];
  const tls = isLoopbackRegistry(image) ? ['--tls-verify=false'] : [];
  return ['push', ...tls, '--digestfile', digestFile, image, `docker://${image}`];
}

/** Pushes one stored image; returns the manifest digest the registry now holds it under. */
export async function pushImage(engine: Engine, image: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'guitars-push-'));
  try {
    const digestFile = join(dir, 'digest');
    const result = await command(engine.name, pushArgs(engine, image, digestFile), { timeoutMs: 1_800_000 });
    if (result.code !== 0) throw new Error(`${engine.name} push ${image} failed: ${result.stderr.trim()}`);
    const digest =
      engine.name === 'docker'
        ? digestOfDockerPush(`${result.stdout}${result.stderr}`)
        : readFileSync(digestFile, 'utf8').trim();
    if (!digest) throw new Error(`${engine.name} push ${image} said no digest`);
    return digest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
