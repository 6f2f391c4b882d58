import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * OpenShift's oauth-proxy, the sign-in sidecar of k8s/overlays/openshift, is served by no registry
 * here: its source, pinned with every dependency vendored, sits beside the repository in
 * `../shared/third-party/oauth-proxy` (read its README). Tests build it once and run the real thing.
 */
export const OAUTH_PROXY_COMMIT = '2b9ee007290b0e1cb85737f3b37075343f9f4857';

/** The source tree: OAUTH_PROXY_SOURCE, else `<repository>/../shared/third-party/oauth-proxy`. */
export function oauthProxySource(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.OAUTH_PROXY_SOURCE ||
    fileURLToPath(new URL('../../../../shared/third-party/oauth-proxy', import.meta.url))
  );
}

/** Where the built binary is kept: ~/.cache/guitars-testenv/oauth-proxy-<commit>/oauth-proxy. */
export function oauthProxyPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'guitars-testenv', `oauth-proxy-${OAUTH_PROXY_COMMIT.slice(0, 12)}`, 'oauth-proxy');
}

/**
 * The oauth-proxy binary, built on first use (offline, `-mod=vendor`: about 4 minutes on 2 idle
 * cores, then Go's build cache). Built beside its place and renamed into it, so an interrupted
 * build leaves nothing that looks finished.
 */
export async function ensureOauthProxy(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const binary = oauthProxyPath(env);
  if (existsSync(binary)) return binary;
  const source = oauthProxySource(env);
  if (!existsSync(join(source, 'vendor')))
    throw new Error(
      `[testenv] no oauth-proxy source with its vendor/ folder at ${source} (OAUTH_PROXY_SOURCE)`,
    );
  mkdirSync(join(binary, '..'), { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  log(`[testenv] building oauth-proxy from ${source} into ${binary} (minutes, once)`);
  const started = Date.now();
  const minutely = setInterval(
    () => log(`[testenv] building oauth-proxy: ${Math.round((Date.now() - started) / 60_000)} min so far`),
    60_000,
  ).unref();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('go', ['build', '-trimpath', '-o', partial, '.'], {
        cwd: source,
        env: { ...env, CGO_ENABLED: '0', GOFLAGS: '-mod=vendor' },
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      });
      child.on('error', reject);
      child.on('close', (code, signal) =>
        code === 0
          ? resolve()
          : reject(
              new Error(`[testenv] building oauth-proxy failed (${signal ?? `exit ${code}`}):\n${stderr}`),
            ),
      );
    });
    renameSync(partial, binary);
  } finally {
    clearInterval(minutely);
    rmSync(partial, { force: true });
  }
  log(`[testenv] oauth-proxy built in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}
