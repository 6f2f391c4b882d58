import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, ensureOauthProxy, oauthProxySource } from '@guitars/testenv';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { expandedArgs } from './container-args.js';
import { deployment, kustomize } from './kube.js';
import { NAMESPACE, repoPath } from './repo.js';

/**
 * The cookie secret the docs tell an admin to make, fed to the real oauth-proxy (built from
 * ../shared/third-party/oauth-proxy) with the overlay's own flags. Standard base64 made it refuse
 * to start 30 times in 40 (issue 24). Without the source here the file is skipped, and fails
 * instead when REQUIRE_OAUTH_PROXY=1 (CI sets it).
 */
const cluster = new Cluster(inject('testenv'));
const source = oauthProxySource();
const present = existsSync(join(source, 'vendor'));
if (!present) {
  if (process.env.REQUIRE_OAUTH_PROXY === '1')
    throw new Error(`REQUIRE_OAUTH_PROXY=1, but there is no oauth-proxy source at ${source}`);
  console.warn(
    `sign-in-secret.cluster.test.ts skipped: no oauth-proxy source at ${source} (OAUTH_PROXY_SOURCE)`,
  );
}
const RUNS = 40;
const work = mkdtempSync(join(tmpdir(), 'guitars-proxy-secret-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The shell command inside `--from-literal=session_secret="$(...)"` of a text. */
function secretCommand(text: string): string {
  const match = /--from-literal=session_secret="\$\((.+?)\)"/.exec(text);
  if (!match?.[1]) throw new Error('no --from-literal=session_secret="$(...)" command found');
  return match[1];
}

describe.skipIf(!present)("the sign-in proxy's cookie secret, as the docs make it", () => {
  it('is made by one command, the same in docs/deploy.md and the overlay', () => {
    const docs = secretCommand(readFileSync(repoPath('docs/deploy.md'), 'utf8'));
    const overlay = secretCommand(
      readFileSync(repoPath('k8s/overlays/openshift/kustomization.yaml'), 'utf8'),
    );
    expect(overlay).toBe(docs);
  });

  it(`is accepted by the real oauth-proxy every time (${RUNS} fresh secrets)`, async () => {
    const binary = await ensureOauthProxy();
    const command = secretCommand(readFileSync(repoPath('docs/deploy.md'), 'utf8'));
    const pod = deployment(await kustomize(cluster, 'overlays/openshift'), 'guitars-ui').spec?.template.spec;
    const container = pod?.containers.find((c) => c.name === 'oauth-proxy');
    const args = container ? expandedArgs(container, NAMESPACE) : [];
    expect(args).toContain('--pass-access-token'); // what makes the proxy need an AES key
    const secretFile = join(work, 'session_secret');
    // The mounted file's path, moved to this test's folder; every other flag as the overlay has it.
    const run = args.map((arg) =>
      arg.startsWith('--cookie-secret-file=') ? `--cookie-secret-file=${secretFile}` : arg,
    );
    const refused: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      // As `$(...)` gives it to --from-literal: without its trailing newlines.
      const secret = execFileSync('bash', ['-c', command], { encoding: 'utf8' }).replace(/\n+$/, '');
      writeFileSync(secretFile, secret);
      const env = { PATH: process.env.PATH ?? '' };
      const result = spawnSync(binary, run, { encoding: 'utf8', env, timeout: 20_000 });
      const output = `${result.stdout}${result.stderr}`;
      // Here it stops at its next check, the OpenShift settings only a pod has: proof it ran them all.
      expect(output).toContain('Invalid configuration');
      if (/cookie_secret/.test(output))
        refused.push(`${secret}: ${output.split('\n').find((l) => l.includes('cookie_secret'))}`);
    }
    expect(refused).toEqual([]);
  }, 900_000);
});
