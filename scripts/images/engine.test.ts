import { describe, expect, it } from 'vitest';
import { buildCommand, detectEngine, type Engine, onPath, restrictedRunArgs, ulimitFlags } from './engine.ts';

const podman: Engine = {
  name: 'podman',
  canRun: true,
  runtime: 'runc',
  ulimits: ['--ulimit', 'nofile=20000:20000'],
};

describe('ulimitFlags', () => {
  it('passes the hard limits of /proc/self/limits, and none that are unlimited', () => {
    const limits = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             4096                 96364                processes ',
      'Max open files            1024                 20000                files     ',
      'Max locked memory         8388608              unlimited            bytes     ',
    ].join('\n');
    // nproc no higher than the 32768 podman lowers itself to.
    expect(ulimitFlags(limits)).toEqual(['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768']);
    expect(ulimitFlags(limits.replace('96364', '20000'))).toContain('nproc=20000:20000');
    expect(ulimitFlags(limits.replace('96364  ', 'unlimited'))).toEqual(['--ulimit', 'nofile=20000:20000']);
  });
});

describe('buildCommand', () => {
  const options = {
    dockerfile: 'packages/ui/Dockerfile',
    tag: 'guitars-ui:0.1.0',
    context: '/repo',
    buildArgs: { VERSION: '0.1.0' },
    secrets: { ca: '/etc/ssl/ca.pem' },
  };

  it('asks podman for runc and passes build arguments and secrets', () => {
    expect(buildCommand(podman, options).args).toEqual([
      'build',
      '--runtime',
      'runc',
      '-f',
      'packages/ui/Dockerfile',
      '-t',
      'guitars-ui:0.1.0',
      '--build-arg',
      'VERSION=0.1.0',
      '--secret',
      'id=ca,src=/etc/ssl/ca.pem',
      '/repo',
    ]);
  });

  it('asks buildah to keep layers, and docker for BuildKit', () => {
    expect(buildCommand({ ...podman, name: 'buildah' }, options).args.slice(0, 4)).toEqual([
      'bud',
      '--layers',
      '--runtime',
      'runc',
    ]);
    const docker = buildCommand({ ...podman, name: 'docker', runtime: undefined }, options);
    expect(docker.args[0]).toBe('build');
    expect(docker.args).not.toContain('--runtime');
    expect(docker.env.DOCKER_BUILDKIT).toBe('1');
  });
});

describe('restrictedRunArgs', () => {
  it("runs as OpenShift's restricted SCC would: read-only, the UID with group 0, no capabilities", () => {
    const args = restrictedRunArgs(podman, {
      name: 'ui-1',
      image: 'guitars-ui:0.1.0',
      user: '1000770000:0',
      env: { PORT: '8080' },
      mounts: { '/host/token': '/var/run/secrets/kubernetes.io/serviceaccount' },
      tmpfs: ['/tmp'],
    });
    const joined = args.join(' ');
    expect(args.slice(0, 3)).toEqual(['run', '--runtime', 'runc']);
    for (const flag of [
      '--detach',
      '--read-only',
      '--user 1000770000:0',
      '--cap-drop ALL',
      '--security-opt no-new-privileges',
      '--network host',
      '--ulimit nofile=20000:20000',
      '--env PORT=8080',
      '--volume /host/token:/var/run/secrets/kubernetes.io/serviceaccount:ro',
    ]) {
      expect(joined).toContain(flag);
    }
    expect(joined).toMatch(/--tmpfs \/tmp:rw,nosuid,nodev,/);
    // The image comes last, after every option.
    expect(args.at(-1)).toBe('guitars-ui:0.1.0');
  });

  it('runs a one-off command with --rm, the entrypoint replaced', () => {
    const args = restrictedRunArgs(podman, {
      name: 'x',
      image: 'img',
      user: '5:0',
      detach: false,
      entrypoint: 'node',
      command: ['-e', '1'],
    });
    expect(args).toContain('--rm');
    expect(args).not.toContain('--detach');
    expect(args.slice(-4)).toEqual(['node', 'img', '-e', '1']);
  });
});

describe('onPath', () => {
  it('finds an executable in a PATH and not outside it', () => {
    expect(onPath('sh', '/nowhere:/bin')).toBe(true);
    expect(onPath('sh', '/nowhere')).toBe(false);
  });
});

describe('detectEngine', () => {
  it('refuses a CONTAINER_ENGINE it does not know, saying which it knows', async () => {
    expect(await detectEngine({ CONTAINER_ENGINE: 'rkt' })).toEqual({
      engine: undefined,
      reason: 'CONTAINER_ENGINE=rkt: not one of docker, podman, buildah',
    });
  });
});

describe('buildCommand for a release (--push)', () => {
  const docker: Engine = { name: 'docker', canRun: true, runtime: undefined, ulimits: [] };
  const release = {
    dockerfile: 'packages/ui/Dockerfile',
    tag: 'ghcr.io/o/guitars-ui:0.1.0',
    extraTags: ['ghcr.io/o/guitars-ui:latest'],
    context: '/repo',
    platforms: ['linux/amd64', 'linux/arm64'],
    pushMetadataFile: '/tmp/m.json',
    attest: true,
  };

  it('has docker buildx build both platforms, push both tags, and attach an SBOM and provenance', () => {
    expect(buildCommand(docker, release).args).toEqual([
      'buildx',
      'build',
      '-f',
      'packages/ui/Dockerfile',
      '-t',
      'ghcr.io/o/guitars-ui:0.1.0',
      '-t',
      'ghcr.io/o/guitars-ui:latest',
      '--platform',
      'linux/amd64,linux/arm64',
      '--push',
      '--metadata-file',
      '/tmp/m.json',
      '--sbom=true',
      '--provenance=mode=max',
      '/repo',
    ]);
  });

  it('refuses, with podman, what only buildx does, and passes one platform on', () => {
    expect(() => buildCommand(podman, release)).toThrow(/docker buildx/);
    expect(() =>
      buildCommand(podman, { ...release, pushMetadataFile: undefined, attest: undefined }),
    ).toThrow(/several platforms/);
    const one = buildCommand(podman, {
      dockerfile: 'packages/ui/Dockerfile',
      tag: 'guitars-ui:0.1.0',
      extraTags: ['127.0.0.1:5000/guitars-ui:0.1.0'],
      context: '/repo',
      platforms: ['linux/amd64'],
    }).args;
    expect(one.slice(0, 1)).toEqual(['build']);
    expect(one).toContain('--platform');
    expect(one.filter((a) => a === '-t')).toHaveLength(2);
  });
});
