import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuiltImage } from '../../../scripts/images/build.ts';
import type { Engine } from '../../../scripts/images/engine.ts';
import { isLoopbackRegistry } from '../../../scripts/images/push.ts';
import { Containers } from './containers.js';
import type { LoopbackRegistry } from './registry.js';

/** Images pulled back from a registry by digest, and the engine's view of the store holding them. */
export interface PulledBack {
  /** app → `<registry>/guitars-<app>@sha256:...`, the reference a cluster's node pulls. */
  references: Record<string, string>;
  containers: Containers;
  /** Removes the containers, the pulled images and their store. */
  cleanup(): Promise<void>;
}

/**
 * The second half of the round trip a cluster makes: each pushed image is looked up in the
 * registry under its tag (it must hold the digest the push reported), then pulled by that digest.
 * With podman the pull goes to an empty image store of its own (CONTAINERS_STORAGE_CONF), so
 * every layer and the config come from the registry and nothing from the build's store; docker
 * has one store per daemon, where the pull can only confirm the manifest and reuse the layers.
 */
export async function pullBack(
  engine: Engine,
  registry: LoopbackRegistry,
  built: BuiltImage[],
): Promise<PulledBack> {
  const dir = engine.name === 'podman' ? mkdtempSync(join(tmpdir(), 'guitars-pulled-')) : undefined;
  // The runroot holds conmon's sockets, whose paths a Unix socket caps at 107 bytes: under the
  // tests' long TMPDIR each `run --rm` waited 20 s for its exit (measured), so it sits in /tmp.
  const runroot = dir ? mkdtempSync('/tmp/guitars-run-') : undefined;
  let env: NodeJS.ProcessEnv | undefined;
  if (dir) {
    const conf = join(dir, 'storage.conf');
    const lines = ['[storage]', 'driver = "overlay"', `graphroot = "${dir}/graph"`, `runroot = "${runroot}"`];
    writeFileSync(conf, `${lines.join('\n')}\n`);
    env = { ...process.env, CONTAINERS_STORAGE_CONF: conf };
  }
  const containers = new Containers(engine, env);
  const cleanup = async () => {
    await containers.removeAll();
    // Only ever in the store of its own (env set): `rmi --all` elsewhere would empty the engine's.
    if (dir && env?.CONTAINERS_STORAGE_CONF) {
      await containers.run(['rmi', '--all', '--force']);
      rmSync(dir, { recursive: true, force: true });
    }
    if (runroot) rmSync(runroot, { recursive: true, force: true });
  };
  try {
    const references: Record<string, string> = {};
    for (const image of built) {
      if (!image.pushed) throw new Error(`${image.app}: not pushed`);
      const { digest } = image.pushed;
      for (const reference of image.pushed.references) {
        const [repository, tag] = reference.slice(registry.address.length + 1).split(':') as [string, string];
        const served = await registry.digestOf(repository, tag);
        if (served !== digest)
          throw new Error(`the registry serves ${reference} as ${served}, the push said ${digest}`);
      }
      const reference = `${(image.pushed.references[0] as string).replace(/:[^:/]+$/, '')}@${digest}`;
      if (dir && (await containers.run(['image', 'exists', reference])).code === 0)
        throw new Error(`${reference} is in the new store before the pull`);
      const tls = engine.name !== 'docker' && isLoopbackRegistry(reference) ? ['--tls-verify=false'] : [];
      const pull = await containers.run(['pull', ...tls, reference], 600_000);
      if (pull.code !== 0) throw new Error(`pull ${reference} failed: ${pull.stderr}\n${registry.logs()}`);
      references[image.app] = reference;
    }
    return { references, containers, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
