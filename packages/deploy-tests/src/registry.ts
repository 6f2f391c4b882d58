import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@guitars/testenv';

/** Debian's build of the CNCF distribution registry (`apt-get install docker-registry`). */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';

/**
 * A real image registry on loopback, for one test file: the distribution registry serving plain
 * HTTP on 127.0.0.1 from a temporary folder, as a cluster's pull would reach one (engines trust
 * loopback over HTTP, see scripts/images/push.ts). stop() ends it and removes its blobs.
 */
export class LoopbackRegistry {
  private constructor(
    /** host:port, the registry part of an image reference. */
    readonly address: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly output: string[],
  ) {}

  static async start(): Promise<LoopbackRegistry> {
    const dir = mkdtempSync(join(tmpdir(), 'guitars-registry-'));
    const port = await freePort();
    const config = join(dir, 'config.yml');
    // The package's /etc/docker/registry/config.yml asks for htpasswd auth and listens on every
    // interface: this one is loopback only, open, and keeps its blobs in the folder.
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log: { level: warn }',
        `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
        `http: { addr: "127.0.0.1:${port}" }`,
      ].join('\n'),
    );
    const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const registry = new LoopbackRegistry(`127.0.0.1:${port}`, child, dir, output);
    try {
      // The registry API's base endpoint answers 200 once it serves.
      await waitFor(
        `the registry on 127.0.0.1:${port}`,
        async () => (await fetch(`http://127.0.0.1:${port}/v2/`)).status === 200,
        30_000,
        () => child.exitCode !== null,
      );
    } catch (err) {
      await registry.stop();
      throw new Error(`${String(err)}\n${output.join('')}`);
    }
    return registry;
  }

  /** The manifest digest the registry serves for `repository:tag` (its Docker-Content-Digest). */
  async digestOf(repository: string, tag: string): Promise<string | null> {
    const response = await fetch(`http://${this.address}/v2/${repository}/manifests/${tag}`, {
      method: 'HEAD',
      headers: {
        accept: [
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.v2+json',
          'application/vnd.oci.image.index.v1+json',
        ].join(', '),
      },
    });
    return response.status === 200 ? response.headers.get('docker-content-digest') : null;
  }

  logs(): string {
    return this.output.join('');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await once(this.child, 'exit');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether the registry can run here. */
export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BINARY);
}
