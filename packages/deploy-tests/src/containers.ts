import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type CommandResult,
  command,
  type Engine,
  type RestrictedRun,
  restrictedRunArgs,
} from '../../../scripts/images/engine.ts';

/**
 * The containers a test file starts with a real engine, as OpenShift's restricted SCC runs them
 * (restrictedRunArgs), each remembered by name so that removeAll() leaves none behind. `env` is
 * the engine's environment (e.g. CONTAINERS_STORAGE_CONF, for an image store of the test's own).
 */
export class Containers {
  private readonly names = new Set<string>();

  constructor(
    readonly engine: Engine,
    private readonly env?: NodeJS.ProcessEnv,
  ) {}

  /** The engine, in this store; never throws for a non-zero exit. */
  run(args: string[], timeoutMs = 120_000): Promise<CommandResult> {
    return command(this.engine.name, args, { timeoutMs, ...(this.env ? { env: this.env } : {}) });
  }

  private async ok(args: string[], timeoutMs = 120_000): Promise<string> {
    const result = await this.run(args, timeoutMs);
    if (result.code !== 0)
      throw new Error(`${this.engine.name} ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return result.stdout.trim();
  }

  private newName(prefix: string): string {
    const name = `guitars-test-${prefix}-${randomBytes(4).toString('hex')}`;
    this.names.add(name);
    return name;
  }

  /** Starts a container in the background; returns its name. */
  async start(prefix: string, run: Omit<RestrictedRun, 'name' | 'detach'>): Promise<string> {
    const name = this.newName(prefix);
    await this.ok(restrictedRunArgs(this.engine, { ...run, name, detach: true }));
    return name;
  }

  /** Runs a container to its end and returns what it printed (--rm). */
  async once(prefix: string, run: Omit<RestrictedRun, 'name' | 'detach'>): Promise<CommandResult> {
    const name = this.newName(prefix);
    return this.run(restrictedRunArgs(this.engine, { ...run, name, detach: false }));
  }

  /** Creates a container (never started), to copy files out of its image. */
  async create(prefix: string, image: string): Promise<string> {
    const name = this.newName(prefix);
    await this.ok(['create', '--name', name, image]);
    return name;
  }

  /** Copies a path out of a container, as `cp` does (a folder to a new folder `to`). */
  async copyOut(name: string, path: string, to: string): Promise<void> {
    await this.ok(['cp', `${name}:${path}`, to]);
  }

  /** A command in a running container, as its user. */
  exec(name: string, args: string[]): Promise<CommandResult> {
    return this.run(['exec', name, ...args], 60_000);
  }

  /** Whether the container's process is still running. */
  async running(name: string): Promise<boolean> {
    return (await this.ok(['inspect', '--format', '{{.State.Running}}', name])) === 'true';
  }

  /** Stops the container with its image's STOPSIGNAL, as the kubelet does; returns its exit code. */
  async stop(name: string, graceSeconds: number): Promise<number> {
    await this.ok(['stop', '--time', String(graceSeconds), name], (graceSeconds + 60) * 1000);
    return Number(await this.ok(['inspect', '--format', '{{.State.ExitCode}}', name]));
  }

  async logs(name: string): Promise<string> {
    const result = await this.run(['logs', name], 60_000);
    return `${result.stdout}${result.stderr}`;
  }

  /**
   * The container's first process as this machine's kernel sees it (no user namespace: the
   * container's UID is the host's): its IDs, capabilities and no_new_privs flag.
   */
  async process(name: string): Promise<{ cmdline: string[]; status: Record<string, string> }> {
    const pid = await this.ok(['inspect', '--format', '{{.State.Pid}}', name]);
    const status: Record<string, string> = {};
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const [key, value] = line.split(':\t');
      if (key && value !== undefined) status[key] = value.trim();
    }
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { cmdline, status };
  }

  /** Removes every container started here, running or not. */
  async removeAll(): Promise<void> {
    for (const name of this.names) {
      await this.run(['rm', '--force', name]);
      this.names.delete(name);
    }
  }
}
