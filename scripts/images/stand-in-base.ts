// A local stand-in for the official Node.js base image, for machines that cannot pull it (these
// reach the npm registry and Debian's mirrors, not Docker Hub): node-slim-rootfs.sh lays out the
// root filesystem, and the engine stores it under the exact name the Dockerfiles' FROM gives, with
// the official image's ENV, ENTRYPOINT and CMD. Built once; later builds find it stored.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCommand, type Engine, streamed } from './engine.ts';

/** The yarn every node:* image carries beside Node.js (nodejs/docker-node's YARN_VERSION). */
export const YARN_VERSION = '1.22.22';

export interface NodeSlimImage {
  image: string;
  nodeVersion: string;
  /** The Debian suite of the tag (trixie in node:22.23.3-trixie-slim). */
  suite: string;
}

/** The parts of an official node:<version>-<suite>-slim reference; undefined for any other image. */
export function parseNodeSlimImage(image: string): NodeSlimImage | undefined {
  const match = /^(?:docker\.io\/)?(?:library\/)?node:(\d+\.\d+\.\d+)-([a-z]+)-slim$/.exec(image);
  if (!match?.[1] || !match[2]) return undefined;
  return { image, nodeVersion: match[1], suite: match[2] };
}

const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/**
 * The Debian mirror this machine's apt uses (its main archive, not the security one), from the
 * texts of /etc/apt/sources.list and sources.list.d, in either format.
 */
export function aptMirror(sources: string[]): string {
  for (const text of sources) {
    for (const line of text.split('\n')) {
      const oneLine = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line)?.[1];
      const deb822 = /^\s*URIs:\s*(.+)$/i.exec(line)?.[1];
      for (const uri of (oneLine ?? deb822 ?? '').split(/\s+/)) {
        if (/^https?:\/\/.+\/debian\/?$/.test(uri)) return uri.replace(/\/$/, '');
      }
    }
  }
  return DEFAULT_MIRROR;
}

function machineAptSources(): string[] {
  const dir = '/etc/apt/sources.list.d';
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /\.(list|sources)$/.test(f))
          .sort()
          .map((f) => join(dir, f))
      : []),
  ];
  return files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'));
}

/** The Dockerfile that turns the root filesystem into the image, configured as the official one is. */
export function standInDockerfile(base: NodeSlimImage): string {
  return [
    'FROM scratch',
    'ADD rootfs.tar /',
    `LABEL org.opencontainers.image.description="Local stand-in for ${base.image}: Debian ${base.suite} minbase (debootstrap) and Node.js ${base.nodeVersion} from npm, built by scripts/images/stand-in-base.ts"`,
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\',
    `    NODE_VERSION=${base.nodeVersion} \\`,
    `    YARN_VERSION=${YARN_VERSION}`,
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'CMD ["node"]',
    '',
  ].join('\n');
}

/** Builds the stand-in and stores it under `base.image`. Needs root (debootstrap, chroot). */
export async function buildStandInBase(
  engine: Engine,
  base: NodeSlimImage,
  log: (line: string) => void,
): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error(
      `${base.image} cannot be pulled, and its local stand-in needs root (debootstrap, chroot): run as root, or make the image available to ${engine.name}`,
    );
  const script = `/usr/share/debootstrap/scripts/${base.suite}`;
  if (!existsSync(script))
    throw new Error(
      `${base.image} cannot be pulled, and its local stand-in needs debootstrap with a script for Debian ${base.suite} (${script}): apt-get install debootstrap, or a newer one`,
    );
  const work = mkdtempSync(join(tmpdir(), 'guitars-stand-in-'));
  try {
    const mirror = aptMirror(machineAptSources());
    log(`building a local stand-in for ${base.image} (Debian ${base.suite} from ${mirror})`);
    await streamed(
      'bash',
      [
        fileURLToPath(new URL('node-slim-rootfs.sh', import.meta.url)),
        base.suite,
        mirror,
        base.nodeVersion,
        YARN_VERSION,
        join(work, 'rootfs.tar'),
      ],
      log,
    );
    writeFileSync(join(work, 'Dockerfile'), standInDockerfile(base));
    const { args, env } = buildCommand(engine, {
      dockerfile: join(work, 'Dockerfile'),
      tag: base.image,
      context: work,
    });
    await streamed(engine.name, args, log, { env });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
