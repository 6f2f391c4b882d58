import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './host.js';

/** The sandbox ("pause") image's name, as containerd's CRI pins it. */
export const PAUSE_IMAGE = 'docker.io/guitars-testenv/pause:busybox';
const BUSYBOX = '/bin/busybox';

/**
 * Writes the sandbox image as an OCI archive (`ctr images import` takes it) and returns its path.
 * No registry can be reached to pull registry.k8s.io/pause, and a pod's sandbox only has to hold
 * its namespaces: one statically linked busybox (Debian's busybox-static) sleeping does that.
 */
export async function writePauseImage(dir: string): Promise<string> {
  if (!existsSync(BUSYBOX) || !isStatic(readFileSync(BUSYBOX)))
    throw new Error(
      `[testenv] the node's sandbox image needs a static ${BUSYBOX}: apt-get install busybox-static`,
    );
  const layout = join(dir, 'layout');
  const rootfs = join(dir, 'rootfs');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  mkdirSync(rootfs, { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'busybox'));
  const layerPath = join(dir, 'layer.tar');
  // Fixed owner and time: the same busybox gives the same digest.
  await runOk('tar', [
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '-C',
    rootfs,
    '-cf',
    layerPath,
    'busybox',
  ]);

  const blob = (content: Buffer) => {
    const digest = createHash('sha256').update(content).digest('hex');
    writeFileSync(join(blobs, digest), content);
    return { digest: `sha256:${digest}`, size: content.length };
  };
  const layer = blob(readFileSync(layerPath));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: ['/busybox', 'sleep', '2147483647'], User: '65535:65535' },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: {
            'io.containerd.image.name': PAUSE_IMAGE,
            'org.opencontainers.image.ref.name': PAUSE_IMAGE.split(':').at(-1),
          },
        },
      ],
    }),
  );
  const archive = join(dir, 'pause.oci.tar');
  await runOk('tar', ['-C', layout, '-cf', archive, '.']);
  return archive;
}

/** Whether an ELF64 executable has no interpreter (PT_INTERP): it runs alone in an empty image. */
function isStatic(elf: Buffer): boolean {
  if (elf.subarray(0, 4).toString('latin1') !== '\x7fELF' || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}
