import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OAUTH_PROXY_COMMIT } from '@guitars/testenv';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { onPath } from '../../../scripts/images/engine.ts';
import { shellWords } from './doc-commands.js';
import { repoPath } from './repo.js';

/**
 * The GitHub Actions workflows: checked by actionlint (built by .ci/run, which points ACTIONLINT
 * at it and sets REQUIRE_ACTIONLINT=1; without it this file's actionlint tests are skipped), and
 * held to what the project runs: the release builds with `npm run images`, CI runs .ci/run.
 */
interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { permissions?: Record<string, string>; steps: Step[] }>;
}

const workflow = (name: string) =>
  load(readFileSync(repoPath('.github/workflows', name), 'utf8')) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);

const actionlint = process.env.ACTIONLINT ?? (onPath('actionlint') ? 'actionlint' : undefined);
if (!actionlint) {
  if (process.env.REQUIRE_ACTIONLINT === '1')
    throw new Error('REQUIRE_ACTIONLINT=1, but there is no actionlint (ACTIONLINT or on PATH)');
  console.warn('workflows.test.ts: no actionlint (ACTIONLINT or on PATH), its checks skipped');
}

/** actionlint of the repository's workflows, or of the files given (it wants a Git work tree otherwise). */
function runActionlint(cwd: string, files: string[] = []): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(actionlint as string, ['-no-color', ...files], { cwd }, (err, stdout, stderr) => {
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
        output: `${stdout}${stderr}`,
      });
    });
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'guitars-workflows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!actionlint)('actionlint', () => {
  it('finds nothing in .github/workflows', async () => {
    const { code, output } = await runActionlint(repoPath());
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('finds a misspelt input and expression in a copy made wrong (it checks what it should)', async () => {
    const broken = readFileSync(repoPath('.github/workflows/release.yml'), 'utf8')
      .replace('node-version-file: .nvmrc', 'node-version-from: .nvmrc')
      .replace('github.actor }}', 'github.actorr }}');
    const file = join(scratch, 'release.yml');
    writeFileSync(file, broken);
    const { code, output } = await runActionlint(scratch, [file]);
    expect(code).not.toBe(0);
    expect(output).toContain('node-version-from');
    expect(output).toContain('actorr');
  });
});

describe('the release workflow', () => {
  const release = workflow('release.yml');

  it('runs on version tags, may write packages, and builds with `npm run images -- --push`', () => {
    expect(release.on).toEqual({ push: { tags: ['v*.*.*'] } });
    const [job] = Object.values(release.jobs);
    expect(job?.permissions?.packages).toBe('write');
    const builds = steps(release).filter((s) => s.run?.includes('npm run images'));
    expect(builds).toHaveLength(1);
    const words = shellWords((builds[0]?.run ?? '').replace(/\\\n/g, ' '));
    expect(words.slice(0, 4)).toEqual(['npm', 'run', 'images', '--']);
    const flag = (name: string) => words[words.indexOf(name) + 1];
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${...}, lower-casing the owner
    expect(flag('--push')).toBe('ghcr.io/${GITHUB_REPOSITORY_OWNER,,}');
    expect(flag('--platform')?.split(',')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(words).toContain('--latest');
    expect(words).toContain('--attest');
    // No copy of the build: nothing else builds or pushes an image.
    const others = steps(release).filter(
      (s) => s !== builds[0] && /\b(docker|podman|buildah)\b.*\b(build|push)\b/.test(s.run ?? ''),
    );
    expect(others).toEqual([]);
    expect(steps(release).some((s) => s.uses?.startsWith('docker/build-push-action'))).toBe(false);
  });

  it('sets up buildx, QEMU for arm64, and the registry login before the build', () => {
    const uses = steps(release).map((s) => s.uses?.split('@')[0] ?? s.run?.slice(0, 20));
    const at = (name: string) => uses.indexOf(name);
    const build = steps(release).findIndex((s) => s.run?.includes('npm run images'));
    for (const action of ['docker/setup-qemu-action', 'docker/setup-buildx-action', 'docker/login-action'])
      expect(at(action), action).toBeGreaterThanOrEqual(0);
    for (const action of ['docker/setup-qemu-action', 'docker/setup-buildx-action', 'docker/login-action'])
      expect(at(action), action).toBeLessThan(build);
  });
});

describe('the CI workflow', () => {
  const ci = workflow('ci.yml');

  it('runs .ci/run on pull requests, beside oauth-proxy at the commit the tests build', () => {
    expect(Object.keys(ci.on)).toContain('pull_request');
    expect(steps(ci).filter((s) => s.run?.includes('bash .ci/run'))).toHaveLength(1);
    const proxy = steps(ci).find((s) => s.with?.repository === 'openshift/oauth-proxy');
    expect(proxy?.with?.ref).toBe(OAUTH_PROXY_COMMIT);
    // Beside the repository, where packages/testenv looks by default (../shared/third-party).
    const repository = steps(ci).find((s) => s.uses?.startsWith('actions/checkout') && !s.with?.repository);
    expect(proxy?.with?.path).toBe('shared/third-party/oauth-proxy');
    expect(repository?.with?.path).toBe('guitar-center');
  });
});
