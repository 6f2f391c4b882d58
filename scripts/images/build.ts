// Builds the apps' images with the engine at hand, from the repository root and the Dockerfiles
// as written: what `npm run images` and the deploy test's image build both run.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCommand, command, type Engine, imageExistsArgs, streamed } from './engine.ts';
import { digestOfBuildxMetadata, pushImage, registryReference } from './push.ts';
import { buildStandInBase, parseNodeSlimImage } from './stand-in-base.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every package with a Dockerfile ships as an image: controller and ui. */
export function imageApps(root = REPO_ROOT): string[] {
  return readdirSync(join(root, 'packages'))
    .filter((name) => existsSync(join(root, 'packages', name, 'Dockerfile')))
    .sort();
}

/** The image each app is tagged with: guitars-<app>:<its package.json version>. */
export function imageTag(app: string, root = REPO_ROOT): string {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', app, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `guitars-${app}:${pkg.version}`;
}

/** The images a Dockerfile's stages start from (a FROM naming an earlier stage is not one). */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const match = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (!match?.[1]) continue;
    if (!stages.has(match[1]) && !images.includes(match[1])) images.push(match[1]);
    if (match[2]) stages.add(match[2]);
  }
  return images;
}

/**
 * The CA bundle this machine's Node.js and npm trust beyond the public roots (a TLS-inspecting
 * proxy's): NODE_EXTRA_CA_CERTS, else npm's cafile. The builds' `npm ci` gets it as a secret.
 */
export function hostCaFile(env: NodeJS.ProcessEnv, npmCafile: string | undefined): string | undefined {
  for (const candidate of [env.NODE_EXTRA_CA_CERTS, npmCafile]) {
    if (candidate && candidate !== 'null' && candidate !== 'undefined' && existsSync(candidate))
      return candidate;
  }
  return undefined;
}

async function npmCafile(): Promise<string | undefined> {
  const result = await command('npm', ['config', 'get', 'cafile'], { timeoutMs: 30_000, cwd: REPO_ROOT });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** The OCI labels' build arguments, from git when it is there. */
async function labelArgs(root: string): Promise<Record<string, string>> {
  const git = async (...args: string[]) => {
    const result = await command('git', ['-C', root, ...args], { timeoutMs: 10_000 });
    return result.code === 0 ? result.stdout.trim() : '';
  };
  // The commit's time, not the clock's: a rebuild of the same commit reuses every layer.
  return {
    REVISION: await git('rev-parse', 'HEAD'),
    CREATED: await git('log', '-1', '--format=%cI'),
    SOURCE: await git('remote', 'get-url', 'origin'),
  };
}

/**
 * Makes sure each base image is stored: there already, else pulled, else (for the official
 * node:<version>-<suite>-slim, which these machines cannot pull) a local stand-in built under
 * its name.
 */
export async function ensureBaseImages(engine: Engine, images: string[], log: (line: string) => void) {
  for (const image of images) {
    if ((await command(engine.name, imageExistsArgs(engine, image), { timeoutMs: 60_000 })).code === 0)
      continue;
    log(`pulling ${image}`);
    const pull = await command(engine.name, ['pull', image], { timeoutMs: 600_000 });
    if (pull.code === 0) continue;
    const standIn = parseNodeSlimImage(image);
    const why = pull.stderr.trim().split('\n').at(-1) ?? '';
    if (!standIn) throw new Error(`${image} cannot be pulled (${why}) and has no local stand-in`);
    log(`${image} cannot be pulled (${why})`);
    await buildStandInBase(engine, standIn, log);
  }
}

/** Where `--push` sends the images, and how they are built for it. */
export interface PushOptions {
  /** `host[:port][/path]`, e.g. ghcr.io/owner: images go to <registry>/guitars-<app>:<version>. */
  registry: string;
  /** Also push `:latest`. */
  latest?: boolean;
  /** Platforms to build (`linux/amd64`, `linux/arm64`); more than one takes docker buildx. */
  platforms?: string[];
  /** An SBOM and provenance attached to what is pushed (docker buildx only). */
  attest?: boolean;
}

export interface BuiltImage {
  app: string;
  /** The local name (guitars-<app>:<version>), or with --push through buildx the registry's. */
  tag: string;
  seconds: number;
  /** With --push: the registry names, and the digest the registry holds them under. */
  pushed?: { references: string[]; digest: string };
}

/** Builds each app's image (all of them by default), one after the other: the builds are CPU-bound. */
export async function buildImages(
  engine: Engine,
  options: { apps?: string[]; log?: (line: string) => void; root?: string; push?: PushOptions } = {},
): Promise<BuiltImage[]> {
  const root = options.root ?? REPO_ROOT;
  const log = options.log ?? (() => {});
  const apps = options.apps ?? imageApps(root);
  const dockerfiles = apps.map((app) => join(root, 'packages', app, 'Dockerfile'));
  const push = options.push;
  // docker pushing builds with buildx, whose BuildKit pulls each platform's base image itself (it
  // does not see the daemon's images); every other build uses the engine's own store.
  const buildx = engine.name === 'docker' && push !== undefined;
  if (!buildx)
    await ensureBaseImages(
      engine,
      [...new Set(dockerfiles.flatMap((file) => baseImages(readFileSync(file, 'utf8'))))],
      log,
    );
  const ca = hostCaFile(process.env, await npmCafile());
  if (ca) log(`passing ${ca} to the builds as the secret "ca" (this machine's extra CAs)`);
  const labels = await labelArgs(root);
  const built: BuiltImage[] = [];
  for (const [i, app] of apps.entries()) {
    const local = imageTag(app, root);
    const version = local.split(':')[1] ?? '';
    const references = push
      ? [version, ...(push.latest ? ['latest'] : [])].map((t) => registryReference(push.registry, app, t))
      : [];
    // buildx pushes as it builds (a multi-platform index cannot be stored locally); the others
    // build under the local name and the registry's, then push.
    const [tag, ...extraTags] = buildx ? references : [local, ...references];
    const metadata = buildx ? mkdtempSync(join(tmpdir(), 'guitars-buildx-')) : undefined;
    try {
      const { args, env } = buildCommand(engine, {
        dockerfile: dockerfiles[i] as string,
        tag: tag as string,
        extraTags,
        context: root,
        buildArgs: { VERSION: version, ...labels },
        secrets: ca ? { ca } : {},
        ...(push?.platforms ? { platforms: push.platforms } : {}),
        ...(metadata ? { pushMetadataFile: join(metadata, 'metadata.json') } : {}),
        ...(push?.attest ? { attest: true } : {}),
      });
      log(`${engine.name} ${args.join(' ')}`);
      const started = Date.now();
      await streamed(engine.name, args, (line) => log(`[${app}] ${line}`), { env, cwd: root });
      const image: BuiltImage = {
        app,
        tag: tag as string,
        seconds: Math.round((Date.now() - started) / 1000),
      };
      if (metadata) {
        const digest = digestOfBuildxMetadata(readFileSync(join(metadata, 'metadata.json'), 'utf8'));
        image.pushed = { references, digest };
      } else if (references.length > 0) {
        const digests = new Set<string>();
        for (const reference of references) {
          log(`pushing ${reference}`);
          digests.add(await pushImage(engine, reference));
        }
        // One image under each name: one manifest, one digest.
        if (digests.size !== 1)
          throw new Error(`${app}: the registry holds its tags under ${[...digests].join(', ')}`);
        image.pushed = { references, digest: [...digests][0] as string };
      }
      built.push(image);
    } finally {
      if (metadata) rmSync(metadata, { recursive: true, force: true });
    }
  }
  return built;
}
