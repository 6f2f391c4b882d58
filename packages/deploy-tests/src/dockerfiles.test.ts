import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { imageRuntime } from '@guitars/testenv';
import type { Run } from 'dockerfile-ast';
import { ValidationSeverity, validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import {
  copyParts,
  execForm,
  instructionsOf,
  parseDockerfile,
  stageLabels,
  stageVariables,
} from './dockerfile.js';
import { dockerignoreMatcher, loadDockerignore } from './dockerignore.js';
import { APPS, repoPath } from './repo.js';

/**
 * The linter: dockerfile-utils, the parser and validator behind the Docker language server of
 * VS Code and other editors (maintained, parses every instruction, flags what the Docker builder
 * would refuse or warn about). Every check it has is turned to error; nothing is ignored.
 * hadolint, the usual choice, is a Haskell binary: Debian 12 does not package it, and npm's
 * `hadolint` is a wrapper around a binary it does not ship, so neither registry this project
 * uses can install it. The policy the issue sets (and hadolint's rules that matter for these
 * files: pinned tags, no ADD, exec-form CMD, a non-root USER, npm ci) is checked below it.
 */
const STRICT = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

function lint(text: string): string[] {
  return validate(text, STRICT).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
}

const lockfile = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string }>;
};

describe('the linter', () => {
  it('finds mistakes in a bad Dockerfile (so a clean result means something)', () => {
    const findings = lint(
      [
        'from node:22 as build',
        'EXPOSE 80/tpc',
        'WORKDIR app',
        'STOPSIGNAL SIGFOO',
        "CMD ['node']",
        'CMD node',
      ].join('\n'),
    );
    expect(findings.length).toBeGreaterThanOrEqual(5);
  });
});

describe.each(APPS)('packages/%s/Dockerfile', (app) => {
  const path = repoPath('packages', app, 'Dockerfile');
  const dockerfile = parseDockerfile(path);
  const { final, stages } = dockerfile;
  const pkg = JSON.parse(readFileSync(repoPath('packages', app, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    main: string;
    scripts: Record<string, string>;
  };

  it('passes the linter with no finding', () => {
    expect(lint(dockerfile.text)).toEqual([]);
  });

  it('starts every stage from a pinned, fully qualified Node.js 22 LTS image, the one the tests run on', () => {
    const nodeVersion = lockfile.packages['node_modules/node']?.version;
    expect(nodeVersion, 'the node devDependency in package-lock.json').toMatch(/^22\./);
    for (const stage of stages) {
      // Fully qualified: podman asks which registry a short name means; the tag is exact, never latest.
      expect(stage.image).toMatch(
        new RegExp(`^docker\\.io/library/node:${nodeVersion?.replace(/\./g, '\\.')}-[a-z0-9]+-slim$`),
      );
    }
  });

  it("names an image in the runtime stage, which OpenShift's dockerStrategy.from replaces", () => {
    // A BuildConfig's from replaces the last FROM: a stage alias there would be replaced too.
    const names = new Set(stages.map((s) => s.name).filter(Boolean));
    expect(names.has(final.image)).toBe(false);
    expect(final.name).toBeUndefined();
  });

  it('prunes with the turbo of package-lock.json, for this app only', () => {
    const prune = stages[0];
    expect(prune && stageVariables(prune).TURBO_VERSION).toBe(
      lockfile.packages['node_modules/turbo']?.version,
    );
    const runs = prune ? instructionsOf(prune, 'RUN').map((r) => r.getRawArgumentsContent()) : [];
    expect(runs.join('\n')).toContain(`prune ${pkg.name} --docker`);
  });

  it('bundles the app in the build stage, with the root scripts/bundle.ts, from the lockfile', () => {
    const build = stages.find((s) => s.name === 'build');
    const runs = build ? instructionsOf(build, 'RUN').map((r) => r.getRawArgumentsContent() ?? '') : [];
    expect(runs.join('\n')).toMatch(/npm ci /);
    // The app's build script runs tsc, then the bundler (turbo prune leaves root files out).
    expect(runs.join('\n')).toContain(`npm run build --workspace=${pkg.name}`);
    expect(pkg.scripts.build).toContain('node ../../scripts/bundle.ts');
    const copies = build ? instructionsOf(build, 'COPY').map((c) => copyParts(c)) : [];
    expect(copies).toContainEqual({ from: 'prune', sources: ['/src/scripts/bundle.ts'], dest: './scripts/' });
    // Lockfile installs everywhere: npm install could drift from package-lock.json.
    expect(dockerfile.text).not.toMatch(/npm (install|i) /);
  });

  it('copies the entry its package.json `main` names and the bundle, and no node_modules, tsc output or source map', () => {
    const copies = instructionsOf(final, 'COPY').map((c) => copyParts(c));
    // Everything from the build stage, where dist/index.js requires the bundle, dist/bundle.cjs.
    expect(copies.every((c) => c.from === 'build')).toBe(true);
    const copied = copies.flatMap((c) => c.sources.map((s) => s.replace(/\/$/, '')));
    // The entry; the bundle, and its map only when the build stage left it
    // (SOURCE_MAPS=true); package.json for the entry's "type": "module"; the UI's templates and
    // static files, which stay files.
    const main = posix.join(`/app/packages/${app}`, pkg.main);
    expect(main).toBe(`/app/packages/${app}/dist/index.js`);
    expect(copied.sort()).toEqual(
      [
        `/app/packages/${app}/package.json`,
        main,
        `/app/packages/${app}/dist/bundle.cjs*`,
        ...(app === 'ui' ? ['/app/packages/ui/views', '/app/packages/ui/public'] : []),
      ].sort(),
    );
    expect(stages.map((s) => s.name)).toEqual(['prune', 'build', undefined]);
  });

  it('drops the source map in the build stage unless SOURCE_MAPS=true', () => {
    const build = stages.find((s) => s.name === 'build');
    expect(build && stageVariables(build).SOURCE_MAPS).toBe('false');
    const runs = build ? instructionsOf(build, 'RUN').map((r) => r.getRawArgumentsContent() ?? '') : [];
    expect(runs.join('\n')).toContain(
      `if [ "$SOURCE_MAPS" != true ]; then rm packages/${app}/dist/bundle.cjs.map; fi`,
    );
  });

  it("trusts a build secret's CA in the steps that reach the registry, and bakes none into a layer", () => {
    const registrySteps = stages
      .flatMap((s) => instructionsOf(s, 'RUN') as Run[])
      .filter((r) => /(^|[\s&;])(npm ci|npx) /.test(r.getRawArgumentsContent() ?? ''));
    expect(registrySteps).toHaveLength(2);
    for (const step of registrySteps) {
      const mounts = step.getFlags().map((f) => `--${f.getName()}=${f.getValue()}`);
      expect(mounts).toEqual(['--mount=type=secret,id=ca,required=false']);
      expect(step.getRawArgumentsContent()).toContain(
        'if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi',
      );
    }
    // Set only in the step's shell: no ENV or ARG carries a CA into the image's configuration.
    expect(dockerfile.text).not.toMatch(/^(ENV|ARG)\b.*(CA_CERTS|cafile|NPM_CONFIG_CA)/im);
  });

  it('runs as a numeric non-root user with group 0, node as PID 1 in exec form, stopped by SIGTERM', () => {
    const user = instructionsOf(final, 'USER').at(-1)?.getRawArgumentsContent()?.trim() ?? '';
    expect(user).toMatch(/^[1-9]\d*:0$/);
    const cmds = instructionsOf(final, 'CMD');
    expect(cmds).toHaveLength(1);
    expect(cmds[0] && execForm(cmds[0])?.at(-1)).toBe('dist/index.js');
    expect(instructionsOf(final, 'ENTRYPOINT')).toHaveLength(0);
    expect(instructionsOf(final, 'STOPSIGNAL').map((s) => s.getRawArgumentsContent())).toEqual(['SIGTERM']);
    expect(instructionsOf(final, 'WORKDIR').at(-1)?.getRawArgumentsContent()).toBe(`/app/packages/${app}`);
    const env = stageVariables(final);
    expect(env.NODE_ENV).toBe('production');
    // Source maps cost ~70-100 MB of RSS once Node decodes the bundle's (measured): not by default.
    expect(env.NODE_OPTIONS ?? '').not.toContain('--enable-source-maps');
    // OpenShift's arbitrary UID has no home folder of its own.
    expect(env.HOME).toBe('/tmp');
  });

  it('sets the heap and malloc settings that npm start, npm run and the benchmark use', () => {
    // The glibc malloc settings, read at process start, and V8 flags Node refuses in NODE_OPTIONS.
    const env = stageVariables(final);
    expect(env).toMatchObject({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768' });
    const [cmdInstruction] = instructionsOf(final, 'CMD');
    const cmd = (cmdInstruction && execForm(cmdInstruction)) ?? [];
    expect(cmd[0]).toBe('node');
    expect(cmd).toContain('--heap-growing-percent=30');
    // What npm start and the benchmark read from this file (testenv's imageRuntime) is what a full
    // parser reads.
    const malloc = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('MALLOC_')));
    expect(imageRuntime(path)).toEqual({ nodeArgs: cmd.slice(1, -1), env: malloc });
    // `npm run <app>` spells them out.
    const rootScripts = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')).scripts as Record<
      string,
      string
    >;
    const envPrefix = Object.entries(malloc).map(([name, value]) => `${name}=${value}`);
    expect(rootScripts[app]).toContain(
      [...envPrefix, 'node', ...cmd.slice(1, -1), `packages/${app}/dist/index.js`].join(' '),
    );
    // This Node (the image's version) takes every flag: a misspelt one would stop the pod at start.
    const node = spawnSync(process.execPath, [...cmd.slice(1, -1), '-e', ''], { encoding: 'utf8' });
    expect(node.stderr).toBe('');
    expect(node.status).toBe(0);
  });

  it('exposes the port the app listens on', () => {
    const ports = instructionsOf(final, 'EXPOSE').map((e) => e.getRawArgumentsContent());
    expect(ports).toEqual([app === 'ui' ? '8080' : '8081']);
    if (app === 'ui') expect(stageVariables(final).PORT).toBe('8080');
    // On every interface: the UI's own default, for local runs, is loopback only.
    if (app === 'ui') expect(stageVariables(final).HOST).toBe('0.0.0.0');
  });

  it('removes npm and other build tools from the runtime, and ADDs nothing', () => {
    const runs = instructionsOf(final, 'RUN').map((r) => r.getRawArgumentsContent() ?? '');
    expect(runs.join(' ')).toMatch(/\/usr\/local\/lib\/node_modules/);
    expect(runs.join(' ')).toMatch(/\/usr\/local\/bin\/npm\b/);
    expect(dockerfile.text).not.toMatch(/^ADD /m);
    expect(dockerfile.text).not.toMatch(/apt-get|apk add|sudo|curl|wget/);
  });

  it('labels the image the OCI way, with the package version', () => {
    const labels = stageLabels(final);
    for (const key of ['title', 'description', 'version', 'revision', 'created', 'source', 'licenses']) {
      expect(labels, key).toHaveProperty(`org.opencontainers.image.${key}`);
    }
    expect(labels['org.opencontainers.image.title']).toBe(`guitars-${app}`);
    expect(stageVariables(final).VERSION).toBe(pkg.version);
    expect(labels['org.opencontainers.image.licenses']).toBe('Apache-2.0');
  });
});

describe('.dockerignore', () => {
  const ignored = loadDockerignore(repoPath('.dockerignore'));

  it('keeps node_modules, build output, tests and local state out of the build context', () => {
    for (const path of [
      'node_modules',
      'node_modules/typescript/package.json',
      'packages/ui/node_modules/x',
      'packages/shared/dist/index.js',
      '.turbo',
      'packages/ui/.turbo/cache',
      'packages/controller/src/reconcile.test.ts',
      'packages/ui/src/test-support/ui.ts',
      '.testenv/kubeconfig',
      '.git/HEAD',
      '.env',
      'packages/ui/.env.local',
      'coverage/index.html',
      'k8s/base/crd.yaml',
      'scripts/images/node-slim-rootfs.sh',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('lets in what the images build from', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'turbo.json',
      'tsconfig.base.json',
      'scripts/bundle.ts',
      'packages/shared/crd/guitars.kool.karmalabs.local.yaml',
      'packages/shared/src/index.ts',
      'packages/ui/views/list.ejs',
      'packages/ui/public/app.css',
      'packages/controller/src/index.ts',
      'packages/controller/tsconfig.build.json',
    ]) {
      expect(ignored(path), path).toBe(false);
    }
  });

  it('is read as Docker reads it (the matcher the checks above rely on)', () => {
    const match = dockerignoreMatcher('**/node_modules\nout\n*.md\n!README.md\ndocs/**/*.svg');
    expect(match('a/b/node_modules/c')).toBe(true);
    expect(match('out/x')).toBe(true);
    expect(match('packages/out')).toBe(false);
    expect(match('CHANGES.md')).toBe(true);
    expect(match('README.md')).toBe(false);
    expect(match('packages/NOTES.md')).toBe(false);
    expect(match('docs/a/b/c.svg')).toBe(true);
  });
});
