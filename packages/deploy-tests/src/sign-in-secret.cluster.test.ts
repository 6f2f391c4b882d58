import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, ensureOauthProxy, freePort, oauthProxySource } from '@guitars/testenv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyAppPrerequisites } from './kube.js';
import {
  overlayUiPod,
  PROXY_CONTAINER,
  servingCertificate,
  startSignInSidecar,
} from './openshift/sidecar.js';
import { type OpenShiftStandIn, startOpenShiftStandIn } from './openshift/stand-in.js';
import { repoPath } from './repo.js';

/**
 * The cookie secret the docs tell an admin to make, fed to the real oauth-proxy (built from
 * ../shared/third-party/oauth-proxy) run as the overlay's container (openshift/proxy-process.ts)
 * against the OpenShift stand-in: it must start, every time. Standard base64 made it refuse
 * to start 30 times in 40 (issue 24). Without the source here the file is skipped, and fails
 * instead when REQUIRE_OAUTH_PROXY=1 (CI sets it).
 */
const cluster = new Cluster(inject('testenv'));
const source = oauthProxySource();
// Root: the OpenShift stand-in listens on port 443, and the proxy runs in a mount namespace.
const present = existsSync(join(source, 'vendor')) && process.getuid?.() === 0;
if (!present) {
  const why = `needs the oauth-proxy source at ${source} (OAUTH_PROXY_SOURCE), and root`;
  if (process.env.REQUIRE_OAUTH_PROXY === '1') throw new Error(`REQUIRE_OAUTH_PROXY=1, but it ${why}`);
  console.warn(`sign-in-secret.cluster.test.ts skipped: it ${why}`);
}
const RUNS = 40;
let standIn: OpenShiftStandIn | undefined;
beforeAll(async () => {
  if (!present) return;
  await applyAppPrerequisites(cluster);
  standIn = await startOpenShiftStandIn(cluster, {});
}, 120_000);
afterAll(async () => {
  await standIn?.close();
});

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

  it(`starts the real oauth-proxy every time (${RUNS} fresh secrets)`, async () => {
    const binary = await ensureOauthProxy();
    const command = secretCommand(readFileSync(repoPath('docs/deploy.md'), 'utf8'));
    const pod = await overlayUiPod(cluster);
    const args = pod.containers.find((c) => c.name === PROXY_CONTAINER)?.args ?? [];
    expect(args).toContain('--pass-access-token'); // what makes the proxy need an AES key
    const serving = await servingCertificate();
    const uiPort = await freePort(); // nothing answers there: the proxy's own health check is asked
    const refused: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      // As `$(...)` gives it to --from-literal: without its trailing newlines.
      const cookieSecret = execFileSync('bash', ['-c', command], { encoding: 'utf8' }).replace(/\n+$/, '');
      try {
        const sidecar = await startSignInSidecar({
          cluster,
          binary,
          standIn: standIn as OpenShiftStandIn,
          pod,
          cookieSecret,
          serving,
          uiPort,
        });
        await sidecar.proxy.stop();
      } catch (err) {
        const lines = (err instanceof Error ? err.message : String(err)).split('\n');
        refused.push(`${cookieSecret}: ${lines.find((l) => l.includes('cookie_secret')) ?? lines[0]}`);
      }
    }
    expect(refused).toEqual([]);
  }, 900_000);
});
