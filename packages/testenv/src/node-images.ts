import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk } from './host.js';
import type { Node } from './node.js';

/**
 * The name the kubelet asks containerd for when a pod says `image: guitars-ui:0.1.0`: a name with
 * no registry is Docker Hub's library's. podman keeps its local builds as localhost/<name>.
 */
export function kubeletImageName(local: string): string {
  const name = local.replace(/^localhost\//, '');
  const [first] = name.split('/');
  const hasRegistry = name.includes('/') && first !== undefined && /[.:]/.test(first);
  if (hasRegistry) return name;
  return `docker.io/${name.includes('/') ? '' : 'library/'}${name}`;
}

/**
 * Copies images from podman's store into the node's containerd (no registry needed): `podman
 * save --format oci-archive`, `ctr images import`, and a tag under the name the kubelet looks for.
 * Returns the names the node has them under.
 */
export async function importPodmanImages(node: Node, images: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'guitars-testenv-images-'));
  try {
    const names: string[] = [];
    for (const [i, image] of images.entries()) {
      const archive = join(dir, `${i}.tar`);
      await runOk('podman', ['save', '--format', 'oci-archive', '-o', archive, image], 600_000);
      const stored = await node.importImage(archive);
      rmSync(archive, { force: true });
      const wanted = kubeletImageName(image);
      const from = stored[0];
      if (!from) throw new Error(`[testenv] ctr imported nothing from ${image}'s archive`);
      if (from !== wanted) await node.containerd.ctr(['images', 'tag', '--force', from, wanted]);
      names.push(wanted);
    }
    return names;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The images `npm run images` built, as podman lists them: localhost/guitars-<app>:<version>. */
export async function builtAppImages(): Promise<string[]> {
  const listed = await run('podman', ['images', '--format', '{{.Repository}}:{{.Tag}}'], 60_000);
  if (listed.code !== 0) return [];
  return [
    ...new Set(
      listed.stdout
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => /^localhost\/guitars-[a-z-]+:[\w.-]+$/.test(line) && !line.endsWith(':<none>')),
    ),
  ];
}
