// The container engine on this machine, and the command lines each one takes: docker (only when
// its daemon answers), podman or buildah, in that order, unless CONTAINER_ENGINE names one. A
// build needs any of them; running a container needs docker or podman.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type EngineName = 'docker' | 'podman' | 'buildah';

export interface Engine {
  name: EngineName;
  /** Whether it runs long-lived containers (buildah only builds). */
  canRun: boolean;
  /**
   * The OCI runtime to ask for (podman, buildah): runc when installed, as crun refuses a hybrid
   * cgroup layout (v1 and v2 both mounted) and runc runs on every layout.
   */
  runtime: string | undefined;
  /** --ulimit flags for podman (its defaults exceed this machine's hard limits); none for docker. */
  ulimits: string[];
}

/** The result of a command: never throws for a non-zero exit. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and collects its output (no shell); `timeoutMs` kills it. */
export function command(
  file: string,
  args: string[],
  options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 0, cwd: options.cwd, env: options.env },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && code === -1 ? err.message : '') });
      },
    );
  });
}

/** Like command(), with the output streamed to `log` line by line; throws on a non-zero exit. */
export function streamed(
  file: string,
  args: string[],
  log: (line: string) => void,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: NodeJS.ReadableStream } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (options.input && child.stdin) options.input.pipe(child.stdin);
    let tail: string[] = [];
    const lines = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        log(line);
        tail = [...tail.slice(-29), line];
      }
    };
    child.stdout?.on('data', lines);
    child.stderr?.on('data', lines);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`));
    });
  });
}

/** Whether an executable is on PATH. */
export function onPath(name: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/**
 * `--ulimit` flags for podman at this process's hard limits: a container may not raise a limit
 * above its runtime's, and podman asks for nofile and nproc 1048576 by default ("setrlimit:
 * Operation not permitted"). podman 4.3 also lowers its own nproc limit to 32768 when it starts
 * (measured: /proc/<podman>/limits), so nproc goes no higher.
 */
export function ulimitFlags(limits: string): string[] {
  const flags: string[] = [];
  for (const [label, name, ceiling] of [
    ['Max open files', 'nofile', Number.POSITIVE_INFINITY],
    ['Max processes', 'nproc', 32_768],
  ] as const) {
    const hard = limits
      .split('\n')
      .find((line) => line.startsWith(label))
      ?.slice(label.length)
      .trim()
      .split(/\s+/)[1];
    if (!hard || !/^\d+$/.test(hard)) continue;
    const value = Math.min(Number(hard), ceiling);
    flags.push('--ulimit', `${name}=${value}:${value}`);
  }
  return flags;
}

export const ENGINES: readonly EngineName[] = ['docker', 'podman', 'buildah'];

/**
 * The first engine that works here (CONTAINER_ENGINE=docker|podman|buildah picks one), or
 * undefined with the reason.
 */
export async function detectEngine(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ engine: Engine } | { engine: undefined; reason: string }> {
  const wanted = env.CONTAINER_ENGINE;
  if (wanted && !ENGINES.includes(wanted as EngineName))
    return { engine: undefined, reason: `CONTAINER_ENGINE=${wanted}: not one of ${ENGINES.join(', ')}` };
  const ulimits = existsSync('/proc/self/limits')
    ? ulimitFlags(readFileSync('/proc/self/limits', 'utf8'))
    : [];
  const runtime = onPath('runc') || existsSync('/usr/sbin/runc') ? 'runc' : undefined;
  const tried: string[] = [];
  for (const name of ENGINES.filter((e) => !wanted || e === wanted)) {
    if (!onPath(name)) {
      tried.push(`${name}: not installed`);
      continue;
    }
    if (name === 'docker') {
      const info = await command('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
      // Containers get dockerd's own limits by default, which they cannot exceed.
      if (info.code === 0) return { engine: { name, canRun: true, runtime: undefined, ulimits: [] } };
      tried.push(`docker: no daemon answers (${firstLine(info.stderr)})`);
      continue;
    }
    const version = await command(name, ['--version'], { timeoutMs: 20_000 });
    if (version.code === 0) return { engine: { name, canRun: name === 'podman', runtime, ulimits } };
    tried.push(`${name}: ${firstLine(version.stderr)}`);
  }
  return { engine: undefined, reason: tried.join('; ') };
}

/** `--runtime runc` where the engine takes it. */
function runtimeFlags(engine: Engine): string[] {
  return engine.name !== 'docker' && engine.runtime ? ['--runtime', engine.runtime] : [];
}

export interface BuildOptions {
  dockerfile: string;
  tag: string;
  context: string;
  buildArgs?: Record<string, string>;
  /** Build secrets: id → file on this machine (mounted by `RUN --mount=type=secret`). */
  secrets?: Record<string, string>;
  /** More names for the same image (a registry's `:latest`). */
  extraTags?: string[];
  /** Target platforms (`linux/arm64`); more than one at once takes docker buildx. */
  platforms?: string[];
  /** docker buildx only: push while building, writing the result (its digest) to this file. */
  pushMetadataFile?: string;
  /** docker buildx only: attach an SBOM and a provenance attestation (mode=max) to what it pushes. */
  attest?: boolean;
}

/**
 * Whether a build goes through docker buildx: pushing a multi-platform image index with
 * attestations is BuildKit's alone (podman and buildah sign, but neither attaches an SBOM or
 * SLSA provenance; docker's classic builder does neither).
 */
export function usesBuildx(engine: Engine, options: BuildOptions): boolean {
  const buildxOnly =
    (options.platforms?.length ?? 0) > 1 || options.pushMetadataFile !== undefined || options.attest === true;
  if (buildxOnly && engine.name !== 'docker')
    throw new Error(
      `${engine.name} cannot ${options.attest ? 'attach an SBOM and provenance' : 'build several platforms into one pushed index'}: that takes docker buildx (CONTAINER_ENGINE=docker)`,
    );
  return buildxOnly;
}

/** The command line of a build, and the environment it needs. */
export function buildCommand(
  engine: Engine,
  options: BuildOptions,
): { args: string[]; env: NodeJS.ProcessEnv } {
  const buildx = usesBuildx(engine, options);
  const args = buildx
    ? ['buildx', 'build']
    : engine.name === 'buildah'
      ? // buildah reuses layers only when asked; docker and podman always do.
        ['bud', '--layers', ...runtimeFlags(engine)]
      : ['build', ...runtimeFlags(engine)];
  args.push('-f', options.dockerfile, '-t', options.tag);
  for (const tag of options.extraTags ?? []) args.push('-t', tag);
  if (options.platforms?.length) args.push('--platform', options.platforms.join(','));
  if (options.pushMetadataFile) args.push('--push', '--metadata-file', options.pushMetadataFile);
  if (options.attest) args.push('--sbom=true', '--provenance=mode=max');
  for (const [key, value] of Object.entries(options.buildArgs ?? {}))
    args.push('--build-arg', `${key}=${value}`);
  for (const [id, src] of Object.entries(options.secrets ?? {})) args.push('--secret', `id=${id},src=${src}`);
  args.push(options.context);
  // docker needs BuildKit for --secret and RUN --mount (the default since Docker 23).
  const env = engine.name === 'docker' ? { ...process.env, DOCKER_BUILDKIT: '1' } : process.env;
  return { args, env };
}

/** Arguments that ask whether an image is stored locally (exit code 0 if it is). */
export function imageExistsArgs(engine: Engine, image: string): string[] {
  return engine.name === 'buildah' ? ['inspect', '--type', 'image', image] : ['image', 'inspect', image];
}

export interface RestrictedRun {
  name: string;
  image: string;
  user: string;
  env?: Record<string, string>;
  /** host path → container path, read-only. */
  mounts?: Record<string, string>;
  /** Container paths given a fresh writable tmpfs (the Deployments' emptyDir /tmp). */
  tmpfs?: string[];
  /** Replaces the image's ENTRYPOINT (with `command` as its arguments). */
  entrypoint?: string;
  command?: string[];
  detach?: boolean;
}

/**
 * `run` as OpenShift's restricted-v2 SCC runs a pod: a read-only root filesystem, the given
 * (arbitrary) UID with group 0, every capability dropped, no privilege escalation; the host's
 * network, so the container reaches an apiserver on loopback as a pod reaches its Service.
 */
export function restrictedRunArgs(engine: Engine, run: RestrictedRun): string[] {
  const args = ['run', ...runtimeFlags(engine), '--name', run.name];
  args.push(run.detach === false ? '--rm' : '--detach');
  args.push('--network', 'host', '--read-only', '--user', run.user, '--cap-drop', 'ALL');
  args.push('--security-opt', 'no-new-privileges', ...engine.ulimits);
  for (const path of run.tmpfs ?? []) args.push('--tmpfs', `${path}:rw,nosuid,nodev,size=16m,mode=1777`);
  for (const [from, to] of Object.entries(run.mounts ?? {})) args.push('--volume', `${from}:${to}:ro`);
  for (const [key, value] of Object.entries(run.env ?? {})) args.push('--env', `${key}=${value}`);
  if (run.entrypoint !== undefined) args.push('--entrypoint', run.entrypoint);
  args.push(run.image, ...(run.command ?? []));
  return args;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
